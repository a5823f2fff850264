/* iface_file_fuzz.c - libFuzzer target: the input as two interface files (deploy.sh's, one
 * interface per line) read after a config that declares veth0, through iface_file_read, as
 * desired_build reads them; so the duplicate rules (in one file, across files, against the YAML)
 * are reached. Beyond no crash, leak or undefined behaviour: every interface taken is a name the
 * kernel would accept, declared once, with 1 to 3 modes. */
#include <stdlib.h>
#include <string.h>

#include "config.h"
#include "desired.h"
#include "diag.h"
#include "fuzz_file.h"
#include "iface_file.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static char first[4352], second[4352];
	struct desired s = { 0 };
	struct diag d = { 0 };

	/* iface_file_read keeps the path in each interface it takes: the names must outlive s. */
	strcpy(first, fuzz_file_write("interfaces-a.txt", data, size));
	strcpy(second, fuzz_file_write("interfaces-b.txt", data, size));
	s.ifaces = calloc(2, sizeof(*s.ifaces));
	if (!s.ifaces)
		abort();
	strcpy(s.ifaces[0].name, "veth0");
	s.ifaces[0].modes[0] = VOSFP_MODE_NATIVE;
	s.ifaces[0].mode_count = 1;
	s.iface_count = 1;
	if (iface_file_read(first, &s, 1, &d, NULL) == 0 && diag_failed(&d))
		abort();
	iface_file_read(second, &s, 1, &d, NULL);
	for (unsigned i = 0; i < s.iface_count; i++) {
		if (!config_valid_ifname(s.ifaces[i].name) || s.ifaces[i].mode_count < 1 || s.ifaces[i].mode_count > 3)
			abort();
		for (unsigned j = 0; j < i; j++)
			if (!strcmp(s.ifaces[i].name, s.ifaces[j].name))
				abort();
	}
	desired_free(&s);
	diag_clear(&d);
	return 0;
}
