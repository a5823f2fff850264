#!/usr/bin/env bash
# v6_summary_test.sh - the agent's side of the IPv6 summaries (bpf/vosfp.h): pins of the previous
# object (no v6 summary maps) upgrade to the new object, the summaries filled and their flags on;
# a blocklist prefix shorter than /32 goes to the direct /24 bits and back out. The datapath's use
# of them is tested through BPF_PROG_TEST_RUN (tests/prog); no IPv6 traffic is sent here.
# Needs root.
set -euo pipefail
source "$(dirname "$0")/lib.sh"
require_root "v6_summary_test"

AGENT="$VOSFP_ROOT/build/vosfp-agent"
id=$$
ns="v6s$id"
host="v6s${id}h"
pin="/sys/fs/bpf/vosfp-v6sum-$id"
lock="/run/vosfp/vosfp$(tr '/' '_' <<<"$pin").lock"
work=$(mktemp -d)
F_V6_BLOCK=$((1 << 7)) F_V6_ALLOW=$((1 << 8))

cleanup() {
	"$AGENT" --config "$work/vosfp.yaml" --down >/dev/null 2>&1 || true
	ip link del "$host" 2>/dev/null || true
	rm -rf "$pin" "$work"
	rm -f "$lock"
	cleanup_netns
}
trap cleanup EXIT

new_netns "$ns"
ip link add "$host" type veth peer name "${host}p"
ip link set "${host}p" netns "$ns"
ip link set "$host" up

write_config() {	# write_config OBJECT BLOCKLIST_ADDRESSES
	cat >"$work/vosfp.yaml" <<CFG
version: 1
pin_path: $pin
bpf_object: $1
interfaces:
  - name: $host
    xdp_mode: [native, generic]
allowlist:
  addresses: [198.18.1.4, "2001:db8:a11::7"]
blocklist:
  addresses: [$2]
CFG
}

# word WORD_INDEX MAP: one 64-bit word of a pinned summary (decimal).
word() {
	# shellcheck disable=SC2046
	"$BPFTOOL" -j map lookup pinned "$pin/$2" key $(printf '%d %d %d %d' $(($1 & 255)) $(($1 >> 8 & 255)) $(($1 >> 16 & 255)) 0) |
		python3 -c 'import json,sys; v=json.load(sys.stdin)["value"]; print(int.from_bytes(bytes(int(b,16) for b in v),"little"))'
}

# v6_bit_set MAP TOP32: is the v6_sum bit of that /32 set? (vosfp_v6_sum_bit, bpf/vosfp.h)
v6_bit_set() {
	local bit=$(((($2 * 0x9E3779B1) & 0xFFFFFFFF) >> 8))
	[ $(($(word $((bit >> 6)) "$1") >> (bit & 63) & 1)) -eq 1 ]
}

# wide_bit_set MAP TOP24: is the v6_wide bit of that /24 set?
wide_bit_set() {
	[ $(($(word $(($2 >> 6)) "$1") >> ($2 & 63) & 1)) -eq 1 ]
}

flags() {
	"$BPFTOOL" -j map lookup pinned "$pin/sip_config" key 0 0 0 0 |
		python3 -c 'import json,sys; v=json.load(sys.stdin)["value"]; print(int.from_bytes(bytes(int(b,16) for b in v[:4]),"little"))'
}

once() { "$AGENT" --config "$work/vosfp.yaml" --once >>"$work/agent.log" 2>&1; }

# --- the previous object: the source before the v6 summaries, from git ------------------------------
old_commit=$(git -C "$VOSFP_ROOT" log --format=%H -S VOSFP_F_V6_SUMMARY_BLOCK -- bpf/vosfp.h 2>/dev/null | tail -n 1)
if [ -z "$old_commit" ]; then
	echo "SKIP: no git history to build the object before the IPv6 summaries from"
	exit 0
