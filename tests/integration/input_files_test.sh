#!/usr/bin/env bash
# input_files_test.sh - the real agent against input files an attacker or a careless operator
# could name: FIFOs, devices and directories as the config, a list file or an interface file are
# refused at once with file:line and exit 2 (a FIFO never blocks: not even a running daemon, which
# keeps answering GET /metrics and keeps its last good policy). StrictModes: a file, or a directory
# on its way, that others than root could change (mode, owner, nobody's directory in /tmp, a
# symlink's directory) is refused with the fix to make, also under a running daemon; a read-only
# mount's mode bits are void; an unprivileged --dry-run trusts its user's own files only. The
# auto-block persist file is never read or written through a link and never echoed, and is
# rewritten mode 0600. Its own
# temp dirs, pin path, veth pair, mount namespace and processes, removed however it exits.
# shellcheck disable=SC2015,SC2317 # "check && pass || fail" lines; cleanup called through the trap
set -uo pipefail
# shellcheck source=tests/integration/lib.sh
. "$(dirname "$(readlink -f "$0")")/lib.sh"
require_root "hostile input files"

agent="$VOSFP_ROOT/build/vosfp-agent"
client="$VOSFP_ROOT/tests/lib/metrics_client.py"
work=$(mktemp -d /tmp/vosfp-harden-input-files.XXXXXX)
pin=/sys/fs/bpf/vosfp-harden-input-files
host="hiin$$h" peer="hiin$$p"
daemon_pid=""

gone() { ! kill -0 "$1" 2>/dev/null; }
cleanup() {
	# A daemon stuck in open() of a FIFO (the bug this test is about) never reads its SIGTERM.
	if [ -n "$daemon_pid" ]; then
		kill "$daemon_pid" 2>/dev/null
		wait_for 5 gone "$daemon_pid" || kill -KILL "$daemon_pid" 2>/dev/null
		wait "$daemon_pid" 2>/dev/null
	fi
	remove_agent_state "$work/base.yaml" "$pin"
	ip link del "$host" 2>/dev/null
	rm -rf "$work"
}
trap cleanup EXIT

[ -x "$agent" ] || { fail "$agent not built (make)"; exit 1; }
[ ! -e "$pin" ] || { fail "$pin exists: another run of this test, or leftovers (vosfp-agent --down)"; exit 1; }

head="version: 1
pin_path: $pin
bpf_object: $VOSFP_ROOT/build/sip_logic.bpf.o
interfaces: []"
mkfifo "$work/fifo"
mkdir "$work/dir"
printf '198.19.160.1\n' >"$work/good.txt"

# refused LABEL PATTERN ARGS...: the agent exits 2 within 10 s (a wait on a FIFO would be killed
# by timeout: 124) and says PATTERN on stderr.
refused() {
	local label=$1 pattern=$2 out rc
	shift 2
	out=$(timeout 10 "$agent" "$@" 2>&1)
	rc=$?
	[ "$rc" -eq 2 ] && grep -qE -- "$pattern" <<<"$out" && pass "$label" || fail "$label: exit $rc: $out"
}

# --- FIFOs, devices, directories where a file is expected -----------------------------------------
for what in fifo /dev/zero dir; do
	case $what in
	fifo) path="$work/fifo" kind="a FIFO" ;;
	/dev/zero) path=/dev/zero kind="a character device" ;;
	dir) path="$work/dir" kind="a directory" ;;
	esac
	refused "$kind as the config: exit 2 at once" "cannot read the config: $kind" --dry-run -c "$path"
	printf '%s\nblocklist:\n  files: [good.txt, %s]\n' "$head" "$path" >"$work/list.yaml"
	refused "$kind as a list file: exit 2 at once, at the config line" \
		"list.yaml:6: blocklist.files\[1\]: '$path': cannot open list file: $kind.*not a regular file" --dry-run -c "$work/list.yaml"
	printf '%s\ninterface_files: [%s]\n' "$head" "$path" >"$work/iface.yaml"
	refused "$kind as an interface file: exit 2 at once, at the config line" \
		"iface.yaml:5: interface_files\[0\]: '$path': cannot read interface file: $kind.*not a regular file" --dry-run -c "$work/iface.yaml"
	refused "$kind as a list file for --check-list: exit 2 at once" "^$path: cannot open list file: $kind" --check-list "$path"
done

