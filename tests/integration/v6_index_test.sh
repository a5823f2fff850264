#!/usr/bin/env bash
# v6_index_test.sh - the agent's side of the IPv6 blocklist's prefix index (bpf/vosfp.h:
# blocked_v6_full, blocked_v6_len, blocked_nets6_h) and of the IPv4 /25../31 summary
# (blocked_v4_part), and the scanner tokens' free slots (scanner_free): pins of the object before
# them upgrade to the new object with all three filled and the summaries' flags on (and the rate
# slots, rate_slots, created and pinned); list edits keep the hash equal to the blocklist's v6 prefixes and the
# summary in step; and real IPv6 and IPv4 frames crossing a veth pair between two namespaces get
# the same verdicts before the upgrade (trie), after it (index, summary) and after each edit,
# counted exactly. The datapath's index is held to the reference for every prefix length in
# tests/prog/differential_test.c. Needs root.
set -euo pipefail
# shellcheck source=tests/integration/lib.sh
. "$(dirname "$(readlink -f "$0")")/lib.sh"
require_root "v6_index_test"

AGENT="$VOSFP_ROOT/build/vosfp-agent"
SEND="$VOSFP_ROOT/build/vosfp-send"
id=$$
hns="speed-v6i-h$id" pns="speed-v6i-p$id"
hdev="spv6i${id}h" pdev="spv6i${id}p"
pin="/sys/fs/bpf/vosfp-speed-v6i-$id"
work=$(mktemp -d /tmp/vosfp-speed-v6i.XXXXXX)
F_INDEX=$((1 << 12)) F_V4_PART=$((1 << 13))
BLOCKED=3 PASSED=2

cleanup() {
	remove_agent_state "$work/vosfp.yaml" "$pin"
	rm -rf "$work"
	cleanup_netns
}
trap cleanup EXIT

new_netns "$hns" && new_netns "$pns" || { fail "cannot create namespaces"; exit 1; }
ip link add "$hdev" type veth peer name "$pdev"
ip link set "$hdev" netns "$hns"
ip link set "$pdev" netns "$pns"
ip -n "$pns" addr add 2001:db8:5eed::2/64 dev "$pdev" nodad
# The sources the frames come from: inside each kind of blocked prefix, and two listed nowhere.
# IPv4: in a blocked /25 (and not), a blocked host of the same /24, in a blocked /24.
ip -n "$pns" addr add 198.18.230.2/24 dev "$pdev"
sources=(2001:db8:bad::9 3fff:100::9 3fff:800::9 2001:db8:beef::7 3fff:300::9
	198.18.230.200 198.18.230.9 198.18.230.7 198.18.231.5)
for a in "${sources[@]}"; do
	if [[ $a == *:* ]]; then
		ip -n "$pns" addr add "$a/128" dev "$pdev" nodad
	else
		ip -n "$pns" addr add "$a/32" dev "$pdev"
	fi
done
ip -n "$hns" link set "$hdev" up
ip -n "$pns" link set "$pdev" up
# A static neighbour: no neighbour discovery on the wire, every frame to the SIP port is ours.
hmac=$(ip -n "$hns" -br link show dev "$hdev" | awk '{print $3}')
ip -n "$pns" neigh add 2001:db8:5eed::1 lladdr "$hmac" dev "$pdev" nud permanent
ip -n "$pns" neigh add 198.18.230.1 lladdr "$hmac" dev "$pdev" nud permanent

# The agent runs in the namespace of the interface it attaches to; nsenter keeps /sys/fs/bpf.
agent() { nsenter --net="/run/netns/$hns" "$AGENT" --config "$work/vosfp.yaml" "$@" >>"$work/agent.log" 2>&1; }

write_config() {	# write_config OBJECT BLOCKLIST_ADDRESSES
	cat >"$work/vosfp.yaml" <<CFG
version: 1
pin_path: $pin
bpf_object: $1
interfaces:
  - name: $hdev
    xdp_mode: [native, generic]
blocklist:
  addresses: [$2]
scanners: {}
CFG
}

# index_prefixes: the keys of the pinned blocked_nets6_h, as sorted prefix text (a key is the
# prefix's first address with the bit just past the prefix set: bpf/vosfp.h).
index_prefixes() {
	"$BPFTOOL" -j map dump pinned "$pin/blocked_nets6_h" | python3 -c '
import ipaddress, json, sys
out = []
for e in json.load(sys.stdin):
    k = int.from_bytes(bytes(int(b, 16) for b in e["key"]), "big")
    last = 127 - ((k & -k).bit_length() - 1)
    out.append(str(ipaddress.IPv6Network((k & ~(1 << (127 - last)), last))))
print(" ".join(sorted(out)))'
}

# word WORD_INDEX MAP: one 64-bit word of a pinned array (decimal).
word() {
	# shellcheck disable=SC2046
	"$BPFTOOL" -j map lookup pinned "$pin/$2" key $(printf '%d %d %d %d' $(($1 & 255)) $(($1 >> 8 & 255)) $(($1 >> 16 & 255)) 0) |
		python3 -c 'import json,sys; v=json.load(sys.stdin)["value"]; print(int.from_bytes(bytes(int(b,16) for b in v),"little"))'
}

