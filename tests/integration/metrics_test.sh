#!/usr/bin/env bash
# metrics_test.sh - the agent's observability against the real kernel: the real daemon on two veth
# host sides in the root namespace (peers in namespaces of this test, 198.18.50.0/24 and
# 198.18.51.0/24), exact numbers of frames of several verdicts on each, then: a scrape of
# GET /metrics passes `promtool check metrics`; per-interface packets and bytes are exact; the scrape
# equals `vosfp-agent --stats --json`; malformed, oversized, wrong-path and wrong-method requests
# get their 4xx and the agent keeps serving; slow clients (silent, a byte a second, a byte every 50 ms) do not delay a
# reconcile and are dropped at their deadline; reload statistics; the endpoint follows a reload to
# [::1]; per-interface counts survive a restart; pins of the previous object version upgrade with
# no filtering gap; the Grafana dashboard's expressions name only metrics a real scrape has.
# Its own pin path, lock, namespaces, veths and processes, all removed however it exits.
# shellcheck disable=SC2015,SC2317 # "check && pass || fail" lines; helpers called through wait_for
set -uo pipefail
# shellcheck source=tests/integration/lib.sh
. "$(dirname "$(readlink -f "$0")")/lib.sh"
require_root "metrics endpoint"

agent="$VOSFP_ROOT/build/vosfp-agent"
udp_send="$VOSFP_ROOT/build/vosfp-send"
client="$VOSFP_ROOT/tests/lib/metrics_client.py"
dashboard="$VOSFP_ROOT/deploy/grafana/vosfp-dashboard.json"
prom_config="$VOSFP_ROOT/deploy/grafana/prometheus.yml"
work=$(mktemp -d /tmp/vosfp-metrics-test.XXXXXX)
pin=/sys/fs/bpf/vosfp-metrics-test
ns1="vosfp-met1-$$" ns2="vosfp-met2-$$"
h1="vmet$$a" p1="vmet$$b" h2="vmet$$c" p2="vmet$$d"
config="$work/vosfp.yaml" blocked="$work/blocked.txt"
daemon_pid="" bg_pids=()

cleanup() {
	local p
	for p in "${bg_pids[@]}" $daemon_pid; do
		kill "$p" 2>/dev/null
		wait "$p" 2>/dev/null
	done
	remove_agent_state "$config" "$pin"
	ip link del "$h1" 2>/dev/null
	ip link del "$h2" 2>/dev/null
	cleanup_netns
	rm -rf "$work"
}
trap cleanup EXIT
trap 'exit 130' INT
trap 'exit 143' TERM	# bash runs the EXIT trap on a signal only through exit
[ -n "${VOSFP_KEEP_LOG:-}" ] && trap 'cp "$work/agent.log" /tmp/metrics-test-agent.log; cleanup' EXIT

for tool in promtool python3; do
	command -v "$tool" >/dev/null || { fail "$tool is not installed (scripts/install-deps.sh installs it)"; exit 1; }
done
[ ! -e "$pin" ] || { fail "$pin exists: another run of this test, or one that crashed (vosfp-agent --down)"; exit 1; }

# --- two veths into two namespaces; the host sides have no address (no route in the root namespace
# can clash with another test's): frames reach XDP through a static neighbour entry in the peer.
veth() {	# veth NS HOST PEER NET: peer addresses NET.2-.5, the host side as NET.1
	local ns=$1 host=$2 peer=$3 net=$4 i
	new_netns "$ns" && ip link add "$host" type veth peer name "$peer" netns "$ns" || return 1
	ip link set "$host" up
	for i in 2 3 4 5; do ip -n "$ns" addr add "$net.$i/24" dev "$peer"; done
	ip -n "$ns" link set "$peer" up
	ip -n "$ns" neigh add "$net.1" lladdr "$(cat "/sys/class/net/$host/address")" dev "$peer" nud permanent
}
veth "$ns1" "$h1" "$p1" 198.18.50 && veth "$ns2" "$h2" "$p2" 198.18.51 || { fail "cannot create the veths"; exit 1; }

