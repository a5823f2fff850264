#!/usr/bin/env bash
# crowdsec_bouncer_test.sh - vosfp-agent as a CrowdSec bouncer against a real LAPI (Debian's
# crowdsec, started here on 127.0.0.1 with its own config and SQLite file): decisions driven with
# cscli reach the XDP datapath and drop real frames crossing a veth, with exact counters. An IPv4
# address, an IPv6 address and a /24 range are dropped within poll interval + 1 s; a deleted one
# passes again; a 5 s decision ends on time while the LAPI is stopped; the LAPI restarted is
# followed again; an allowlisted source under a decision passes, counted; an agent restart keeps
# decisions with no gap; a wrong key or an untrusted key file gets a clear error naming the file.
# --stats, /metrics and --dry-run show the decisions by origin and scope and the LAPI's state.
set -uo pipefail
# shellcheck source=tests/integration/lib.sh
. "$(dirname "$(readlink -f "$0")")/lib.sh"
# shellcheck source=tests/integration/crowdsec_lib.sh
. "$(dirname "$(readlink -f "$0")")/crowdsec_lib.sh"
require_root "CrowdSec bouncer on a veth"
lapi_require "CrowdSec bouncer on a veth"

agent="$VOSFP_ROOT/build/vosfp-agent"
udp_send="$VOSFP_ROOT/build/vosfp-send"
work=$(mktemp -d /tmp/vosfp-crowdsec-b.XXXXXX)
pin="/sys/fs/bpf/vosfp-crowdsec-b-$$"
ns="vosfp-crowdsec-b-$$" host="vcsb$$h" peer="vcsb$$p"
port=18110 metrics=18111
agent_pid=""

cleanup() {
	stop_agent
	lapi_stop
	remove_agent_state "$work/vosfp.yaml" "$pin"
	ip link del "$host" 2>/dev/null
	cleanup_netns
	rm -rf "$work"
}
trap cleanup EXIT
[ -n "${KEEP_LOG:-}" ] && trap 'cp "$work/agent.log" /tmp/vosfp-crowdsec-last-agent.log; cleanup' EXIT

stop_agent() {	# the agent this test started; filtering stays (fail-static)
	stop_pid "$agent_pid"
	agent_pid=""
}

start_agent() {	# the daemon on the test's config; up once its first reconcile is logged
	"$agent" -c "$work/vosfp.yaml" >>"$work/agent.log" 2>&1 &
	agent_pid=$!
	wait_for 10 grep -qE "reconciled in|no change:" "$work/agent.log"
}

logged() { grep -qF -- "$1" "$work/agent.log"; }
more_than() { [ "$(grep -c -- "$2" "$work/agent.log")" -gt "$1" ]; }	# more_than N TEXT

# --- the veth, a peer namespace with the test's sources, the LAPI, the agent ---
new_netns "$ns" || { fail "cannot create namespace"; exit 1; }
ip link add "$host" type veth peer name "$peer" netns "$ns" || { fail "cannot create veth"; exit 1; }
ip addr add 198.19.172.1/24 dev "$host"
ip link set "$host" up
for i in $(seq 2 12); do ip -n "$ns" addr add "198.19.172.$i/24" dev "$peer"; done
ip -n "$ns" addr add 198.19.174.7/24 dev "$peer"
ip -n "$ns" addr add 198.19.175.7/24 dev "$peer"
ip -n "$ns" addr add 2001:db8:c5::5/64 dev "$peer" nodad
ip -n "$ns" addr add 2001:db8:c5::6/64 dev "$peer" nodad
ip -n "$ns" link set "$peer" up
hmac=$(cat "/sys/class/net/$host/address")
ip -n "$ns" neigh add 198.19.172.1 lladdr "$hmac" dev "$peer" nud permanent
ip -n "$ns" neigh add 2001:db8:c5::1 lladdr "$hmac" dev "$peer" nud permanent
ip -n "$ns" route add 198.19.0.0/16 dev "$peer" 2>/dev/null

lapi_setup "$work/lapi" "$port"
lapi_start || { fail "the LAPI did not start: $(tail -5 "$work/lapi/lapi.log")"; exit 1; }
lapi_bouncer_key "vosfp-b-$$" "$work/bouncer.key" || { fail "cscli bouncers add"; exit 1; }

