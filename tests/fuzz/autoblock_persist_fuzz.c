/* autoblock_persist_fuzz.c - libFuzzer target: the input as the auto-block persist file, each line
 * through autoblock_line_parse as the agent restores blocks at start. Beyond no crash, leak or
 * undefined behaviour: a malformed line says why; an entry restored is written back
 * (autoblock_line_format) as a line that parses to the same source, reason and expiry, so the
 * file the agent writes is one it reads back unchanged. */
#include <stdlib.h>
#include <string.h>

#include "autoblock.h"
#include "fuzz_file.h"

/* Fixed clocks: a run is reproducible from its input alone. */
static const struct autoblock_clocks clocks = { .realtime_s = 1700000000, .mono_ns = 5000000000000ULL };

static void check_line(const char *line)
{
	struct autoblock b, back;
	char err[160] = "", again[256];
	int r = autoblock_line_parse(line, &clocks, &b, err, sizeof(err)), n;

	if (r < 0 && !err[0])
		abort();	/* refused without a reason */
	if (r <= 0)
		return;
	if (b.expires <= clocks.mono_ns)
		abort();	/* restored although already expired */
	n = autoblock_line_format(&b, &clocks, again, sizeof(again));
	if (n <= 0 || (size_t)n >= sizeof(again) || again[n - 1] != '\n')
		abort();
	again[n - 1] = 0;
	if (autoblock_line_parse(again, &clocks, &back, err, sizeof(err)) != 1 ||
	    memcmp(&b.key, &back.key, sizeof(b.key)) || b.reason != back.reason || b.method != back.method ||
	    b.expires != back.expires)
		abort();	/* what the agent writes, it would read back otherwise */
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	char *text = fuzz_strndup(data, size), *line = text, *nl;

	/* Lines as the reader sees them: up to each newline, without it. */
	for (; line; line = nl ? nl + 1 : NULL) {
		nl = strchr(line, '\n');
		if (nl)
			*nl = 0;
		check_line(line);
	}
	free(text);
	return 0;
}
