#!/usr/bin/env bash
# cluster_sync_test.sh - cluster_sync_blocklist.sh against two ssh "nodes" in namespaces this test
# creates: node 1 runs a real sshd and a real vosfp datapath, node 2 refuses connections. Proves
# the pushed list lands byte for byte, reaches the maps and drops real frames; that a failed apply
# is rolled back; and that bad input contacts no host. Everything it creates is removed on exit.
# shellcheck disable=SC2015,SC2317 # "check && pass || fail" lines; helpers called through wait_for
set -uo pipefail
# shellcheck source=tests/integration/lib.sh
. "$(dirname "$(readlink -f "$0")")/lib.sh"
require_root "cluster sync"

agent="$VOSFP_ROOT/build/vosfp-agent"
send="$VOSFP_ROOT/build/vosfp-send"
work=$(mktemp -d /tmp/vosfp-cluster-test.XXXXXX)
pin=/sys/fs/bpf/vosfp-cluster-test
n1="vcs-n1-$$" n2="vcs-n2-$$" tr="vcs-tr-$$"
n1_root="vcs$$a" n1_if="vcs$$b" n2_root="vcs$$c" n2_if="vcs$$d" xdp_if="vcs$$e" tr_if="vcs$$f"
node1=198.18.20.2 node2=198.18.20.6
h1="root@$node1" h2="root@$node2"
config="$work/vosfp.yaml"
remote="$work/node/blocklist.txt"	# the nodes share this filesystem: node 1's remote path
sshd_pid="" made_run_sshd=""

# The node's agent runs in node 1's network namespace (its interface lives there), entered with
# nsenter --net only: ip netns exec would remount /sys and hide /sys/fs/bpf.
in_node1() { nsenter --net="/run/netns/$n1" "$@"; }

cleanup() {
	if [ -n "$sshd_pid" ]; then
		kill "$sshd_pid" 2>/dev/null
		wait "$sshd_pid" 2>/dev/null
	fi
	[ -e "/run/netns/$n1" ] && in_node1 "$agent" --down -c "$config" >/dev/null 2>&1
	rm -rf "$pin" 2>/dev/null
	rm -f "/run/vosfp/vosfp${pin//\//_}.lock"
	[ -z "$made_run_sshd" ] || rmdir /run/sshd 2>/dev/null
	ip link del "$n1_root" 2>/dev/null
	ip link del "$n2_root" 2>/dev/null
	cleanup_netns
	rm -rf "$work"
}
trap cleanup EXIT

# --- network: root <-> node1 and root <-> node2 on /30s; node1's XDP interface <-> traffic ns ---
setup_net() {
	new_netns "$n1" && new_netns "$n2" && new_netns "$tr" &&
		ip link add "$n1_root" type veth peer name "$n1_if" netns "$n1" &&
		ip link add "$n2_root" type veth peer name "$n2_if" netns "$n2" &&
		ip -n "$n1" link add "$xdp_if" type veth peer name "$tr_if" netns "$tr" &&
		ip addr add 198.18.20.1/30 dev "$n1_root" && ip link set "$n1_root" up &&
		ip addr add 198.18.20.5/30 dev "$n2_root" && ip link set "$n2_root" up &&
		ip -n "$n1" addr add "$node1/30" dev "$n1_if" && ip -n "$n1" link set "$n1_if" up &&
		ip -n "$n2" addr add "$node2/30" dev "$n2_if" && ip -n "$n2" link set "$n2_if" up &&
		ip -n "$n1" link set "$xdp_if" up &&
		ip -n "$tr" addr add 198.18.20.66/26 dev "$tr_if" &&
		ip -n "$tr" addr add 198.18.20.70/32 dev "$tr_if" &&
		ip -n "$tr" addr add 198.18.20.100/32 dev "$tr_if" &&
		ip -n "$tr" link set "$tr_if" up
}
setup_net || { fail "cannot create the namespaces and veth pairs"; exit 1; }
# The XDP side has no address: frames reach XDP through a static neighbour entry, and no route
# in any namespace can clash with another test's.
xdp_mac=$(ip -n "$n1" -o link show dev "$xdp_if" | sed -n 's/.*link\/ether \([0-9a-f:]*\).*/\1/p')
ip -n "$tr" neigh add 198.18.20.65 lladdr "$xdp_mac" dev "$tr_if" nud permanent ||
	{ fail "cannot add the neighbour entry"; exit 1; }