{
	config_head "$pin" "$host"
	cat <<CFG
sip:
  stealth_options: false
allowlist:
  addresses: [198.19.172.9]
blocklist:
  optional_files: [block.txt]
crowdsec:
  lapi_url: http://127.0.0.1:$port
  api_key_file: bouncer.key
  poll_interval_seconds: 1
metrics:
  listen: 127.0.0.1:$metrics
CFG
} >"$work/vosfp.yaml"
start_agent || { fail "the agent did not start: $(cat "$work/agent.log")"; exit 1; }
wait_for 10 logged "crowdsec: startup answer: 0 new" ||
	fail "no startup answer from the LAPI: $(grep crowdsec "$work/agent.log")"

C_PASSED=2 C_DECISION=8
REG='REGISTER sip:198.19.172.1 SIP/2.0\r\nVia: SIP/2.0/UDP 198.19.172.2:5060\r\nContent-Length: 0\r\n\r\n'

send() {	# send SRC [COUNT]: REGISTERs from SRC to the host side
	local dst=198.19.172.1
	[[ $1 == *:* ]] && dst=2001:db8:c5::1
	ip netns exec "$ns" "$udp_send" -s "$1" "$dst" 5060 "$REG" "${2:-1}"
}

# burst LABEL SRC COUNT WANT_PASSED WANT_DECISION: exact counter moves for COUNT datagrams.
burst() {
	local p0 d0 dp dd
	p0=$(pinned_counter "$pin" $C_PASSED)
	d0=$(pinned_counter "$pin" $C_DECISION)
	send "$2" "$3"
	wait_for 3 moved "$p0" "$d0" "$3"
	dp=$(($(pinned_counter "$pin" $C_PASSED) - p0))
	dd=$(($(pinned_counter "$pin" $C_DECISION) - d0))
	if [ "$dp" -eq "$4" ] && [ "$dd" -eq "$5" ]; then
		pass "$1"
	else
		fail "$1: PASSED +$dp (expected +$4), DECISION_DROPPED +$dd (expected +$5)"
	fi
}

moved() {	# moved PASSED0 DECISION0 N: the two moved by N together, at least
	[ $(($(pinned_counter "$pin" $C_PASSED) - $1 + $(pinned_counter "$pin" $C_DECISION) - $2)) -ge "$3" ]
}

dropped() {	# dropped SRC: one datagram from SRC is counted DECISION_DROPPED (not PASSED)
	local p0 d0
	p0=$(pinned_counter "$pin" $C_PASSED)
	d0=$(pinned_counter "$pin" $C_DECISION)
	send "$1"
	wait_for 2 moved "$p0" "$d0" 1
	[ "$(pinned_counter "$pin" $C_DECISION)" -gt "$d0" ]
}

passes() { ! dropped "$1"; }

# in_force LABEL MS SRC: SRC is dropped within MS of now (the caller just changed a decision).
in_force() {
	local t0=$1 label=$2 limit=$3 src=$4 took
	if wait_ms "$limit" dropped "$src"; then
		took=$(($(now_ms) - t0))
		pass "$label: dropped after $took ms (limit $limit)"
	else
		fail "$label: $src still passes after $limit ms"
	fi
}

burst "before any decision: 198.19.172.5 passes" 198.19.172.5 3 3 0

# --- decisions: IPv4 address, IPv6 address, /24 range; within poll interval + 1 s ---
lapi_cscli decisions add --ip 198.19.172.5 --duration 1h --reason vosfp-test >/dev/null
t0=$(now_ms)
in_force "$t0" "IPv4 decision in force" 2000 198.19.172.5
lapi_cscli decisions add --ip 2001:db8:c5::5 --duration 1h --reason vosfp-test >/dev/null
t0=$(now_ms)
in_force "$t0" "IPv6 decision in force" 2000 2001:db8:c5::5
lapi_cscli decisions add --range 198.19.174.0/24 --duration 1h --reason vosfp-test >/dev/null
t0=$(now_ms)
in_force "$t0" "/24 range decision in force" 2000 198.19.174.7
burst "IPv4 decision: 5 frames, 5 DECISION_DROPPED" 198.19.172.5 5 0 5
burst "IPv6 decision: 5 frames, 5 DECISION_DROPPED" 2001:db8:c5::5 5 0 5
burst "range decision: 5 frames, 5 DECISION_DROPPED" 198.19.174.7 5 0 5
burst "a source beside them passes" 198.19.175.7 4 4 0
burst "an IPv6 source beside them passes" 2001:db8:c5::6 4 4 0

