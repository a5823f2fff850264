/* http.h - the little HTTP/1.x the metrics endpoint speaks: is a request complete, and what is
 * the answer to it. Pure (a buffer in, a status out): the socket handling is metrics_server.c's.
 * It serves one route, GET /metrics; anything else is refused with the right 4xx. */
#ifndef VOSFP_HTTP_H
#define VOSFP_HTTP_H

#include <stddef.h>

/* Requests larger than this (request line + headers) are refused with 431 before being read
 * whole: a client cannot make the agent hold more than this per connection. */
#define HTTP_REQUEST_MAX 4096

enum http_verdict {
	HTTP_INCOMPLETE = 0,		/* need more bytes */
	HTTP_OK = 200,			/* GET /metrics */
	HTTP_BAD_REQUEST = 400,
	HTTP_NOT_FOUND = 404,
	HTTP_METHOD_NOT_ALLOWED = 405,
	HTTP_TOO_LARGE = 431,		/* Request Header Fields Too Large: all a GET has */
	HTTP_VERSION_NOT_SUPPORTED = 505,
};

/* Judge the bytes received so far (buf need not be NUL-terminated). Syntax errors are found as
 * soon as the bytes that show them arrive, not only once the headers are complete. */
enum http_verdict http_judge(const char *buf, size_t len);

/* "OK", "Bad Request", ... */
const char *http_reason(enum http_verdict v);

#endif