# --- StrictModes: files and directories others than root may change are refused -------------------
printf '%s\nblocklist:\n  files: [good.txt, %s]\n' "$head" "$work/list.txt" >"$work/list.yaml"
unsafe() {	# unsafe LABEL PATTERN: list.yaml naming $work/list.txt is refused with PATTERN
	refused "$1" "list.yaml:6: blocklist.files\[1\]: '$work/list.txt': cannot open list file: unsafe: $2" --dry-run -c "$work/list.yaml"
}
printf '198.19.160.3\n' >"$work/list.txt"
chmod 666 "$work/list.txt"
unsafe "a world-writable list file: exit 2, at the config line, with the fix" \
	"writable by group or others \(mode 0666\), who could change it: chmod go-w $work/list.txt"
chmod 644 "$work/list.txt" && chown nobody "$work/list.txt"
unsafe "a list file owned by nobody: exit 2, with the fix" \
	"owned by uid 65534 \(nobody\), not root, who could change it: chown root $work/list.txt"
chown root "$work/list.txt"
"$agent" --dry-run -c "$work/list.yaml" >/dev/null 2>&1 && pass "the same list file root's, mode 0644: accepted" ||
	fail "root's 0644 list file refused"
# A directory a local user made in /tmp (sticky, world-writable) and filled: root must not apply it.
nobody_dir=$(runuser -u nobody -- mktemp -d /tmp/vosfp-harden-input-nobody.XXXXXX)
runuser -u nobody -- sh -c "printf '198.19.160.4\n' >'$nobody_dir/list.txt'"
printf '%s\nblocklist:\n  files: [%s/list.txt]\n' "$head" "$nobody_dir" >"$work/nobody.yaml"
refused "a list file in nobody's directory under /tmp: exit 2" \
	"nobody.yaml:6: blocklist.files\[0\]: '$nobody_dir/list.txt': cannot open list file: unsafe: $nobody_dir is owned by uid 65534 \(nobody\) in the shared directory /tmp" \
	--dry-run -c "$work/nobody.yaml"
rm -rf "$nobody_dir"
mkdir -m 777 "$work/open"
printf '198.19.160.5\n' >"$work/open/list.txt"
printf '%s\ninterface_files: [open/list.txt]\n' "$head" >"$work/open.yaml"
refused "an interface file in a world-writable directory: exit 2" \
	"open.yaml:5: interface_files\[0\]: '$work/open/list.txt': cannot read interface file: unsafe: the directory $work/open is writable by group or others \(mode 0777\), who could replace the file: chmod go-w $work/open" \
	--dry-run -c "$work/open.yaml"
cp "$work/list.yaml" "$work/open/config.yaml"
refused "a config in a world-writable directory: exit 2" \
	"open/config.yaml: cannot read the config: unsafe: the directory $work/open is writable" --once -c "$work/open/config.yaml"
chmod 755 "$work/open" && chmod 646 "$work/open/config.yaml"
refused "a world-writable config: exit 2" "cannot read the config: unsafe: writable by group or others \(mode 0646\)" \
	--once -c "$work/open/config.yaml"
chmod 644 "$work/open/config.yaml"