fi
mkdir "$work/old"
git -C "$VOSFP_ROOT" show "$old_commit^:bpf/sip_logic.bpf.c" >"$work/old/sip_logic.bpf.c"
git -C "$VOSFP_ROOT" show "$old_commit^:bpf/vosfp.h" >"$work/old/vosfp.h"
clang -target bpf -O2 -mcpu=v3 -I "$work/old" -I "$VOSFP_ROOT/build" -I /usr/include -D__TARGET_ARCH_x86 -g \
	-c "$work/old/sip_logic.bpf.c" -o "$work/old/sip_logic.bpf.o"

blocked='198.18.1.3, "2001:db8:bad::6", "2001:db8:dead::/48"'
write_config "$work/old/sip_logic.bpf.o" "$blocked"
once && [ ! -e "$pin/blocked_v6_sum" ] && pass "previous object running, without v6 summary pins" ||
	fail "previous object: --once or pins wrong ($(ls "$pin" 2>/dev/null | tr '\n' ' '))"

# --- upgrade: same maps, new program, v6 summaries created and filled before the swap ----------------
write_config "$VOSFP_ROOT/build/sip_logic.bpf.o" "$blocked"
once && grep -q "new program" "$work/agent.log" && pass "new object: program swapped on the pinned maps" ||
	fail "new object: no program swap ($(tail -n 3 "$work/agent.log"))"
[ -e "$pin/blocked_v6_sum" ] && [ -e "$pin/allowed_v6_sum" ] && [ -e "$pin/blocked_v6_wide" ] &&
	[ -e "$pin/allowed_v6_wide" ] && pass "v6 summary maps pinned by the upgrade" ||
	fail "v6 summary pins missing after the upgrade"
v6_bit_set blocked_v6_sum 0x20010db8 && v6_bit_set allowed_v6_sum 0x20010db8 &&
	pass "the lists' /32 bit set in both v6 summaries" || fail "2001:db8 bit not set after the upgrade"
! v6_bit_set blocked_v6_sum 0x20010db9 && pass "a /32 no entry is in stays clear" ||
	fail "2001:db9 bit set"
[ $(($(flags) & (F_V6_BLOCK | F_V6_ALLOW))) -eq $((F_V6_BLOCK | F_V6_ALLOW)) ] &&
	pass "both v6 summary flags on" || fail "flags $(flags) after the upgrade"
once && grep -q "no change" <<<"$(tail -n 2 "$work/agent.log")" && pass "second --once: nothing to do" ||
	fail "second --once planned changes: $(tail -n 2 "$work/agent.log")"

# --- a blocklist prefix shorter than /32: its /24s' direct bits, set and cleared ---------------------
write_config "$VOSFP_ROOT/build/sip_logic.bpf.o" "$blocked, \"2400::/12\""
once && wide_bit_set blocked_v6_wide 0x240000 && wide_bit_set blocked_v6_wide 0x240fff &&
	! wide_bit_set blocked_v6_wide 0x241000 && pass "a /12 on the blocklist: the bits of its 4096 /24s set" ||
	fail "a /12 on the blocklist: v6_wide bits wrong"
[ $(($(flags) & (F_V6_BLOCK | F_V6_ALLOW))) -eq $((F_V6_BLOCK | F_V6_ALLOW)) ] &&
	pass "a /12 on the blocklist: both flags stay on" || fail "flags $(flags) with a /12"
write_config "$VOSFP_ROOT/build/sip_logic.bpf.o" "$blocked"
once && ! wide_bit_set blocked_v6_wide 0x240000 && ! wide_bit_set blocked_v6_wide 0x240fff &&
	pass "the /12 removed: its bits cleared" || fail "the /12 removed: v6_wide bits left"

"$AGENT" --config "$work/vosfp.yaml" --down >>"$work/agent.log" 2>&1 && [ ! -e "$pin" ] &&
	pass "--down removes every pin, v6 summaries included" || fail "--down left $(ls "$pin" 2>/dev/null | tr '\n' ' ')"
exit "$test_status"
