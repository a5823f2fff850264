/* endpoint.c - see endpoint.h. */
#include <arpa/inet.h>
#include <errno.h>
#include <netinet/in.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "endpoint.h"

static int bad(char *err, size_t errlen, const char *text, const char *why)
{
	snprintf(err, errlen, "'%s': %s", text, why);
	return -EINVAL;
}

int endpoint_parse(const char *text, struct endpoint *out, char *err, size_t errlen)
{
	static const char expected[] =
		"expected ADDRESS:PORT with a numeric address, e.g. 127.0.0.1:9477 or [::1]:9477";
	char host[64];
	const char *colon, *port_text;
	unsigned long port;
	char *end;
	size_t host_len;
	int v6 = text[0] == '[';

	memset(out, 0, sizeof(*out));
	if (v6) {
		const char *close = strchr(text, ']');

		if (!close || close[1] != ':')
			return bad(err, errlen, text, expected);
		colon = close + 1;
		host_len = (size_t)(close - text - 1);
		if (host_len >= sizeof(host))
			return bad(err, errlen, text, expected);
		memcpy(host, text + 1, host_len);
	} else {
		colon = strrchr(text, ':');
		if (!colon || strchr(text, ':') != colon)
			return bad(err, errlen, text, expected);
		host_len = (size_t)(colon - text);
		if (host_len >= sizeof(host))
			return bad(err, errlen, text, expected);
		memcpy(host, text, host_len);
	}
	host[host_len] = '\0';
	port_text = colon + 1;
	if (port_text[0] < '0' || port_text[0] > '9')
		return bad(err, errlen, text, expected);
	errno = 0;
	port = strtoul(port_text, &end, 10);
	if (*end || errno || port == 0 || port > 65535 || (port_text[0] == '0'))
		return bad(err, errlen, text, "expected a port from 1 to 65535");
	if (v6) {
		struct sockaddr_in6 *a = (struct sockaddr_in6 *)&out->addr;

		if (inet_pton(AF_INET6, host, &a->sin6_addr) != 1)
			return bad(err, errlen, text, "expected a numeric IPv6 address between the brackets");
		a->sin6_family = AF_INET6;
		a->sin6_port = htons((unsigned short)port);
		out->len = sizeof(*a);
	} else {
		struct sockaddr_in *a = (struct sockaddr_in *)&out->addr;

		if (inet_pton(AF_INET, host, &a->sin_addr) != 1)
			return bad(err, errlen, text, host[0] ? "expected a numeric IPv4 address (names are not resolved)" : expected);
		a->sin_family = AF_INET;
		a->sin_port = htons((unsigned short)port);
		out->len = sizeof(*a);
	}
	return 0;
}