# A read-only mount: nobody can change what is there, so its owners and mode bits count for nothing
# (a Kubernetes ConfigMap volume is 0777, mounted read-only; compose bind-mounts the config :ro). In a private mount namespace, so the host never sees the mount.
mkdir "$work/ro"
out=$(timeout 30 unshare -m --propagation private sh -c "
	mount -t tmpfs -o mode=0777 vosfp-harden-input '$work/ro' &&
	cp '$work/list.yaml' '$work/good.txt' '$work/list.txt' '$work/ro/' && chmod 666 '$work/ro/list.txt' &&
	chown nobody '$work/ro/good.txt' &&
	sed -i 's|$work/list.txt|$work/ro/list.txt|' '$work/ro/list.yaml' &&
	'$agent' --dry-run -c '$work/ro/list.yaml' >/dev/null 2>&1; echo rw=\$?
	mount -o remount,ro '$work/ro' && '$agent' --dry-run -c '$work/ro/list.yaml' 2>&1; echo ro=\$?" 2>&1)
grep -q '^rw=2$' <<<"$out" && grep -q '^ro=0$' <<<"$out" &&
	pass "a 0777 directory, a 0666 list file and one of nobody's: refused on a writable mount, accepted once it is read-only" ||
	fail "read-only mount: $out"

# Unprivileged --dry-run: root's 0600 file cannot be read; the user's own files are trusted (they
# cannot be used against the user's own process), and a root run refuses them.
chmod 755 "$work" && chmod 600 "$work/list.txt"
out=$(runuser -u nobody -- "$agent" --dry-run -c "$work/list.yaml" 2>&1)
[ $? -eq 2 ] && grep -q "blocklist.files\[1\]: '$work/list.txt': cannot open list file: Permission denied" <<<"$out" &&
	pass "--dry-run as nobody, a root-owned 0600 list file: exit 2, Permission denied at the config line" ||
	fail "--dry-run as nobody, root's 0600 list: $out"
chmod 644 "$work/list.txt"
mine=$(runuser -u nobody -- mktemp -d /tmp/vosfp-harden-input-own.XXXXXX)
printf '%s\nblocklist:\n  files: [list.txt]\n' "$head" | runuser -u nobody -- sh -c "cat >'$mine/vosfp.yaml'"
runuser -u nobody -- sh -c "printf '198.19.160.6\n' >'$mine/list.txt'"
out=$(runuser -u nobody -- "$agent" --dry-run -c "$mine/vosfp.yaml" 2>&1) &&
	grep -q "valid (0 interfaces, blocklist 1" <<<"$out" && pass "--dry-run as nobody of nobody's own config and list: valid" ||
	fail "--dry-run as nobody of its own files: $out"
refused "the same files run as root: exit 2" "cannot read the config: unsafe: $mine is owned by uid 65534" --dry-run -c "$mine/vosfp.yaml"
rm -rf "$mine"

# --- bounded memory: what a list costs is its limit, not the file's size --------------------------
# peak_kb ARGS...: run the agent, print its exit code and peak RSS (KiB, getrusage of the child).
peak_kb() {
	python3 -c 'import resource, subprocess, sys
rc = subprocess.run(sys.argv[1:], stdout=subprocess.DEVNULL, stderr=open(sys.argv[-1] + ".err", "w")).returncode
print(rc, resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss)' "$agent" --dry-run -c "$1"
}
python3 -c 'import sys
with open(sys.argv[1], "w") as f:
    for i in range(int(sys.argv[2])): f.write("10.%d.%d.%d\n" % (i >> 16, (i >> 8) & 255, i & 255))' "$work/limit.txt" 100000
python3 -c 'import sys
with open(sys.argv[1], "w") as f:
    for i in range(int(sys.argv[2])): f.write("10.%d.%d.%d\n" % (i >> 16, (i >> 8) & 255, i & 255))' "$work/over.txt" 300000
yes 10.0.0.1 | head -n 8000000 >"$work/repeated.txt"	# 72 MB, one entry
for f in limit over repeated; do
	printf '%s\nblocklist:\n  files: [%s.txt]\nlimits:\n  blocklist_max: 100000\n' "$head" "$f" >"$work/$f.yaml"
done
read -r rc_limit kb_limit <<<"$(peak_kb "$work/limit.yaml")"
read -r rc_rep kb_rep <<<"$(peak_kb "$work/repeated.yaml")"
read -r rc_over kb_over <<<"$(peak_kb "$work/over.yaml")"
[ "$rc_limit" -eq 0 ] && pass "100,000 entries at blocklist_max 100000: valid (peak RSS $kb_limit KiB)" ||
	fail "the limit's own entries: exit $rc_limit: $(head -n 2 "$work/limit.yaml.err")"
[ "$rc_rep" -eq 0 ] && [ "$kb_rep" -le $((2 * kb_limit)) ] &&
	pass "72 MB of one address repeated: valid, peak RSS $kb_rep KiB <= 2 x the limit's own ($kb_limit KiB)" ||
	fail "72 MB of one address: exit $rc_rep, peak RSS $kb_rep KiB (the limit's own: $kb_limit KiB)"
[ "$rc_over" -eq 2 ] && [ "$kb_over" -le $((2 * kb_limit)) ] &&
	grep -q "over.yaml:8: blocklist holds more than limits.blocklist_max (100000) entries by $work/over.txt:[0-9]* (read no further)" "$work/over.yaml.err" &&
	pass "300,000 distinct at blocklist_max 100000: refused before the end, at the limit's line, peak RSS $kb_over KiB" ||
	fail "300,000 entries: exit $rc_over, peak RSS $kb_over KiB: $(head -n 2 "$work/over.yaml.err")"
{ printf '%s\n' "$head"; yes '# a comment line that makes the config long' | head -n 400000; } >"$work/long.yaml"
refused "a 17 MB config: refused, not read" "cannot read the config: [0-9]* bytes, more than the 16777216" --dry-run -c "$work/long.yaml"
yes '# a comment line that makes the interface file long' | head -n 40000 >"$work/long-ifaces.txt"
printf '%s\ninterface_files: [long-ifaces.txt]\n' "$head" >"$work/long-ifaces.yaml"
refused "a 2 MB interface file: refused, not read" "cannot read interface file: [0-9]* bytes, more than the 1048576" \
	--dry-run -c "$work/long-ifaces.yaml"
rm -f "$work/repeated.txt" "$work/over.txt" "$work/limit.txt" "$work/long.yaml"

# --- a running daemon told to read a FIFO keeps its policy and keeps serving -----------------------
ip link add "$host" type veth peer name "$peer" && ip link set "$host" up && ip link set "$peer" up ||
	{ fail "cannot create the veth pair"; exit 1; }
port=$(python3 "$client" free-port)
config() {	# config LIST-FILE: the daemon's config, written atomically
	printf '%s\n  - name: %s\n    xdp_mode: [native, generic]\nblocklist:\n  files: [%s]\nmetrics:\n  listen: 127.0.0.1:%s\n' \
		"${head%\[\]}" "$host" "$1" "$port" >"$work/base.yaml.tmp" && mv "$work/base.yaml.tmp" "$work/base.yaml"
}
config good.txt
"$agent" -c "$work/base.yaml" 2>"$work/daemon.log" &
daemon_pid=$!
wait_for 20 pinned_has_v4 "$pin" blocked_ips 198.19.160.1 && pass "daemon up with good.txt applied" ||
	fail "daemon did not apply good.txt: $(tail -n 3 "$work/daemon.log")"
# A list file made world-writable under the running daemon: its next change is refused, the last
# good policy stays; made safe again, it is applied.
chmod 666 "$work/good.txt" && printf '198.19.160.2\n' >>"$work/good.txt"
wait_for 10 grep -q "base.yaml:8: blocklist.files\[0\]: '$work/good.txt': cannot open list file: unsafe: writable by group or others (mode 0666)" "$work/daemon.log" &&
	! pinned_has_v4 "$pin" blocked_ips 198.19.160.2 && pinned_has_v4 "$pin" blocked_ips 198.19.160.1 &&
	pass "daemon: a list file made world-writable is refused on reload, the last good policy kept" ||
	fail "daemon: world-writable list file: $(tail -n 3 "$work/daemon.log")"
chmod 644 "$work/good.txt"
wait_for 10 pinned_has_v4 "$pin" blocked_ips 198.19.160.2 && pass "daemon: made safe again (chmod go-w), the list is applied" ||
	fail "daemon: not applied after chmod go-w: $(tail -n 3 "$work/daemon.log")"
config fifo
wait_for 10 grep -q "base.yaml:8: blocklist.files\[0\]: '$work/fifo': cannot open list file: a FIFO" "$work/daemon.log" &&
	pass "daemon: a reload naming a FIFO is refused at the config line" || fail "daemon: $(tail -n 3 "$work/daemon.log")"
timeout 10 python3 "$client" scrape "127.0.0.1:$port" "$work/scrape" && grep -q '^vosfp_reloads_total{result="failed"} 2' "$work/scrape" &&
	pass "daemon: GET /metrics answered after the FIFO reload, which it counts as failed" ||
	fail "daemon: no scrape after the FIFO reload: $(head -c 300 "$work/scrape" 2>/dev/null)"
pinned_has_v4 "$pin" blocked_ips 198.19.160.1 && kill -0 "$daemon_pid" &&
	pass "daemon: still running, the last good blocklist still pinned" || fail "daemon: policy or process lost"
stop_daemon() {
	kill "$daemon_pid" 2>/dev/null
	wait_for 5 gone "$daemon_pid" || kill -KILL "$daemon_pid" 2>/dev/null
	wait "$daemon_pid" 2>/dev/null
	daemon_pid=""
}
stop_daemon

# --- the auto-block persist file: the agent's own state, never read through a link, never echoed,
# written new (0600) beside it and renamed, never through a link either.
state="$work/state" future=$(($(date +%s) + 600))
mkdir "$state"
printf '%s\n  - name: %s\n    xdp_mode: [native, generic]\nrate_limit:\n  rate: 100\nauto_block:\n  persist_file: state/blocked.txt\n' \
	"${head%\[\]}" "$host" >"$work/base.yaml"
printf 'IMPORTANT secret words\n198.19.160.60 %s rate limit INVITE\n' "$future" >"$work/secret.txt"
printf 'victim\n' >"$work/victim.txt"
ln -s ../secret.txt "$state/blocked.txt"
ln -s ../victim.txt "$state/blocked.txt.tmp"
persist_regular() { [ -f "$state/blocked.txt" ] && [ ! -L "$state/blocked.txt" ]; }
"$agent" -c "$work/base.yaml" 2>"$work/daemon.log" &
daemon_pid=$!
wait_for 10 persist_regular && [ "$(stat -c '%a %U' "$state/blocked.txt")" = "600 root" ] &&
	pass "persist file: written as a new regular file, mode 0600, root's" ||
	fail "persist file: $(ls -l "$state") $(tail -n 3 "$work/daemon.log")"
grep -q "auto-block: $state/blocked.txt: a symbolic link: the agent's own state file must not be one" "$work/daemon.log" &&
	! grep -q "auto-block: restored" "$work/daemon.log" && pass "persist file: a symlink is not followed, nothing restored from it" ||
	fail "persist file symlink: $(grep auto-block "$work/daemon.log")"
! grep -qE "IMPORTANT|secret" "$work/daemon.log" && pass "persist file: nothing of the linked file's content in the log" ||
	fail "persist file: content echoed: $(grep -E "IMPORTANT|secret" "$work/daemon.log")"
[ "$(cat "$work/victim.txt")" = victim ] && [ ! -e "$state/blocked.txt.tmp" ] && grep -q IMPORTANT "$work/secret.txt" &&
	pass "persist file: a link at its temp name is replaced, not written through; the linked files are untouched" ||
	fail "persist file: victim '$(cat "$work/victim.txt")', tmp $(ls -l "$state")"
stop_daemon
printf 'SECRET-WORD %s rate limit INVITE\n198.19.160.61 %s rate limit INVITE\n' "$future" "$future" >"$state/blocked.txt"
"$agent" -c "$work/base.yaml" 2>"$work/daemon.log" &
daemon_pid=$!
wait_for 10 grep -q "auto-block: restored 1 of 1 live entry" "$work/daemon.log" &&
	grep -q "blocked.txt:1: its first word is not an IPv4 or IPv6 address; line skipped" "$work/daemon.log" &&
	! grep -q SECRET-WORD "$work/daemon.log" &&
	pass "persist file: a bad line is skipped at its line number without its content, the good one restored" ||
	fail "persist file bad line: $(grep -E "auto-block|blocked.txt" "$work/daemon.log")"
chmod 777 "$state"
sed -i 's|state/blocked.txt|state/moved.txt|' "$work/base.yaml"	# a new persist file: written at the next tick
wait_for 10 grep -q "auto-block: cannot write $state/moved.txt: unsafe: the directory $state is writable by group or others (mode 0777)" "$work/daemon.log" &&
	pass "persist file: not written into a directory others may write" ||
	fail "persist file in a world-writable directory: $(grep auto-block "$work/daemon.log" | tail -n 2)"
chmod 755 "$state"
stop_daemon

# --- IPv4-mapped entries are the IPv4 addresses they map; a whole-family blocklist prefix is said -
printf '198.19.160.80\n::ffff:198.19.160.81\n' >"$work/mapped.txt"
printf '%s\nblocklist:\n  addresses: ["::ffff:198.19.160.82", "::/0"]\n  files: [mapped.txt]\n' "$head" >"$work/mapped.yaml"
out=$("$agent" --once -c "$work/mapped.yaml" 2>&1)
rc=$?
[ "$rc" -eq 0 ] && grep -q "warning: $work/mapped.txt:2: '::ffff:198.19.160.81' is an IPv4-mapped IPv6 address, read as the IPv4 198.19.160.81" <<<"$out" &&
	grep -q "warning: $work/mapped.yaml:6: blocklist.addresses\[1\]: '::/0' in the blocklist drops SIP from every IPv6 source" <<<"$out" &&
	pass "--once: IPv4-mapped entries and a whole-family prefix are applied, with a warning each at file:line" ||
	fail "--once of mapped entries: exit $rc: $out"
pinned_has_v4 "$pin" blocked_ips 198.19.160.81 && pinned_has_v4 "$pin" blocked_ips 198.19.160.82 &&
	pass "the IPv4-mapped entries are pinned as IPv4 keys (blocked_ips)" || fail "mapped entries not in blocked_ips"

exit $test_status
