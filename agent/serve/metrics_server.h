/* metrics_server.h - the /metrics endpoint, served from the agent's own event loop: the listening
 * socket and its clients sit in an epoll set of the server's own, whose one descriptor is a pollfd
 * of the same poll() that waits for file changes and signals (watch.h). Every socket is
 * non-blocking, every client has a fixed-size request buffer and a deadline that nothing it sends
 * extends, and a new connection is always accepted: when the slots are taken, an older connection
 * gives way (admission.h), so neither idle connections nor half-sent requests, however many, keep
 * a scraper waiting, and none delays a reconcile. */
#ifndef VOSFP_METRICS_SERVER_H
#define VOSFP_METRICS_SERVER_H

#include <poll.h>
#include <stddef.h>
#include <stdio.h>

#define METRICS_CLIENTS_MAX 256		/* and at most a quarter of RLIMIT_NOFILE (1024 by default):
					 * a flood never leaves a reload short of descriptors */
#define METRICS_CLIENT_DEADLINE_MS 5000	/* a whole exchange, from accept to close */
#define METRICS_DEFER_ACCEPT_S 1	/* a connection reaches accept() with its first bytes, or after
					 * this long (TCP_DEFER_ACCEPT) */
#define METRICS_LINGER_MS 500		/* after the response: reading what the client still sends,
					 * so closing does not reset the connection under it */
#define METRICS_EVICTION_REPORT_MS 60000	/* connections closed early, descriptors short: each
						 * logged at most this often */

struct metrics_server;

/* Writes the response body for GET /metrics; 0, or a negative errno (the client gets a 500). */
typedef int (*metrics_render_fn)(void *ctx, FILE *out);

/* Bind and listen on listen_text (endpoint.h syntax). NULL with the reason in err. */
struct metrics_server *metrics_server_open(const char *listen_text, metrics_render_fn render, void *ctx,
					   char *err, size_t errlen);
void metrics_server_close(struct metrics_server *s);
const char *metrics_server_listen(const struct metrics_server *s);

/* The pollfds to wait on now (one, the epoll set; none when max is 0), and the earliest client
 * deadline (monotonic ms, or -1 for none) in *deadline_ms. */
unsigned metrics_server_pollfds(struct metrics_server *s, struct pollfd *fds, unsigned max,
				long long *deadline_ms);

/* After poll(): accept, read, answer, drop clients past their deadline. fds/n as filled by
 * metrics_server_pollfds, with revents set. Never blocks. */
void metrics_server_serve(struct metrics_server *s, const struct pollfd *fds, unsigned n);

#endif
