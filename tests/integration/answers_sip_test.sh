#!/usr/bin/env bash
# answers_sip_test.sh - the answer rule against real attack tools and real phones. Debian's
# Kamailio (tests/integration/answers_kamailio.cfg: users 1000-1019 with digest authentication,
# everyone else 404) listens on the host side of a veth, behind vosfp-agent's XDP filter and its
# egress filter; sipvicious (Debian's svcrack and svwar) and sipp run in a namespace this test
# creates, each from an address of its own (198.19.180.10-15), so Kamailio's log and the counters
# tell them apart:
#  - 20 phones behind one address register at once (sipp, digest authentication: 20 sipp
#    processes, 20 ports, as behind a NAT) and a phone mistypes its password once: never
#    blocked, every registration answered;
#  - svcrack and svwar from a copy whose User-Agent is an ordinary phone's, throttled below the
#    rate limit (scanner list and rate limit on): only the answer rule stops them, svcrack after
#    exactly auth_failures password attempts reached Kamailio, svwar after exactly not_found
#    "404 Not Found" answers;
#  - svcrack and svwar as shipped (User-Agent friendly-scanner, no throttle) against the answer
#    rule alone: blocked within a stated number of attempts.
# Exact counters throughout: what Kamailio says it received from a source equals what XDP passed
# from it, and what Kamailio says it answered equals what the egress filter read.
# shellcheck disable=SC2317 # cleanup runs from the EXIT trap, the predicates from wait_for
set -uo pipefail
# shellcheck source=tests/integration/lib.sh
. "$(dirname "$(readlink -f "$0")")/lib.sh"
require_root "sipvicious and sipp against Kamailio behind the answer rule"
for tool in sipp kamailio svcrack svwar python3; do
	command -v "$tool" >/dev/null || { echo "SKIP: $tool not installed (scripts/install-deps.sh installs it)"; exit 0; }
done

agent="$VOSFP_ROOT/build/vosfp-agent"
here="$VOSFP_ROOT/tests/integration"
work=$(mktemp -d /tmp/vosfp-answers-sip.XXXXXX)
pin="/sys/fs/bpf/vosfp-answers-sip-$$"
ns="vosfp-anssip-$$" host="vas$$h" peer="vas$$p"
server=198.19.180.1
PHONES=198.19.180.10 MISTYPE=198.19.180.11 CRACK=198.19.180.12 WAR=198.19.180.13
CRACK_PHONE=198.19.180.14 WAR_PHONE=198.19.180.15
N=5 M=10		# auth_failures, not_found
PHONE_UA="Yealink SIP-T46S 66.86.0.15"
C_PASSED=2 C_RATE=5 C_AUTO=6 C_SCANNER=7
kam_pid=""

cleanup() {
	stop_pid "$kam_pid"
	remove_agent_state "$work/vosfp.yaml" "$pin"
	ip link del "$host" 2>/dev/null
	cleanup_netns
	rm -rf "$work"
}
trap cleanup EXIT

new_netns "$ns" || { fail "cannot create namespace"; exit 1; }
ip link add "$host" type veth peer name "$peer" netns "$ns" || { fail "cannot create veth"; exit 1; }
ip addr add "$server/24" dev "$host"
ip link set "$host" up
ip -n "$ns" link set "$peer" up
ip -n "$ns" neigh add "$server" lladdr "$(cat "/sys/class/net/$host/address")" dev "$peer" nud permanent
peer_mac=$(ip -n "$ns" -o link show dev "$peer" | sed -n 's/.*link\/ether \([0-9a-f:]*\).*/\1/p')
for src in $PHONES $MISTYPE $CRACK $WAR $CRACK_PHONE $WAR_PHONE; do
	ip -n "$ns" addr add "$src/24" dev "$peer"
	ip neigh add "$src" lladdr "$peer_mac" dev "$host" nud permanent
done

# The answer rule: N auth failures or M not-found answers in a minute block for 10 minutes.
ANSWERS="answers:
  auth_failures: $N
  not_found: $M"
# Phones and the throttled copies: the scanner list and a REGISTER limit that 20 phones
# registering at once (40 REGISTERs) stay under, and a tool sending 2 a second too.
DEFENCE="rate_limit:
  rate: 0
  per_method:
    register: {rate: 10, burst: 60}
