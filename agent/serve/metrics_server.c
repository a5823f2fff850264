/* metrics_server.c - see metrics_server.h. One request per connection (HTTP/1.0-style close after
 * the response): nothing to track between requests, and Prometheus reconnects per scrape anyway.
 * Never blocks and never leaves a connection waiting in the kernel's backlog for a slot.
 * Not libmicrohttpd: at its per-address and total connection limits it refuses or stops
 * accepting newcomers, so a flood from the scraper's address, or larger than the limit, starves
 * the scraper (measured: 15 s to over 30 s); here an older connection gives way instead. */
#include <errno.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#include "admission.h"
#include "endpoint.h"
#include "http.h"
#include "log.h"
#include "metrics.h"
#include "metrics_server.h"
#include "mono_time.h"

#define LISTENER UINT32_MAX		/* epoll data of the listening socket; clients carry their slot */
#define EVENTS_PER_SERVE 64		/* more ready sockets are served at the next wakeup (level-triggered) */
#define ACCEPT_PAUSE_MS 100		/* out of descriptors with no connection to give up: try again then */

struct client {
	int fd;
	char in[HTTP_REQUEST_MAX];
	size_t in_len;
	char *out;
	size_t out_len, out_off;
	long long deadline;
};

struct metrics_server {
	int lfd, efd;
	char listen[80];
	metrics_render_fn render;
	void *ctx;
	/* Index-aligned: what admission needs to know of slot i (its stage among them), its socket. */
	struct admission_slot slots[METRICS_CLIENTS_MAX];
	struct client clients[METRICS_CLIENTS_MAX];
	unsigned capacity;			/* slots in use at most: see slots_for_limit */
	unsigned long long accepted;		/* accept order, for "the older gives way first" */
	long long accept_paused_until;		/* monotonic ms; 0: the listener is armed */
	unsigned evicted;			/* connections closed early since the last report */
	long long next_eviction_report, next_descriptor_report;
};

static int watch_fd(struct metrics_server *s, int op, int fd, uint32_t events, uint32_t id)
{
	struct epoll_event ev = { .events = events, .data.u32 = id };

	return epoll_ctl(s->efd, op, fd, &ev);
}

/* A quarter of the descriptors the agent may open, at most METRICS_CLIENTS_MAX: however many
 * connections arrive, a reload still finds the descriptors it needs for its files and maps. */
