#!/usr/bin/env bash
# makefile_test.sh - the build contract of seed §1 and its pitfalls table (§8): error messages for
# a missing kernel BTF and a missing bpftool, bpftool found in /usr/sbin off PATH, quiet and V=1
# output, and a later plain `make` not broken by products a `sudo make` left behind.
set -uo pipefail

repo=$(cd "$(dirname "$(readlink -f "$0")")/../.." && pwd)
work=$(mktemp -d /tmp/vosfp-build-test.XXXXXX)
trap 'rm -rf "$work"' EXIT
status=0

pass() { echo "PASS: $1"; }
fail() { echo "FAIL: $1"; status=1; }

# A private copy of the sources (tracked and new files alike), so the tests never touch the
# developer's build/.
copy_tree() {
	local dest=$1
	mkdir -p "$dest"
	(cd "$repo" && tar --exclude=./build --exclude=./.git -cf - .) | tar -C "$dest" -xf -
}

src="$work/src"
copy_tree "$src"

# 1. Missing kernel BTF: clear error, failure.
out=$(make -C "$src" --no-print-directory KERNEL_BTF=/nonexistent/vmlinux OUT_DIR="$work/o1" 2>&1)
rc=$?
if [ $rc -ne 0 ] && grep -q "ERROR: Kernel BTF not found at /nonexistent/vmlinux" <<<"$out"; then
	pass "missing kernel BTF stops the build with 'ERROR: Kernel BTF not found'"
else
	fail "missing kernel BTF: rc=$rc output: $out"
fi

# 2. Missing bpftool: install hint.
out=$(make -C "$src" --no-print-directory BPFTOOL= OUT_DIR="$work/o2" 2>&1)
rc=$?
if [ $rc -ne 0 ] && grep -q "bpftool not found" <<<"$out" && grep -q "apt-get install bpftool" <<<"$out" &&
	grep -q "linux-tools-" <<<"$out"; then
	pass "missing bpftool stops the build with an install hint"
else
	fail "missing bpftool: rc=$rc output: $out"
fi

# 3. bpftool in /usr/sbin is found when /usr/sbin is not on PATH.
if [ -x /usr/sbin/bpftool ]; then
	found=$(env PATH=/usr/bin:/bin make -C "$src" --no-print-directory -s print-BPFTOOL)
	if [ "$found" = "/usr/sbin/bpftool" ]; then
		pass "bpftool found at /usr/sbin/bpftool with /usr/sbin off PATH"
	else
		fail "bpftool off PATH: make found '$found'"
	fi
else
	fail "bpftool is not at /usr/sbin/bpftool on this machine (Debian's location)"
fi

# 4. Quiet by default, commands with V=1.
quiet=$(make -C "$src" --no-print-directory OUT_DIR="$work/o4" "$work/o4/sip_logic.bpf.o" 2>&1)
rm -f "$work/o4/sip_logic.bpf.o"
loud=$(make -C "$src" --no-print-directory OUT_DIR="$work/o4" V=1 "$work/o4/sip_logic.bpf.o" 2>&1)
if grep -q "^  CLANG" <<<"$quiet" && ! grep -q -- "-target bpf" <<<"$quiet" &&
	grep -q -- "clang -target bpf -O2 -mcpu=v3" <<<"$loud" && grep -q -- "-D__TARGET_ARCH_" <<<"$loud"; then
	pass "quiet output by default, full commands with V=1"
else
	fail "quiet/V=1 output: quiet='$quiet' loud='$loud'"
fi

# 5. Pitfall: root-owned products of `sudo make` must not break a later user `make`.
if [ "$(id -u)" -eq 0 ] && command -v runuser >/dev/null; then
	user_tree="$work/user"
	copy_tree "$user_tree"
	chown -R nobody:nogroup "$user_tree"
	chmod 755 "$work"
	# As `sudo make` run by user nobody: what it writes is handed back to nobody.
	if ! SUDO_UID=$(id -u nobody) SUDO_GID=$(id -g nobody) make -C "$user_tree" -s >/dev/null 2>&1; then
		fail "sudo-style make failed"
	fi
	owner=$(stat -c %U "$user_tree/build/sip_logic.bpf.o" 2>/dev/null)
	[ "$owner" = "nobody" ] && pass "sudo make hands build products back to the invoking user" ||
		fail "after sudo make, sip_logic.bpf.o is owned by '$owner'"
	# An object left root-owned (e.g. by an older build) in the user's build directory.
	chown root:root "$user_tree/build/sip_logic.bpf.o"
	touch "$user_tree/bpf/sip_logic.bpf.c"
	if out=$(runuser -u nobody -- make -C "$user_tree" -s 2>&1); then
		pass "root-owned build/sip_logic.bpf.o does not break a later user make"
	else
		fail "user make after root-owned object: $out"
	fi
else
	echo "SKIP: root-owned build products (needs root and runuser)"
fi

exit $status
