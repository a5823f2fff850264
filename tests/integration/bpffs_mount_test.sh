#!/usr/bin/env bash
# bpffs_mount_test.sh - a host with no bpf filesystem mounted (no systemd as PID 1: containers,
# minimal VMs): the agent mounts one at /sys/fs/bpf itself, once, and only there. Each case runs
# in a private mount namespace (unshare -m) whose /sys/fs/bpf is a tmpfs, so the host's mounts
# are never touched; the namespace and everything mounted in it end with the case.
# shellcheck disable=SC2015 # "check && pass || fail" lines
set -uo pipefail
# shellcheck source=tests/integration/lib.sh disable=SC1091 # followed with -x
. "$(dirname "$(readlink -f "$0")")/lib.sh"

case "${1:-}" in
-h | --help) echo "usage: $0  (root; private mount namespaces, no interface touched)"; exit 0 ;;
"") ;;
*) echo "usage: $0" >&2; exit 2 ;;
esac
require_root "mounting a bpf filesystem"

agent="$VOSFP_ROOT/build/vosfp-agent"
work=$(mktemp -d /tmp/vosfp-bpffs-test.XXXXXX)
chmod 755 "$work"
# The reconcile locks of this test's pin paths (/run/vosfp is the host's, not the namespace's).
trap 'rm -f /run/vosfp/vosfp_sys_fs_bpf_vosfp-bpffs-test.lock "/run/vosfp/vosfp${work//\//_}_pins_vosfp.lock"; rm -rf "$work"' EXIT
[ -x "$agent" ] || { fail "$agent not built (make)"; exit 1; }
host_fs_before=$(stat -f -c %T /sys/fs/bpf)

write_config() { # PIN_PATH
	config_head "$1" | sed 's/^interfaces:$/interfaces: []/' >"$work/vosfp.yaml"
}

# in_private_ns SCRIPT: run SCRIPT (bash) in a new mount namespace whose /sys/fs/bpf is a tmpfs
# (no bpf filesystem anywhere on the pin path); prints what SCRIPT prints.
in_private_ns() {
	timeout 60 unshare -m --propagation private bash -c "mount -t tmpfs vosfp-test /sys/fs/bpf && $1" 2>&1
}

# 1. The agent mounts bpffs at /sys/fs/bpf, pins there, and a second run finds it mounted.
write_config /sys/fs/bpf/vosfp-bpffs-test
out=$(in_private_ns "
	echo before=\$(stat -f -c %T /sys/fs/bpf)
	'$agent' --once -c '$work/vosfp.yaml'; echo rc1=\$?
	echo after=\$(stat -f -c %T /sys/fs/bpf) mode=\$(stat -c %a /sys/fs/bpf)
	[ -e /sys/fs/bpf/vosfp-bpffs-test/xdp_counters ] && echo pinned=yes
	'$agent' --once -c '$work/vosfp.yaml'; echo rc2=\$?
	'$agent' --down -c '$work/vosfp.yaml'; echo rc3=\$?")
grep -q '^before=tmpfs$' <<<"$out" && pass "the namespace starts with no bpf filesystem (tmpfs on /sys/fs/bpf)" ||
	fail "setup: $out"
grep -q '^rc1=0$' <<<"$out" && pass "--once succeeds on a host with no bpf filesystem" || fail "--once: $out"
grep -q '^after=bpf_fs mode=1700$' <<<"$out" && pass "a bpf filesystem is mounted on /sys/fs/bpf, mode 0700 (+t)" ||
	fail "mount: $out"
grep -q '^pinned=yes$' <<<"$out" && pass "the maps are pinned on it" || fail "pins: $out"
n=$(grep -c 'mounted a bpf filesystem on /sys/fs/bpf' <<<"$out")
[ "$n" -eq 1 ] && pass "the mount is logged once; the second run finds it mounted" ||
	fail "mount logged $n times, expected 1: $out"
grep -q '^rc2=0$' <<<"$out" && grep -q '^rc3=0$' <<<"$out" && pass "a second --once and --down succeed" ||
	fail "second run / down: $out"

# 2. A pin_path outside /sys/fs/bpf on another filesystem: refused, nothing mounted.
write_config "$work/pins/vosfp"
out=$(in_private_ns "
	'$agent' --once -c '$work/vosfp.yaml'; echo rc=\$?
	echo after=\$(stat -f -c %T /sys/fs/bpf)
	[ -e '$work/pins' ] && echo made=yes")
if grep -q '^rc=2$' <<<"$out" && grep -q "vosfp.yaml:2: pin_path: .*mounts one only at /sys/fs/bpf" <<<"$out" &&
	grep -q '^after=tmpfs$' <<<"$out" && ! grep -q '^made=yes$' <<<"$out"; then
	pass "a pin_path outside /sys/fs/bpf on no bpf filesystem is a config problem (exit 2, vosfp.yaml:2: pin_path), saying what to do; nothing mounted or made"
else
	fail "pin_path outside /sys/fs/bpf: $out"
fi

# 3. Without the privilege to mount: a clear error, nothing mounted.
write_config /sys/fs/bpf/vosfp-bpffs-test
out=$(in_private_ns "
	runuser -u nobody -- '$agent' --once -c '$work/vosfp.yaml'; echo rc=\$?
	echo after=\$(stat -f -c %T /sys/fs/bpf)")
if grep -q '^rc=1$' <<<"$out" && grep -q 'mounting one on /sys/fs/bpf failed: Operation not permitted' <<<"$out" &&
	grep -q '^after=tmpfs$' <<<"$out"; then
	pass "without privileges: exit 1, 'mounting one on /sys/fs/bpf failed: Operation not permitted', nothing mounted"
else
	fail "unprivileged: $out"
fi

[ "$(stat -f -c %T /sys/fs/bpf)" = "$host_fs_before" ] && pass "the host's /sys/fs/bpf is untouched ($host_fs_before)" ||
	fail "the host's /sys/fs/bpf changed: $host_fs_before -> $(stat -f -c %T /sys/fs/bpf)"
exit "$test_status"