# bucket_lists TOP32 LEN: does the blocked_v6_len bucket of that /32 list LEN (vosfp_v6_len_bucket)?
bucket_lists() {
	local w b=$(((($1 * 0x9E3779B1) & 0xFFFFFFFF) >> 14))
	w=$(word "$b" blocked_v6_len)
	for i in 0 1 2 3 4 5 6 7; do
		[ $((w >> (8 * i) & 255)) -ne "$2" ] || return 0
	done
	return 1
}

flags() {
	"$BPFTOOL" -j map lookup pinned "$pin/sip_config" key 0 0 0 0 |
		python3 -c 'import json,sys; v=json.load(sys.stdin)["value"]; print(int.from_bytes(bytes(int(b,16) for b in v[:4]),"little"))'
}

register='REGISTER sip:2001:db8:5eed::1 SIP/2.0\r\nVia: SIP/2.0/UDP [2001:db8:5eed::2]:5060\r\nContent-Length: 0\r\n\r\n'
counter_is() { [ "$(pinned_counter "$pin" "$1")" = "$2" ]; }

# traffic LABEL BLOCKED_SOURCES...: two REGISTERs from each source; the ones named must be
# BLOCKED, the others and 2001:db8:5eed::2 PASSED, counted exactly.
traffic() {
	local label=$1 b p a dst n_blocked=0 n_passed=2
	shift
	b=$(pinned_counter "$pin" $BLOCKED)
	p=$(pinned_counter "$pin" $PASSED)
	ip netns exec "$pns" "$SEND" -s 2001:db8:5eed::2 2001:db8:5eed::1 5060 "$register" 2
	for a in "${sources[@]}"; do
		if [[ $a == *:* ]]; then dst=2001:db8:5eed::1; else dst=198.18.230.1; fi
		ip netns exec "$pns" "$SEND" -s "$a" "$dst" 5060 "$register" 2
		if [[ " $* " == *" $a "* ]]; then n_blocked=$((n_blocked + 2)); else n_passed=$((n_passed + 2)); fi
	done
	if wait_for 20 counter_is $BLOCKED $((b + n_blocked)) && wait_for 20 counter_is $PASSED $((p + n_passed)); then
		pass "$label: $n_blocked REGISTERs blocked, $n_passed passed"
	else
		fail "$label: blocked +$(($(pinned_counter "$pin" $BLOCKED) - b)) (want $n_blocked), passed +$(($(pinned_counter "$pin" $PASSED) - p)) (want $n_passed)"
	fi
}

# --- the object before the prefix index, from git ----------------------------------------------------
old_commit=$(git -C "$VOSFP_ROOT" log --format=%H -S VOSFP_F_V6_PREFIX_INDEX -- bpf/vosfp.h 2>/dev/null | tail -n 1)
if [ -z "$old_commit" ]; then
	echo "SKIP: no git history to build the object before the IPv6 prefix index from"
	exit 0
fi
mkdir "$work/old"
for f in sip_logic.bpf.c vosfp.h swar.h parse.h; do
	git -C "$VOSFP_ROOT" show "$old_commit^:bpf/$f" >"$work/old/$f" 2>/dev/null || rm -f "$work/old/$f"
done
clang -target bpf -O2 -mcpu=v3 -I "$work/old" -I "$VOSFP_ROOT/build" -I /usr/include -D__TARGET_ARCH_x86 -g \
	-c "$work/old/sip_logic.bpf.c" -o "$work/old/sip_logic.bpf.o"

v4_blocked='"198.18.230.128/25", "198.18.230.7", "198.18.231.0/24"'
blocked='"2001:db8:bad::/48", "3fff:100::/28", "3fff:800::/21", "2001:db8:beef::7", '"$v4_blocked"
in_prefixes="2001:db8:bad::9 3fff:100::9 3fff:800::9 2001:db8:beef::7 198.18.230.200 198.18.230.7 198.18.231.5"
write_config "$work/old/sip_logic.bpf.o" "$blocked"
agent --once && [ ! -e "$pin/blocked_nets6_h" ] && [ ! -e "$pin/scanner_free" ] && [ ! -e "$pin/rate_slots" ] &&
	pass "previous object running, without the index's pins (nor scanner_free, rate_slots)" ||
	fail "previous object: --once or pins wrong ($(ls "$pin" 2>/dev/null | tr '\n' ' '))"
# shellcheck disable=SC2086
traffic "previous object (the trie)" $in_prefixes
# The agent wrote the new flags for the older program, which ignores them: the swap below must
# hold them off until the maps it creates are filled (reconcile.c: hold_late_flags).
[ $(($(flags) & (F_INDEX | F_V4_PART))) -eq $((F_INDEX | F_V4_PART)) ] &&
	pass "previous object: the new summaries' flags already written (ignored by its program)" ||
	fail "previous object: flags $(flags)"

