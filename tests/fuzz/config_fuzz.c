/* config_fuzz.c - libFuzzer target: the input as /etc/vosfp.yaml through desired_build (config_load,
 * then every list and interface file it names), as the agent reads a config. The directory also
 * holds a list file (list.txt) and an interface file (interfaces.txt) for configs to name, so the
 * fuzzer reaches past the YAML. Checks: no crash, leak or undefined behaviour; a build that fails
 * says why (a diag message), one that succeeds says nothing. */
#include <stdlib.h>
#include <string.h>

#include "desired.h"
#include "diag.h"
#include "fuzz_file.h"

static void write_text(const char *name, const char *text)
{
	fuzz_file_write(name, (const uint8_t *)text, strlen(text));
}

int LLVMFuzzerInitialize(int *argc, char ***argv)
{
	(void)argc;
	(void)argv;
	write_text("list.txt", "# a list\n198.51.100.10\n203.0.113.0/24  # trailing comment\n2001:db8::/48\n");
	write_text("interfaces.txt", "veth1\nveth2 generic\nveth3 native, generic\n");
	return 0;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	const char *path = fuzz_file_write("vosfp.yaml", data, size);
	struct diag d = { 0 };
	struct desired want;
	int ret = desired_build(path, &want, &d);

	if (ret == 0 && diag_failed(&d))
		abort();	/* accepted with a problem reported */
	if (ret != 0 && !diag_failed(&d))
		abort();	/* refused without saying why */
	/* Refused, it still holds the files it read (for the watcher): freed the same way. */
	desired_free(&want);
	diag_clear(&d);
	return 0;
}