port=$(python3 "$client" free-port)
# write_config [LISTEN [OBJECT]]: the test's config, written atomically (the daemon watches it).
write_config() {
	cat >"$config.tmp" <<CFG
version: 1
pin_path: $pin
bpf_object: ${2:-$VOSFP_ROOT/build/sip_logic.bpf.o}
interfaces:
  - name: $h1
    xdp_mode: [native, generic]
  - name: $h2
    xdp_mode: [native, generic]
allowlist:
  addresses: [198.18.50.4]
blocklist:
  files: [$blocked]
metrics:
  listen: "${1:-127.0.0.1:$port}"
CFG
	mv "$config.tmp" "$config"
}
# set_blocked LINES...: the blocklist file, replaced atomically.
set_blocked() {
	printf '%s\n' "# metrics test" "$@" >"$blocked.tmp" && mv "$blocked.tmp" "$blocked"
}
set_blocked 198.18.50.3 198.18.51.3 2001:db8::/32
write_config

REG='REGISTER sip:198.18.50.1 SIP/2.0\r\nVia: SIP/2.0/UDP 198.18.50.2:5060\r\nContent-Length: 0\r\n\r\n'
OPT='OPTIONS sip:198.18.50.1 SIP/2.0\r\nVia: SIP/2.0/UDP 198.18.50.2:5060\r\nContent-Length: 0\r\n\r\n'
JUNK='this is not SIP, only bytes on port 5060\r\n'
# Ethernet 14 + IPv4 20 + UDP 8 + payload: what XDP sees of a frame on a veth (no padding, no FCS).
bytes_of() { echo $((42 + $(printf '%b' "$1" | wc -c))); }

