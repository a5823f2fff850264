#!/usr/bin/env bash
# rollback_state_test.sh - a rolled-back transaction leaves the kernel as it found it: after each
# of seven failing attach sets (an interface refusing every mode, with a new interface that did
# attach, with list and config changes, with new map sizes, with a declared interface dropped,
# with a mode change that is itself refused), a full dump of every pinned map (bpftool map dump:
# contents and map ids, the per-interface slot maps included), the pin names and every link's
# program, interface and mode equal those before; --stats lists no interface that failed; the
# next reconcile of the previous config says "no change". The agent runs inside the test's
# namespace (nsenter keeps /sys/fs/bpf); everything is removed however the test exits.
# shellcheck disable=SC2015,SC2317 # "check && pass || fail" lines; cleanup called through trap
set -uo pipefail
# shellcheck source=tests/integration/lib.sh
. "$(dirname "$(readlink -f "$0")")/lib.sh"
require_root "rollback state"

agent="$VOSFP_ROOT/build/vosfp-agent"
work=$(mktemp -d /tmp/vosfp-harden-attach-rb.XXXXXX)
pin="/sys/fs/bpf/vosfp-harden-attach-rb-$$"
ns="vosfp-ha-rb-$$"

cleanup() {
	[ -e "$work/base.yaml" ] && nsenter --net="/run/netns/$ns" "$agent" --down -c "$work/base.yaml" >/dev/null 2>&1
	remove_agent_state "$work/base.yaml" "$pin"
	cleanup_netns
	[ -n "${VOSFP_KEEP_LOG:-}" ] && cp "$work/before" /tmp/vosfp-harden-attach-rb.snapshot
	rm -rf "$work"
}
trap cleanup EXIT

# In $ns: hbok and hbnew (veths, native works), hbbig (MTU 9000: native refused), hbsl (a port of
# the bridge hbbr, which carries an XDP program: every mode refused).
new_netns "$ns" || { fail "cannot create the namespace"; exit 1; }
ip -n "$ns" link add hbok type veth peer name hbokp &&
	ip -n "$ns" link add hbnew type veth peer name hbnewp &&
	ip -n "$ns" link add hbbig mtu 9000 type veth peer name hbbigp mtu 9000 &&
	ip -n "$ns" link add hbbr type bridge &&
	ip -n "$ns" link add hbsl type veth peer name hbslp &&
	ip -n "$ns" link set hbsl master hbbr || { fail "cannot create the test's interfaces"; exit 1; }
for dev in hbok hbokp hbnew hbnewp hbbig hbbigp hbbr hbsl hbslp; do ip -n "$ns" link set "$dev" up; done
ip -n "$ns" link set dev hbbr xdpgeneric obj "$VOSFP_ROOT/build/sip_logic.bpf.o" sec xdp ||
	{ fail "cannot put an XDP program on the bridge"; exit 1; }

run_agent() { nsenter --net="/run/netns/$ns" "$agent" "$@"; }

