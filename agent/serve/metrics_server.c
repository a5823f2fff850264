/* metrics_server.c - see metrics_server.h. One request per connection (HTTP/1.0-style close after
 * the response): nothing to track between requests, and Prometheus reconnects per scrape anyway. */
#include <errno.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#include "endpoint.h"
#include "http.h"
#include "log.h"
#include "metrics.h"
#include "metrics_server.h"

enum client_state { CLIENT_FREE, CLIENT_READING, CLIENT_WRITING, CLIENT_DRAINING };

struct client {
	int fd;
	enum client_state state;
	char in[HTTP_REQUEST_MAX];
	size_t in_len;
	char *out;
	size_t out_len, out_off;
	long long deadline;
};

struct metrics_server {
	int lfd;
	char listen[80];
	metrics_render_fn render;
	void *ctx;
	struct client clients[METRICS_CLIENTS_MAX];
	int polled[METRICS_POLLFDS_MAX];	/* pollfd i is client polled[i], or -1: the listener */
	unsigned polled_count;
};

static long long now_ms(void)
{
	struct timespec t;

	clock_gettime(CLOCK_MONOTONIC, &t);
	return t.tv_sec * 1000LL + t.tv_nsec / 1000000;
}

struct metrics_server *metrics_server_open(const char *listen_text, metrics_render_fn render, void *ctx,
					   char *err, size_t errlen)
{
	struct metrics_server *s;
	struct endpoint ep;
	int one = 1;

	if (endpoint_parse(listen_text, &ep, err, errlen))
		return NULL;
	s = calloc(1, sizeof(*s));
	if (!s) {
		snprintf(err, errlen, "out of memory");
		return NULL;
	}
	snprintf(s->listen, sizeof(s->listen), "%s", listen_text);
	s->render = render;
	s->ctx = ctx;
	s->lfd = socket(ep.addr.ss_family, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
	if (s->lfd < 0)
		goto fail;
	/* A restarted agent must get its port back while the old one's connections sit in
	 * TIME_WAIT. */
	setsockopt(s->lfd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof(one));
	if (ep.addr.ss_family == AF_INET6)	/* [::] means IPv6 only: say 0.0.0.0 for IPv4 */
		setsockopt(s->lfd, IPPROTO_IPV6, IPV6_V6ONLY, &one, sizeof(one));
	if (bind(s->lfd, (struct sockaddr *)&ep.addr, ep.len) || listen(s->lfd, 64))
		goto fail;
	for (int i = 0; i < METRICS_CLIENTS_MAX; i++)
		s->clients[i].fd = -1;
	return s;
fail:
	snprintf(err, errlen, "metrics.listen %s: %s", listen_text, strerror(errno));
	if (s->lfd >= 0)
		close(s->lfd);
	free(s);
	return NULL;
}

static void drop(struct client *c)
{
	if (c->fd >= 0)
		close(c->fd);
	free(c->out);
	c->fd = -1;
	c->out = NULL;
	c->state = CLIENT_FREE;
	c->in_len = c->out_len = c->out_off = 0;
}

void metrics_server_close(struct metrics_server *s)
{
	if (!s)
		return;
	for (int i = 0; i < METRICS_CLIENTS_MAX; i++)
		drop(&s->clients[i]);
	close(s->lfd);
	free(s);
}

const char *metrics_server_listen(const struct metrics_server *s)
{
	return s->listen;
}

unsigned metrics_server_pollfds(struct metrics_server *s, struct pollfd *fds, unsigned max,
				long long *deadline_ms)
{
	unsigned n = 0;
	int free_slot = 0;

	*deadline_ms = -1;
	for (int i = 0; i < METRICS_CLIENTS_MAX; i++)
		free_slot |= s->clients[i].state == CLIENT_FREE;
	/* No free slot: leave new connections in the backlog (the listener is not polled). */
	if (free_slot && n < max) {
		fds[n] = (struct pollfd){ .fd = s->lfd, .events = POLLIN };
		s->polled[n++] = -1;
	}
	for (int i = 0; i < METRICS_CLIENTS_MAX && n < max; i++) {
		struct client *c = &s->clients[i];

		if (c->state == CLIENT_FREE)
			continue;
		fds[n] = (struct pollfd){ .fd = c->fd, .events = c->state == CLIENT_WRITING ? POLLOUT : POLLIN };
		s->polled[n++] = i;
		if (*deadline_ms < 0 || c->deadline < *deadline_ms)
			*deadline_ms = c->deadline;
	}
	s->polled_count = n;
	return n;
}

static void append(struct client *c, const char *buf, size_t len)
{
	char *v = realloc(c->out, c->out_len + len);

	if (!v)
		return;
	memcpy(v + c->out_len, buf, len);
	c->out = v;
	c->out_len += len;
}

static void respond(struct metrics_server *s, struct client *c, enum http_verdict v)
{
	char *body = NULL, head[256];
	size_t body_len = 0;
	FILE *f;
	int n;

	if (v == HTTP_OK) {
		f = open_memstream(&body, &body_len);
		if (!f || s->render(s->ctx, f)) {
			if (f)
				fclose(f);
			free(body);
			body = NULL;
			v = 500;
		} else {
			fclose(f);
		}
	}
	if (v != HTTP_OK) {
		free(body);
		n = asprintf(&body, "%d %s\n", (int)v, http_reason(v));
		body_len = n > 0 ? (size_t)n : 0;
		if (n < 0)
			body = NULL;
	}
	n = snprintf(head, sizeof(head),
		     "HTTP/1.1 %d %s\r\nContent-Type: %s\r\nContent-Length: %zu\r\n%sConnection: close\r\n\r\n",
		     (int)v, http_reason(v), v == HTTP_OK ? METRICS_CONTENT_TYPE : "text/plain; charset=utf-8",
		     body_len, v == HTTP_METHOD_NOT_ALLOWED ? "Allow: GET\r\n" : "");
	append(c, head, (size_t)n);
	if (body)
		append(c, body, body_len);
	free(body);
	if (v != HTTP_OK)
		log_msg(LOG_DEBUG, "metrics: answered %d %s", (int)v, http_reason(v));
	c->state = CLIENT_WRITING;
}

static void on_readable(struct metrics_server *s, struct client *c)
{
	char scratch[1024];
	ssize_t got;

	if (c->state == CLIENT_DRAINING) {
		while ((got = recv(c->fd, scratch, sizeof(scratch), 0)) > 0)
			;
		if (got == 0 || (errno != EAGAIN && errno != EWOULDBLOCK))
			drop(c);
		return;
	}
	got = recv(c->fd, c->in + c->in_len, sizeof(c->in) - c->in_len, 0);
	if (got == 0 || (got < 0 && errno != EAGAIN && errno != EWOULDBLOCK && errno != EINTR)) {
		drop(c);	/* gone before asking anything complete */
		return;
	}
	if (got < 0)
		return;
	c->in_len += (size_t)got;
	{
		enum http_verdict v = http_judge(c->in, c->in_len);

		if (v != HTTP_INCOMPLETE)
			respond(s, c, v);
	}
}

static void on_writable(struct client *c, long long now)
{
	while (c->out_off < c->out_len) {
		ssize_t sent = send(c->fd, c->out + c->out_off, c->out_len - c->out_off, MSG_NOSIGNAL);

		if (sent < 0) {
			if (errno != EAGAIN && errno != EWOULDBLOCK && errno != EINTR)
				drop(c);
			return;
		}
		c->out_off += (size_t)sent;
	}
	shutdown(c->fd, SHUT_WR);
	c->state = CLIENT_DRAINING;
	if (c->deadline > now + METRICS_LINGER_MS)
		c->deadline = now + METRICS_LINGER_MS;
}

static void accept_clients(struct metrics_server *s, long long now)
{
	for (int i = 0; i < METRICS_CLIENTS_MAX; i++) {
		struct client *c = &s->clients[i];

		if (c->state != CLIENT_FREE)
			continue;
		c->fd = accept4(s->lfd, NULL, NULL, SOCK_NONBLOCK | SOCK_CLOEXEC);
		if (c->fd < 0)
			return;		/* EAGAIN: nobody else waiting */
		c->state = CLIENT_READING;
		c->deadline = now + METRICS_CLIENT_DEADLINE_MS;
	}
}

void metrics_server_serve(struct metrics_server *s, const struct pollfd *fds, unsigned n)
{
	long long now = now_ms();

	for (unsigned i = 0; i < n && i < s->polled_count; i++) {
		struct client *c;

		if (!fds[i].revents)
			continue;
		if (s->polled[i] < 0) {
			accept_clients(s, now);
			continue;
		}
		c = &s->clients[s->polled[i]];
		if (c->state == CLIENT_WRITING)
			on_writable(c, now);
		else if (c->state != CLIENT_FREE)
			on_readable(s, c);
		/* A response ready now need not wait for the next poll. */
		if (c->state == CLIENT_WRITING)
			on_writable(c, now);
	}
	for (int i = 0; i < METRICS_CLIENTS_MAX; i++) {
		struct client *c = &s->clients[i];

		if (c->state != CLIENT_FREE && now >= c->deadline) {
			if (c->state == CLIENT_READING)
				log_msg(LOG_DEBUG, "metrics: a client sent no complete request within %d ms: dropped",
					METRICS_CLIENT_DEADLINE_MS);
			drop(c);
		}
	}
}
