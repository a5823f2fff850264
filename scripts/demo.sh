#!/usr/bin/env bash
# demo.sh - `make demo`: the product end to end on a simulated network. SIP peers (sipp, vosfp-send)
# in the sim's namespace talk to a real Kamailio behind the XDP filter, the agent applies the
# policy, and every step checks its own outcome. It builds everything it uses and removes all of it
# however it ends; it refuses to start over a sim or demo pins it did not create.
set -euo pipefail
here=$(dirname "$(readlink -f "$0")")
root=$(cd "$here/.." && pwd)
# Demo the tree `make demo` just built: lib.sh would prefer binaries installed on PATH.
[ -n "${VOSFP_AGENT:-}" ] || [ ! -x "$root/build/vosfp-agent" ] || VOSFP_AGENT=$root/build/vosfp-agent
[ -n "${VOSFP_SEND:-}" ] || [ ! -x "$root/build/vosfp-send" ] || VOSFP_SEND=$root/build/vosfp-send
# shellcheck source=scripts/lib.sh
. "$here/lib.sh"
# shellcheck source=scripts/sim_lib.sh
. "$here/sim_lib.sh"
# shellcheck source=scripts/kamailio_lib.sh
. "$here/kamailio_lib.sh"

# Never the production pin path: the demo may run on a host whose real agent uses /sys/fs/bpf/vosfp.
DEMO_PIN=/sys/fs/bpf/vosfp-demo
DEMO_LOCK=/run/vosfp/vosfp${DEMO_PIN//\//_}.lock
KAMAILIO_CFG=$root/demo/kamailio.cfg
N_OPTIONS=5 N_REGISTER=5 N_GARBAGE=2 N_FLOOD=1000
# A server on the same veth answers in well under a millisecond: 1 s of silence means dropped.
RECV_TIMEOUT_MS=1000

usage() {
	cat <<USAGE
Usage: $(basename "$0") [-h]
The simulated end-to-end run behind \`make demo\` (root; usually 5 to 15 s):
  1. sets up the sim (sip_sim_setup.sh): namespace $VOSFP_SIM_NS, $VOSFP_SIM_HOST_IF $VOSFP_SIM_HOST_IP (XDP) <-> $VOSFP_SIM_PEER_IF
  2. starts vosfp-agent on $VOSFP_SIM_HOST_IF (pins under $DEMO_PIN): the sim's first address
     allowlisted, its last one blocklisted
  3. starts Kamailio (demo/kamailio.cfg) listening on udp $VOSFP_SIM_HOST_IP:$SIM_SIP_PORT only
  4. from the sim: OPTIONS from the allowlisted and from an unknown source, REGISTER, garbage
     (sipp and vosfp-send), and a flood of $N_FLOOD INVITEs from the blocklisted source
  5. prints the XDP counters with what each means, checks each one exactly
  6. stops Kamailio and the agent, removes the filtering (vosfp-agent --down) and the sim
It refuses to run if the sim or $DEMO_PIN already exists (it removes only what it created).
$(sim_env_help)

Exit status: 0 everything behaved as expected; 1 a check failed (named), or refused (not root,
missing tools, sim or demo pins already there); 2 usage error; 130/143 interrupted (everything
it set up is removed in every case).
USAGE
}

script_args 0 "$@"
sim_check
[ "$VOSFP_SIM_ADDR_COUNT" -ge 3 ] ||
	die "VOSFP_SIM_ADDR_COUNT=$VOSFP_SIM_ADDR_COUNT: the demo needs 3 sim addresses (allowlisted, unknown, blocklisted)"
require_root

host_ip=$VOSFP_SIM_HOST_IP
allowed=${SIM_ADDRS[0]}
unknown=${SIM_ADDRS[1]}
blocked=${SIM_ADDRS[${#SIM_ADDRS[@]} - 1]}
object=$root/build/sip_logic.bpf.o

# --- refuse before touching anything -------------------------------------------------------------
for tool in sipp kamailio; do
	command -v "$tool" >/dev/null || die "$tool not found: make demo installs it (scripts/install-deps.sh)"
done
require_agent
[ -x "$VOSFP_SEND" ] || die "vosfp-send not found at $VOSFP_SEND: run make"
[ -r "$object" ] || die "$object not found: run make"
[ -r "$KAMAILIO_CFG" ] || die "$KAMAILIO_CFG not found"
if sim_ns_exists || host_if_exists; then
	die "the sim already exists (namespace $VOSFP_SIM_NS or interface $VOSFP_SIM_HOST_IF): the demo sets up and removes its own, and never tears down someone else's. Remove it with $here/sip_sim_teardown.sh, then run the demo again"
fi
if [ -e "$DEMO_PIN" ]; then
	die "$DEMO_PIN exists: another demo is running, or one was killed before it could clean up. If none is running, remove it with: $VOSFP_AGENT --down --config <(printf 'version: 1\\npin_path: $DEMO_PIN\\ninterfaces: []\\n'); rm -f $DEMO_LOCK"
fi

# --- what this run created, so that teardown removes exactly that ---------------------------------
work=$(mktemp -d /tmp/vosfp-demo.XXXXXX)
cfg=$work/vosfp-demo.yaml
sim_ours=0 pins_ours=0 agent_pid="" kam_pid="" kam_kids="" torn_down=0
failures=0

ok() { echo "  [ok] $1"; }
bad() {
	echo "  [FAIL] $1"
	failures=$((failures + 1))
}
section() { printf '\n== %s\n' "$1"; }
# log_tail FILE: the last lines of a log, indented, for a failure message.
log_tail() { tail -n "${2:-8}" "$1" 2>/dev/null | sed 's/^/         | /'; }

# stop_pid PID [SECONDS]: SIGTERM, a bounded wait, then SIGKILL; reaps it (it is our child).
stop_pid() {
	local pid=$1 deadline=$((SECONDS + ${2:-5}))
	kill -TERM "$pid" 2>/dev/null || return 0
	while kill -0 "$pid" 2>/dev/null && [ "$SECONDS" -lt "$deadline" ]; do
		# A reaped child stops answering kill -0; an unreaped one is a zombie until wait.
		[ "$(ps -o stat= -p "$pid" 2>/dev/null)" != Z ] || break
		sleep 0.05
	done
	kill -KILL "$pid" 2>/dev/null || true
	wait "$pid" 2>/dev/null || true
}

teardown() {
	local rc=$? pid left=()
	[ "$torn_down" -eq 0 ] || return 0
	torn_down=1
	set +e
	trap '' INT TERM HUP	# a second ^C must not cut the cleanup short
	section "Tearing down"
	if [ -n "$kam_pid" ]; then
		stop_pid "$kam_pid"
		# Kamailio stops its own children; any left (main killed hard) are ours, by PID.
		for pid in $kam_kids; do
			kill -KILL "$pid" 2>/dev/null
		done
		echo "  Kamailio stopped"
	fi
	if [ -n "$agent_pid" ]; then
		stop_pid "$agent_pid"
		echo "  vosfp-agent stopped (filtering stays until --down)"
	fi
	# Only with our own config: an unreadable one would make --down fall back to the default pins.
	if [ "$pins_ours" -eq 1 ] && [ -r "$cfg" ]; then
		"$VOSFP_AGENT" --down --config "$cfg" >>"$work/agent.log" 2>&1 &&
			echo "  filtering removed from $VOSFP_SIM_HOST_IF, pins under $DEMO_PIN removed (vosfp-agent --down)"
		rm -f "$DEMO_LOCK"
	fi
	if [ "$sim_ours" -eq 1 ]; then
		"$here/sip_sim_teardown.sh" >>"$work/sim.log" 2>&1 && echo "  sim removed (sip_sim_teardown.sh)"
	fi
	[ "$pins_ours" -eq 0 ] || [ ! -e "$DEMO_PIN" ] || left+=("$DEMO_PIN")
	[ "$pins_ours" -eq 0 ] || [ ! -e "$DEMO_LOCK" ] || left+=("$DEMO_LOCK")
	[ "$sim_ours" -eq 0 ] || ! sim_ns_exists || left+=("namespace $VOSFP_SIM_NS")
	[ "$sim_ours" -eq 0 ] || ! host_if_exists || left+=("interface $VOSFP_SIM_HOST_IF")
	for pid in $agent_pid $kam_pid $kam_kids; do
		! kill -0 "$pid" 2>/dev/null || left+=("process $pid")
	done
	if [ ${#left[@]} -gt 0 ]; then
		echo "  [FAIL] still there after teardown: $(printf '%s, ' "${left[@]}" | sed 's/, $//')"
		[ "$rc" -ne 0 ] || rc=1
	fi
	rm -rf "$work"
	case $rc in
	0) printf '\ndemo OK: everything behaved as expected (%d s)\n' "$SECONDS" ;;
	130 | 143 | 129) printf '\ndemo interrupted; everything it set up was removed\n' ;;
	*) printf '\ndemo FAILED (see the lines marked FAIL above)\n' ;;
	esac
	exit "$rc"
}
trap teardown EXIT
trap 'exit 129' HUP	# bash runs the EXIT trap on a signal only through exit
trap 'exit 130' INT
trap 'exit 143' TERM

# fatal MESSAGE [LOG]: a setup step failed; nothing after it can work. Teardown follows (trap).
fatal() {
	bad "$1"
	[ -z "${2:-}" ] || log_tail "$2"
	exit 1
}

# bounded_poll SECONDS COMMAND...: until COMMAND succeeds, every 50 ms.
bounded_poll() {
	local deadline=$((SECONDS + $1))
	shift
	until "$@"; do
		[ "$SECONDS" -lt "$deadline" ] || return 1
		sleep 0.05
	done
}

echo "vosfp demo: the XDP SIP filter in front of a real SIP server, on a simulated network"
echo "  SIP peers in namespace $VOSFP_SIM_NS --veth--> $VOSFP_SIM_HOST_IF $host_ip (XDP here) --> Kamailio on $host_ip:$SIM_SIP_PORT"

# --- setup -----------------------------------------------------------------------------------------
section "Setting up"
sim_ours=1	# it did not exist (checked above): whatever is there from now on is ours
if ! out=$("$here/sip_sim_setup.sh" 2>"$work/sim.log"); then
	fatal "sip_sim_setup.sh failed" "$work/sim.log"
fi
ok "sim: ${out#set up: }"

cat >"$cfg" <<CFG
# vosfp-agent config of scripts/demo.sh (generated; removed when the demo ends)
version: 1
pin_path: $DEMO_PIN
bpf_object: $object
interfaces:
  - name: $VOSFP_SIM_HOST_IF
    xdp_mode: [native, generic]
sip:
  udp_ports: [$SIM_SIP_PORT]
  stealth_options: true
  drop_malformed: true
allowlist:
  addresses: [$allowed]
blocklist:
  addresses: [$blocked]
CFG
agent_up() {
	kill -0 "$agent_pid" 2>/dev/null || return 0	# died: stop waiting, reported below
	grep -q "reconciled in" "$work/agent.log"
}
pins_ours=1
: >"$work/agent.log"	# before the job starts: its redirection happens in the child, later
"$VOSFP_AGENT" --config "$cfg" 2>>"$work/agent.log" &
agent_pid=$!
bounded_poll 10 agent_up || fatal "vosfp-agent did not apply the config within 10 s" "$work/agent.log"
kill -0 "$agent_pid" 2>/dev/null || fatal "vosfp-agent exited while applying the config" "$work/agent.log"
mode=$(sed -n "s/.*$VOSFP_SIM_HOST_IF: attached (\([a-z]*\) mode).*/\1/p" "$work/agent.log" | tail -n 1)
ok "vosfp-agent (pid $agent_pid): XDP on $VOSFP_SIM_HOST_IF (${mode:-?} mode), allowlist $allowed, blocklist $blocked, pins $DEMO_PIN"

kamailio_args "$work" "$KAMAILIO_CFG" "udp:$host_ip:$SIM_SIP_PORT" || fatal "cannot create $work/kamailio"
kam_args=("${KAM_ARGS[@]}")
kamailio -c "${kam_args[@]}" >"$work/kamailio.log" 2>&1 || fatal "kamailio -c rejects $KAMAILIO_CFG" "$work/kamailio.log"
kamailio "${kam_args[@]}" -DD -E >"$work/kamailio.log" 2>&1 &
kam_pid=$!
# Listening sockets (TCP, UDP) of the Kamailio processes: exactly one, the sim's host address.
kam_sockets() {
	local pids all
	pids=$(pgrep -P "$kam_pid" | paste -sd '|')
	all=$(ss -H -tulnp 2>/dev/null)
	awk -v re="pid=($kam_pid${pids:+|$pids})," '$0 ~ re { print $1, $5 }' <<<"$all" | sort -u
}
kam_up() {
	kill -0 "$kam_pid" 2>/dev/null || return 0
	[ -n "$(kam_sockets)" ]
}
bounded_poll 10 kam_up || fatal "Kamailio did not start listening on $host_ip:$SIM_SIP_PORT within 10 s" "$work/kamailio.log"
kill -0 "$kam_pid" 2>/dev/null || fatal "Kamailio exited at start" "$work/kamailio.log"
kam_kids=$(pgrep -P "$kam_pid" | paste -sd ' ')
sockets=$(kam_sockets)
kam_version=$(kamailio -v 2>/dev/null | sed -n 's/^version: kamailio \([^ ]*\).*/\1/p')
if [ "$sockets" = "udp $host_ip:$SIM_SIP_PORT" ]; then
	ok "Kamailio ${kam_version:-} (pid $kam_pid, $(wc -w <<<"$kam_kids") children): listening on udp $host_ip:$SIM_SIP_PORT only"
else
	fatal "Kamailio listens on more than udp $host_ip:$SIM_SIP_PORT: $(tr '\n' ';' <<<"$sockets")"
fi

# --- XDP counters: exact, so each step can check what it moved ---------------------------------
LABELS=("OPTIONS dropped (stealth)" "Blocked (DoS list)" "Malformed (dropped)" "Redirected (AF_XDP)" "Passed to stack")
xdp=()	# the five counters, in LABELS order
xdp_read() {
	local out line i
	out=$(VOSFP_CONFIG=$cfg VOSFP_AGENT=$VOSFP_AGENT "$here/read_xdp_stats.sh" 2>/dev/null) || return 1
	xdp=()
	for i in "${!LABELS[@]}"; do
		line=$(grep -F -- "${LABELS[i]}: " <<<"$out") || return 1
		xdp[i]=${line##*: }
	done
}
xdp_read || fatal "cannot read the counters (read_xdp_stats.sh)"
[ "${xdp[*]}" = "0 0 0 0 0" ] || fatal "the counters do not start at zero: ${xdp[*]}"
SHORT=(stealth blocked malformed redirected passed)
want=(0 0 0 0 0)
xdp_matches() { xdp_read && [ "${xdp[*]}" = "${want[*]}" ]; }
# deltas_text D0..D4: "stealth +5, passed +5" (the non-zero ones).
deltas_text() {
	local i text=""
	for i in 0 1 2 3 4; do
		[ "${1:-0}" -eq 0 ] || text+="${text:+, }${SHORT[i]} +$1"
		shift
	done
	echo "${text:-nothing}"
}
# xdp_step OPTIONS BLOCKED MALFORMED REDIRECTED PASSED: did the last step move the counters by
# exactly these? (Bounded wait: the receiving side may still be on the last frames.) Sets xdp_said.
# A step that moved them otherwise is judged alone: the next one starts from what was read.
xdp_step() {
	local i before=("${want[@]}") delta=("$@") got=()
	for i in 0 1 2 3 4; do
		want[i]=$((before[i] + delta[i]))
	done
	if bounded_poll 3 xdp_matches; then
		xdp_said="XDP: $(deltas_text "$@")"
		return 0
	fi
	if [ "${#xdp[@]}" -eq 5 ]; then
		for i in 0 1 2 3 4; do
			got[i]=$((xdp[i] - before[i]))
		done
		xdp_said="XDP moved $(deltas_text "${got[@]}"), expected $(deltas_text "$@")"
		want=("${xdp[@]}")
	else
		xdp_said="XDP counters unreadable"
	fi
	return 1
}

# sipp_run NAME SCENARIO SRC COUNT: COUNT calls of the scenario from SRC, one datagram each (-nr: no
# retransmissions, -nd: no BYE/CANCEL on failure, so the counters stay exact). Sets sipp_rc,
# sipp_ok and sipp_timeouts from sipp's statistics file.
sipp_run() {
	local name=$1 scenario=$2 src=$3 count=$4 stat=$work/$1.csv hdr last
	sipp_rc=0
	(cd "$work" && timeout --foreground -k 2 20 ip netns exec "$VOSFP_SIM_NS" sipp "$host_ip:$SIM_SIP_PORT" \
		-sf "$root/demo/$scenario" -i "$src" -p "$SIM_SIP_PORT" -m "$count" -r 100 -nr -nd \
		-recv_timeout "$RECV_TIMEOUT_MS" -timeout 15 -nostdin \
		-trace_stat -stf "$stat" -trace_err -error_file "$work/$name.err" >"$work/$name.out" 2>&1) || sipp_rc=$?
	sipp_ok=-1 sipp_timeouts=-1
	[ -s "$stat" ] || return 0
	hdr=$(head -n 1 "$stat") last=$(tail -n 1 "$stat")
	read -r sipp_ok sipp_timeouts < <(awk -F';' -v h="$hdr" '{
		n = split(h, name, ";")
		for (i = 1; i <= n; i++) col[name[i]] = i
		print $col["SuccessfulCall(C)"] + 0, $col["FailedTimeoutOnRecv(C)"] + 0 }' <<<"$last")
}
# sipp_broke NAME: sipp failed in itself (not a failed call); say so with its output.
sipp_broke() {
	[ "$sipp_rc" -gt 1 ] || [ "$sipp_ok" -lt 0 ] || return 1
	bad "$1: sipp did not run (exit $sipp_rc)"
	log_tail "$work/$1.out"
}

# --- traffic ---------------------------------------------------------------------------------------
section "Sending SIP from the sim to $host_ip:$SIM_SIP_PORT"
# Each step judges two things: what the sender saw, and what XDP counted for it.

what="OPTIONS x$N_OPTIONS from $allowed (allowlisted), sipp"
sipp_run options-allowed options.xml "$allowed" "$N_OPTIONS"
counted=0 && xdp_step 0 0 0 0 "$N_OPTIONS" && counted=1
if sipp_broke options-allowed; then
	:
elif [ "$sipp_rc" -eq 0 ] && [ "$sipp_ok" -eq "$N_OPTIONS" ] && [ "$counted" -eq 1 ]; then
	ok "$what: $sipp_ok of $N_OPTIONS answered 200 OK by Kamailio ($xdp_said)"
else
	bad "$what: $sipp_ok of $N_OPTIONS answered 200 OK, expected all (sipp exit $sipp_rc); $xdp_said"
fi

what="OPTIONS x$N_OPTIONS from $unknown (unknown source), sipp"
sipp_run options-unknown options.xml "$unknown" "$N_OPTIONS"
counted=0 && xdp_step "$N_OPTIONS" 0 0 0 0 && counted=1
if sipp_broke options-unknown; then
	:
elif [ "$sipp_rc" -eq 1 ] && [ "$sipp_ok" -eq 0 ] && [ "$sipp_timeouts" -eq "$N_OPTIONS" ] && [ "$counted" -eq 1 ]; then
	ok "$what: 0 of $N_OPTIONS answered, as expected: dropped at XDP, a scanner sees no SIP server ($xdp_said)"
else
	bad "$what: $sipp_ok answered, $sipp_timeouts timed out, expected none answered (sipp exit $sipp_rc); $xdp_said"
fi

what="REGISTER x$N_REGISTER from $unknown (unknown source), sipp"
sipp_run register register.xml "$unknown" "$N_REGISTER"
counted=0 && xdp_step 0 0 0 0 "$N_REGISTER" && counted=1
if sipp_broke register; then
	:
elif [ "$sipp_rc" -eq 0 ] && [ "$sipp_ok" -eq "$N_REGISTER" ] && [ "$counted" -eq 1 ]; then
	ok "$what: $sipp_ok of $N_REGISTER registered, 200 OK by Kamailio; stealth hides only OPTIONS ($xdp_said)"
else
	bad "$what: $sipp_ok of $N_REGISTER answered 200 OK, expected all (sipp exit $sipp_rc); $xdp_said"
fi

# Three kinds of junk on the SIP port: binary (a TLS hello), another protocol, a truncated REGISTER.
GARBAGE=(
	'\x16\x03\x01\x00\xa5\x01\x00\x00\xa1\x03\x03 TLS ClientHello bytes on a SIP port'
	'GET / HTTP/1.1\r\nHost: '"$host_ip"'\r\n\r\n'
	'REGISTER sip:x'
)
n_garbage=$((N_GARBAGE * ${#GARBAGE[@]}))
what="garbage x$n_garbage from $unknown (TLS bytes, HTTP, 14-byte REGISTER), vosfp-send"
sent=1
for g in "${GARBAGE[@]}"; do
	ip netns exec "$VOSFP_SIM_NS" timeout 10 "$VOSFP_SEND" -s "$unknown" "$host_ip" "$SIM_SIP_PORT" "$g" "$N_GARBAGE" \
		2>>"$work/send.log" || sent=0
done
counted=0 && xdp_step 0 0 "$n_garbage" 0 0 && counted=1
if [ "$sent" -eq 1 ] && [ "$counted" -eq 1 ]; then
	ok "$what: dropped at XDP before Kamailio parses a byte ($xdp_said)"
else
	bad "$what: $([ "$sent" -eq 1 ] || echo "vosfp-send failed: $(tail -n 1 "$work/send.log"); ")$xdp_said"
fi

what="flood: $N_FLOOD INVITE from $blocked (blocklisted), vosfp-send"
INVITE="INVITE sip:flood@$host_ip SIP/2.0\\r\\nVia: SIP/2.0/UDP $blocked:$SIM_SIP_PORT;branch=z9hG4bK-demo-flood\\r\\nMax-Forwards: 70\\r\\nFrom: <sip:flood@$blocked>;tag=flood\\r\\nTo: <sip:flood@$host_ip>\\r\\nCall-ID: flood@$blocked\\r\\nCSeq: 1 INVITE\\r\\nContact: <sip:flood@$blocked:$SIM_SIP_PORT>\\r\\nContent-Length: 0\\r\\n\\r\\n"
sent=1
ip netns exec "$VOSFP_SIM_NS" timeout 20 "$VOSFP_SEND" -s "$blocked" "$host_ip" "$SIM_SIP_PORT" "$INVITE" "$N_FLOOD" \
	2>>"$work/send.log" || sent=0
counted=0 && xdp_step 0 "$N_FLOOD" 0 0 0 && counted=1
if [ "$sent" -eq 1 ] && [ "$counted" -eq 1 ]; then
	ok "$what: all dropped at XDP ($xdp_said)"
else
	bad "$what: $([ "$sent" -eq 1 ] || echo "vosfp-send failed: $(tail -n 1 "$work/send.log"); ")$xdp_said"
fi

# Kamailio logs one line per request it receives (demo/kamailio.cfg): what passed, and only that.
seen=$(sed -n 's/.*vosfp-demo: received \([A-Z]*\) from \([0-9.]*\)$/\1 from \2/p' "$work/kamailio.log" | sort | uniq -c |
	awk '{ $1 = $1; print }')
expected_seen=$(printf '%s OPTIONS from %s\n%s REGISTER from %s\n' "$N_OPTIONS" "$allowed" "$N_REGISTER" "$unknown" | sort)
if [ "$seen" = "$expected_seen" ]; then
	ok "Kamailio's log: it received $N_OPTIONS OPTIONS from $allowed and $N_REGISTER REGISTER from $unknown, nothing else"
else
	bad "Kamailio's log: it received [$(tr '\n' ';' <<<"$seen")], expected [$(tr '\n' ';' <<<"$expected_seen")]"
fi
kill -0 "$kam_pid" 2>/dev/null || bad "Kamailio exited during the demo"
kill -0 "$agent_pid" 2>/dev/null || bad "vosfp-agent exited during the demo"

# --- counters --------------------------------------------------------------------------------------
section "XDP counters on $VOSFP_SIM_HOST_IF (read_xdp_stats.sh: vosfp-agent --stats)"
MEANING=(
	"OPTIONS from sources not on the allowlist: scanners get no answer"
	"everything from blocklisted sources, dropped before the kernel stack"
	"non-SIP payloads and truncated REGISTERs on the SIP port"
	"handed to an AF_XDP socket (none in this demo)"
	"good SIP delivered to Kamailio ($N_OPTIONS OPTIONS + $N_REGISTER REGISTER)"
)
if xdp_read; then
	total=0
	for i in "${!LABELS[@]}"; do
		printf '  %-27s %6s  %s\n' "${LABELS[i]}:" "${xdp[i]}" "${MEANING[i]}"
		total=$((total + xdp[i]))
	done
	printf '  %-27s %6s  %s\n' "Total UDP 5060 handled:" "$total" "every datagram to the SIP port the program inspected"
	expect=("$N_OPTIONS" "$N_FLOOD" "$n_garbage" 0 $((N_OPTIONS + N_REGISTER)))
	if [ "${xdp[*]}" = "${expect[*]}" ]; then
		ok "every counter exactly as expected"
	else
		bad "counters ${xdp[*]}, expected ${expect[*]} (in the order above)"
	fi
else
	bad "cannot read the counters (read_xdp_stats.sh)"
fi

[ "$failures" -eq 0 ] || exit 1