scanners: {}
$ANSWERS"
write_config() {
	{
		config_head "$pin" "$host"
		printf '%s\n' "$1"
	} >"$work/vosfp.yaml.tmp"
	mv "$work/vosfp.yaml.tmp" "$work/vosfp.yaml"
	if ! out=$("$agent" --once -c "$work/vosfp.yaml" 2>&1); then
		fail "vosfp-agent --once: $out"
		exit 1
	fi
}
write_config "$DEFENCE"
if tc filter show dev "$host" egress | grep -q "handle 0x5f1b sip_answers"; then
	pass "vosfp-agent: XDP and the egress filter on $host (rate limit, scanners, answers: $N auth failures, $M not found)"
else
	fail "no egress filter on $host: $(tc filter show dev "$host" egress)"
fi

# shellcheck source=scripts/kamailio_lib.sh
. "$VOSFP_ROOT/scripts/kamailio_lib.sh"
kamailio_args "$work" "$here/answers_kamailio.cfg" "udp:$server:5060" || { fail "cannot create $work/kamailio"; exit 1; }
kamailio "${KAM_ARGS[@]}" -DD -E >"$work/kamailio.log" 2>&1 &
kam_pid=$!
# Up once it answers: an unknown user gets its 404 (a source of its own, not counted below).
ip -n "$ns" addr add 198.19.180.99/24 dev "$peer"
ip neigh add 198.19.180.99 lladdr "$peer_mac" dev "$host" nud permanent
probe() {
	ip netns exec "$ns" "$VOSFP_ROOT/build/vosfp-send" -s 198.19.180.99 "$server" 5060 \
		'REGISTER sip:198.19.180.1 SIP/2.0\r\nVia: SIP/2.0/UDP 198.19.180.99:5099;branch=z9hG4bKprobe\r\nFrom: <sip:probe@198.19.180.1>;tag=p\r\nTo: <sip:probe@198.19.180.1>\r\nCall-ID: probe@x\r\nCSeq: 1 REGISTER\r\nContent-Length: 0\r\n\r\n' 1
	grep -q "answer 404 to 198.19.180.99" "$work/kamailio.log"
}
wait_for 15 probe || { fail "Kamailio did not come up: $(tail -5 "$work/kamailio.log")"; exit 1; }