# --- node 1's sshd: its own host key, config, authorized key and log, all in $work -------------------
ssh-keygen -q -t ed25519 -N '' -C vosfp-cluster-host -f "$work/host_key" &&
	ssh-keygen -q -t ed25519 -N '' -C vosfp-cluster-client -f "$work/client_key" &&
	cp "$work/client_key.pub" "$work/authorized_keys" ||
	{ fail "ssh-keygen failed"; exit 1; }
echo "[$node1]:2222 $(cat "$work/host_key.pub")" >"$work/known_hosts"
cat >"$work/sshd_config" <<CFG
Port 2222
ListenAddress $node1
HostKey $work/host_key
AuthorizedKeysFile $work/authorized_keys
PermitRootLogin prohibit-password
PasswordAuthentication no
KbdInteractiveAuthentication no
UsePAM no
StrictModes no
PidFile $work/sshd.pid
Subsystem sftp internal-sftp
LogLevel VERBOSE
CFG
if [ ! -d /run/sshd ]; then
	mkdir -p /run/sshd && made_run_sshd=1	# sshd's privilege separation directory
fi
: >"$work/sshd.log"
# nsenter execs sshd (no fork): $! is sshd itself, which cleanup kills.
nsenter --net="/run/netns/$n1" /usr/sbin/sshd -D -f "$work/sshd_config" -E "$work/sshd.log" &
sshd_pid=$!
if wait_for 10 grep -q "Server listening on $node1 port 2222" "$work/sshd.log"; then
	pass "node 1: sshd listening on $node1:2222"
else
	fail "sshd did not start: $(cat "$work/sshd.log")"
	exit 1
fi

# --- node 1's vosfp: the config names the remote path; blocklist_max 16 makes a 17-line list fail ---
mkdir "$work/node"
cat >"$config" <<CFG
version: 1
pin_path: $pin
bpf_object: $VOSFP_ROOT/build/sip_logic.bpf.o
interfaces:
  - name: $xdp_if
    xdp_mode: [native, generic]
blocklist:
  addresses: []
  optional_files: [$remote]
limits:
  blocklist_max: 16
CFG
if in_node1 "$agent" --once -c "$config" 2>"$work/agent.log"; then
	pass "node 1 up: agent --once attached to $xdp_if"
else
	fail "agent --once on node 1: $(cat "$work/agent.log")"
	exit 1
fi

# --- the script's environment: this test's key and known_hosts, node 1's agent and config ----------
# ssh and scp run through shims that log every call: "no host contacted" is then a fact.
mkdir "$work/bin"
for c in ssh scp; do
	printf '#!/bin/sh\necho %s >>"%s"\nexec /usr/bin/%s "$@"\n' "$c" "$work/calls" "$c" >"$work/bin/$c"
	chmod 755 "$work/bin/$c"
done
: >"$work/calls"
export PATH="$work/bin:$PATH"
unset SSH_AUTH_SOCK VOS_FASTPATH_CLUSTER_HOSTS
export VOSFP_AGENT="$agent"
export VOS_FASTPATH_CLUSTER_SSH_OPTS="-F none -i $work/client_key -o IdentitiesOnly=yes -o UserKnownHostsFile=$work/known_hosts -o Port=2222"
export VOS_FASTPATH_CLUSTER_REMOTE_PATH="$remote"
export VOS_FASTPATH_CLUSTER_REMOTE_AGENT="$agent"
export VOS_FASTPATH_CLUSTER_REMOTE_CONFIG="$config"
export VOS_FASTPATH_CLUSTER_TIMEOUT=5

REGISTER='REGISTER sip:198.18.20.65 SIP/2.0\r\nVia: SIP/2.0/UDP 198.18.20.66:5060\r\nContent-Length: 0\r\n\r\n'
C_PASSED=2 C_BLOCKED=3
counter_is() { [ "$(pinned_counter "$pin" "$1")" -eq "$2" ]; }
# traffic LABEL SRC COUNT COUNTER: COUNT REGISTERs from SRC must move COUNTER by exactly COUNT.
traffic() {
	local label=$1 src=$2 count=$3 idx=$4 want
	want=$(($(pinned_counter "$pin" "$idx") + count))
	ip netns exec "$tr" timeout 10 "$send" -s "$src" 198.18.20.65 5060 "$REGISTER" "$count"
	if wait_for 20 counter_is "$idx" "$want"; then
		pass "$label"
	else
		fail "$label: counter $idx = $(pinned_counter "$pin" "$idx"), expected $want"
	fi
}