# --- visibility: --stats, --stats --json, /metrics, --dry-run ---
# json_get EXPR: a value of `--stats --json` (a Python expression on `d`).
json_get() {
	"$agent" --stats --json -c "$work/vosfp.yaml" 2>/dev/null | python3 -c "import json, sys; d = json.load(sys.stdin); print($1)"
}
metric() {	# metric SAMPLE: the value of one /metrics sample line
	curl -s --max-time 5 "http://127.0.0.1:$metrics/metrics" | awk -v s="$1" '$1 == s { print $2 }'
}
# Every drop so far is a cscli decision's: the counter by origin must equal DECISION_DROPPED.
drops=$(pinned_counter "$pin" $C_DECISION)
stats=$("$agent" --stats -c "$work/vosfp.yaml" 2>&1)
if grep -q "^Decisions (CrowdSec): 3 in force" <<<"$stats" &&
	grep -qE "^  cscli +2 +1 +$drops / " <<<"$stats"; then
	pass "--stats lists the decisions by origin and scope (cscli: 2 ip, 1 range, $drops dropped)"
else
	fail "--stats ($drops dropped): $(grep -A7 Decisions <<<"$stats")"
fi
if [ "$(json_get 'd["decisions"]["in_force"], d["decisions"]["by_origin"]["cscli"]["dropped"]["packets"], d["counters"]["decision_dropped"]')" = "3 $drops $drops" ]; then
	pass "--stats --json: 3 in force, $drops dropped by origin cscli, as DECISION_DROPPED"
else
	fail "--stats --json ($drops dropped): $(json_get 'd["decisions"]')"
fi
if [ "$(metric 'vosfp_decisions{origin="cscli",scope="ip"}')" = 2 ] &&
	[ "$(metric 'vosfp_decisions{origin="cscli",scope="range"}')" = 1 ] &&
	[ "$(metric 'vosfp_decision_packets_total{origin="cscli",action="drop"}')" = "$drops" ] &&
	[ "$(metric 'vosfp_crowdsec_up')" = 1 ] && [ "$(metric 'vosfp_crowdsec_polls_total{result="ok"}')" -gt 3 ]; then
	pass "/metrics: decisions by origin and scope, drops by origin, the LAPI up"
else
	fail "/metrics: $(curl -s "http://127.0.0.1:$metrics/metrics" | grep -E "^vosfp_(decision|crowdsec)" | grep -v " 0$")"
fi
dry=$("$agent" --dry-run -c "$work/vosfp.yaml" 2>&1)
if grep -q "crowdsec: LAPI http://127.0.0.1:$port answers (key from $work/bouncer.key): it holds 3 decisions; 3 sources would be enforced here" <<<"$dry" &&
	! grep -qF "$(cat "$work/bouncer.key")" <<<"$dry" && ! grep -qE "^(blocklist|allowlist) " <<<"$dry"; then
	pass "--dry-run: the LAPI answers and holds 3 decisions; no key printed, no decision in the plan"
else
	fail "--dry-run: $dry"
fi

# --- decisions never touch the operator's lists; the allowlist wins ---
if [ ! -e "$work/block.txt" ] && ! pinned_has_v4 "$pin" blocked_ips 198.19.172.5; then
	pass "decisions stay out of the list files and the list maps"
else
	fail "a decision reached the operator's lists"