# send NS SRC TEXT COUNT: COUNT datagrams to the host side's address on port 5060.
send() {
	local dst=198.18.50.1
	[ "$1" = "$ns2" ] && dst=198.18.51.1
	ip netns exec "$1" "$udp_send" -s "$2" "$dst" 5060 "$3" "$4"
}
handled() { "$agent" --stats --json -c "$config" 2>/dev/null | python3 -c 'import json,sys; print(json.load(sys.stdin)["handled"])'; }
handled_is() { [ "$(handled)" = "$1" ]; }
scrape() { python3 "$client" scrape "${2:-127.0.0.1:$port}" "$1" >"$work/scrape.err"; }
# value FILE NAME LABEL=VALUE...: one sample of a scrape, as an integer ("missing" if absent).
value() { python3 "$client" value "$@"; }
# expect LABEL FILE NAME LABELS... = N: the sample is exactly N.
expect() {
	local label=$1 got want=${*: -1}
	got=$(value "$2" "${@:3:$#-4}")
	[ "$got" = "$want" ] && pass "$label" || fail "$label: $got, expected $want"
}
metric_is() {	# metric_is NAME LABELS... N: a fresh scrape shows exactly N
	scrape "$work/poll.txt" && [ "$(value "$work/poll.txt" "${@:1:$#-1}")" = "${*: -1}" ]
}
counter_is() { [ "$(pinned_counter "$pin" "$1")" = "$2" ]; }
# json_passed IFACE N: --stats --json says IFACE passed exactly N packets.
json_passed() {
	[ "$("$agent" --stats --json -c "$config" 2>/dev/null | python3 -c 'import json, sys
print([i["packets"]["passed"] for i in json.load(sys.stdin)["interfaces"] if i["name"] == sys.argv[1]])' "$1")" = "[$2]" ]
}
prog_on() { ip -d link show dev "$1" | sed -n 's/.*prog\/xdp id \([0-9]*\).*/\1/p' | head -n 1; }

# --- start the daemon, wait for the endpoint -----------------------------------------------------
started=$(date +%s)
"$agent" -v -c "$config" 2>"$work/agent.log" &
daemon_pid=$!
if wait_for 15 scrape "$work/first.txt"; then
	pass "the agent serves GET /metrics on 127.0.0.1:$port after its first reconcile"
else
	fail "no scrape within 15 s: $(cat "$work/scrape.err"); log: $(cat "$work/agent.log")"
	exit 1
fi

# --- exact traffic on each interface ---------------------------------------------------------------
send "$ns1" 198.18.50.2 "$REG" 5	# passed
send "$ns1" 198.18.50.4 "$OPT" 1	# allowlisted OPTIONS: passed
send "$ns1" 198.18.50.2 "$OPT" 3	# options_dropped
send "$ns1" 198.18.50.2 "$JUNK" 2	# malformed
send "$ns1" 198.18.50.3 "$REG" 4	# blocked
send "$ns2" 198.18.51.2 "$REG" 7	# passed
send "$ns2" 198.18.51.2 "$OPT" 1	# options_dropped
send "$ns2" 198.18.51.3 "$REG" 6	# blocked
wait_for 5 handled_is 29 && pass "29 frames counted" || fail "handled $(handled), expected 29"

scrape "$work/s1.txt" && pass "scrape after traffic: 200, text/plain; version=0.0.4" ||
	fail "scrape after traffic: $(cat "$work/scrape.err")"
"$agent" --stats --json -c "$config" >"$work/s1.json" 2>"$work/stats.err"
out=$(promtool check metrics <"$work/s1.txt" 2>&1) && [ -z "$out" ] && pass "promtool check metrics: the scrape is clean" || fail "promtool check metrics: $out"

reg=$(bytes_of "$REG") opt=$(bytes_of "$OPT") junk=$(bytes_of "$JUNK")
# interface verdict action packets bytes
while read -r ifc verdict action n b; do
	expect "$ifc $verdict: $n packets" "$work/s1.txt" vosfp_packets_total "interface=$ifc" "verdict=$verdict" "action=$action" = "$n"
	expect "$ifc $verdict: $b bytes" "$work/s1.txt" vosfp_bytes_total "interface=$ifc" "verdict=$verdict" "action=$action" = "$b"
done <<EXPECT
$h1 passed pass 6 $((5 * reg + opt))
$h1 options_dropped drop 3 $((3 * opt))
$h1 malformed drop 2 $((2 * junk))
$h1 blocked drop 4 $((4 * reg))
$h1 redirected redirect 0 0
$h2 passed pass 7 $((7 * reg))
$h2 options_dropped drop 1 $opt
$h2 malformed drop 0 0
$h2 blocked drop 6 $((6 * reg))
:other passed pass 0 0
:other blocked drop 0 0
EXPECT
while read -r verdict action n; do
	expect "all interfaces $verdict: $n" "$work/s1.txt" vosfp_datapath_packets_total "verdict=$verdict" "action=$action" = "$n"
done <<EXPECT
passed pass 13
options_dropped drop 4
malformed drop 2
blocked drop 10
redirected redirect 0
EXPECT
while read -r list family n; do
	expect "$list $family entries: $n" "$work/s1.txt" vosfp_list_entries "list=$list" "family=$family" = "$n"
done <<EXPECT
blocklist ipv4 2
blocklist ipv6 1
allowlist ipv4 1
allowlist ipv6 0
EXPECT
for ifc in "$h1" "$h2"; do
	expect "$ifc: vosfp_xdp_mode native" "$work/s1.txt" vosfp_xdp_mode "interface=$ifc" mode=native = 1
done
expect "dynamic blocks: 0 (no auto-block in this test)" "$work/s1.txt" vosfp_dynamic_blocks = 0
expect "reloads ok: 1 (the start)" "$work/s1.txt" vosfp_reloads_total result=ok = 1
expect "reloads failed: 0" "$work/s1.txt" vosfp_reloads_total result=failed = 0
expect "config generation 1" "$work/s1.txt" vosfp_config_generation = 1
expect "last reload succeeded" "$work/s1.txt" vosfp_last_reload_success = 1
ts=$(value "$work/s1.txt" vosfp_last_reload_timestamp_seconds)
[ "$ts" -ge "$started" ] && [ "$ts" -le "$(date +%s)" ] && pass "last reload timestamp is the start's" ||
	fail "last reload timestamp $ts, started $started"
d=$(sed -n 's/^vosfp_last_reload_duration_seconds \([0-9]*\.[0-9]\{6\}\)$/\1/p' "$work/s1.txt")
[ -n "$d" ] && awk -v d="$d" 'BEGIN { exit !(d > 0 && d < 60) }' && pass "last reload duration in seconds ($d)" ||
	fail "duration: $(grep duration_seconds "$work/s1.txt")"

diffs=$(python3 "$client" equal "$work/s1.txt" "$work/s1.json") && pass "every figure of --stats --json equals the scrape's" || fail "scrape vs --stats --json: $diffs"
text=$("$agent" --stats -c "$config" 2>/dev/null)
grep -qx "Passed to stack: 13" <<<"$text" && grep -qE "^  $h1 +native +3 / $((3 * opt)) +0 / 0 +6 / " <<<"$text" &&
	pass "--stats: the seed's lines, then a line per interface" || fail "--stats: $text"

# --- the dashboard and the scrape example ------------------------------------------------------------
if python3 -m json.tool "$dashboard" >/dev/null 2>&1; then
	pass "deploy/grafana: the dashboard is valid JSON"
	used=$(python3 "$client" dashboard-names "$dashboard") have=$(python3 "$client" scrape-names "$work/s1.txt")
	missing=$(comm -23 <(sort <<<"$used") <(sort <<<"$have"))
	[ -n "$used" ] && [ -z "$missing" ] && pass "every metric the dashboard queries ($(wc -l <<<"$used")) is in a real scrape" ||
		fail "dashboard metrics missing from the scrape: ${missing:-none queried}"
else
	fail "deploy/grafana: $dashboard is not valid JSON"
fi
python3 "$client" dashboard-rules "$dashboard" "$work/dashboard-rules.yml" &&
	out=$(promtool check rules "$work/dashboard-rules.yml" 2>&1) &&
	pass "promtool parses every dashboard expression as PromQL" || fail "dashboard expressions: $out"
out=$(promtool check config "$prom_config" 2>&1) && pass "promtool check config: deploy/grafana/prometheus.yml" ||
	fail "promtool check config: $out"

# --- bad requests: the right error, and the agent keeps serving ----------------------------------------
while IFS='|' read -r label request status; do
	got=$(python3 "$client" raw "$port" "$request")
	[ "$got" = "HTTP/1.1 $status" ] && pass "$label: $status" || fail "$label: '$got', expected $status"
done <<EXPECT
malformed request line|garbage\r\n\r\n|400 Bad Request
binary bytes|\x00\x01\x02\x03\r\n\r\n|400 Bad Request
a body|GET /metrics HTTP/1.1\r\nContent-Length: 3\r\n\r\nabc|400 Bad Request
oversized request (5000-byte header)|GET /metrics HTTP/1.1\r\nX-Pad: $(printf '%5000s' '' | tr ' ' a)\r\n\r\n|431 Request Header Fields Too Large
wrong path|GET /api/v1/query HTTP/1.1\r\n\r\n|404 Not Found
wrong method|POST /metrics HTTP/1.1\r\nContent-Length: 0\r\n\r\n|405 Method Not Allowed
HTTP/2 preface|PRI * HTTP/2.0\r\n\r\nSM\r\n\r\n|505 HTTP Version Not Supported
EXPECT
kill -0 "$daemon_pid" 2>/dev/null && scrape "$work/s2.txt" && cmp -s <(grep -v reload "$work/s1.txt") <(grep -v reload "$work/s2.txt") &&
	pass "after the bad requests: still serving, the same figures" || fail "after the bad requests: $(cat "$work/scrape.err")"

# --- slow clients do not delay a reconcile; they are dropped at their deadline -----------------------
for c in silent drip trickle; do
	python3 "$client" slow "$port" "$c" 9 "$work/$c.out" &
	bg_pids+=($!)
done
for c in silent drip trickle; do
	wait_for 10 grep -q connected "$work/$c.out" || fail "the $c client did not connect within 10 s"
done
t0=$(date +%s%N)
set_blocked 198.18.50.3 198.18.51.3 2001:db8::/32 198.18.50.2
if wait_for 4 pinned_has_v4 "$pin" blocked_ips 198.18.50.2; then
	ms=$((($(date +%s%N) - t0) / 1000000))
	open=$(cat "$work/silent.out" "$work/drip.out" "$work/trickle.out")
	[ "$(grep -c '^connected$' <<<"$open")" = 3 ] && ! grep -q after <<<"$open" &&
		pass "list edit in force in $ms ms while silent, one-byte-a-second and byte-per-50-ms clients were connected" ||
		fail "list edit in force in $ms ms, but the slow clients were gone already: $open"
else
	fail "list edit not in force within 4 s with slow clients connected; log: $(tail -5 "$work/agent.log")"
fi
scrape "$work/s3.txt" && pass "a scrape is answered while the slow clients hold their connections" ||
	fail "scrape beside slow clients: $(cat "$work/scrape.err")"
before=$(value "$work/s3.txt" vosfp_packets_total "interface=$h1" verdict=blocked action=drop)
send "$ns1" 198.18.50.2 "$REG" 3
wait_for 3 metric_is vosfp_packets_total "interface=$h1" verdict=blocked action=drop $((before + 3)) &&
	pass "the new entry drops: $h1 blocked +3 exactly" || fail "$h1 blocked: $(value "$work/poll.txt" vosfp_packets_total "interface=$h1" verdict=blocked action=drop), expected $((before + 3))"
for p in "${bg_pids[@]}"; do wait "$p"; done
bg_pids=()
for c in silent drip trickle; do
	t=$(sed -n 's/^dropped after \([0-9.]*\)$/\1/p' "$work/$c.out")
	[ -n "$t" ] && awk -v t="$t" 'BEGIN { exit !(t >= 4.5 && t <= 7.5) }' &&
		pass "the $c client was dropped at its 5 s deadline ($t s)" || fail "$c client: $(cat "$work/$c.out")"
done
expect "reloads ok: 2" "$work/poll.txt" vosfp_reloads_total result=ok = 2
expect "config generation 2" "$work/poll.txt" vosfp_config_generation = 2
expect "blocklist ipv4 entries: 3" "$work/poll.txt" vosfp_list_entries list=blocklist family=ipv4 = 3

# --- a reload that fails is counted; the previous state and generation stay ---------------------------
set_blocked 198.18.50.3 198.18.51.3 2001:db8::/32 198.18.50.2 not-an-address
wait_for 5 metric_is vosfp_reloads_total result=failed 1 && pass "invalid list edit: reloads failed 1" ||
	fail "invalid edit: failed = $(value "$work/poll.txt" vosfp_reloads_total result=failed)"
expect "after the failure: last reload success 0" "$work/poll.txt" vosfp_last_reload_success = 0
expect "after the failure: generation still 2" "$work/poll.txt" vosfp_config_generation = 2
expect "after the failure: blocklist ipv4 still 3" "$work/poll.txt" vosfp_list_entries list=blocklist family=ipv4 = 3

# --- the endpoint follows the config to [::1] -----------------------------------------------------------
port6=$(python3 "$client" free-port)
# One change, one reload, each waited for: two renames a few ms apart are two reloads on a loaded
# host (the watcher settles a rename for 50 ms), so the list is fixed first, then the config moves.
set_blocked 198.18.50.3 198.18.51.3 2001:db8::/32 198.18.50.2
wait_for 20 metric_is vosfp_config_generation 3 && pass "the list fixed: generation 3" ||
	fail "the list fixed: generation $(value "$work/poll.txt" vosfp_config_generation), expected 3"
write_config "[::1]:$port6"
if wait_for 20 scrape "$work/s6.txt" "[::1]:$port6"; then
	pass "reload moved the endpoint to [::1]:$port6"
	! scrape "$work/old.txt" && pass "127.0.0.1:$port no longer answers" || fail "the old endpoint still answers"
	expect "on [::1]: generation 4" "$work/s6.txt" vosfp_config_generation = 4
else
	fail "no scrape on [::1]:$port6: $(cat "$work/scrape.err")"
fi

# --- a restart keeps per-interface counts (slots are pinned); reload statistics start again --------------
kill "$daemon_pid" && wait "$daemon_pid"
"$agent" -v -c "$config" 2>>"$work/agent.log" &
daemon_pid=$!
if wait_for 15 scrape "$work/s7.txt" "[::1]:$port6"; then
	expect "after restart: $h1 passed still 6" "$work/s7.txt" vosfp_packets_total "interface=$h1" verdict=passed action=pass = 6
	expect "after restart: $h2 blocked still 6" "$work/s7.txt" vosfp_packets_total "interface=$h2" verdict=blocked action=drop = 6
	expect "after restart: generation 1" "$work/s7.txt" vosfp_config_generation = 1
else
	fail "no scrape after restart: $(cat "$work/scrape.err")"
fi
kill "$daemon_pid" && wait "$daemon_pid"
daemon_pid=""

# --- upgrade from the previous version's pins: new maps, the program swapped, no filtering gap ----------
old_obj="$work/old/sip_logic.bpf.o" old_rev=""
if git -C "$VOSFP_ROOT" rev-parse --git-dir >/dev/null 2>&1; then
	for rev in $(git -C "$VOSFP_ROOT" rev-list HEAD -- bpf/sip_logic.bpf.c); do
		src=$(git -C "$VOSFP_ROOT" show "$rev:bpf/sip_logic.bpf.c")
		grep -q iface_slots <<<"$src" || { old_rev=$rev; break; }
	done
fi
if [ -z "$old_rev" ]; then
	echo "SKIP: upgrade from pins without per-interface counters (no git history of bpf/ here)"
else
	mkdir -p "$work/old"
	git -C "$VOSFP_ROOT" show "$old_rev:bpf/sip_logic.bpf.c" >"$work/old/sip_logic.bpf.c"
	git -C "$VOSFP_ROOT" show "$old_rev:bpf/vosfp.h" >"$work/old/vosfp.h"
	arch=$(uname -m | sed -e 's/x86_64/x86/' -e 's/aarch64/arm64/')
	clang -target bpf -O2 -mcpu=v3 -g -D__TARGET_ARCH_"$arch" -I "$work/old" -I "$VOSFP_ROOT/build" \
		-c "$work/old/sip_logic.bpf.c" -o "$old_obj" 2>"$work/clang.err" || fail "cannot build the old object: $(cat "$work/clang.err")"
	"$agent" --down -c "$config" >/dev/null 2>&1
	write_config "127.0.0.1:$port" "$old_obj"
	"$agent" --once -c "$config" 2>>"$work/agent.log" && [ ! -e "$pin/iface_counters" ] && [ -e "$pin/xdp_counters" ] &&
		pass "pins of version ${old_rev:0:7}: no per-interface maps" || fail "old pins: $(ls "$pin")"
	json=$("$agent" --stats --json -c "$config" 2>/dev/null)
	grep -q '"per_interface": false' <<<"$json" && pass "--stats --json on old pins: per_interface false, exit 0" ||
		fail "--stats on old pins: $json"
	prog_before=$(prog_on "$h1")
	blocked_before=$(pinned_counter "$pin" 3) passed_before=$(pinned_counter "$pin" 2)
	# 20,000 frames from a blocked source, sent while the new object takes over.
	( for _ in $(seq 100); do send "$ns1" 198.18.50.3 "$REG" 200; done ) &
	flood=$!
	bg_pids+=("$flood")
	write_config "127.0.0.1:$port"
	"$agent" --once -c "$config" 2>>"$work/agent.log"
	rc=$?
	kill -0 "$flood" 2>/dev/null && overlap="during the flood" || overlap="after the flood (inconclusive for the gap)"
	wait "$flood"
	bg_pids=()
	[ "$rc" -eq 0 ] && [ -e "$pin/iface_counters" ] && [ -e "$pin/iface_slots" ] && [ -e "$pin/iface_names" ] &&
		pass "upgrade: --once created and pinned the per-interface maps ($overlap)" || fail "upgrade: rc=$rc, pins: $(ls "$pin")"
	[ -n "$prog_before" ] && [ "$(prog_on "$h1")" != "$prog_before" ] && pass "upgrade: the program on $h1 was swapped" ||
		fail "upgrade: program id still $prog_before"
	wait_for 5 counter_is 3 $((blocked_before + 20000)) && [ "$(pinned_counter "$pin" 2)" = "$passed_before" ] &&
		pass "upgrade: all 20000 frames of the blocked source dropped across the swap, none passed" ||
		fail "upgrade: blocked $(($(pinned_counter "$pin" 3) - blocked_before)) of 20000, passed +$(($(pinned_counter "$pin" 2) - passed_before))"
	send "$ns1" 198.18.50.5 "$REG" 3
	wait_for 3 json_passed "$h1" 3 && pass "upgrade: $h1 now counts per interface (3 passed, exactly)" ||
		fail "upgrade: $("$agent" --stats --json -c "$config")"
fi

exit "$test_status"
