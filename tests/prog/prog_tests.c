/* prog_tests.c - Check runner for the tests that load sip_xdp_prog into the real kernel. They
 * need root; without it they are skipped, except in CI (CI=true or VOSFP_REQUIRE_KERNEL_TESTS=1),
 * where a skipped kernel test is a failure. */
#include <check.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

TCase *table_tcase(void);
TCase *differential_tcase(void);
TCase *differential_v6_lengths_tcase(void);
TCase *afxdp_tcase(void);
TCase *iface_tcase(void);
TCase *defence_tcase(void);
TCase *scanner_tcase(void);
TCase *decision_tcase(void);
TCase *mapped_tcase(void);
TCase *answers_tcase(void);
TCase *answers_differential_tcase(void);
TCase *repeat_tcase(void);
TCase *guard_tcase(void);
TCase *clock_tcase(void);

static int skipping_is_failure(void)
{
	const char *ci = getenv("CI"), *req = getenv("VOSFP_REQUIRE_KERNEL_TESTS");

	return (ci && strcmp(ci, "true") == 0) || (req && strcmp(req, "1") == 0);
}

int main(void)
{
	Suite *s;
	SRunner *sr;
	int failed;

	if (geteuid() != 0) {
		if (skipping_is_failure()) {
			fprintf(stderr, "FAIL: kernel tests need root and CI forbids skipping them\n");
			return EXIT_FAILURE;
		}
		printf("SKIP: kernel tests (BPF_PROG_TEST_RUN, AF_XDP) need root: run `sudo make check`\n");
		return 77;
	}
	s = suite_create("prog");
	suite_add_tcase(s, table_tcase());
	suite_add_tcase(s, differential_tcase());
	suite_add_tcase(s, differential_v6_lengths_tcase());
	suite_add_tcase(s, afxdp_tcase());
	suite_add_tcase(s, iface_tcase());
	suite_add_tcase(s, defence_tcase());
	suite_add_tcase(s, scanner_tcase());
	suite_add_tcase(s, decision_tcase());
	suite_add_tcase(s, mapped_tcase());
	suite_add_tcase(s, answers_tcase());
	suite_add_tcase(s, answers_differential_tcase());
	suite_add_tcase(s, repeat_tcase());
	suite_add_tcase(s, guard_tcase());
	suite_add_tcase(s, clock_tcase());
	sr = srunner_create(s);
	srunner_run_all(sr, CK_NORMAL);
	failed = srunner_ntests_failed(sr);
	srunner_free(sr);
	return failed ? EXIT_FAILURE : EXIT_SUCCESS;
}