fi
changes=$(grep -c "crowdsec: answer: 1 new" "$work/agent.log")
lapi_cscli decisions add --ip 198.19.172.9 --duration 1h --reason vosfp-test >/dev/null
wait_for 5 more_than "$changes" "crowdsec: answer: 1 new" || fail "the decision on 198.19.172.9 never arrived"
burst "an allowlisted source under a decision passes" 198.19.172.9 4 4 0
if [ "$(json_get 'd["decisions"]["by_origin"]["cscli"]["allowlisted"]["packets"]')" = 4 ]; then
	pass "the allowlisted source under a decision is counted (4 packets, origin cscli)"
else
	fail "allowlisted under a decision: $(json_get 'd["decisions"]["by_origin"]["cscli"]')"
fi

# --- deleted: passes again within poll interval + 1 s ---
lapi_cscli decisions delete --ip 198.19.172.5 >/dev/null
t0=$(now_ms)
if wait_ms 2000 passes 198.19.172.5; then
	pass "deleted decision: 198.19.172.5 passes again after $(($(now_ms) - t0)) ms"
else
	fail "deleted decision: 198.19.172.5 still dropped after 2000 ms"
fi
burst "deleted decision: 3 frames pass" 198.19.172.5 3 3 0

# --- a 5 s decision ends on time while the LAPI is stopped ---
t_asked=$(now_ms)
lapi_cscli decisions add --ip 198.19.172.6 --duration 5s --reason vosfp-test >/dev/null
t_added=$(now_ms)
in_force "$t_added" "5 s decision in force" 2000 198.19.172.6
lapi_stop
wait_for 5 logged "crowdsec: LAPI at http://127.0.0.1:$port: no answer" ||
	fail "the agent did not notice the LAPI stopping"
burst "LAPI stopped: the 5 s decision still drops" 198.19.172.6 2 0 2
if wait_ms 8000 passes 198.19.172.6; then
	# The LAPI dates a decision from its alert's time stamp, in whole seconds: it began in the
	# second before t_asked at the earliest, by t_added at the latest. A probe takes ~200 ms.
	ended=$(now_ms)
	if [ $((ended - t_asked)) -ge 4000 ] && [ $((ended - t_added)) -le 5500 ]; then
		pass "5 s decision ended on time with the LAPI down ($((ended - t_asked)) ms after cscli was run, $((ended - t_added)) ms after it returned)"
	else
		fail "5 s decision ended off time: $((ended - t_asked)) ms after cscli was run, $((ended - t_added)) ms after it returned"
	fi
else
	fail "5 s decision never ended with the LAPI down"
fi
burst "LAPI stopped: the other decisions still drop" 2001:db8:c5::5 2 0 2
if [ "$(metric vosfp_crowdsec_up)" = 0 ] && [ "$(metric 'vosfp_crowdsec_polls_total{result="failed"}')" -gt 0 ] &&
	"$agent" --dry-run -c "$work/vosfp.yaml" 2>&1 | grep -q "crowdsec: LAPI http://127.0.0.1:$port does not answer"; then
	pass "LAPI stopped: /metrics says down with failed polls, --dry-run says it does not answer"
else
	fail "LAPI stopped: up=$(metric vosfp_crowdsec_up), failed polls=$(metric 'vosfp_crowdsec_polls_total{result="failed"}')"
fi
failures=$(grep -c "LAPI at http://127.0.0.1:$port: no answer" "$work/agent.log")
if [ "$failures" -eq 1 ]; then
	pass "one log line for the outage, not one per poll"
else
	fail "the outage was logged $failures times"
fi

# --- the LAPI restarted: followed again (resynchronised by a startup answer) ---
lapi_start || fail "the LAPI did not restart"
lapi_cscli decisions add --ip 198.19.172.8 --duration 1h --reason vosfp-test >/dev/null
t0=$(now_ms)
# The backoff is at most 8 poll intervals.
in_force "$t0" "after the LAPI restarted, a new decision" 10000 198.19.172.8
if logged "answers again"; then pass "the recovery is logged"; else fail "no recovery line in the log"; fi