# Map probes (x86: the LPM key's prefix length is a little-endian __u32).
has_v4() { pinned_has_v4 "$pin" blocked_ips "$1"; }
# shellcheck disable=SC2046
has_net4() { "$BPFTOOL" map lookup pinned "$pin/blocked_nets" key "$2" 0 0 0 $(tr . ' ' <<<"$1") >/dev/null 2>&1; }
has_hex() { "$BPFTOOL" map lookup pinned "$pin/$1" key hex "${@:2}" >/dev/null 2>&1; }
V6_HOST=(20 01 0d b8 00 20 00 00 00 00 00 00 00 00 00 07)	# 2001:db8:20::7
V6_NET=(30 00 00 00 20 01 0d b8 00 21 00 00 00 00 00 00 00 00 00 00)	# 48, 2001:db8:21::
V6_HOST2=(20 01 0d b8 00 20 00 00 00 00 00 00 00 00 00 09)	# 2001:db8:20::9

calls() { wc -l <"$work/calls"; }
connections() { grep -c "Connection from" "$work/sshd.log"; }
node_files() { (cd "$work/node" && ls -A); }	# temp and backup files must never be left
mtime() { stat -c %y "$remote" 2>/dev/null; }

# --- sync to node 1 and the unreachable node 2 in one run ----------------------------------------------
cat >"$work/list1.txt" <<'LIST'
# cluster test blocklist
198.18.20.70
198.18.20.96/28
2001:db8:20::7
2001:db8:21::/48
LIST
traffic "before the sync: REGISTER from 198.18.20.70 passes" 198.18.20.70 4 $C_PASSED
run_script cluster_sync_blocklist.sh "$work/list1.txt" "$h1" "$h2"
expect_exit "node 1 + unreachable node 2: exit 1" 1
grep -q "^$h2: FAILED (upload: ssh: connect to host $node2 port 2222: Connection refused" <<<"$err" &&
	pass "stderr: node 2 FAILED with ssh's reason (connection refused)" || fail "node 2 line: $err"
