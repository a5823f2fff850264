#!/usr/bin/env bash
# shellcheck_test.sh - every operator script is shellcheck-clean (the scripts' contract).
# The benchmark scripts too: make bench runs them as root.
set -uo pipefail

repo=$(cd "$(dirname "$(readlink -f "$0")")/../.." && pwd)
cd "$repo" || exit 1
if ! command -v shellcheck >/dev/null; then
	echo "FAIL: shellcheck is not installed (scripts/install-deps.sh installs it)"
	exit 1
fi
status=0
for f in scripts/*.sh bench/*.sh .ci/run tools/*.sh debian/*.postinst debian/*.prerm debian/*.postrm; do
	if out=$(shellcheck -x "$f" 2>&1); then
		echo "PASS: shellcheck $f"
	else
		echo "FAIL: shellcheck $f"
		echo "$out"
		status=1
	fi
done
exit $status