# --- an agent restart keeps every decision, with no gap ---
lapi_cscli decisions add --ip 198.19.172.7 --duration 1h --reason vosfp-test >/dev/null
wait_ms 2000 dropped 198.19.172.7 || fail "198.19.172.7 not in force before the restart"
p0=$(pinned_counter "$pin" $C_PASSED)
d0=$(pinned_counter "$pin" $C_DECISION)
sent=0
answers=$(grep -c "startup answer" "$work/agent.log")
stop_agent
send 198.19.172.7 3 && sent=$((sent + 3))
start_agent || fail "the agent did not start again"
send 198.19.172.7 3 && sent=$((sent + 3))
wait_for 10 more_than "$answers" "startup answer" ||
	fail "no resynchronising startup answer after the restart: $(grep crowdsec "$work/agent.log" | tail -3)"
send 198.19.172.7 3 && sent=$((sent + 3))
wait_for 3 moved "$p0" "$d0" "$sent"
dp=$(($(pinned_counter "$pin" $C_PASSED) - p0))
dd=$(($(pinned_counter "$pin" $C_DECISION) - d0))
if [ "$dp" -eq 0 ] && [ "$dd" -eq "$sent" ]; then
	pass "agent restart: $sent frames before, during and after, all DECISION_DROPPED"
else
	fail "agent restart: PASSED +$dp, DECISION_DROPPED +$dd of $sent"
fi
if logged "decisions kept in the maps from before"; then
	pass "the restart reads the decisions back from the pins"
else
	fail "the restart did not read the maps back"
fi

# --- new list maps (limits changed: a program swap onto fresh maps) keep the decision maps ---
reconciles=$(grep -c "new maps" "$work/agent.log")
sed -i 's/^blocklist:$/limits:\n  blocklist_max: 4096\nblocklist:/' "$work/vosfp.yaml"
if wait_for 10 more_than "$reconciles" "new maps"; then
	burst "after new list maps, the decisions still drop" 198.19.172.7 3 0 3
	burst "after new list maps, range decisions still drop" 198.19.174.7 3 0 3
	# Kept, not rewritten: the feed rewrites maps made anew only a tick later (a gap).
	if logged "decision maps under $pin were replaced"; then
		fail "new list maps: the decision maps were made anew (a gap until the feed rewrote them)"
	else
		pass "new list maps: the decision maps were kept, with no gap"
	fi
else
	fail "new maps: the limit change was not applied: $(tail -3 "$work/agent.log")"
fi

# --- a wrong key: a clear error naming the key file; the right one again: recovered ---
cp "$work/bouncer.key" "$work/good.key"
(umask 077 && echo 0123456789abcdef0123456789abcdef >"$work/bouncer.key.new") && mv "$work/bouncer.key.new" "$work/bouncer.key"
if wait_for 10 logged "refused the API key read from $work/bouncer.key (HTTP 403)"; then
	pass "wrong key: the error names the key file"
else
	fail "wrong key: no clear error: $(grep crowdsec "$work/agent.log" | tail -3)"
fi
burst "wrong key: the decisions held still drop" 198.19.172.7 2 0 2
cp -p "$work/good.key" "$work/bouncer.key.new" && mv "$work/bouncer.key.new" "$work/bouncer.key"
lapi_cscli decisions add --ip 198.19.172.10 --duration 1h --reason vosfp-test >/dev/null
in_force "$(now_ms)" "the right key again: new decisions" 10000 198.19.172.10

# --- a key file others can read: refused, naming the file; the running feed keeps its key ---
chmod 644 "$work/bouncer.key"
if wait_for 10 logged "$work/bouncer.key: mode 0644 lets group or others at a secret"; then
	pass "key file mode 0644: refused, naming the file and the mode"
else
	fail "key file mode 0644: no clear error: $(grep crowdsec "$work/agent.log" | tail -3)"
fi
lapi_cscli decisions add --ip 198.19.172.11 --duration 1h --reason vosfp-test >/dev/null
in_force "$(now_ms)" "untrusted key file: the feed kept the previous key" 3000 198.19.172.11
chmod 600 "$work/bouncer.key"

if grep -qF "$(cat "$work/bouncer.key")" "$work/agent.log"; then
	fail "the key appears in the agent's log"
else
	pass "the key never appears in the log"
fi
if kill -0 "$agent_pid" 2>/dev/null; then pass "the agent kept running throughout"; else fail "the agent died"; fi
exit $test_status