# --- upgrade: same maps, new program, the index created, filled, then its flag -----------------------
write_config "$VOSFP_ROOT/build/sip_logic.bpf.o" "$blocked"
agent --once && grep -q "new program" "$work/agent.log" && pass "new object: program swapped on the pinned maps" ||
	fail "new object: no program swap ($(tail -n 3 "$work/agent.log"))"
got=$(index_prefixes)
[ "$got" = "2001:db8:bad::/48 3fff:100::/28 3fff:800::/21" ] && pass "blocked_nets6_h holds the blocklist's v6 prefixes" ||
	fail "blocked_nets6_h after the upgrade: '$got'"
bucket_lists 0x20010db8 48 && bucket_lists 0x3fff0100 28 && pass "blocked_v6_len: /48 in its /32's bucket, /28 in its /24's" ||
	fail "blocked_v6_len buckets lack a length"
[ $(($(word $((0x3fff08 >> 6)) blocked_v6_full) >> (0x3fff08 & 63) & 1)) -eq 1 ] &&
	pass "blocked_v6_full: the /21's /24s covered" || fail "blocked_v6_full bit of 3fff:800::/24 clear"
[ $(($(flags) & F_INDEX)) -ne 0 ] && pass "prefix index flag on" || fail "flags $(flags) after the upgrade"
# 198.18.230.0/24 is 0xc612e6: its blocked_v4_part bit (the /25), and 198.18.231.0/24's clear.
part_bit() { echo $(($(word $(($1 >> 6)) blocked_v4_part) >> ($1 & 63) & 1)); }
[ "$(part_bit 0xc612e6)" = 1 ] && [ "$(part_bit 0xc612e7)" = 0 ] && [ $(($(flags) & F_V4_PART)) -ne 0 ] &&
	pass "blocked_v4_part: the /25's /24 set, the /24 entry's clear; its flag on" ||
	fail "blocked_v4_part bits $(part_bit 0xc612e6) $(part_bit 0xc612e7), flags $(flags)"
# scanner_free, created empty by the swap, then written: the 7 default tokens' slots taken.
taken=$(pinned_slots_taken "$pin")
[ "$taken" = 7 ] && pass "scanner_free created by the swap and written (7 slots taken)" ||
	fail "scanner_free after the upgrade: '$taken' slots taken, want 7"
# rate_slots, which the older object lacked too, created by the swap and pinned beside the rest.
[ "$("$BPFTOOL" map show pinned "$pin/rate_slots" 2>/dev/null | grep -o 'max_entries [0-9]*')" = "max_entries 16384" ] &&
	pass "rate_slots created by the swap and pinned (16384 slots)" || fail "rate_slots not pinned after the upgrade"
# shellcheck disable=SC2086
traffic "new object (the index)" $in_prefixes
agent --once && grep -q "no change" <<<"$(tail -n 2 "$work/agent.log")" && pass "second --once: nothing to do" ||
	fail "second --once planned changes: $(tail -n 2 "$work/agent.log")"

# --- a list edit: prefixes in and out of the index, their verdicts with them -----------------------
write_config "$VOSFP_ROOT/build/sip_logic.bpf.o" \
	'"2001:db8:bad::/48", "2001:db8:bad:1::/64", "3fff:300::/28", "3fff:800::/21", "2001:db8:beef::7",
	"198.18.230.0/26", "198.18.230.7", "198.18.231.0/24"'
agent --once || fail "edit: --once failed ($(tail -n 3 "$work/agent.log"))"
got=$(index_prefixes)
[ "$got" = "2001:db8:bad:1::/64 2001:db8:bad::/48 3fff:300::/28 3fff:800::/21" ] &&
	pass "edit: blocked_nets6_h follows (/28 out, another /28 and a /64 in)" || fail "blocked_nets6_h after the edit: '$got'"
! bucket_lists 0x3fff0100 28 && bucket_lists 0x3fff0300 28 && bucket_lists 0x20010db8 64 &&
	pass "edit: blocked_v6_len follows" || fail "edit: blocked_v6_len buckets wrong"
traffic "after the edit" 2001:db8:bad::9 3fff:800::9 2001:db8:beef::7 3fff:300::9 198.18.230.9 198.18.230.7 198.18.231.5

# The last /25../31 of 198.18.230.0/24 goes: its bit is cleared, the host beside it stays blocked.
write_config "$VOSFP_ROOT/build/sip_logic.bpf.o" '"198.18.230.7", "198.18.231.0/24"'
agent --once || fail "second edit: --once failed ($(tail -n 3 "$work/agent.log"))"
[ "$(part_bit 0xc612e6)" = 0 ] && pass "second edit: blocked_v4_part bit cleared with the /26" ||
	fail "second edit: blocked_v4_part bit of 198.18.230.0/24 still set"
traffic "after the second edit" 198.18.230.7 198.18.231.5

agent --down && [ ! -e "$pin" ] && pass "--down removes every pin, the index's included" ||
	fail "--down left $(ls "$pin" 2>/dev/null | tr '\n' ' ')"
exit "$test_status"
