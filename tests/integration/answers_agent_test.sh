#!/usr/bin/env bash
# answers_agent_test.sh - the answer rule's egress filter under vosfp-agent, on veths this test
# creates: attached on every declared interface in the same transaction as XDP (--dry-run shows
# both), left by a restart, retuned by a map write (same program), rolled back with XDP when
# another interface fails, switched with the program on new maps, detached when the section
# goes, removed by --down. Blocks come from SIP answers the test sends from the "server" side
# (the host's 5060): their reasons in --stats, the log and /metrics, repeat offenders growing,
# and the repeat history kept across a restart over fresh maps by the persist file.
# shellcheck disable=SC2317 # cleanup runs from the EXIT trap, the predicates from wait_for
set -uo pipefail
# shellcheck source=tests/integration/lib.sh
. "$(dirname "$(readlink -f "$0")")/lib.sh"
require_root "the answer rule's egress filter under vosfp-agent"

agent="$VOSFP_ROOT/build/vosfp-agent"
udp_send="$VOSFP_ROOT/build/vosfp-send"
work=$(mktemp -d /tmp/vosfp-answers-agent.XXXXXX)
pin="/sys/fs/bpf/vosfp-answers-agent-$$"
ns="vosfp-ansag-$$" h1="vaa$$a" p1="vaa$$b" h2="vaa$$c" p2="vaa$$d" h3="vaa$$e" p3="vaa$$f"
metrics_port=$((20000 + $$ % 20000))
agent_pid=""

stop_agent() {	# the daemon this test started
	stop_pid "$agent_pid"
	agent_pid=""
}

cleanup() {
	stop_agent
	remove_agent_state "$work/vosfp.yaml" "$pin"
	for dev in "$h1" "$h2" "$h3"; do ip link del "$dev" 2>/dev/null; done
	cleanup_netns
	rm -rf "$work"
}
trap cleanup EXIT

