#!/usr/bin/env bash
# defence_test.sh - flood defence through vosfp-agent on real frames crossing a veth (host side in
# the root namespace, where the agent runs; peer in a namespace this test creates): rate limits,
# scanner User-Agents and timed auto-blocks as the YAML declares them, retuned and switched by
# `--once` reloads that never reload the program (same XDP program id throughout).
set -uo pipefail
# shellcheck source=tests/integration/lib.sh
. "$(dirname "$(readlink -f "$0")")/lib.sh"
require_root "flood defence through vosfp-agent"

agent="$VOSFP_ROOT/build/vosfp-agent"
udp_send="$VOSFP_ROOT/build/vosfp-send"
work=$(mktemp -d /tmp/vosfp-defence-test.XXXXXX)
pin="/sys/fs/bpf/vosfp-def-$$"
ns="vosfp-def-$$" host="vdf$$h" peer="vdf$$p"

agent_pid=""
cleanup() {
	stop_agent
	"$agent" --down -c "$work/vosfp.yaml" >/dev/null 2>&1
	rm -rf "$pin" 2>/dev/null
	rm -f "/run/vosfp/vosfp${pin//\//_}.lock"
	ip link del "$host" 2>/dev/null
	cleanup_netns
	rm -rf "$work"
}
trap cleanup EXIT

stop_agent() {	# the daemon this test started, by PID; waits for it (bounded: SIGKILL after 5 s)
	[ -n "$agent_pid" ] || return 0
	kill "$agent_pid" 2>/dev/null
	for _ in $(seq 100); do kill -0 "$agent_pid" 2>/dev/null || break; sleep 0.05; done
	kill -9 "$agent_pid" 2>/dev/null
	wait "$agent_pid" 2>/dev/null
	agent_pid=""
}

start_agent() {	# start_agent LOG: the daemon on the current config, up once its first reconcile is logged
	"$agent" -c "$work/vosfp.yaml" >"$1" 2>&1 &
	agent_pid=$!
	wait_for 10 grep -qE "reconciled in|no change:" "$1"
}

new_netns "$ns" || { fail "cannot create namespace"; exit 1; }
ip link add "$host" type veth peer name "$peer" netns "$ns" || { fail "cannot create veth"; exit 1; }
ip addr add 198.18.2.1/24 dev "$host"
ip link set "$host" up
for i in $(seq 2 12); do ip -n "$ns" addr add "198.18.2.$i/24" dev "$peer"; done
ip -n "$ns" link set "$peer" up
ip -n "$ns" neigh add 198.18.2.1 lladdr "$(cat "/sys/class/net/$host/address")" dev "$peer" nud permanent

C_PASSED=2 C_RATE=5 C_AUTO=6 C_SCANNER=7

request() {	# request METHOD USER_AGENT: a SIP request as vosfp-send's TEXT (escapes expanded there)
	printf '%s sip:198.18.2.1 SIP/2.0\\r\\nVia: SIP/2.0/UDP 198.18.2.2:5060\\r\\nUser-Agent: %s\\r\\nContent-Length: 0\\r\\n\\r\\n' "$1" "$2"
}

write_config() {	# write_config DEFENCE_YAML: the base config plus the given sections
	{
		config_head "$pin" "$host"
		cat <<CFG
sip:
  stealth_options: false
allowlist:
  addresses: [198.18.2.4]
$1
CFG
	} >"$work/vosfp.yaml.tmp"
	mv "$work/vosfp.yaml.tmp" "$work/vosfp.yaml"
}

once() {	# once LABEL: apply the config; its log must say the runtime changed and nothing more
	local out
	if ! out=$("$agent" --once -c "$work/vosfp.yaml" 2>&1); then
		fail "$1: --once failed: $out"
		return
	fi
	if grep -q "runtime config updated" <<<"$out" && ! grep -qE "new maps|new program" <<<"$out"; then
		pass "$1: applied as a runtime config write"
	else
		fail "$1: unexpected reconcile: $out"
	fi
}