! grep -qF "$node1" <<<"$err" && pass "stderr does not name node 1" || fail "node 1 on stderr: $err"
[ "$out" = "$h1: ok
Done: 1 synced, 1 failed" ] && pass "stdout: node 1 ok, Done: 1 synced, 1 failed" || fail "stdout: $out"
cmp -s "$work/list1.txt" "$remote" && pass "node 1's remote file equals the pushed file" ||
	fail "remote file: $(cat "$remote" 2>&1)"
[ "$(node_files)" = blocklist.txt ] && pass "no temporary or backup file left on node 1" ||
	fail "node 1's directory holds: $(node_files | tr '\n' ' ')"
has_v4 198.18.20.70 && has_net4 198.18.20.96 28 && has_hex blocked_ips6 "${V6_HOST[@]}" && has_hex blocked_nets6 "${V6_NET[@]}" &&
	pass "node 1's maps hold the IPv4, IPv4 /28, IPv6 and IPv6 /48 entries" || fail "maps lack a pushed entry"
traffic "after the sync: 198.18.20.70 blocked (BLOCKED +5)" 198.18.20.70 5 $C_BLOCKED
traffic "after the sync: 198.18.20.100 (in 198.18.20.96/28) blocked (BLOCKED +3)" 198.18.20.100 3 $C_BLOCKED
traffic "after the sync: 198.18.20.66 still passes (PASSED +2)" 198.18.20.66 2 $C_PASSED

# --- node 1 alone, hosts from VOS_FASTPATH_CLUSTER_HOSTS: exit 0, the edit applies --------------------
printf '198.18.20.70\n2001:db8:20::9\n' >"$work/list2.txt"
VOS_FASTPATH_CLUSTER_HOSTS=" $h1, " run_script cluster_sync_blocklist.sh "$work/list2.txt"
[ "$rc" -eq 0 ] && [ "$out" = "$h1: ok
Done: 1 synced, 0 failed" ] && [ -z "$err" ] && pass "node 1 alone (from VOS_FASTPATH_CLUSTER_HOSTS): exit 0" ||
	fail "node 1 alone: exit $rc, out: $out, err: $err"
cmp -s "$work/list2.txt" "$remote" && [ "$(node_files)" = blocklist.txt ] &&
	pass "node 1 holds the new list, nothing else" || fail "after the second sync: $(node_files | tr '\n' ' ')"
! has_net4 198.18.20.96 28 && ! has_hex blocked_ips6 "${V6_HOST[@]}" && has_hex blocked_ips6 "${V6_HOST2[@]}" &&
	pass "the edit reached the maps: removed entries gone, the new one in" || fail "maps after the edit"
traffic "removed prefix: 198.18.20.100 passes again (PASSED +4)" 198.18.20.100 4 $C_PASSED
traffic "kept entry: 198.18.20.70 still blocked (BLOCKED +2)" 198.18.20.70 2 $C_BLOCKED

# --- a failed apply on the node is rolled back: 17 entries against blocklist_max 16 ---------------------
for i in $(seq 1 17); do echo "198.18.20.$((127 + i))"; done >"$work/list3.txt"
run_script cluster_sync_blocklist.sh "$work/list3.txt" "$h1"
expect_exit "apply refused by node 1's agent: exit 1" 1 \
	"^$h1: FAILED \(apply failed: $agent exit 2: .*blocklist holds 17 entries, more than limits.blocklist_max \(16\).*; previous $remote restored\)$"
grep -q "^Done: 0 synced, 1 failed$" <<<"$out" && pass "Done: 0 synced, 1 failed" || fail "stdout: $out"
cmp -s "$work/list2.txt" "$remote" && [ "$(node_files)" = blocklist.txt ] &&
	pass "node 1's previous file restored, nothing else left" || fail "after the refused apply: $(node_files | tr '\n' ' '): $(cat "$remote")"
has_v4 198.18.20.70 && ! has_v4 198.18.20.128 && pass "node 1's maps unchanged" || fail "maps changed by a refused apply"

# --- a hung node: the apply is killed after VOS_FASTPATH_CLUSTER_HOST_TIMEOUT; a killed run ends its
# ssh too. The node's "agent" sleeps 4 s (and so ends on its own: the test leaves nothing running).
cat >"$work/slow-agent" <<SLOW
#!/bin/sh
touch "$work/slow.started"
sleep 4
touch "$work/slow.done"
SLOW
chmod 755 "$work/slow-agent"
slow_done() { [ -e "$work/slow.done" ]; }
our_ssh() { pgrep -f -- "$work/client_key" >/dev/null; }	# this test's key is on every ssh command line
VOS_FASTPATH_CLUSTER_HOST_TIMEOUT=1 VOS_FASTPATH_CLUSTER_REMOTE_AGENT="$work/slow-agent" \
	run_script cluster_sync_blocklist.sh "$work/list1.txt" "$h1"
slow_done && fail "hung node: the run waited for the node's agent" ||
	pass "hung node: the run ended while the node's agent was still busy"
expect_exit "hung node: exit 1" 1 "^$h1: FAILED \(apply timed out after 1s; check $remote and the agent there\)$"
wait_for 10 slow_done || fail "the slow agent never finished"
rm -f "$work/slow.started" "$work/slow.done"

mkdir "$work/tmp"
(cd / && TMPDIR="$work/tmp" VOS_FASTPATH_CLUSTER_REMOTE_AGENT="$work/slow-agent" \
	exec "$VOSFP_ROOT/scripts/cluster_sync_blocklist.sh" "$work/list1.txt" "$h1") >"$work/term.out" 2>&1 &
sync_pid=$!
if wait_for 10 test -e "$work/slow.started"; then
	kill -TERM "$sync_pid"
	wait "$sync_pid"
	rc=$?
	[ "$rc" -eq 143 ] && wait_for 20 eval '! our_ssh' && [ -z "$(ls -A "$work/tmp")" ] &&
		pass "TERM during the apply: exit 143, no ssh left running, temporary directory removed" ||
		fail "TERM: exit $rc, ssh still running: $(pgrep -af -- "$work/client_key"), tmp: $(ls -A "$work/tmp")"
else
	fail "TERM: the remote apply never started: $(cat "$work/term.out")"
	kill -TERM "$sync_pid" 2>/dev/null
	wait "$sync_pid"
fi
wait_for 10 slow_done || fail "the slow agent never finished"
run_script cluster_sync_blocklist.sh "$work/list2.txt" "$h1"
[ "$rc" -eq 0 ] && cmp -s "$work/list2.txt" "$remote" && [ "$(node_files)" = blocklist.txt ] &&
	pass "node 1 synced again after the hung runs, nothing left behind" || fail "resync: exit $rc, $err, $(node_files | tr '\n' ' ')"

# --- bad input: nothing sent, no host contacted --------------------------------------------------------
before_calls=$(calls) before_conn=$(connections) before_mtime=$(mtime)
untouched() {	# LABEL: no ssh/scp call, no connection to node 1, remote file as it was
	[ "$(calls)" = "$before_calls" ] && [ "$(connections)" = "$before_conn" ] &&
		[ "$(mtime)" = "$before_mtime" ] && cmp -s "$work/list2.txt" "$remote" &&
		pass "$1: no host contacted, remote file untouched" ||
		fail "$1: ssh/scp calls $before_calls -> $(calls), sshd connections $before_conn -> $(connections), remote file: $(mtime) $(cat "$remote")"
}
run_script cluster_sync_blocklist.sh "$work/missing.txt" "$h1"
expect_exit "missing file: exit 1" 1 "cannot read $work/missing.txt"
untouched "missing file"
printf '198.18.20.70\n198.18.20.97/28\n' >"$work/bad.txt"
run_script cluster_sync_blocklist.sh "$work/bad.txt" "$h1"
expect_exit "invalid line: exit 1, the agent's file:line reason" 1 "^$work/bad.txt:2: '198.18.20.97/28' has host bits set"
grep -q "nothing sent to any host" <<<"$err" && pass "invalid line: says nothing was sent" || fail "invalid line: $err"
untouched "invalid line"
run_script cluster_sync_blocklist.sh "$work/list2.txt"
expect_exit "no hosts: usage error, exit 2" 2 "no hosts"
VOS_FASTPATH_CLUSTER_HOSTS=" , " run_script cluster_sync_blocklist.sh "$work/list2.txt"
expect_exit "VOS_FASTPATH_CLUSTER_HOSTS of separators only: exit 2" 2 "no hosts"
run_script cluster_sync_blocklist.sh
expect_exit "no file: usage error, exit 2" 2
run_script cluster_sync_blocklist.sh "$work/list2.txt" "-oProxyCommand=touch%20$work/pwned"
expect_exit "a host that is an ssh option: exit 2" 2
run_script cluster_sync_blocklist.sh "$work/list2.txt" "$node1:2222"
expect_exit "host:port (scp would read a path): exit 2" 2 "bad host"
VOS_FASTPATH_CLUSTER_REMOTE_PATH='/tmp/a b;reboot' run_script cluster_sync_blocklist.sh "$work/list2.txt" "$h1"
expect_exit "a remote path with shell characters: exit 2" 2 "VOS_FASTPATH_CLUSTER_REMOTE_PATH"
VOS_FASTPATH_CLUSTER_TIMEOUT=0 run_script cluster_sync_blocklist.sh "$work/list2.txt" "$h1"
expect_exit "timeout 0: exit 2" 2 "VOS_FASTPATH_CLUSTER_TIMEOUT"
untouched "usage errors"

run_script cluster_sync_blocklist.sh -h
missing=""
for v in HOSTS REMOTE_PATH REMOTE_AGENT REMOTE_CONFIG TIMEOUT HOST_TIMEOUT JOBS SSH_OPTS; do
	grep -q "VOS_FASTPATH_CLUSTER_$v " <<<"$out" || missing+=" $v"
done
[ "$rc" -eq 0 ] && grep -q "^Usage: cluster_sync_blocklist.sh \[-h\] <file> \[host...\]" <<<"$out" && [ -z "$missing" ] &&
	grep -q "Exit status" <<<"$out" && pass "-h: usage with every environment variable and the exit codes, exit 0" ||
	fail "-h: exit $rc, missing:$missing"

exit $test_status