# config NAME [KEY=VALUE...]: the base config, with these changes: ifaces (the interfaces block,
# one "name:modes" per word), block, allow (inline lists), max (blocklist_max), ports.
config() {
	local name=$1 ifaces="hbok:native hbbig:generic" block="198.19.165.2, 198.19.165.16/28, 2001:db8:165::/48"
	local allow="198.19.165.7" max=65536 ports=5060 kv i
	shift
	for kv in "$@"; do
		case $kv in
		ifaces=*) ifaces=${kv#ifaces=} ;;
		block=*) block=${kv#block=} ;;
		allow=*) allow=${kv#allow=} ;;
		max=*) max=${kv#max=} ;;
		ports=*) ports=${kv#ports=} ;;
		esac
	done
	{
		printf 'version: 1\npin_path: %s\nbpf_object: %s/build/sip_logic.bpf.o\ninterfaces:\n' "$pin" "$VOSFP_ROOT"
		for i in $ifaces; do
			printf '  - name: %s\n    xdp_mode: [%s]\n' "${i%%:*}" "$(tr '+' ',' <<<"${i#*:}")"
		done
		printf 'sip:\n  udp_ports: [%s]\n' "$ports"
		printf 'allowlist:\n  addresses: [%s]\nblocklist:\n  addresses: [%s]\n' "$allow" "$block"
		printf 'limits:\n  blocklist_max: %s\n' "$max"
	} >"$work/$name.yaml"
}

# snapshot FILE: every pin under $pin with its map id and full contents, then every link's
# program, interface and XDP mode (a rolled-back mode change makes a new link: its id may differ).
snapshot() {
	local f id
	{
		for f in $(cd "$pin" && ls); do
			[ -d "$pin/$f" ] && continue
			id=$("$BPFTOOL" -j map show pinned "$pin/$f" | sed -n 's/^{"id":\([0-9]*\),.*/\1/p')
			echo "== $f id=$id"
			"$BPFTOOL" map dump pinned "$pin/$f"
		done
		for f in $(cd "$pin/links" && ls); do
			# bpftool 7.1 shows no ifindex for an XDP link: the device says which program it runs.
			echo "== link $f: $("$BPFTOOL" -j link show pinned "$pin/links/$f" | grep -o '"prog_id":[0-9]*')"
			echo "   device: $(ip -n "$ns" -d -o link show dev "$f" 2>/dev/null | grep -o ' xdp[a-z]* \|prog/xdp id [0-9]*' | tr '\n' ' ')"
		done
	} >"$1"
}

# interfaces_in_stats: the interface names --stats --json lists, one a line.
interfaces_in_stats() {
	run_agent --stats --json -c "$work/base.yaml" 2>/dev/null |
		python3 -c 'import json, sys; print("\n".join(i["name"] for i in json.load(sys.stdin)["interfaces"]))'
}

config base
config refused ifaces="hbok:native hbbig:generic hbsl:native+generic"
config new-and-refused ifaces="hbok:native hbbig:generic hbnew:native hbsl:native+generic"
config lists-and-refused ifaces="hbok:native hbbig:generic hbsl:native+generic" \
	block="198.19.165.2, 198.19.165.9, 2001:db8:165::/48, 2001:db8:166::1" allow="198.19.165.7, 198.19.165.100/30"
config mode-refused ifaces="hbok:native hbbig:native" block="198.19.165.2, 198.19.165.16/28, 2001:db8:165::/48, 198.19.165.3"
config new-maps-and-refused ifaces="hbok:native hbbig:generic hbnew:generic hbsl:native+generic" max=131072
config dropped-and-refused ifaces="hbbig:generic hbsl:generic"
config runtime-and-refused ifaces="hbok:native hbbig:generic hbsl:native+generic" ports="5060, 5080"

if ! run_agent --once -c "$work/base.yaml" 2>"$work/agent.log"; then
	fail "base config not applied: $(cat "$work/agent.log")"
	exit 1
fi
snapshot "$work/before"
grep -q "^== iface_names id=[0-9]" "$work/before" && grep -q '^== link hbok: "prog_id":[0-9]' "$work/before" && grep -q "device:  xdp  prog/xdp id [0-9]" "$work/before" &&
	pass "snapshot holds the pinned maps (ids, contents) and the links" || fail "snapshot: $(head -c 300 "$work/before")"
stats_before=$(interfaces_in_stats)

for set in refused new-and-refused lists-and-refused mode-refused new-maps-and-refused dropped-and-refused \
	runtime-and-refused; do
	run_agent --once -c "$work/$set.yaml" >"$work/$set.log" 2>&1
	rc=$?
	snapshot "$work/after"
	if [ "$rc" -eq 1 ] && grep -q "rolled back, previous state kept" "$work/$set.log" &&
		cmp -s "$work/before" "$work/after"; then
		pass "$set: exit 1, rolled back, every pinned map and link as before"
	else
		fail "$set: exit $rc; $(tail -n 1 "$work/$set.log"); differences: $(diff "$work/before" "$work/after" | head -n 8)"
	fi
	stats=$(interfaces_in_stats)
	[ "$stats" = "$stats_before" ] && pass "$set: --stats lists the same interfaces ($(tr '\n' ' ' <<<"$stats"))" ||
		fail "$set: --stats lists $(tr '\n' ' ' <<<"$stats"), before: $(tr '\n' ' ' <<<"$stats_before")"
done

run_agent --once -c "$work/base.yaml" >"$work/again.log" 2>&1
stats=$(interfaces_in_stats)
grep -q "no change" "$work/again.log" && [ "$stats" = "$stats_before" ] &&
	pass "the previous config again: no change, and --stats names the same interfaces" ||
	fail "the previous config again: $(cat "$work/again.log"); --stats lists $(tr '\n' ' ' <<<"$stats")"

exit "$test_status"
