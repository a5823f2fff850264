/* http_test.c - the metrics endpoint's request judge (agent/serve/http.c) and listen-address parser
 * (agent/desired/endpoint.c), table-driven: every row a request (or address) and the exact verdict. */
#include <arpa/inet.h>
#include <check.h>
#include <stdio.h>
#include <string.h>

#include "endpoint.h"
#include "http.h"

static const struct {
	const char *name;
	const char *req;
	enum http_verdict want;
} http_rows[] = {
	{ "Prometheus' scrape", "GET /metrics HTTP/1.1\r\nHost: 127.0.0.1:9477\r\nUser-Agent: Prometheus/2.42.0\r\nAccept: text/plain;version=0.0.4;q=1\r\nAccept-Encoding: gzip\r\nX-Prometheus-Scrape-Timeout-Seconds: 10\r\n\r\n", HTTP_OK },
	{ "HTTP/1.0, no headers", "GET /metrics HTTP/1.0\r\n\r\n", HTTP_OK },
	{ "bare LF line ends", "GET /metrics HTTP/1.1\nHost: x\n\n", HTTP_OK },
	{ "a query string is ignored", "GET /metrics?name[]=x HTTP/1.1\r\n\r\n", HTTP_OK },
	{ "empty lines before the request line", "\r\n\r\nGET /metrics HTTP/1.1\r\n\r\n", HTTP_OK },
	{ "Content-Length: 0", "GET /metrics HTTP/1.1\r\nContent-Length:  0 \r\n\r\n", HTTP_OK },
	{ "header value with UTF-8", "GET /metrics HTTP/1.1\r\nX-Note: caf\xc3\xa9\r\n\r\n", HTTP_OK },
	/* Found by tests/fuzz/http_request_fuzz.c: judged whole, a DEL after the blank line made this a
	 * 400, while read in two parts the request was answered 200 first. */
	{ "bytes after the blank line are not judged", "GET /metrics HTTP/1.1\r\n\r\n\x7f", HTTP_OK },

	{ "nothing yet", "", HTTP_INCOMPLETE },
	{ "half a request line", "GET /met", HTTP_INCOMPLETE },
	{ "request line, no blank line yet", "GET /metrics HTTP/1.1\r\n", HTTP_INCOMPLETE },
	{ "headers, no blank line yet", "GET /metrics HTTP/1.1\r\nHost: x\r\n", HTTP_INCOMPLETE },
	{ "CR of the blank line only", "GET /metrics HTTP/1.1\r\n\r", HTTP_INCOMPLETE },

	{ "other path", "GET / HTTP/1.1\r\n\r\n", HTTP_NOT_FOUND },
	{ "path with a suffix", "GET /metrics/x HTTP/1.1\r\n\r\n", HTTP_NOT_FOUND },
	{ "path prefix only", "GET /metric HTTP/1.1\r\n\r\n", HTTP_NOT_FOUND },
	{ "path case differs", "GET /METRICS HTTP/1.1\r\n\r\n", HTTP_NOT_FOUND },
	{ "unknown path wins over method", "POST /x HTTP/1.1\r\n\r\n", HTTP_NOT_FOUND },
	{ "known on the request line already", "GET /x HTTP/1.1\r\n", HTTP_INCOMPLETE },

	{ "POST", "POST /metrics HTTP/1.1\r\nContent-Length: 0\r\n\r\n", HTTP_METHOD_NOT_ALLOWED },
	{ "HEAD", "HEAD /metrics HTTP/1.1\r\n\r\n", HTTP_METHOD_NOT_ALLOWED },
	{ "lowercase get", "get /metrics HTTP/1.1\r\n\r\n", HTTP_METHOD_NOT_ALLOWED },

	{ "garbage line", "garbage\r\n\r\n", HTTP_BAD_REQUEST },
	{ "garbage found before any blank line", "hello there\r\n", HTTP_BAD_REQUEST },
	{ "no version", "GET /metrics\r\n\r\n", HTTP_BAD_REQUEST },
	{ "two spaces", "GET  /metrics HTTP/1.1\r\n\r\n", HTTP_BAD_REQUEST },
	{ "version lowercase", "GET /metrics http/1.1\r\n\r\n", HTTP_BAD_REQUEST },
	{ "version with junk", "GET /metrics HTTP/1.1x\r\n\r\n", HTTP_BAD_REQUEST },
	{ "absolute-form target", "GET http://127.0.0.1/metrics HTTP/1.1\r\n\r\n", HTTP_BAD_REQUEST },
	{ "method with a bad character", "G(T /metrics HTTP/1.1\r\n\r\n", HTTP_BAD_REQUEST },
	{ "NUL byte", "GET /metrics HTTP/1.1\r\nX: a\0b\r\n\r\n", HTTP_BAD_REQUEST },
	{ "control byte early", "\x01GET", HTTP_BAD_REQUEST },
	{ "header without a colon", "GET /metrics HTTP/1.1\r\nHost\r\n\r\n", HTTP_BAD_REQUEST },
	{ "space before the colon", "GET /metrics HTTP/1.1\r\nHost : x\r\n\r\n", HTTP_BAD_REQUEST },
	{ "obs-fold continuation", "GET /metrics HTTP/1.1\r\nX: a\r\n b\r\n\r\n", HTTP_BAD_REQUEST },
	{ "a body", "GET /metrics HTTP/1.1\r\nContent-Length: 5\r\n\r\nhello", HTTP_BAD_REQUEST },
	{ "chunked body", "GET /metrics HTTP/1.1\r\nTransfer-Encoding: chunked\r\n\r\n", HTTP_BAD_REQUEST },

	{ "HTTP/2.0", "GET /metrics HTTP/2.0\r\n\r\n", HTTP_VERSION_NOT_SUPPORTED },
	{ "HTTP/0.9 style version", "GET /metrics HTTP/0.9\r\n\r\n", HTTP_VERSION_NOT_SUPPORTED },
	{ "a bad version is judged before a later bad byte", "GET /metrics HTTP/2.0\r\n\x01", HTTP_VERSION_NOT_SUPPORTED },
};