static unsigned slots_for_limit(void)
{
	struct rlimit rl;

	if (getrlimit(RLIMIT_NOFILE, &rl) || rl.rlim_cur == RLIM_INFINITY || rl.rlim_cur / 4 >= METRICS_CLIENTS_MAX)
		return METRICS_CLIENTS_MAX;
	return rl.rlim_cur >= 4 ? (unsigned)(rl.rlim_cur / 4) : 1;
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
	s->capacity = slots_for_limit();
	for (int i = 0; i < METRICS_CLIENTS_MAX; i++)
		s->clients[i].fd = -1;
	s->efd = epoll_create1(EPOLL_CLOEXEC);
	s->lfd = socket(ep.addr.ss_family, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
	if (s->efd < 0 || s->lfd < 0)
		goto fail;
	/* A restarted agent must get its port back while the old one's connections sit in
	 * TIME_WAIT. */
	setsockopt(s->lfd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof(one));
	if (ep.addr.ss_family == AF_INET6)	/* [::] means IPv6 only: say 0.0.0.0 for IPv4 */
		setsockopt(s->lfd, IPPROTO_IPV6, IPV6_V6ONLY, &one, sizeof(one));
	/* An HTTP client speaks first: the kernel holds a connection that has sent nothing back from
	 * accept() for a second, so idle connections do not take slots while requests arrive, and a
	 * scraper's request is there when its connection is accepted (and is read at once). */
	setsockopt(s->lfd, IPPROTO_TCP, TCP_DEFER_ACCEPT, &(int){ METRICS_DEFER_ACCEPT_S }, sizeof(int));
	/* The kernel's own cap (net.core.somaxconn) applies: a burst between two wakeups waits
	 * there, and every wakeup empties it. */
	if (bind(s->lfd, (struct sockaddr *)&ep.addr, ep.len) || listen(s->lfd, SOMAXCONN) ||
	    watch_fd(s, EPOLL_CTL_ADD, s->lfd, EPOLLIN, LISTENER))
		goto fail;
	return s;
fail:
	snprintf(err, errlen, "metrics.listen %s: %s", listen_text, strerror(errno));
	if (s->lfd >= 0)
		close(s->lfd);
	if (s->efd >= 0)
		close(s->efd);
	free(s);
	return NULL;
}

static void drop(struct metrics_server *s, int i)
{
	struct client *c = &s->clients[i];

	if (c->fd >= 0)
		close(c->fd);		/* also leaves the epoll set: the descriptor is never dup'ed */
	free(c->out);
	c->fd = -1;
	c->out = NULL;
	c->in_len = c->out_len = c->out_off = 0;
	s->slots[i].stage = STAGE_FREE;
}

void metrics_server_close(struct metrics_server *s)
{
	if (!s)
		return;
	for (int i = 0; i < METRICS_CLIENTS_MAX; i++)
		drop(s, i);
	close(s->lfd);
	close(s->efd);
	free(s);
}

const char *metrics_server_listen(const struct metrics_server *s)
{
	return s->listen;
}

unsigned metrics_server_pollfds(struct metrics_server *s, struct pollfd *fds, unsigned max,
				long long *deadline_ms)
{
	*deadline_ms = s->accept_paused_until ? s->accept_paused_until : -1;
	for (unsigned i = 0; i < s->capacity; i++) {
		if (s->slots[i].stage == STAGE_FREE)
			continue;
		if (*deadline_ms < 0 || s->clients[i].deadline < *deadline_ms)
			*deadline_ms = s->clients[i].deadline;
	}
	if (max == 0)
		return 0;
	fds[0] = (struct pollfd){ .fd = s->efd, .events = POLLIN };
	return 1;
}

/* A stage change is also a change of what epoll waits for: POLLOUT only while answering. */
static void set_stage(struct metrics_server *s, int i, enum client_stage stage)
{
	s->slots[i].stage = stage;
	if (watch_fd(s, EPOLL_CTL_MOD, s->clients[i].fd, stage == STAGE_WRITING ? EPOLLOUT : EPOLLIN, (uint32_t)i))
		drop(s, i);
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

static void respond(struct metrics_server *s, int i, enum http_verdict v)
{
	struct client *c = &s->clients[i];
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
	set_stage(s, i, STAGE_WRITING);
}

static void on_readable(struct metrics_server *s, int i)
{
	struct client *c = &s->clients[i];
	char scratch[1024];
	ssize_t got;

	if (s->slots[i].stage == STAGE_DRAINING) {
		while ((got = recv(c->fd, scratch, sizeof(scratch), 0)) > 0)
			;
		if (got == 0 || (errno != EAGAIN && errno != EWOULDBLOCK))
			drop(s, i);
		return;
	}
	got = recv(c->fd, c->in + c->in_len, sizeof(c->in) - c->in_len, 0);
	if (got == 0 || (got < 0 && errno != EAGAIN && errno != EWOULDBLOCK && errno != EINTR)) {
		drop(s, i);	/* gone before asking anything complete */
		return;
	}
	if (got < 0)
		return;
	c->in_len += (size_t)got;
	{
		enum http_verdict v = http_judge(c->in, c->in_len);

		if (v != HTTP_INCOMPLETE)
			respond(s, i, v);
	}
}

static void on_writable(struct metrics_server *s, int i, long long now)
{
	struct client *c = &s->clients[i];

	while (c->out_off < c->out_len) {
		ssize_t sent = send(c->fd, c->out + c->out_off, c->out_len - c->out_off, MSG_NOSIGNAL);

		if (sent < 0) {
			if (errno != EAGAIN && errno != EWOULDBLOCK && errno != EINTR)
				drop(s, i);
			return;
		}
		c->out_off += (size_t)sent;
	}
	shutdown(c->fd, SHUT_WR);
	set_stage(s, i, STAGE_DRAINING);
	if (c->deadline > now + METRICS_LINGER_MS)
		c->deadline = now + METRICS_LINGER_MS;
}

/* Read what the client sent and answer as far as the socket allows, now. */
static void serve_client(struct metrics_server *s, int i, long long now)
{
	if (s->slots[i].stage == STAGE_WRITING)
		on_writable(s, i, now);
	else if (s->slots[i].stage != STAGE_FREE)
		on_readable(s, i);
	/* A response ready now need not wait for the next wakeup. */
	if (s->slots[i].stage == STAGE_WRITING)
		on_writable(s, i, now);
}

static void give_way(struct metrics_server *s, int i)
{
	drop(s, i);
	s->evicted++;
}

/* Out of descriptors: give up the most expendable connection for the one waiting, or, with none
 * to give up (the agent's other descriptors took them all), stop polling the listener for a
 * moment rather than waking up for it in a loop. */
static void out_of_descriptors(struct metrics_server *s, long long now)
{
	int i = admission_expendable(s->slots, s->capacity);

	if (i >= 0) {
		give_way(s, i);
		return;
	}
	if (now >= s->next_descriptor_report) {
		log_msg(LOG_WARNING, "metrics: out of file descriptors (%s) with no connection to close; pausing accept for %d ms at a time",
			strerror(errno), ACCEPT_PAUSE_MS);
		s->next_descriptor_report = now + METRICS_EVICTION_REPORT_MS;
	}
	if (watch_fd(s, EPOLL_CTL_MOD, s->lfd, 0, LISTENER) == 0)
		s->accept_paused_until = now + ACCEPT_PAUSE_MS;
}

/* Everything waiting in the backlog, up to one table's worth per wakeup (a connection flood
 * must not keep the loop from its reconciles). Each newcomer's request is read at once: a
 * scraper's usually arrived with its handshake, so it is answered before any later connection
 * could displace it. */
static void accept_clients(struct metrics_server *s, long long now)
{
	for (unsigned k = 0; k < s->capacity && !s->accept_paused_until; k++) {
		struct sockaddr_storage peer;
		socklen_t len = sizeof(peer);
		struct admission_source from;
		int fd = accept4(s->lfd, (struct sockaddr *)&peer, &len, SOCK_NONBLOCK | SOCK_CLOEXEC), i;

		if (fd < 0) {
			if (errno == EMFILE || errno == ENFILE || errno == ENOBUFS || errno == ENOMEM)
				out_of_descriptors(s, now);
			else if (errno != ECONNABORTED && errno != EINTR && errno != EPROTO)
				return;		/* EAGAIN: nobody else waiting */
			continue;
		}
		admission_source_of(&peer, &from);
		i = admission_choose(s->slots, s->capacity, &from);
		if (s->slots[i].stage != STAGE_FREE)
			give_way(s, i);
		s->clients[i].fd = fd;
		s->clients[i].deadline = now + METRICS_CLIENT_DEADLINE_MS;
		s->slots[i] = (struct admission_slot){ .stage = STAGE_READING, .source = from, .since = ++s->accepted };
		if (watch_fd(s, EPOLL_CTL_ADD, fd, EPOLLIN, (uint32_t)i)) {
			drop(s, i);
			continue;
		}
		serve_client(s, i, now);
	}
}

static void report_evictions(struct metrics_server *s, long long now)
{
	if (!s->evicted || now < s->next_eviction_report)
		return;
	log_msg(LOG_WARNING,
		"metrics: %u connection(s) closed before their deadline to make room for new ones (all %d slots taken; the address holding the most gives way); a flood of idle or unfinished requests?",
		s->evicted, s->capacity);
	s->evicted = 0;
	s->next_eviction_report = now + METRICS_EVICTION_REPORT_MS;
}

void metrics_server_serve(struct metrics_server *s, const struct pollfd *fds, unsigned n)
{
	struct epoll_event ev[EVENTS_PER_SERVE];
	long long now = mono_ms();
	int ready = 0, listener_ready = 0;

	if (s->accept_paused_until && now >= s->accept_paused_until &&
	    watch_fd(s, EPOLL_CTL_MOD, s->lfd, EPOLLIN, LISTENER) == 0)
		s->accept_paused_until = 0;
	if (n > 0 && fds[0].revents)
		ready = epoll_wait(s->efd, ev, EVENTS_PER_SERVE, 0);
	/* Clients first, newcomers after: a request already here is answered before any newcomer
	 * can take its slot. */
	for (int k = 0; k < ready; k++) {
		if (ev[k].data.u32 == LISTENER)
			listener_ready = 1;
		else
			serve_client(s, (int)ev[k].data.u32, now);
	}
	if (listener_ready)
		accept_clients(s, now);
	for (unsigned i = 0; i < s->capacity; i++) {
		if (s->slots[i].stage != STAGE_FREE && now >= s->clients[i].deadline) {
			if (s->slots[i].stage == STAGE_READING)
				log_msg(LOG_DEBUG, "metrics: a client sent no complete request within %d ms: dropped",
					METRICS_CLIENT_DEADLINE_MS);
			drop(s, (int)i);
		}
	}
	report_evictions(s, now);
}