new_netns "$ns" || { fail "cannot create namespace"; exit 1; }
n=1
for pair in "$h1:$p1" "$h2:$p2" "$h3:$p3"; do
	h=${pair%:*} p=${pair#*:}
	ip link add "$h" type veth peer name "$p" netns "$ns" || { fail "cannot create veth $h"; exit 1; }
	ip addr add "198.19.18$n.1/24" dev "$h"
	ip link set "$h" up
	ip -n "$ns" link set "$p" up
	n=$((n + 1))
done
for i in 2 3 4 5 6; do ip -n "$ns" addr add "198.19.181.$i/24" dev "$p1"; done
ip -n "$ns" neigh add 198.19.181.1 lladdr "$(cat "/sys/class/net/$h1/address")" dev "$p1" nud permanent
peer_mac=$(ip -n "$ns" -o link show dev "$p1" | sed -n 's/.*link\/ether \([0-9a-f:]*\).*/\1/p')
for i in 2 3 4 5 6; do ip neigh add "198.19.181.$i" lladdr "$peer_mac" dev "$h1" nud permanent; done

C_AUTO=6
REGISTER='REGISTER sip:198.19.181.1 SIP/2.0\r\nVia: SIP/2.0/UDP 198.19.181.9:5062\r\nContent-Length: 0\r\n\r\n'

write_config() {	# write_config "IFACE..." SECTIONS: the test's config, atomically replaced
	{
		# shellcheck disable=SC2086 # the interface list splits on purpose
		config_head "$pin" $1
		printf 'sip:\n  stealth_options: false\n%s\n' "$2"
	} >"$work/vosfp.yaml.tmp"
	mv "$work/vosfp.yaml.tmp" "$work/vosfp.yaml"
}

once() {	# once: apply the config; its log in $out, its exit code in $rc
	out=$("$agent" --once -c "$work/vosfp.yaml" 2>&1)
	rc=$?
}

egress_id() {	# egress_id DEV: id of the program vosfp's egress filter runs on DEV, empty if none
	tc filter show dev "$1" egress 2>/dev/null |
		sed -n 's/.*handle 0x5f1b sip_answers:\[[0-9]*\].* id \([0-9]*\) name sip_answers.*/\1/p' | head -n 1
}

xdp_id() { ip -d link show dev "$1" | sed -n 's/.*prog\/xdp id \([0-9]*\).*/\1/p' | head -n 1; }

# answer PEER COUNT TEXT: the "server" (the host's 198.19.181.1:5060) sends COUNT answers to PEER:5062.
answer() { "$udp_send" -s 198.19.181.1 -p 5060 "$1" 5062 "$3" "$2" || fail "vosfp-send to $1 failed"; }
refused() { printf 'SIP/2.0 403 Forbidden\\r\\nCall-ID: %s\\r\\nContent-Length: 0\\r\\n\\r\\n' "$1"; }

stats_json() { "$agent" --stats --json -c "$work/vosfp.yaml"; }
# jq-free JSON checks: json_check PYTHON_EXPR (j is the --stats --json document).
json_check() { python3 -c "import json,sys; j = json.loads(sys.argv[1]); sys.exit(0 if ($1) else 1)" "$(stats_json)"; }

registers_from() {	# registers_from SRC COUNT: REGISTERs from SRC (in the namespace) to the host
	ip netns exec "$ns" "$udp_send" -s "$1" 198.19.181.1 5060 "$REGISTER" "$2"
}

# moved_by IDX BEFORE N: counter IDX moved by exactly N (after waiting for it, bounded).
moved_to() { [ "$(pinned_counter "$pin" "$1")" -ge "$2" ]; }
moved_by() {
	wait_for 3 moved_to "$1" $(($2 + $3))
	[ "$(pinned_counter "$pin" "$1")" -eq $(($2 + $3)) ]
}

ANSWERS="answers:
  auth_failures: 3
  not_found: 5"

# --- the plan and the first apply ----------------------------------------------------------------
write_config "$h1 $h2" "$ANSWERS"
plan=$("$agent" --dry-run -c "$work/vosfp.yaml" 2>&1)
if grep -q "^interface $h1: attach (modes native,generic), egress filter (answers): attach$" <<<"$plan" &&
	grep -q "^interface $h2: attach (modes native,generic), egress filter (answers): attach$" <<<"$plan"; then
	pass "--dry-run shows XDP and the egress filter to attach on both interfaces"
else
	fail "--dry-run: $plan"
fi
once
e1=$(egress_id "$h1") e2=$(egress_id "$h2") x1=$(xdp_id "$h1")
if [ "$rc" -eq 0 ] && [ -n "$e1" ] && [ -n "$e2" ] && [ -n "$x1" ] && [ -e "$pin/egress/$h1" ] &&
	[ "$(bpftool prog show pinned "$pin/egress/$h1" | sed -n 's/^\([0-9]*\):.*/\1/p')" = "$e1" ]; then
	pass "--once: XDP and the egress filter (prog $e1, handle 0x5f1b, pinned under egress/) on both"
else
	fail "first apply: rc $rc, egress '$e1' '$e2', xdp '$x1': $out"
fi
plan=$("$agent" --dry-run -c "$work/vosfp.yaml" 2>&1)
if grep -q "^interface $h1: keep, egress filter (answers) kept$" <<<"$plan" &&
	grep -q "^nothing to change" <<<"$plan"; then
	pass "--dry-run after it: nothing to change, the filter kept"
else
	fail "--dry-run after the apply: $plan"
fi

# --- answers the server sends: 3 refusals block 198.19.181.3 (auth-failures) -------------------------
a0=$(pinned_counter "$pin" $C_AUTO) t_block=$SECONDS
answer 198.19.181.3 3 "$(refused crack@x)"
registers_from 198.19.181.3 4
if moved_by $C_AUTO "$a0" 4 && json_check 'any(b["source"] == "198.19.181.3" and b["reason"] == "auth-failures" and b["repeats"] == 0 for b in j["auto_blocks"]) and j["answers"]["refused"] == 3 and j["answers"]["blocked_auth_failures"] == 1 and j["auto_blocks_by_reason"]["auth-failures"] == 1'; then
	pass "3 refusals sent to .3: it is auto-blocked (auth-failures), its 4 REGISTERs AUTO_BLOCKED"
else
	fail "auth-failures block: AUTO_BLOCKED +$(($(pinned_counter "$pin" $C_AUTO) - a0)); $(stats_json)"
fi
# The time left is the 600 s block less what has passed since the refusals (rounded up).
left=$("$agent" --stats -c "$work/vosfp.yaml" | sed -n 's/^  198\.19\.181\.3 \+auth-failures \+\([0-9]\+\)$/\1/p')
if [ -n "$left" ] && [ "$left" -le 600 ] && [ "$left" -ge $((600 - (SECONDS - t_block) - 1)) ]; then
	pass "--stats lists .3 with reason auth-failures ($left s left of 600)"
else
	fail "--stats: $("$agent" --stats -c "$work/vosfp.yaml")"
fi
# Not-found answers, each in its own call: the 5th blocks .4 (enumeration). An allowlisted peer
# (added below) is spared; a digest exchange (401 then 200) counts nothing.
for i in 1 2 3 4 5; do answer 198.19.181.4 1 "SIP/2.0 404 Not Found\\r\\nCall-ID: ext$i\\r\\n\\r\\n"; done
for i in 1 2 3 4 5 6; do
	answer 198.19.181.5 1 "SIP/2.0 401 Unauthorized\\r\\nCall-ID: phone$i\\r\\n\\r\\n"
	answer 198.19.181.5 1 "SIP/2.0 200 OK\\r\\nCall-ID: phone$i\\r\\n\\r\\n"
done
if json_check '{b["source"]: b["reason"] for b in j["auto_blocks"]}.get("198.19.181.4") == "enumeration" and "198.19.181.5" not in [b["source"] for b in j["auto_blocks"]] and j["answers"]["challenges"] == 6 and j["answers"]["auth_failures"] == 3'; then
	pass "5 not-found answers block .4 (enumeration); 6 challenges answered by 200 block nobody"
else
	fail "enumeration / digest: $(stats_json)"
fi

# --- retuning is a map write: the same programs ------------------------------------------------
write_config "$h1 $h2" "answers:
  auth_failures: 4
  not_found: 5"
once
if [ "$rc" -eq 0 ] && grep -q "runtime config updated" <<<"$out" && ! grep -qE "new maps|new program" <<<"$out" &&
	[ "$(egress_id "$h1")" = "$e1" ] && [ "$(xdp_id "$h1")" = "$x1" ]; then
	pass "auth_failures 3 -> 4: a runtime config write, same egress and XDP programs"
else
	fail "retune: rc $rc egress $(egress_id "$h1") (was $e1): $out"
fi

# --- a restart leaves both in place ---------------------------------------------------------------
# Each daemon gets a log of its own: the child truncates its file only after the fork, and an
# old file could answer the wait below first.
"$agent" -c "$work/vosfp.yaml" >"$work/agent0.log" 2>&1 &
agent_pid=$!
wait_for 10 grep -qE "reconciled in|no change:" "$work/agent0.log"
stop_agent
if [ "$(egress_id "$h1")" = "$e1" ] && [ "$(egress_id "$h2")" = "$e2" ] && [ "$(xdp_id "$h1")" = "$x1" ]; then
	pass "the daemon stopped (SIGTERM): both filters stay, same programs"
else
	fail "after SIGTERM: egress $(egress_id "$h1") $(egress_id "$h2"), xdp $(xdp_id "$h1")"
fi

# --- the egress filter removed by someone else (its clsact qdisc deleted): the daemon puts it back ---
"$agent" -c "$work/vosfp.yaml" >"$work/agent1.log" 2>&1 &
agent_pid=$!
wait_for 10 grep -qE "reconciled in|no change:" "$work/agent1.log"
tc qdisc del dev "$h1" clsact
pinned_egress() { bpftool prog show pinned "$pin/egress/$1" 2>/dev/null | sed -n 's/^\([0-9]*\):.*/\1/p'; }
egress_back() { [ -n "$(egress_id "$h1")" ] && [ "$(egress_id "$h1")" = "$(pinned_egress "$h1")" ]; }
if wait_for 10 egress_back &&
	grep -q "$h1: vosfp's egress filter (answers) is no longer attached (no filter at vosfp's TC handle): something else removed it; attaching it again" "$work/agent1.log" &&
	grep -q "reload: $h1 lost vosfp's egress filter (answers)" "$work/agent1.log"; then
	pass "clsact deleted on $h1: the daemon saw its egress filter gone and attached it again"
else
	fail "egress filter removed: '$(egress_id "$h1")' pinned '$(pinned_egress "$h1")': $(tail -n 5 "$work/agent1.log")"
fi
r0=$(stats_json | python3 -c 'import json,sys; print(json.load(sys.stdin)["answers"]["responses"])')
answer 198.19.181.6 3 "SIP/2.0 200 OK\\r\\nCall-ID: back\\r\\n\\r\\n"
json_check "j['answers']['responses'] == $r0 + 3" && pass "the filter put back reads answers: 3 responses counted" ||
	fail "after the egress filter came back: responses $r0 -> $(stats_json)"
stop_agent
e1=$(egress_id "$h1")

# --- a failure on one interface rolls back XDP and egress on all --------------------------------------
# The answers off first; then on again together with $h3, where vosfp's handle holds another
# program's filter: attaching there is refused after $h1 got its filter back.
write_config "$h1" ""
once
if [ -z "$(egress_id "$h1")" ] && [ -z "$(egress_id "$h2")" ] && [ -z "$(xdp_id "$h2")" ] &&
	[ ! -e "$pin/egress/$h1" ]; then
	pass "answers removed (and $h2 undeclared): both egress filters detached, their records gone"
else
	fail "detach: egress '$(egress_id "$h1")' '$(egress_id "$h2")': $out"
fi
cat >"$work/other.bpf.c" <<'SRC'
#include "vmlinux.h"
#include <bpf/bpf_helpers.h>
char LICENSE[] SEC("license") = "GPL";
SEC("tc") int other_filter(struct __sk_buff *skb) { return -1; }
SRC
clang -target bpf -O2 -g -I "$VOSFP_ROOT/build" -c "$work/other.bpf.c" -o "$work/other.bpf.o" ||
	{ fail "cannot build the other filter"; exit 1; }
tc qdisc add dev "$h3" clsact
tc filter add dev "$h3" egress pref 1 handle 0x5f1b bpf da obj "$work/other.bpf.o" sec tc ||
	{ fail "cannot add the other filter"; exit 1; }
write_config "$h1 $h3" "$ANSWERS"
once
if [ "$rc" -eq 1 ] && grep -q "$h3: egress (answers): a filter of program id [0-9]* holds vosfp's handle 0x5f1b priority 1: refusing to replace it" <<<"$out" &&
	grep -q "rolled back, previous state kept" <<<"$out" && [ -z "$(egress_id "$h1")" ] &&
	[ -z "$(xdp_id "$h3")" ] && [ "$(xdp_id "$h1")" = "$x1" ] && [ ! -e "$pin/egress/$h1" ]; then
	pass "egress attach failure on $h3: exit 1, named; $h1's new egress filter and $h3's XDP rolled back"
else
	fail "rollback: rc $rc, $h1 egress '$(egress_id "$h1")', $h3 xdp '$(xdp_id "$h3")': $out"
fi
if tc filter show dev "$h3" egress | grep -q "other_filter"; then
	pass "the other filter on $h3 is left alone"
else
	fail "the other filter on $h3 is gone"
fi
tc qdisc del dev "$h3" clsact

# --- new maps: the egress filter switches with the XDP program, blocks carried -----------------------
write_config "$h1" "$ANSWERS"
once
e1=$(egress_id "$h1")
write_config "$h1" "$ANSWERS
limits:
  rate_sources_max: 4096"
once
e1b=$(egress_id "$h1")
if [ "$rc" -eq 0 ] && grep -q "new maps" <<<"$out" && [ -n "$e1b" ] && [ "$e1b" != "$e1" ] &&
	grep -q "$h1: egress filter (answers) switched to the new program" <<<"$out" &&
	json_check '"198.19.181.3" in [b["source"] for b in j["auto_blocks"]]' &&
	[ "$(bpftool map show pinned "$pin/answer_peers" | sed -n 's/.*max_entries \([0-9]*\).*/\1/p')" = 4096 ]; then
	pass "rate_sources_max 65536 -> 4096: new maps, egress program $e1 -> $e1b, .3's block carried"
else
	fail "swap on new maps: egress $e1 -> $e1b: $out"
fi

# --- XDP mode changes beside the egress filter: the TC guard of the change must not take it away ----
xdp_mode_of() { ip -o link show dev "$1" | sed -n 's/.* mtu [0-9]* \(xdp[a-z]*\) .*/\1/p'; }
to_mode() {	# to_mode MODES SECTIONS: h1 declared with only these XDP modes
	write_config "$h1" "$2"
	sed -i "s/xdp_mode: \[native, generic\]/xdp_mode: [$1]/" "$work/vosfp.yaml"
}
write_config "$h1" "$ANSWERS"	# the default limits back (new maps): the mode alone changes next
once
e1=$(egress_id "$h1")
to_mode generic "$ANSWERS"
once
if [ "$rc" -eq 0 ] && [ "$(xdp_mode_of "$h1")" = xdpgeneric ] && [ "$(egress_id "$h1")" = "$e1" ]; then
	pass "native -> generic with the answer rule on: the egress filter (prog $e1) stays"
else
	fail "mode change beside the egress filter: rc=$rc mode '$(xdp_mode_of "$h1")' egress '$(egress_id "$h1")' (was $e1): $out"
fi
# The answer rule off, then on again in the same run as a mode change: the new filter is added
# after the guard is gone, whatever qdisc the guard made and removed.
to_mode generic ""
once
tc qdisc del dev "$h1" clsact 2>/dev/null	# no qdisc left: the guard makes its own
to_mode native "$ANSWERS"
once
if [ "$rc" -eq 0 ] && [ "$(xdp_mode_of "$h1")" = xdp ] && [ -n "$(egress_id "$h1")" ] &&
	grep -q "$h1: egress filter (answers) attached" <<<"$out"; then
	pass "generic -> native and the answer rule on in one run: the egress filter attached and kept"
else
	fail "mode change + egress attach: rc=$rc mode '$(xdp_mode_of "$h1")' egress '$(egress_id "$h1")': $out"
fi
write_config "$h1" "$ANSWERS"
once

# --- repeat offenders, the history kept across a restart over fresh maps --------------------------
persist="$work/auto_blocked.txt"
REPEAT="answers:
  auth_failures: 2
auto_block:
  duration_seconds: 2
  persist_file: $persist
  repeat:
    within_seconds: 600
    factor: 3
    max_seconds: 60
metrics:
  listen: 127.0.0.1:$metrics_port"
write_config "$h1" "$REPEAT"
"$agent" -c "$work/vosfp.yaml" >"$work/agent.log" 2>&1 &
agent_pid=$!
wait_for 20 grep -qE "reconciled in|no change:" "$work/agent.log" ||
	fail "the daemon did not start: $(cat "$work/agent.log")"
answer 198.19.181.6 2 "$(refused first@x)"
if wait_for 3 grep -qE "198\.19\.181\.6: auto-blocked for [12] s \(auth-failures\)$" "$work/agent.log"; then
	pass "a first block of .6: 2 s, logged"
else
	fail "first block of .6: $(cat "$work/agent.log"); $(stats_json)"
fi
history_line() { grep -qE "^198\.19\.181\.6 [0-9]+ auth-failures repeat=0$" "$persist" && [ "$(wc -l <"$persist")" -ge 1 ]; }
wait_for 5 grep -q "198.19.181.6: auto-block released (auth-failures, expired)" "$work/agent.log" &&
if wait_for 3 history_line; then
	pass "expired: released, its history kept in the persist file (repeat=0)"
else
	fail "history line: $(cat "$persist"); $(tail -3 "$work/agent.log")"
fi
# Stop, remove the maps (a reboot), start again: the history comes back from the file.
stop_agent
"$agent" --down -c "$work/vosfp.yaml" >/dev/null 2>&1
[ ! -e "$pin" ] || fail "--down left $pin"
"$agent" -c "$work/vosfp.yaml" >"$work/agent2.log" 2>&1 &
agent_pid=$!
wait_for 20 grep -qE "reconciled in|no change:" "$work/agent2.log" ||
	fail "the daemon did not restart: $(cat "$work/agent2.log")"
if wait_for 3 grep -q "restored the repeat history of 1 source" "$work/agent2.log"; then
	pass "restart over fresh maps: the repeat history restored from the persist file"
else
	fail "no history restored: $(cat "$work/agent2.log")"
fi
answer 198.19.181.6 2 "$(refused second@x)"
if wait_for 3 grep -qE "198\.19\.181\.6: auto-blocked for [56] s \(auth-failures, repeat 1\)$" "$work/agent2.log" &&
	json_check '[b["repeats"] for b in j["auto_blocks"] if b["source"] == "198.19.181.6"] == [1] and 2000 < [b["ms_left"] for b in j["auto_blocks"] if b["source"] == "198.19.181.6"][0] <= 6000'; then
	pass "blocked again within the window: a repeat, 3 x 2 = 6 s (logged, --stats --json repeats 1)"
else
	fail "repeat block: $(grep 198.19.181.6 "$work/agent2.log"); $(stats_json)"
fi
if wait_for 3 grep -qE "^198\.19\.181\.6 [0-9]+ auth-failures repeat=1$" "$persist"; then
	pass "the persist file says repeat=1"
else
	fail "persist file: $(cat "$persist")"
fi
metrics=$(python3 -c 'import sys, urllib.request
print(urllib.request.urlopen("http://127.0.0.1:%s/metrics" % sys.argv[1], timeout=5).read().decode())' "$metrics_port")
if grep -q '^vosfp_auto_blocks{reason="auth-failures"} 2$' <<<"$metrics" &&
	grep -q '^vosfp_answers_total{answer="refused"} 2$' <<<"$metrics" &&
	grep -q "^vosfp_egress_attached{interface=\"$h1\"} 1$" <<<"$metrics"; then
	pass "/metrics: vosfp_auto_blocks{reason=auth-failures} 2 (.3 restored, .6), answers refused 2, egress on $h1"
else
	fail "/metrics: $(grep -E 'auto_blocks|answers_total|egress' <<<"$metrics")"
fi
stop_agent

# --- --down removes the egress filter ----------------------------------------------------------
"$agent" --down -c "$work/vosfp.yaml" >"$work/down.log" 2>&1
if [ -z "$(egress_id "$h1")" ] && [ -z "$(xdp_id "$h1")" ] && [ ! -e "$pin" ] &&
	grep -q "$h1: egress filter (answers) detached" "$work/down.log"; then
	pass "--down: XDP and the egress filter gone, no pins left"
else
	fail "--down: egress '$(egress_id "$h1")': $(cat "$work/down.log")"
fi

exit $test_status