/* Embedded NULs: the rows' lengths come from sizeof where it matters. */
static size_t row_len(size_t i)
{
	if (!strcmp(http_rows[i].name, "NUL byte"))
		return sizeof("GET /metrics HTTP/1.1\r\nX: a\0b\r\n\r\n") - 1;
	return strlen(http_rows[i].req);
}

START_TEST(test_http_row)
{
	enum http_verdict got = http_judge(http_rows[_i].req, row_len(_i));

	ck_assert_msg(got == http_rows[_i].want, "'%s': %d, expected %d", http_rows[_i].name, got,
		      http_rows[_i].want);
}
END_TEST

/* A verdict, once given, stands however the bytes were split: every prefix of a complete request
 * is either incomplete or already that verdict. */
START_TEST(test_http_prefixes)
{
	size_t len = row_len(_i);
	enum http_verdict whole = http_judge(http_rows[_i].req, len);

	for (size_t k = 0; k < len; k++) {
		enum http_verdict part = http_judge(http_rows[_i].req, k);

		ck_assert_msg(part == HTTP_INCOMPLETE || part == whole,
			      "'%s': first %zu bytes judged %d, all of it %d", http_rows[_i].name, k, part, whole);
	}
}
END_TEST

START_TEST(test_http_size_bound)
{
	static char buf[HTTP_REQUEST_MAX + 100];
	const char *line = "GET /metrics HTTP/1.1\r\nX-Pad: ";
	size_t n = strlen(line);

	memcpy(buf, line, n);
	memset(buf + n, 'a', sizeof(buf) - n);
	ck_assert_int_eq(http_judge(buf, HTTP_REQUEST_MAX - 1), HTTP_INCOMPLETE);
	ck_assert_int_eq(http_judge(buf, HTTP_REQUEST_MAX), HTTP_TOO_LARGE);
	ck_assert_int_eq(http_judge(buf, sizeof(buf)), HTTP_TOO_LARGE);
	/* A request that ends exactly at the bound is whole, not too large. */
	memcpy(buf + HTTP_REQUEST_MAX - 4, "\r\n\r\n", 4);
	ck_assert_int_eq(http_judge(buf, HTTP_REQUEST_MAX), HTTP_OK);
	ck_assert_str_eq(http_reason(HTTP_TOO_LARGE), "Request Header Fields Too Large");
	ck_assert_str_eq(http_reason(HTTP_METHOD_NOT_ALLOWED), "Method Not Allowed");
}
END_TEST