# burst LABEL SRC TEXT COUNT WANT_PASSED WANT_IDX WANT_COUNT: COUNT datagrams from SRC must move
# PASSED by exactly WANT_PASSED and counter WANT_IDX by exactly WANT_COUNT (bounded wait).
burst() {
	local label=$1 src=$2 text=$3 count=$4 wpass=$5 idx=$6 wcount=$7 p0 c0 dp dc
	p0=$(pinned_counter "$pin" "$C_PASSED")
	c0=$(pinned_counter "$pin" "$idx")
	ip netns exec "$ns" "$udp_send" -s "$src" 198.18.2.1 5060 "$text" "$count"
	# Every datagram is counted once it has crossed the veth: wait for all of them, bounded.
	wait_for 20 moved "$p0" "$idx" "$c0" "$((wpass + wcount))"
	dp=$(($(pinned_counter "$pin" "$C_PASSED") - p0))
	dc=$(($(pinned_counter "$pin" "$idx") - c0))
	if [ "$dp" -eq "$wpass" ] && [ "$dc" -eq "$wcount" ]; then
		pass "$label"
	else
		fail "$label: PASSED +$dp (expected +$wpass), counter $idx +$dc (expected +$wcount)"
	fi
}

moved() {	# moved PASSED0 IDX COUNTER0 N: PASSED and counter IDX moved by N together, at least
	[ $(($(pinned_counter "$pin" "$C_PASSED") - $1 + $(pinned_counter "$pin" "$2") - $3)) -ge "$4" ]
}

# slots_are N LABEL: scanner_free takes N slots.
slots_are() {
	local n
	n=$(pinned_slots_taken "$pin") || n="unreadable"
	[ "$n" = "$1" ] && pass "$2: scanner_free takes $1 slots" || fail "$2: scanner_free takes $n slots, want $1"
}

# --- rate limit and scanners on at the first start ---
write_config "rate_limit:
  rate: 0
  per_method:
    register: {rate: 1, burst: 3}
scanners: {}"
if ! out=$("$agent" --once -c "$work/vosfp.yaml" 2>&1); then
	fail "first --once: $out"
	exit 1
fi
prog=$(ip -d link show dev "$host" | sed -n 's/.*prog\/xdp id \([0-9]*\).*/\1/p' | head -n 1)
[ -n "$prog" ] || { fail "no XDP program on $host"; exit 1; }

REG=$(request REGISTER "Linphone/5.2")
burst "REGISTER burst 3 + 4 from one source: 3 passed, 4 RATE_LIMITED" 198.18.2.2 "$REG" 7 3 $C_RATE 4
burst "another source has its own bucket" 198.18.2.3 "$REG" 3 3 $C_RATE 0
burst "an allowlisted source is never limited" 198.18.2.4 "$REG" 20 20 $C_RATE 0
burst "INVITE is unlimited (rate 0)" 198.18.2.5 "$(request INVITE "Linphone/5.2")" 10 10 $C_RATE 0
burst "friendly-scanner (default token) dropped as SCANNER_DROPPED" 198.18.2.6 \
	"$(request OPTIONS "friendly-scanner")" 3 0 $C_SCANNER 3
burst "a later token in the value passes" 198.18.2.6 "$(request INVITE "Zoiper sipvicious")" 2 2 $C_SCANNER 0
slots_are 7 "the 7 default tokens"

# --- retuned: bigger burst, own token list ---
write_config "rate_limit:
  rate: 0
  per_method:
    register: {rate: 1, burst: 10}
scanners:
  user_agents: [MyScanner]"
once "retune burst 3 -> 10, tokens -> [MyScanner]"
burst "a fresh source now gets a burst of 10" 198.18.2.7 "$REG" 12 10 $C_RATE 2
burst "the new token is dropped" 198.18.2.8 "$(request REGISTER "myscanner/2.0")" 2 0 $C_SCANNER 2
burst "the replaced default token passes" 198.18.2.8 "$(request INVITE "friendly-scanner")" 2 2 $C_SCANNER 0
slots_are 1 "tokens -> [MyScanner]"

# --- auto-block: the first request over the limit blocks for 2 s, then the datapath releases ---
# REGISTER 1/s burst 2, and the first request over it blocks the source for 2 s.
SHORT_BLOCK="rate_limit:
  rate: 0
  per_method:
    register: {rate: 1, burst: 2}
auto_block:
  after_seconds: 0
  duration_seconds: 2"
write_config "$SHORT_BLOCK"
once "auto-block on"
burst "flood: 2 passed, 1 RATE_LIMITED (starts the block)" 198.18.2.9 "$REG" 3 2 $C_RATE 1
burst "while blocked, even an INVITE is AUTO_BLOCKED" 198.18.2.9 "$(request INVITE "Linphone/5.2")" 4 0 $C_AUTO 4
sleep 3	# the time under test: the block's 2 s, plus a coarse clock tick
burst "after 2 s the block has expired by itself" 198.18.2.9 "$REG" 2 2 $C_AUTO 0

