/* autoblock_persist_fuzz.c - libFuzzer target: the input as the auto-block persist file, each line
 * through autoblock_line_parse as the agent restores blocks and their history at start. Beyond no
 * crash, leak or undefined behaviour: a malformed line says why; a live entry expires after now,
 * a history entry (expired, kept for its repeats) before; and what autoblock_line_format writes of
 * an entry parses back to the same entry (source, reason, repeats, expiry), so the file the agent
 * writes is one it reads back unchanged. */
#include <stdlib.h>
#include <string.h>

#include "autoblock.h"
#include "fuzz_file.h"

/* Fixed clocks (a day of uptime) and a two-day repeat window, so history from before boot can
 * still be inside it: a run is reproducible from its input alone. */
static const struct autoblock_clocks clocks = { .realtime_s = 1700000000, .mono_ns = 86400000000000ULL };
#define WINDOW_NS (2 * 86400000000000ULL)

static void check_line(const char *line)
{
	struct autoblock b, back;
	char err[160] = "", again[256];
	int r = autoblock_line_parse(line, &clocks, WINDOW_NS, &b, err, sizeof(err)), n;

	if (r < 0 && !err[0])
		abort();	/* refused without a reason */
	if (r <= 0)
		return;
	if (r == 1 ? b.expires <= clocks.mono_ns : r != AUTOBLOCK_LINE_HISTORY || b.expires > clocks.mono_ns || !b.expires)
		abort();	/* live but expired, or history not expired */
	if (r == AUTOBLOCK_LINE_HISTORY && b.expires != 1 && clocks.mono_ns - b.expires >= WINDOW_NS)
		abort();	/* history past its window: its next block would not be a repeat */
	n = autoblock_line_format(&b, &clocks, 1, again, sizeof(again));
	if (n <= 0 || (size_t)n >= sizeof(again) || again[n - 1] != '\n')
		abort();
	again[n - 1] = 0;
	if (autoblock_line_parse(again, &clocks, WINDOW_NS, &back, err, sizeof(err)) != r ||
	    memcmp(&b.key, &back.key, sizeof(b.key)) || b.reason != back.reason || b.method != back.method ||
	    b.repeats != back.repeats)
		abort();	/* what the agent writes, it would read back otherwise */
	/* A history expiry from before the monotonic clock began (before boot) is held as 1 ns, at
	 * boot, and written back as the boot's time: that one cannot come back as it was. */
	if (b.expires != back.expires && b.expires != 1)
		abort();
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
