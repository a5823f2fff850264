#!/usr/bin/env bash
# readme_test.sh - README.md keeps its promises: the first screen gives the two commands, the
# config reference is the one generated from the JSON Schema, every operator script has an
# example, and every `make` target it names exists.
set -uo pipefail

repo=$(cd "$(dirname "$(readlink -f "$0")")/../.." && pwd)
cd "$repo" || exit 1
status=0
pass() { echo "PASS: $1"; }
fail() { echo "FAIL: $1"; status=1; }

first_screen=$(head -n 24 README.md)
for cmd in "sudo make demo" "sudo make check"; do
	if grep -qF -- "$cmd" <<<"$first_screen"; then
		pass "first screen gives '$cmd'"
	else
		fail "'$cmd' is not on README.md's first screen (first 24 lines)"
	fi
done

if diff=$(python3 tools/config_reference.py --check README.md 2>&1); then
	pass "config reference in README.md = the one generated from schemas/vosfp.schema.json"
else
	fail "config reference differs from the schema (python3 tools/config_reference.py --write README.md):"
	echo "$diff"
fi

# Every script an operator runs, with an example command line (not the sourced helpers).
for f in scripts/*.sh; do
	name=$(basename "$f")
	case $name in lib.sh | *_lib.sh | install-deps.sh) continue ;; esac
	if grep -qE "(^|[ \`])(sudo )?([A-Z_]+=[^ ]+ )*scripts/$name( |\`|$)" README.md; then
		pass "README.md has an example of $name"
	else
		fail "README.md has no example command line of scripts/$name"
	fi
done

# Every `make TARGET` the README names is a target of the Makefile.
for target in $(grep -oE "make [a-z][a-z-]*" README.md | awk '{ print $2 }' | sort -u); do
	if grep -qE "^$target:" Makefile; then
		pass "make $target exists"
	else
		fail "README.md names 'make $target', which the Makefile does not have"
	fi
done
exit $status
