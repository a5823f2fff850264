/* http_request_fuzz.c - libFuzzer target: the input as the bytes a client sends to GET /metrics,
 * through http_judge as agent/serve/metrics_server.c calls it after every read. Beyond no crash or
 * undefined behaviour: the verdict does not depend on how the bytes were split into reads (the
 * server answers at the first prefix judged complete, so every prefix must be either incomplete
 * or already the whole input's verdict), and every verdict has its reason phrase. */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "http.h"

static void check_prefix(const char *buf, size_t k, enum http_verdict whole)
{
	enum http_verdict part = http_judge(buf, k);

	if (part != HTTP_INCOMPLETE && part != whole)
		abort();
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	/* A copy of exactly size bytes: ASan then catches a read past the end. */
	char *buf = malloc(size ? size : 1);
	enum http_verdict whole;
	unsigned line_ends = 0;

	if (!buf)
		abort();
	memcpy(buf, data, size);
	whole = http_judge(buf, size);
	if (whole != HTTP_INCOMPLETE && !strcmp(http_reason(whole), "Internal Server Error"))
		abort();	/* a verdict the server cannot name */
	/* Splits: every one in the first 64 bytes (reads of one byte are what slow clients do), then
	 * around the first 32 line ends, where a verdict changes, and every 1024th byte. Each judgement
	 * costs the prefix's length: all 8192 splits would make the target a hundred times slower. */
	for (size_t k = 0; k < size; k++) {
		int at_line_end = k > 0 && buf[k - 1] == '\n' && line_ends++ < 32;

		if (k < 64 || at_line_end || k % 1024 == 0) {
			check_prefix(buf, k, whole);
			if (at_line_end && k + 1 < size)
				check_prefix(buf, k + 1, whole);
		}
	}
	free(buf);
	return 0;
}