# --- what each source did, from Kamailio's log and the datapath's counters --------------------------
received() { grep -c "vosfp-answers: REGISTER [0-9]* from $1:[0-9]* credentials ${2:-}" "$work/kamailio.log"; }
answered() { grep -c "vosfp-answers: answer $2 to $1\$" "$work/kamailio.log"; }
snapshot() {	# snapshot: the counters now, into the variables x_* (XDP) and a_* (egress)
	local j
	j=$("$agent" --stats --json -c "$work/vosfp.yaml")
	x_passed=$(pinned_counter "$pin" $C_PASSED) x_rate=$(pinned_counter "$pin" $C_RATE)
	x_auto=$(pinned_counter "$pin" $C_AUTO) x_scanner=$(pinned_counter "$pin" $C_SCANNER)
	read -r a_responses a_challenges a_failures < <(python3 -c 'import json,sys
a = json.loads(sys.argv[1])["answers"]
print(a["responses"], a["challenges"], a["auth_failures"])' "$j")
}
block_of() {	# block_of SRC: the reason of SRC's auto-block, empty if none
	"$agent" --stats --json -c "$work/vosfp.yaml" | python3 -c 'import json,sys
print({b["source"]: b["reason"] for b in json.load(sys.stdin)["auto_blocks"]}.get(sys.argv[1], ""))' "$1"
}
# exact SRC LABEL: what Kamailio got from SRC is what XDP passed since the last snapshot (only
# SRC sends in a phase), and what it answered SRC is what the egress filter read.
passed_since() { echo $(($(pinned_counter "$pin" "$C_PASSED") - $1)); }
caught_up() { [ "$(received "$1")" -eq "$(passed_since "$2")" ]; }
exact() {
	local got sent p0=$x_passed r0=$a_responses
	wait_for 3 caught_up "$1" "$p0"
	snapshot
	got=$(received "$1") sent=$(grep -c "vosfp-answers: answer [0-9]* to $1\$" "$work/kamailio.log")
	if [ "$got" -eq $((x_passed - p0)) ] && [ "$sent" -eq $((a_responses - r0)) ]; then
		pass "$2: Kamailio received $got REGISTERs from $1 = XDP passed; answered $sent = the egress filter read"
	else
		fail "$2: Kamailio received $got (XDP passed $((x_passed - p0))), answered $sent (egress read $((a_responses - r0)))"
	fi
}

# --- 20 phones behind one address register at once ----------------------------------------------
snapshot
pids=()
for i in $(seq 0 19); do
	ip netns exec "$ns" timeout 30 sipp -sf "$here/answers_register.xml" -s $((1000 + i)) -au $((1000 + i)) \
		-ap vosfp-answers-secret -m 1 -i "$PHONES" -p $((5100 + i)) "$server:5060" -nostdin \
		-trace_err -error_file "$work/phone$i.err" >"$work/phone$i.out" 2>&1 &
	pids+=($!)
done
ok=0
for pid in "${pids[@]}"; do wait "$pid" && ok=$((ok + 1)); done
f0=$a_failures c0=$a_challenges
if [ "$ok" -eq 20 ] && [ "$(answered "$PHONES" 200)" -eq 20 ] && [ "$(answered "$PHONES" 401)" -eq 20 ]; then
	pass "20 phones from $PHONES, all at once: every registration answered 200 (after 20 challenges)"
else
	fail "phones: $ok of 20 sipp runs succeeded; Kamailio: $(answered "$PHONES" 200) x 200, $(answered "$PHONES" 401) x 401"
fi
exact "$PHONES" "phones"
if [ -z "$(block_of "$PHONES")" ] && [ $((a_failures - f0)) -eq 0 ] && [ $((a_challenges - c0)) -eq 20 ]; then
	pass "phones: 20 challenges read, 0 auth failures counted, not blocked"
else
	fail "phones: block '$(block_of "$PHONES")', failures +$((a_failures - f0)), challenges +$((a_challenges - c0))"
fi

# --- a phone mistypes its password once ---------------------------------------------------------------
f0=$a_failures
if ip netns exec "$ns" timeout 30 sipp -sf "$here/answers_mistype.xml" -s 1019 -au 1019 -ap vosfp-answers-secret \
	-m 1 -i "$MISTYPE" -p 5200 "$server:5060" -nostdin >"$work/mistype.out" 2>&1 &&
	[ "$(answered "$MISTYPE" 401)" -eq 2 ] && [ "$(answered "$MISTYPE" 200)" -eq 1 ]; then
	pass "one wrong password, then the right one: 401, 401, 200"
else
	fail "mistype: $(tail -5 "$work/mistype.out")"
fi
exact "$MISTYPE" "mistype"
if [ -z "$(block_of "$MISTYPE")" ] && [ $((a_failures - f0)) -eq 1 ]; then
	pass "mistype: one auth failure counted, not blocked"
else
	fail "mistype: block '$(block_of "$MISTYPE")', failures +$((a_failures - f0))"
fi

# --- svcrack and svwar with a phone's User-Agent, throttled below the rate limit -----------------------
cp -r /usr/share/sipvicious/sipvicious "$work/sv" || { fail "cannot copy sipvicious"; exit 1; }
mkdir -p "$work/py" && mv "$work/sv" "$work/py/sipvicious"
sed -i "s/useragent='friendly-scanner'/useragent='$PHONE_UA'/" "$work/py/sipvicious/libs/svhelper.py"
grep -q "useragent='$PHONE_UA'" "$work/py/sipvicious/libs/svhelper.py" || { fail "the User-Agent was not replaced"; exit 1; }
for i in $(seq 1 40); do echo "guess$i"; done >"$work/passwords.txt"
# The tools ignore their -b (svcrack and svwar 0.3.3 never hand it to the socket): each sends from
# the address the namespace's route to the server prefers, set before each run.
from_source() { ip -n "$ns" route replace "$server/32" dev "$peer" src "$1"; }
sv() {	# sv TOOL ARGS...: the copy, in the namespace, bounded
	local tool=$1
	shift
	ip netns exec "$ns" env HOME="$work" PYTHONPATH="$work/py" timeout 60 python3 -m "sipvicious.$tool" "$@"
}

snapshot
# only_answers LABEL: since s0 rl0 a0, neither the scanner list nor the rate limit dropped
# anything; the answer rule's block did (the tool went on after it).
only_answers() {
	if [ "$x_scanner" -eq "$s0" ] && [ "$x_rate" -eq "$rl0" ] && [ "$x_auto" -gt "$a0" ]; then
		pass "$1: no scanner drop, no rate limit; its $((x_auto - a0)) later REGISTERs AUTO_BLOCKED"
	else
		fail "$1: SCANNER_DROPPED +$((x_scanner - s0)), RATE_LIMITED +$((x_rate - rl0)), AUTO_BLOCKED +$((x_auto - a0))"
	fi
}
s0=$x_scanner rl0=$x_rate a0=$x_auto
from_source "$CRACK_PHONE"
sv svcrack -u 1000 -d "$work/passwords.txt" -p 5060 -t 0.5 --maximumtime 3 "$server" >"$work/crack_phone.out" 2>&1
tries=$(received "$CRACK_PHONE" yes)
if [ "$tries" -eq "$N" ] && [ "$(block_of "$CRACK_PHONE")" = auth-failures ] &&
	[ "$(grep -c "from $CRACK_PHONE:.* ua $PHONE_UA\$" "$work/kamailio.log")" -eq "$(received "$CRACK_PHONE")" ]; then
	pass "svcrack as a phone (2 tries/s): auto-blocked (auth-failures) after exactly $N password attempts reached Kamailio"
else
	fail "svcrack as a phone: $tries password attempts reached Kamailio (expected $N), block '$(block_of "$CRACK_PHONE")'"
fi
exact "$CRACK_PHONE" "svcrack as a phone"
only_answers "svcrack as a phone"

s0=$x_scanner rl0=$x_rate a0=$x_auto
from_source "$WAR_PHONE"
sv svwar -e 1017-1060 -p 5060 -t 0.5 --maximumtime 3 "$server" >"$work/war_phone.out" 2>&1
nf=$(answered "$WAR_PHONE" 404)
if [ "$nf" -eq "$M" ] && [ "$(block_of "$WAR_PHONE")" = enumeration ]; then
	pass "svwar as a phone (2 requests/s): auto-blocked (enumeration) after exactly $M '404 Not Found' answers"
else
	fail "svwar as a phone: $nf 404s (expected $M), block '$(block_of "$WAR_PHONE")'"
fi
exact "$WAR_PHONE" "svwar as a phone"
only_answers "svwar as a phone"

# --- svcrack and svwar as shipped, against the answer rule alone ------------------------------------
# Unthrottled, a tool sends its next request 5 ms after the last answer or without one: a request
# in flight when the block is made still reaches Kamailio. Hence "within": N (M) plus at most 3.
write_config "$ANSWERS"
snapshot
shipped() { ip netns exec "$ns" env HOME="$work" timeout 60 "$@"; }
from_source "$CRACK"
shipped svcrack -u 1001 -d "$work/passwords.txt" -p 5060 --maximumtime 3 "$server" >"$work/crack.out" 2>&1
tries=$(received "$CRACK" yes)
if [ "$tries" -ge "$N" ] && [ "$tries" -le $((N + 3)) ] && [ "$(block_of "$CRACK")" = auth-failures ] &&
	[ "$(grep -c "from $CRACK:.* ua friendly-scanner\$" "$work/kamailio.log")" -eq "$(received "$CRACK")" ]; then
	pass "svcrack (friendly-scanner, no throttle): auto-blocked (auth-failures) within $N + 3 password attempts ($tries reached Kamailio)"
else
	fail "svcrack: $tries password attempts reached Kamailio (expected $N to $((N + 3))), block '$(block_of "$CRACK")'"
fi
exact "$CRACK" "svcrack"
from_source "$WAR"
shipped svwar -e 1017-1100 -p 5060 --maximumtime 3 "$server" >"$work/war.out" 2>&1
nf=$(answered "$WAR" 404)
if [ "$nf" -ge "$M" ] && [ "$nf" -le $((M + 3)) ] && [ "$(block_of "$WAR")" = enumeration ]; then
	pass "svwar (friendly-scanner, no throttle): auto-blocked (enumeration) within $M + 3 '404 Not Found' answers ($nf)"
else
	fail "svwar: $nf 404s (expected $M to $((M + 3))), block '$(block_of "$WAR")'"
fi
exact "$WAR" "svwar"

# The phones' address and the mistyping phone's are still welcome.
if [ -z "$(block_of "$PHONES")" ] && [ -z "$(block_of "$MISTYPE")" ]; then
	pass "no auto-block on the phones' addresses at the end"
else
	fail "a phone's address is blocked: $("$agent" --stats -c "$work/vosfp.yaml" | sed -n '/^Auto-blocks/,$p')"
fi
exit $test_status
