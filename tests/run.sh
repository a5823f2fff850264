#!/usr/bin/env bash
# run.sh - run every suite of `make check` and close with one line: N passed, N failed, N skipped.
# Suites: Check binaries (their "Checks: N, Failures: F, Errors: E" line is counted) and shell
# tests (their "PASS: ..." / "FAIL: ..." / "SKIP: ..." lines are counted). In CI (CI=true or
# VOSFP_REQUIRE_KERNEL_TESTS=1) a skipped test is a failure.
set -uo pipefail

out=${1:-build}
root=$(cd "$(dirname "$(readlink -f "$0")")/.." && pwd)
cd "$root" || exit 2
passed=0 failed=0 skipped=0

strict() {
	[ "${CI:-}" = "true" ] || [ "${VOSFP_REQUIRE_KERNEL_TESTS:-}" = "1" ]
}

count_output() {
	local log=$1 rc=$2 checks fails p f s
	checks=$(sed -n 's/.*Checks: \([0-9]*\), Failures: \([0-9]*\), Errors: \([0-9]*\).*/\1 \2 \3/p' "$log" | tail -n 1)
	if [ -n "$checks" ]; then
		read -r total f e <<<"$checks"
		fails=$((f + e))
		passed=$((passed + total - fails))
		failed=$((failed + fails))
	fi
	p=$(grep -c '^PASS: ' "$log")
	f=$(grep -c '^FAIL: ' "$log")
	s=$(grep -c '^SKIP: ' "$log")
	passed=$((passed + p))
	failed=$((failed + f))
	skipped=$((skipped + s))
	# A suite that died without reporting a failure still failed.
	if [ "$rc" -ne 0 ] && [ "$rc" -ne 77 ] && [ -z "$checks" ] && [ "$f" -eq 0 ]; then
		failed=$((failed + 1))
	fi
}

run_suite() {
	local name=$1 log rc
	shift
	log=$(mktemp)
	echo "== $name"
	"$@" 2>&1 | tee "$log"
	rc=${PIPESTATUS[0]}
	count_output "$log" "$rc"
	rm -f "$log"
}

run_suite "unit tests (Check)" "$out/tests/unit_tests"
run_suite "datapath tests on the kernel (Check)" "$out/tests/prog_tests"
run_suite "build system" bash tests/build/makefile_test.sh
run_suite "scripts are shellcheck-clean" bash tests/build/shellcheck_test.sh
run_suite "make install / uninstall" bash tests/build/install_test.sh
run_suite "Debian package: make deb, lintian, contents" bash tests/build/deb_test.sh
run_suite "README keeps its promises" bash tests/build/readme_test.sh
run_suite "make bench still runs (no timing asserted)" bash tests/build/bench_test.sh
run_suite "fuzz targets, 15 s each (libFuzzer, ASan, UBSan)" bash tests/build/fuzz_test.sh -o "$out" -s 15
for t in tests/integration/*_test.sh; do
	run_suite "integration: $(basename "$t" .sh)" bash "$t"
done

if strict && [ "$skipped" -gt 0 ]; then
	echo "CI: $skipped test(s) skipped; kernel-level tests must run here" >&2
	failed=$((failed + skipped))
fi
echo
echo "$passed passed, $failed failed, $skipped skipped"
[ "$failed" -eq 0 ]
