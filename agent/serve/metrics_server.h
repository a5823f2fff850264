/* metrics_server.h - the /metrics endpoint, served from the agent's own event loop: a listening
 * socket and its clients are pollfds of the same poll() that waits for file changes and signals
 * (watch.h). Every socket is non-blocking, every client has a fixed-size request buffer and a
 * deadline, so a slow or hostile client costs one slot for a few seconds and never delays a
 * reconcile. */
#ifndef VOSFP_METRICS_SERVER_H
#define VOSFP_METRICS_SERVER_H

#include <poll.h>
#include <stddef.h>
#include <stdio.h>

#define METRICS_CLIENTS_MAX 16		/* more wait in the listen backlog until a slot frees */
#define METRICS_CLIENT_DEADLINE_MS 5000	/* a whole exchange, from accept to close */
#define METRICS_LINGER_MS 500		/* after the response: reading what the client still sends,
					 * so closing does not reset the connection under it */
#define METRICS_POLLFDS_MAX (1 + METRICS_CLIENTS_MAX)

struct metrics_server;

/* Writes the response body for GET /metrics; 0, or a negative errno (the client gets a 500). */
typedef int (*metrics_render_fn)(void *ctx, FILE *out);

/* Bind and listen on listen_text (endpoint.h syntax). NULL with the reason in err. */
struct metrics_server *metrics_server_open(const char *listen_text, metrics_render_fn render, void *ctx,
					   char *err, size_t errlen);
void metrics_server_close(struct metrics_server *s);
const char *metrics_server_listen(const struct metrics_server *s);

/* The pollfds to wait on now (at most max), and the earliest client deadline (monotonic ms, or
 * -1 for none) in *deadline_ms. */
unsigned metrics_server_pollfds(struct metrics_server *s, struct pollfd *fds, unsigned max,
				long long *deadline_ms);

/* After poll(): accept, read, answer, drop clients past their deadline. fds/n as filled by
 * metrics_server_pollfds, with revents set. Never blocks. */
void metrics_server_serve(struct metrics_server *s, const struct pollfd *fds, unsigned n);

#endif