# --- everything off: nothing is limited, the program is still the same ---
write_config ""
once "flood defence off"
burst "no limit with rate_limit removed" 198.18.2.10 "$REG" 15 15 $C_RATE 0
burst "no scanner check with scanners removed" 198.18.2.10 "$(request REGISTER "friendly-scanner")" 2 2 $C_SCANNER 0
slots_are 0 "scanners removed"

now=$(ip -d link show dev "$host" | sed -n 's/.*prog\/xdp id \([0-9]*\).*/\1/p' | head -n 1)
if [ "$now" = "$prog" ]; then
	pass "every reload kept the program (XDP prog id $prog)"
else
	fail "the program changed: id $prog -> $now"
fi

# --- the daemon: auto-blocks in --stats (text and JSON), logged when made and when released ---
write_config "$SHORT_BLOCK"
start_agent "$work/agent.log" || fail "the daemon did not start: $(cat "$work/agent.log")"
burst "daemon: flood from .11: 2 passed, 1 RATE_LIMITED (starts a 2 s block)" 198.18.2.11 "$REG" 3 2 $C_RATE 1
# The daemon reads the blocks once a second: it sees this one up to a tick after it began, when
# 1 or 2 s are left (rounded up), never more or less.
if wait_for 20 grep -qE "198.18.2.11: auto-blocked for [12] s \(rate limit REGISTER\)" "$work/agent.log"; then
	pass "the daemon logged the block"
else
	fail "no block logged: $(cat "$work/agent.log")"
fi
if wait_for 20 grep -q "198.18.2.11: auto-block released (rate limit REGISTER, expired)" "$work/agent.log"; then
	pass "the daemon logged the release when the block expired"
else
	fail "no release logged: $(cat "$work/agent.log")"
fi
text=$("$agent" --stats -c "$work/vosfp.yaml")
if grep -q "^Auto-blocks: 0 active$" <<<"$text"; then
	pass "--stats: no auto-block once expired"
else
	fail "--stats after expiry: $text"
fi

# --- persistence: the live blocks survive a restart over --down'd maps (a reboot) ---
persist="$work/auto_blocked.txt"
write_config "rate_limit:
  rate: 0
  per_method:
    register: {rate: 1, burst: 2}
auto_block:
  after_seconds: 0
  duration_seconds: 600
  persist_file: $persist"
# The daemon reloads (inotify) and writes the file on its next tick: no block yet, so empty.
if wait_for 20 test -f "$persist" && [ ! -s "$persist" ]; then
	pass "persist_file added by a reload: the file is written, empty"
else
	fail "persist file after the reload: $(cat "$persist" 2>&1)"
fi
t_block=$SECONDS
burst "flood from .11 again: 2 passed, 1 RATE_LIMITED (a 600 s block)" 198.18.2.11 "$REG" 3 2 $C_RATE 1
json=$("$agent" --stats --json -c "$work/vosfp.yaml")
# At least the block less what has passed since it began (a loaded host may take seconds).
least=$((600 - (SECONDS - t_block) - 1))
# The block was made with the programs' clock, which never runs ahead of CLOCK_MONOTONIC_COARSE,
# and is read with the latter: its time left is its duration less the time since, never more.
if python3 -c 'import json,sys
j = json.loads(sys.argv[1]); b = j["auto_blocks"]
assert j["dynamic_blocks"] == 1 and len(b) == 1, j
assert b[0]["source"] == "198.18.2.11" and b[0]["reason"] == "rate limit REGISTER", b
least = int(sys.argv[2])
assert (least - 1) * 1000 <= b[0]["ms_left"] <= 600000 and least <= b[0]["seconds_left"] <= 600, b' "$json" "$least"; then
	pass "--stats --json: one auto-block, 198.18.2.11, rate limit REGISTER, $least-600 s left of 600"
else
	fail "--stats --json auto-blocks: $json"
fi
text=$("$agent" --stats -c "$work/vosfp.yaml")
if grep -q "^Auto-blocks: 1 active$" <<<"$text" &&
	left=$(sed -n 's/^  198\.18\.2\.11 \+rate limit REGISTER \+\([0-9]\+\)$/\1/p' <<<"$text") &&
	[ -n "$left" ] && [ "$left" -ge "$((600 - (SECONDS - t_block) - 1))" ] && [ "$left" -le 600 ]; then
	pass "--stats lists the auto-block with its reason and time left"
