/* http.c - see http.h. Strict where it costs nothing (the request line, header syntax), lenient
 * where clients differ (bare LF line ends, any header names, a query string). */
#include <string.h>

#include "http.h"

static int is_tchar(unsigned char c)
{
	return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
	       (c && strchr("!#$%&'*+-.^_`|~", c));
}

/* Bytes a request may contain: visible ASCII, space, tab, CR, LF, and (in header values only,
 * but harmless elsewhere: the checks below reject them in the request line) bytes >= 0x80. */
static int allowed_byte(unsigned char c)
{
	return c >= 0x20 ? c != 0x7F : c == '\t' || c == '\r' || c == '\n';
}

static int all_allowed(const char *p, size_t n)
{
	for (size_t i = 0; i < n; i++)
		if (!allowed_byte((unsigned char)p[i]))
			return 0;
	return 1;
}

/* Length of the line at p (up to its LF), or 0 when no LF yet; *content without the CR. */
static size_t line_at(const char *p, const char *end, size_t *content)
{
	const char *lf = memchr(p, '\n', (size_t)(end - p));

	if (!lf)
		return 0;
	*content = (size_t)(lf - p) - (lf > p && lf[-1] == '\r');
	return (size_t)(lf - p) + 1;
}

static enum http_verdict judge_request_line(const char *p, size_t n)
{
	const char *sp1 = memchr(p, ' ', n), *sp2, *target, *version;
	size_t method_len, target_len, version_len;

	if (!sp1 || sp1 == p)
		return HTTP_BAD_REQUEST;
	method_len = (size_t)(sp1 - p);
	for (size_t i = 0; i < method_len; i++)
		if (!is_tchar((unsigned char)p[i]))
			return HTTP_BAD_REQUEST;
	target = sp1 + 1;
	sp2 = memchr(target, ' ', n - method_len - 1);
	if (!sp2 || sp2 == target)
		return HTTP_BAD_REQUEST;
	target_len = (size_t)(sp2 - target);
	version = sp2 + 1;
	version_len = n - (size_t)(version - p);
	for (size_t i = 0; i < target_len; i++)
		if ((unsigned char)target[i] <= 0x20 || (unsigned char)target[i] >= 0x7F)
			return HTTP_BAD_REQUEST;
	if (version_len != 8 || memcmp(version, "HTTP/", 5) || version[6] != '.' ||
	    version[5] < '0' || version[5] > '9' || version[7] < '0' || version[7] > '9')
		return HTTP_BAD_REQUEST;
	if (version[5] != '1')
		return HTTP_VERSION_NOT_SUPPORTED;
	if (target[0] != '/')
		return HTTP_BAD_REQUEST;	/* absolute-form and '*' are for proxies and OPTIONS */
	/* Path before any query: exactly /metrics. Then the method. */
	{
		const char *q = memchr(target, '?', target_len);
		size_t path_len = q ? (size_t)(q - target) : target_len;

		if (path_len != 8 || memcmp(target, "/metrics", 8))
			return HTTP_NOT_FOUND;
	}
	if (method_len != 3 || memcmp(p, "GET", 3))
		return HTTP_METHOD_NOT_ALLOWED;
	return HTTP_OK;
}

/* "Name: value": a token, a colon, no whitespace before it; a body is refused (GET has none, and
 * reading one would need framing this endpoint has no use for). */
static enum http_verdict judge_header(const char *p, size_t n)
{
	const char *colon = memchr(p, ':', n);
	size_t name_len;

	if (!colon || colon == p)
		return HTTP_BAD_REQUEST;
	name_len = (size_t)(colon - p);
	for (size_t i = 0; i < name_len; i++)
		if (!is_tchar((unsigned char)p[i]))
			return HTTP_BAD_REQUEST;	/* also obs-fold: a line starting with a blank */
	if ((name_len == 17 && !strncasecmp(p, "Transfer-Encoding", 17)))
		return HTTP_BAD_REQUEST;
	if (name_len == 14 && !strncasecmp(p, "Content-Length", 14)) {
		const char *v = colon + 1, *end = p + n;

		while (v < end && (*v == ' ' || *v == '\t'))
			v++;
		while (end > v && (end[-1] == ' ' || end[-1] == '\t'))
			end--;
		if (end - v != 1 || *v != '0')
			return HTTP_BAD_REQUEST;
	}
	return HTTP_OK;
}

enum http_verdict http_judge(const char *buf, size_t len)
{
	const char *p = buf, *end = buf + (len > HTTP_REQUEST_MAX ? HTTP_REQUEST_MAX : len);
	enum http_verdict line_verdict = HTTP_INCOMPLETE, v;
	size_t n, content;
	int first = 1;

	/* Bytes are judged line by line, in the order they arrive, and not past the blank line: the
	 * verdict must not depend on how the client's bytes were split into reads (the server
	 * answers at the first read that completes a request). */
	while ((n = line_at(p, end, &content))) {
		if (!all_allowed(p, n))
			return HTTP_BAD_REQUEST;
		if (first) {
			/* Robustness (RFC 9112 2.2): empty lines before the request line are skipped. */
			if (content == 0) {
				p += n;
				continue;
			}
			line_verdict = judge_request_line(p, content);
			if (line_verdict == HTTP_BAD_REQUEST || line_verdict == HTTP_VERSION_NOT_SUPPORTED)
				return line_verdict;
			first = 0;
		} else if (content == 0) {
			return line_verdict;		/* end of headers: the request is whole */
		} else {
			v = judge_header(p, content);
			if (v != HTTP_OK)
				return v;
		}
		p += n;
	}
	/* The line still arriving: a byte no request may contain is refused now, not at its end. */
	if (!all_allowed(p, (size_t)(end - p)))
		return HTTP_BAD_REQUEST;
	/* No blank line yet: room left means wait; none means the request is too large. */
	return len >= HTTP_REQUEST_MAX ? HTTP_TOO_LARGE : HTTP_INCOMPLETE;
}

const char *http_reason(enum http_verdict v)
{
	switch (v) {
	case HTTP_OK:
		return "OK";
	case HTTP_BAD_REQUEST:
		return "Bad Request";
	case HTTP_NOT_FOUND:
		return "Not Found";
	case HTTP_METHOD_NOT_ALLOWED:
		return "Method Not Allowed";
	case HTTP_TOO_LARGE:
		return "Request Header Fields Too Large";
	case HTTP_VERSION_NOT_SUPPORTED:
		return "HTTP Version Not Supported";
	default:
		return "Internal Server Error";
	}
}