static const struct {
	const char *text;
	int family;		/* 0: refused */
	const char *addr;
	unsigned port;
	const char *err;
} endpoint_rows[] = {
	{ "127.0.0.1:9477", 4, "127.0.0.1", 9477, NULL },
	{ "0.0.0.0:1", 4, "0.0.0.0", 1, NULL },
	{ "198.18.50.1:65535", 4, "198.18.50.1", 65535, NULL },
	{ "[::1]:9477", 6, "::1", 9477, NULL },
	{ "[::]:9477", 6, "::", 9477, NULL },
	{ "[2001:db8::7]:80", 6, "2001:db8::7", 80, NULL },
	{ "localhost:9477", 0, NULL, 0, "numeric IPv4 address (names are not resolved)" },
	{ "127.0.0.1", 0, NULL, 0, "expected ADDRESS:PORT" },
	{ "127.0.0.1:", 0, NULL, 0, "expected ADDRESS:PORT" },
	{ ":9477", 0, NULL, 0, "expected ADDRESS:PORT" },
	{ "127.0.0.1:0", 0, NULL, 0, "port from 1 to 65535" },
	{ "127.0.0.1:65536", 0, NULL, 0, "port from 1 to 65535" },
	{ "127.0.0.1:09477", 0, NULL, 0, "port from 1 to 65535" },
	{ "127.0.0.1:94x", 0, NULL, 0, "port from 1 to 65535" },
	{ "::1:9477", 0, NULL, 0, "expected ADDRESS:PORT" },
	{ "[::1]9477", 0, NULL, 0, "expected ADDRESS:PORT" },
	{ "[::1:9477", 0, NULL, 0, "expected ADDRESS:PORT" },
	{ "[127.0.0.1]:9477", 0, NULL, 0, "numeric IPv6 address" },
	{ "256.0.0.1:9477", 0, NULL, 0, "numeric IPv4 address" },
};

START_TEST(test_endpoint_row)
{
	struct endpoint ep;
	char err[256] = "", text[64];
	int ret = endpoint_parse(endpoint_rows[_i].text, &ep, err, sizeof(err));

	if (!endpoint_rows[_i].family) {
		ck_assert_msg(ret < 0, "'%s' accepted", endpoint_rows[_i].text);
		ck_assert_msg(strstr(err, endpoint_rows[_i].err), "'%s': error '%s'", endpoint_rows[_i].text, err);
		ck_assert_msg(strstr(err, endpoint_rows[_i].text), "'%s': error '%s' does not quote it",
			      endpoint_rows[_i].text, err);
		return;
	}
	ck_assert_msg(ret == 0, "'%s' refused: %s", endpoint_rows[_i].text, err);
	if (endpoint_rows[_i].family == 4) {
		struct sockaddr_in *a = (struct sockaddr_in *)&ep.addr;

		ck_assert_int_eq(a->sin_family, AF_INET);
		ck_assert_uint_eq(ep.len, sizeof(*a));
		ck_assert_uint_eq(ntohs(a->sin_port), endpoint_rows[_i].port);
		inet_ntop(AF_INET, &a->sin_addr, text, sizeof(text));
	} else {
		struct sockaddr_in6 *a = (struct sockaddr_in6 *)&ep.addr;

		ck_assert_int_eq(a->sin6_family, AF_INET6);
		ck_assert_uint_eq(ep.len, sizeof(*a));
		ck_assert_uint_eq(ntohs(a->sin6_port), endpoint_rows[_i].port);
		inet_ntop(AF_INET6, &a->sin6_addr, text, sizeof(text));
	}
	ck_assert_str_eq(text, endpoint_rows[_i].addr);
}
END_TEST

TCase *http_tcase(void)
{
	TCase *tc = tcase_create("http");
	int n = (int)(sizeof(http_rows) / sizeof(http_rows[0]));

	tcase_add_loop_test(tc, test_http_row, 0, n);
	tcase_add_loop_test(tc, test_http_prefixes, 0, n);
	tcase_add_test(tc, test_http_size_bound);
	tcase_add_loop_test(tc, test_endpoint_row, 0, (int)(sizeof(endpoint_rows) / sizeof(endpoint_rows[0])));
	return tc;
}