else
	fail "--stats auto-blocks: $text"
fi
line_of_11() { grep -E "^198\.18\.2\.11 [0-9]+ rate limit REGISTER$" "$persist"; }
if wait_for 20 grep -qE "198.18.2.11: auto-blocked for (599|600) s \\(rate limit REGISTER\\)" "$work/agent.log" &&
	wait_for 20 line_of_11; then
	expiry=$(line_of_11 | cut -d' ' -f2)
	left=$((expiry - $(date +%s)))
	if [ "$left" -ge "$((600 - (SECONDS - t_block) - 1))" ] && [ "$left" -le 600 ]; then
		pass "logged and persisted: 198.18.2.11 until now + $left s"
	else
		fail "persisted expiry is now + $left s (expected 600 less the $((SECONDS - t_block)) s since the block)"
	fi
else
	fail "block not logged or not persisted: $(cat "$persist"; tail -5 "$work/agent.log")"
	expiry=0
fi
stop_agent
"$agent" --down -c "$work/vosfp.yaml" >/dev/null 2>&1 || fail "--down failed"
[ ! -e "$pin/auto_blocked" ] || fail "--down left the auto_blocked map"
# An expired entry and a malformed line, as a crash or a hand edit could leave them.
printf '198.18.2.12 %s rate limit INVITE\n198.18.2.13 soon rate limit REGISTER\n' "$(($(date +%s) - 5))" >>"$persist"
start_agent "$work/agent2.log" || fail "the daemon did not restart: $(cat "$work/agent2.log")"
json=$("$agent" --stats --json -c "$work/vosfp.yaml")
want_left=$((expiry - $(date +%s)))
if python3 -c 'import json,sys
j = json.loads(sys.argv[1]); b = j["auto_blocks"]; want = int(sys.argv[2])
assert j["dynamic_blocks"] == 1 and len(b) == 1, j
assert b[0]["source"] == "198.18.2.11" and b[0]["reason"] == "rate limit REGISTER", b
assert want - 1 <= b[0]["seconds_left"] <= want + 1, (b, want)' "$json" "$want_left"; then
	pass "restarted over fresh maps: 198.18.2.11 blocked again with its ${want_left} s left (±1 s), the expired entry not restored"
else
	fail "after the restart (want ${want_left} s left): $json"
fi
if grep -q "$persist:3: expected ADDRESS EXPIRY_UNIX_SECONDS REASON; line skipped" "$work/agent2.log"; then
	pass "a malformed line is logged with file:line and skipped"
else
	fail "bad line: $(cat "$work/agent2.log")"
fi
if grep -q "auto-block: restored 1 of 1 live entry from $persist" "$work/agent2.log"; then
	pass "the restore is logged"
else
	fail "restore log: $(cat "$work/agent2.log")"
fi
burst "the restored block drops .11's INVITEs as AUTO_BLOCKED" 198.18.2.11 "$(request INVITE "Linphone/5.2")" 3 0 $C_AUTO 3

# --- limits for the defence maps: a new size makes new maps, the live auto-blocks move along ---
write_config "limits:
  rate_sources_max: 4096
  auto_block_max: 2048
rate_limit:
  rate: 0
  per_method:
    register: {rate: 1, burst: 2}
auto_block:
  after_seconds: 0
  duration_seconds: 600
  persist_file: $persist"
max_entries() { "$BPFTOOL" map show pinned "$pin/$1" | sed -n 's/.*max_entries \([0-9]*\).*/\1/p'; }
resized() { [ "$(max_entries auto_blocked)" = 2048 ] && [ "$(max_entries rate_state)" = 4096 ]; }
if wait_for 10 resized; then
	pass "limits: auto_blocked holds 2048, rate_state 4096 after the reload"
else
	fail "sizes after the reload: auto_blocked $(max_entries auto_blocked), rate_state $(max_entries rate_state): $(tail -5 "$work/agent2.log")"
fi
if grep -q "auto-block: 1 of 1 live entry carried over to the new maps" "$work/agent2.log" &&
	grep -q "198.18.2.11" <<<"$("$agent" --stats -c "$work/vosfp.yaml")"; then
	pass "the live auto-block was carried over to the new maps"
else
	fail "carry-over: $(tail -5 "$work/agent2.log")"
fi
burst "after the resize .11 is still AUTO_BLOCKED" 198.18.2.11 "$(request INVITE "Linphone/5.2")" 2 0 $C_AUTO 2
stop_agent
exit "$test_status"
