/* unit_tests.c - Check runner for the tests that need no kernel and no root. */
#include <check.h>
#include <stdlib.h>

TCase *addr_tcase(void);
TCase *reference_tcase(void);
TCase *config_tcase(void);
TCase *plan_tcase(void);
TCase *txn_tcase(void);
TCase *http_tcase(void);
TCase *metrics_tcase(void);
TCase *autoblock_tcase(void);
TCase *feed_tcase(void);
TCase *file_trust_tcase(void);
TCase *lists_tcase(void);
TCase *safe_path_tcase(void);
TCase *admission_tcase(void);

int main(void)
{
	Suite *s = suite_create("unit");
	SRunner *sr;
	int failed;

	suite_add_tcase(s, addr_tcase());
	suite_add_tcase(s, reference_tcase());
	suite_add_tcase(s, config_tcase());
	suite_add_tcase(s, plan_tcase());
	suite_add_tcase(s, txn_tcase());
	suite_add_tcase(s, http_tcase());
	suite_add_tcase(s, metrics_tcase());
	suite_add_tcase(s, autoblock_tcase());
	suite_add_tcase(s, feed_tcase());
	suite_add_tcase(s, file_trust_tcase());
	suite_add_tcase(s, lists_tcase());
	suite_add_tcase(s, safe_path_tcase());
	suite_add_tcase(s, admission_tcase());
	sr = srunner_create(s);
	srunner_run_all(sr, CK_NORMAL);
	failed = srunner_ntests_failed(sr);
	srunner_free(sr);
	return failed ? EXIT_FAILURE : EXIT_SUCCESS;
}
