/* endpoint.h - "host:port" as the config writes a listening address (metrics.listen): a numeric
 * IPv4 address or a bracketed IPv6 one, and a port. Pure: parsing binds nothing. */
#ifndef VOSFP_ENDPOINT_H
#define VOSFP_ENDPOINT_H

#include <stddef.h>
#include <sys/socket.h>

struct endpoint {
	struct sockaddr_storage addr;
	socklen_t len;
};

/* "127.0.0.1:9477", "[::1]:9477", "0.0.0.0:9477", "[::]:9477". Names are refused (resolving one
 * would make the config depend on DNS). 0, or -EINVAL with what was expected in err. */
int endpoint_parse(const char *text, struct endpoint *out, char *err, size_t errlen);

#endif
