#!/usr/bin/env bash
# deb_upgrade_test.sh - the Debian package's life on a host, under traffic: the previous commit's
# vosfp (its package, or its `make install` before there was one) filters a veth with a blocklist;
# this tree's package is installed over it with dpkg while a blocked source sends a bounded stream
# and a good source keeps talking. 0 datagrams of the blocked source reach the UDP socket behind the
# interface (the XDP BLOCKED counter takes every one, exactly), the program id changes only if the
# new object's program differs (by tag), every map keeps every entry, the operator's conffile
# stays. Then the maintainer scripts: a broken conffile at upgrade keeps the policy until fixed;
# remove keeps the filter (fail-static) and the config, also with a broken conffile; purge takes
# the filter down and removes config and state; a fresh install attaches nothing.
#
# Where: dpkg runs for real, in a root that is a copy-on-write overlay of this host's / (the upper
# layer on a tmpfs), inside a private mount namespace with a private bpf filesystem, a private /run
# and the test's own network namespace: the maintainer scripts run as on a host, yet nothing of
# this host (its dpkg database, /etc, /usr, pins, interfaces, services) can change, and it all
# vanishes with the namespace however the test ends. No systemd runs there: the test does what
# deb-systemd-invoke would (SIGTERM to stop, the unit's ExecStartPre/ExecStart lines to start).
# Addresses: 198.19.169.0/24 (traffic), list entries in 198.19.170.0/23 and 2001:db8::/32.
# VOSFP_UPGRADE_FROM=REV picks the previous version (default: HEAD, or HEAD~1 on a clean tree).
# shellcheck disable=SC2015,SC2016,SC2317 # "check && pass || fail" lines; '$' meant for dpkg-query, awk,
# the inner bash; helpers called through wait_for, trap
set -uo pipefail

# Everything below runs in a private mount namespace: mounts made here never reach the host.
if [ -z "${VOSFP_DEB_UPGRADE_NS:-}" ] && [ "$(id -u)" -eq 0 ]; then
	VOSFP_DEB_UPGRADE_NS=1 exec unshare --mount --propagation private "$BASH" "$0" "$@"
fi
# shellcheck source=tests/integration/lib.sh disable=SC1091 # followed with -x
. "$(dirname "$(readlink -f "$0")")/lib.sh"
# shellcheck source=tests/integration/deb_root_lib.sh disable=SC1091 # followed with -x
. "$(dirname "$(readlink -f "$0")")/deb_root_lib.sh"

usage() {
	echo "usage: $0  (root; VOSFP_UPGRADE_FROM=REV names the previous version)" >&2
}
case "${1:-}" in
-h | --help) usage; exit 0 ;;
"") ;;
*) usage; exit 2 ;;
esac
require_root "installing the Debian package over the previous version under traffic"

udp_send="$VOSFP_ROOT/build/vosfp-send"
work=$(mktemp -d /tmp/vosfp-deb-upgrade.XXXXXX)
src="vosfp-deb-upg-src-$$" edge="vosfp-deb-upg-edge-$$" dev="debup$$e" peer="debup$$s"
pin=/sys/fs/bpf/vosfp		# the default, inside the private bpf filesystem
pins=""			# the same, seen from outside the root (set below)
receiver_pid="" sender_pids=()
C_PASSED=2 C_BLOCKED=3
REGISTER='REGISTER sip:198.19.169.1 SIP/2.0\r\nVia: SIP/2.0/UDP 198.19.169.3:5060\r\nContent-Length: 0\r\n\r\n'

cleanup() {
	local pid
	touch "$work/stop-senders" "$work/stop-receiver"
	for pid in "${sender_pids[@]}" $receiver_pid; do
		kill -TERM "$pid" 2>/dev/null
		wait "$pid" 2>/dev/null
	done
	deb_root_remove
	cleanup_netns
	rm -rf "$work"
}
trap cleanup EXIT

for f in dpkg chroot nsenter python3 git "$udp_send"; do
	command -v "$f" >/dev/null || { fail "$f is missing (make; scripts/install-deps.sh)"; exit 1; }
done

# --- the two versions ---------------------------------------------------------------------------
cd "$VOSFP_ROOT" || exit 1
new_tree=$(bash tools/build-deb.sh -w -o "$work/new" 2>&1) || { fail "this tree's package: $new_tree"; exit 1; }
new_deb=$(tail -n 1 <<<"$new_tree")
if [ -n "${VOSFP_UPGRADE_FROM:-}" ]; then
	base=$VOSFP_UPGRADE_FROM
elif git diff --quiet HEAD && [ -z "$(git status --porcelain)" ]; then
	base=HEAD~1
else
	base=HEAD
fi
base_commit=$(git rev-parse --verify --quiet "$base^{commit}") ||
	{ fail "no previous version: $base is not a commit here (a shallow clone? git fetch --unshallow)"; exit 1; }
old_deb=""
if git cat-file -e "$base_commit:debian/changelog" 2>/dev/null; then
	out=$(bash tools/build-deb.sh -o "$work/old" "$base_commit" 2>&1) || { fail "package of $base: $out"; exit 1; }
	old_deb=$(tail -n 1 <<<"$out")
	old_how="its package $(basename "$old_deb")"
else
	# Before the package existed, operators ran make install: build that tree and install it so.
	mkdir -p "$work/old-src"
	git archive "$base_commit" | tar -x -C "$work/old-src"
	if ! out=$(make -C "$work/old-src" --no-print-directory -j2 all 2>&1); then
		fail "build of $base: $(tail -5 <<<"$out")"
		exit 1
	fi
	old_how="make install PREFIX=/usr (it has no debian/)"
fi
echo "upgrade: from $base (${base_commit:0:12}, $old_how) to this tree's $(basename "$new_deb")"

# --- the root: this host's / under a copy-on-write overlay (deb_root_lib.sh) ---------------------
mkdir "$work/ovl"
deb_root_make "$work/ovl" "$edge" || { fail "cannot build the overlay root"; exit 1; }
root=$deb_root pins="$deb_root$pin"
cp "$new_deb" "$root/tmp/new.deb"
[ -z "$old_deb" ] || cp "$old_deb" "$root/tmp/old.deb"

# --- the network: peers --veth--> the edge (XDP, the agent, a UDP socket on 198.19.169.1:5060) ---
new_netns "$src" && new_netns "$edge" || { fail "cannot create namespaces"; exit 1; }
ip -n "$edge" link add "$dev" type veth peer name "$peer" netns "$src" || { fail "cannot create veth"; exit 1; }
ip -n "$edge" addr add 198.19.169.1/24 dev "$dev" && ip -n "$edge" link set "$dev" up
ip -n "$src" addr add 198.19.169.2/24 dev "$peer" && ip -n "$src" addr add 198.19.169.3/24 dev "$peer"
ip -n "$src" link set "$peer" up
ip -n "$src" neigh add 198.19.169.1 lladdr "$(ip -n "$edge" -br link show dev "$dev" | awk '{ print $3 }')" dev "$peer" nud permanent

# The host may have vosfp installed (an operator machine): the copy starts without it.
if [ -n "$(status_of vosfp)" ] && ! dpkg_in_root --purge vosfp; then
	fail "cannot purge the host's vosfp inside the copy: $(tail -3 "$deb_root_log")"
	exit 1
fi

prog_id() { xdp_prog_id "$edge" "$dev" 2>/dev/null; }	# (ip cannot name the peer netns here: quiet)
prog_tag() { "$BPFTOOL" prog show id "$1" | sed -n 's/.* tag \([0-9a-f]*\).*/\1/p'; }
# object_tag OBJ: the tag of OBJ's XDP program (its first), loaded into the private bpf
# filesystem. No "type xdp": it would force the object's TC guard program to XDP too.
object_tag() {
	local probe="$root/sys/fs/bpf/vosfp-deb-tag-probe" tag
	"$BPFTOOL" prog load "$1" "$probe" 2>/dev/null || return 1
	tag=$("$BPFTOOL" prog show pinned "$probe" | sed -n 's/.* tag \([0-9a-f]*\).*/\1/p')
	rm -f "$probe"
	echo "$tag"
}
counter() { pinned_counter "$pins" "$1"; }

# policy_maps: every pinned map that holds policy, as "name id" lines. Counters and the
# datapath's own LRU and socket maps (rate and answer state, auto-blocks and their history: the
# agent's persist file keeps those) change with traffic and are left out.
policy_maps() {
	local f
	for f in "$pins"/*; do
		[ -d "$f" ] && continue		# links/: the XDP links, checked by program id
		case ${f##*/} in
		xdp_counters | iface_counters | dec_traffic | rate_state | rate_slots | auto_blocked | auto_block_horizon | auto_block_slots | \
			auto_block_history | answer_* | xsks_map) continue ;;
		esac
		echo "${f##*/} $("$BPFTOOL" map show pinned "$f" | sed -n '1s/^\([0-9]*\):.*/\1/p')"
	done
}
# dump_policy DIR: one file per policy map: a hash or trie's entries, sorted (the lists: their
# order may differ in a new map); a small array's values in hex, one line per key (sip_config:
# same_policy checks it field by field); any other map's digest and size (the summaries, up to
# 786,432 slots, in index order).
dump_policy() {
	local name id type size
	mkdir -p "$1"
	while read -r name id; do
		read -r type size < <("$BPFTOOL" map show id "$id" |
			sed -n '1s/^[0-9]*: \([a-z_]*\) .*/\1/p; s/.*max_entries \([0-9]*\).*/\1/p' | paste -sd' ')
		case $type in
		hash | lpm_trie)
			"$BPFTOOL" -j map dump id "$id" |
				python3 -c 'import json,sys; [print(json.dumps(e, sort_keys=True)) for e in json.load(sys.stdin)]' |
				sort >"$1/$name" ;;
		*) if [ "$type" = array ] && [ "$size" -le 16 ]; then
			"$BPFTOOL" -j map dump id "$id" | python3 -c 'import json, sys
for e in json.load(sys.stdin):
    print(" ".join(e["key"]), "".join(b[2:].zfill(2) for b in e["value"]))' >"$1/$name"
		else
			"$BPFTOOL" map dump id "$id" | awk '/"key"/ { n++ } { print } END { printf "slots %d\n", n >"/dev/stderr" }' \
				2>"$1/$name.slots" | sha256sum >"$1/$name"
			cat "$1/$name.slots" >>"$1/$name" && rm "$1/$name.slots"
		fi ;;
		esac
	done < <(policy_maps)
}
# same_policy BEFORE AFTER: 0 if map dump AFTER keeps BEFORE. A small array's value may have
# grown when the new object appended fields (struct vosfp_config does, for each new section):
# the old bytes must be kept and the appended ones zero, as their features are off until the
# operator's config turns them on. sip_config's flags may gain the bits that say a summary the
# agent keeps is filled (bpf/vosfp.h: VOSFP_F_V4_SUMMARY, _V6_SUMMARY_*, _V6_PREFIX_INDEX,
# _V4_PART_SUMMARY): a new object's datapath trusts its new summaries once they are; none of
# them is the operator's policy, and none may be lost.
same_policy() {
	cmp -s "$1" "$2" && return 0
	python3 - "$1" "$2" "${1##*/}" <<'PY'
import sys
old, new = (dict(l.rsplit(" ", 1) for l in open(f).read().splitlines()) for f in sys.argv[1:3])
SUMMARY_FLAGS = 1 << 3 | 1 << 7 | 1 << 8 | 1 << 12 | 1 << 13
def flags(v):
    return int.from_bytes(bytes.fromhex(v[:8]), "little")
def kept(o, n):
    if sys.argv[3] == "sip_config" and len(o) >= 8 and len(n) >= 8:
        fo, fn = flags(o), flags(n)
        if fo & ~SUMMARY_FLAGS != fn & ~SUMMARY_FLAGS or fo & ~fn:
            return False
        o, n = o[8:], n[8:]
    return n == o or (len(n) > len(o) and n.startswith(o) and set(n[len(o):]) <= {"0"})
ok = old.keys() == new.keys() and all(kept(old[k], new[k]) for k in old)
sys.exit(0 if ok else 1)
PY
}

# --- the receiver: a UDP socket behind the interface, counting datagrams per source ----------
# It stops once told (a file: "SRC COUNT") and COUNT datagrams from SRC are in, or 10 s after,
# having read whatever else was queued.
cat >"$work/receiver.py" <<'PY'
import json, os, socket, sys, time
ready, stop, out = sys.argv[1:4]
s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
s.setsockopt(socket.SOL_SOCKET, 33, 16 << 20)	# SO_RCVBUFFORCE: no drop at the socket
s.bind(("198.19.169.1", 5060))
s.settimeout(0.05)
counts, deadline, expect = {}, time.monotonic() + 600, None
open(ready, "w").close()
while time.monotonic() < deadline:
    if expect is None and os.path.exists(stop):
        src, n = open(stop).read().split()
        expect, deadline = (src, int(n)), time.monotonic() + 10
    if expect and counts.get(expect[0], 0) >= expect[1]:
        s.setblocking(False)
    try:
        _, (addr, _) = s.recvfrom(65535)
        counts[addr] = counts.get(addr, 0) + 1
    except (socket.timeout, BlockingIOError):
        if not s.getblocking():
            break
json.dump(counts, open(out, "w"))
PY
received() {	# received SRC: datagrams from SRC the socket got (after the receiver stopped)
	python3 -c 'import json,sys; print(json.load(open(sys.argv[1])).get(sys.argv[2], 0))' "$work/received.json" "$1"
}
socket_drops() {	# UDP datagrams the edge's stack dropped (buffer full, bad checksum)
	nsenter --net="/run/netns/$edge" awk '/^Udp: [0-9]/ { print $4 + $6 }' /proc/net/snmp
}

# sender SRC PER_ROUND MAX_ROUNDS FILE: rounds of PER_ROUND datagrams from SRC until $work/stop-senders
# appears (or MAX_ROUNDS, or 300 s), then the number sent in FILE.
sender() {
	ip netns exec "$src" timeout 300 bash -c '
		n=0
		while [ "$n" -lt "$4" ] && [ ! -e "$6" ]; do
			"$1" -s "$2" 198.19.169.1 5060 "$5" "$3" || exit 1
			n=$((n + 1))
		done
		echo $((n * $3)) >"$7"' _ "$udp_send" "$1" "$2" "$3" "$REGISTER" "$work/stop-senders" "$4"
}

# === 1. the previous version, running with a blocklist ============================================
if [ -n "$old_deb" ]; then
	dpkg_in_root -i /tmp/old.deb || { fail "dpkg -i old: $(tail -5 "$deb_root_log")"; exit 1; }
else
	make -C "$work/old-src" --no-print-directory install PREFIX=/usr UNITDIR=/lib/systemd/system DESTDIR="$root" \
		>>"$deb_root_log" 2>&1 || { fail "make install of $base: $(tail -5 "$deb_root_log")"; exit 1; }
fi
# The operator's policy: the interface, 2000 blocked addresses and 6 prefixes (v4 and v6), 3
# allowed; 198.19.169.2 blocked, 198.19.169.3 not.
mkdir -p "$root/etc/vosfp"
{
	echo 198.19.169.2
	for i in $(seq 0 1999); do echo "198.19.$((170 + i / 250)).$((i % 250 + 1))"; done
	printf '198.19.171.0/28\n198.19.171.64/26\n2001:db8:1::/48\n2001:db8:2::7\n2001:db8:3::/64\n2001:db8:4::1\n'
} >"$root/etc/vosfp/blocklist.txt"
cat >"$root/etc/vosfp.yaml" <<CFG
# the operator's edit of /etc/vosfp.yaml
version: 1
interfaces:
  - name: $dev
    xdp_mode: [native, generic]
sip:
  udp_ports: [5060]
allowlist:
  addresses: [198.19.171.200, 198.19.171.208/29, "2001:db8:9::/48"]
blocklist:
  files: [/etc/vosfp/blocklist.txt]
CFG
conffile_sum=$(sha256sum <"$root/etc/vosfp.yaml")
start_agent "$work/agent-old.log" || exit 1
old_id=$(prog_id)
[ -n "$old_id" ] && pinned_has_v4 "$pins" blocked_ips 198.19.169.2 &&
	pass "previous version running: XDP prog $old_id on $dev, 198.19.169.2 blocked" ||
	{ fail "previous version not filtering: prog '$old_id' $(tail -3 "$work/agent-old.log")"; exit 1; }
old_tag=$(prog_tag "$old_id")
[ "$old_tag" = "$(object_tag "$root/usr/lib/vosfp/sip_logic.bpf.o")" ] &&
	pass "the running program's tag is its object's ($old_tag): tags tell whether an object changed" ||
	fail "running tag $old_tag differs from its own object's: the tag comparison below would mislead"
new_tag=$(mkdir -p "$work/new-root" && dpkg-deb -x "$new_deb" "$work/new-root" &&
	object_tag "$work/new-root/usr/lib/vosfp/sip_logic.bpf.o")
dump_policy "$work/before"
maps_before=$(policy_maps)
entries_before=$(cat "$work/before"/* | grep -c '^{')
slots_before=$(cat "$work/before"/* | awk '/^slots/ { n += $2 } END { print n + 0 }')

# === 2. the upgrade, under traffic =================================================================
nsenter --net="/run/netns/$edge" python3 "$work/receiver.py" "$work/ready" "$work/stop-receiver" "$work/received.json" &
receiver_pid=$!
wait_for 10 test -e "$work/ready" || { fail "the UDP receiver did not start"; exit 1; }
blocked0=$(counter $C_BLOCKED) passed0=$(counter $C_PASSED) drops0=$(socket_drops)
sender 198.19.169.2 100 20000 "$work/sent.blocked" &
sender_pids+=($!)
sender 198.19.169.3 5 20000 "$work/sent.good" &
sender_pids+=($!)
counter_above() { [ "$(counter "$1")" -gt "$2" ]; }
counter_is() { [ "$(counter "$1")" -eq "$2" ]; }
wait_for 10 counter_above $C_BLOCKED "$blocked0" || fail "no blocked traffic seen before the upgrade"

t0=$(date +%s%N)
dpkg_in_root -i /tmp/new.deb && pass "dpkg -i $(basename "$new_deb") over the previous version" ||
	{ fail "dpkg -i new: $(tail -5 "$deb_root_log")"; exit 1; }
[[ "$(readlink "/proc/$agent_pid/exe")" == *"(deleted)" ]] &&
	pass "the running agent's binary was replaced under it" || fail "agent binary not replaced: $(readlink "/proc/$agent_pid/exe")"
# deb-systemd-invoke restart: stop (SIGTERM) the old agent, start the new unit.
stop_agent && pass "old agent stopped by SIGTERM: exit 0, filtering left in place" || fail "old agent's exit status on SIGTERM: $?"
t_stopped=$(date +%s%N)
blocked_mid=$(counter $C_BLOCKED)
start_agent "$work/agent-new.log" || exit 1
t_started=$(date +%s%N)
# Traffic goes on across the new agent's first reconcile, then stops.
wait_for 10 counter_above $C_BLOCKED $((blocked_mid + 10000)) || fail "blocked traffic did not go on after the restart"
touch "$work/stop-senders"
for pid in "${sender_pids[@]}"; do wait "$pid"; done
sender_pids=()
sent_blocked=$(cat "$work/sent.blocked" 2>/dev/null || echo 0)
sent_good=$(cat "$work/sent.good" 2>/dev/null || echo 0)
echo "198.19.169.3 $sent_good" >"$work/stop-receiver"
wait "$receiver_pid"
receiver_pid=""

echo "    upgrade took $(((t_started - t0) / 1000000)) ms (dpkg -i to the new agent's first reconcile);" \
	"no agent ran for $(((t_started - t_stopped) / 1000000)) ms; $sent_blocked blocked and $sent_good good datagrams sent"
[ "$(received 198.19.169.2)" -eq 0 ] && pass "0 of $sent_blocked datagrams from the blocked source reached the socket" ||
	fail "$(received 198.19.169.2) of $sent_blocked datagrams from the blocked source reached the socket"
new_id=$(prog_id)
if [ "$(policy_maps)" = "$maps_before" ]; then
	[ $(($(counter $C_BLOCKED) - blocked0)) -eq "$sent_blocked" ] &&
		pass "XDP BLOCKED counter: +$sent_blocked, every blocked datagram dropped" ||
		fail "XDP BLOCKED counter: +$(($(counter $C_BLOCKED) - blocked0)), $sent_blocked sent"
	[ $(($(counter $C_PASSED) - passed0)) -eq "$sent_good" ] && [ "$(received 198.19.169.3)" -eq "$sent_good" ] &&
		[ "$(socket_drops)" -eq "$drops0" ] &&
		pass "the good source: $sent_good sent, passed by XDP and received, none lost" ||
		fail "the good source: $sent_good sent, XDP passed +$(($(counter $C_PASSED) - passed0)), received $(received 198.19.169.3), socket drops +$(($(socket_drops) - drops0))"
else
	echo "    the maps were replaced (new map layout): counters restart with them"
fi
if [ "$old_tag" = "$new_tag" ]; then
	[ "$new_id" = "$old_id" ] && pass "same program (tag $new_tag): prog id $old_id kept" ||
		fail "the program did not change (tag $new_tag) but its id did: $old_id -> $new_id"
	[ "$(policy_maps)" = "$maps_before" ] && pass "same program: every policy map kept (same ids)" ||
		fail "same program, yet maps replaced: $(policy_maps | tr '\n' ' ')"
else
	[ -n "$new_id" ] && [ "$new_id" != "$old_id" ] && [ "$(prog_tag "$new_id")" = "$new_tag" ] &&
		pass "the object changed (tag $old_tag -> $new_tag): prog $old_id swapped for $new_id" ||
		fail "object changed ($old_tag -> $new_tag) but prog $old_id -> '$new_id' (tag $(prog_tag "$new_id"))"
fi
dump_policy "$work/after"
differ=()
for f in "$work/before"/*; do
	[ -f "$work/after/${f##*/}" ] && same_policy "$f" "$work/after/${f##*/}" || differ+=("${f##*/}")
done
maps=("$work/before"/*)
[ "${#differ[@]}" -eq 0 ] && pass "every map keeps every entry (${#maps[@]} policy maps: $entries_before list entries, $slots_before summary slots)" ||
	fail "${#differ[@]} policy map(s) differ after the upgrade: ${differ[*]}: $(for m in "${differ[@]}"; do diff "$work/before/$m" "$work/after/$m" 2>&1 | head -4; done)"
[ "$(sha256sum <"$root/etc/vosfp.yaml")" = "$conffile_sum" ] && pass "the operator's /etc/vosfp.yaml is untouched" ||
	fail "/etc/vosfp.yaml changed by the upgrade"
[[ "$(status_of vosfp)" == "install ok installed $(dpkg-deb -f "$new_deb" Version)" ]] && pass "dpkg: $(status_of vosfp)" ||
	fail "dpkg status: $(status_of vosfp)"

# === 3. an invalid conffile met by an upgrade: the policy stays until it is fixed ==================
good_config=$(cat "$root/etc/vosfp.yaml")
printf 'version: 1\ninterfaces: [\n' >"$root/etc/vosfp.yaml"
dpkg_in_root -i /tmp/new.deb || fail "dpkg -i (again) with a broken conffile: $(tail -3 "$deb_root_log")"
stop_agent
id_before=$(prog_id)
start_agent "$work/agent-invalid.log" "invalid at start" || exit 1
grep -q "/etc/vosfp.yaml:2: not valid YAML" "$work/agent-invalid.log" && [ "$(prog_id)" = "$id_before" ] &&
	pinned_has_v4 "$pins" blocked_ips 198.19.169.2 && kill -0 "$agent_pid" &&
	pass "broken conffile at restart: file:line logged, agent waits, the pinned policy stays" ||
	fail "broken conffile at restart: $(tail -3 "$work/agent-invalid.log")"
before=$(counter $C_BLOCKED)
ip netns exec "$src" "$udp_send" -s 198.19.169.2 198.19.169.1 5060 "$REGISTER" 100
wait_for 5 counter_is $C_BLOCKED $((before + 100)) && pass "while it waits, the blocked source is dropped (+100)" ||
	fail "while waiting: BLOCKED +$(($(counter $C_BLOCKED) - before)), expected 100"
printf '%s\n' "$good_config" >"$root/etc/vosfp.yaml"
wait_for 10 grep -qE "reconciled|no change:" "$work/agent-invalid.log" && [ "$(prog_id)" = "$id_before" ] &&
	pass "the fixed conffile is applied by the waiting agent" || fail "fix not applied: $(tail -3 "$work/agent-invalid.log")"

# === 4. remove keeps the filter (also with a broken conffile); purge takes it down ================
id_before=$(prog_id)
printf 'version: 1\ninterfaces: [\n' >"$root/etc/vosfp.yaml"
stop_agent
: >"$deb_root_log"
dpkg_in_root -r vosfp && [[ "$(status_of vosfp)" == "deinstall ok config-files"* ]] &&
	grep -q "its pin path is unknown: the filter stays in place" "$deb_root_log" &&
	[ "$(prog_id)" = "$id_before" ] && [ ! -e "$root/var/lib/vosfp/pin-path" ] &&
	pass "remove with a broken /etc/vosfp.yaml: goes on, says the pin path is unknown, the filter stays" ||
	fail "remove with a broken conffile: $(status_of vosfp), prog '$(prog_id)'; $(tail -3 "$deb_root_log")"
# Reinstalled over the kept filter, fixed (with the answer rule on, so an egress filter runs too),
# and removed again: this time the pin path is recorded.
dpkg_in_root -i /tmp/new.deb || fail "reinstall after remove: $(tail -3 "$deb_root_log")"
printf '%s\nanswers: {}\n' "$good_config" >"$root/etc/vosfp.yaml"
conffile_sum=$(sha256sum <"$root/etc/vosfp.yaml")
egress_on() { ip netns exec "$edge" tc filter show dev "$dev" egress | grep -q "sip_answers"; }
start_agent "$work/agent-answers.log" || exit 1
stop_agent
egress_on && pass "the answer rule on: an egress filter runs on $dev" ||
	fail "no egress filter on $dev: $(tail -3 "$work/agent-answers.log")"
dpkg_in_root -r vosfp && [ "$(prog_id)" = "$id_before" ] && [ -e "$pins/blocked_ips" ] &&
	[ "$(cat "$root/var/lib/vosfp/pin-path")" = "$pin" ] &&
	pass "remove: the filter stays (program $id_before, pins in place), its pin path recorded for purge" ||
	fail "remove: status $(status_of vosfp), prog '$(prog_id)', recorded '$(cat "$root/var/lib/vosfp/pin-path" 2>&1)'"
before=$(counter $C_BLOCKED)
ip netns exec "$src" "$udp_send" -s 198.19.169.2 198.19.169.1 5060 "$REGISTER" 100
wait_for 20 counter_is $C_BLOCKED $((before + 100)) && pass "after remove the blocked source is still dropped (+100)" ||
	fail "after remove: BLOCKED +$(($(counter $C_BLOCKED) - before)), expected 100"
[ "$(sha256sum <"$root/etc/vosfp.yaml")" = "$conffile_sum" ] && [ -d "$root/var/lib/vosfp" ] &&
	[[ "$(status_of vosfp)" == "deinstall ok config-files"* ]] &&
	pass "remove keeps /etc/vosfp.yaml and /var/lib/vosfp ($(status_of vosfp))" || fail "remove: $(status_of vosfp)"
dpkg_in_root --purge vosfp && [ -z "$(prog_id)" ] && [ ! -e "$pins" ] && ! egress_on &&
	pass "purge: the filter is taken down (no XDP and no egress filter on $dev, no pins)" ||
	fail "purge: prog '$(prog_id)', pins left: $(find "$pins" 2>/dev/null | head -3)"
[ ! -e "$root/etc/vosfp.yaml" ] && [ ! -e "$root/var/lib/vosfp" ] && purged vosfp &&
	pass "purge removes /etc/vosfp.yaml and /var/lib/vosfp" || fail "purge: $(status_of vosfp); $(ls -d "$root"/etc/vosfp.yaml "$root"/var/lib/vosfp 2>&1)"

# === 5. a fresh install filters nothing until an interface is declared =============================
dpkg_in_root -i /tmp/new.deb || fail "fresh install: $(tail -3 "$deb_root_log")"
start_agent "$work/agent-fresh.log" || exit 1
[ -z "$(prog_id)" ] && [ -e "$pins/blocked_ips" ] && [ ! -e "$pins/links" ] && [ -d "$root/var/lib/vosfp" ] &&
	pass "fresh install: the agent runs on the shipped config, maps pinned, nothing attached" ||
	fail "fresh install: prog '$(prog_id)' on $dev; $(tail -3 "$work/agent-fresh.log")"
stop_agent
dpkg_in_root --purge vosfp || fail "purge after the fresh install: $(tail -3 "$deb_root_log")"
exit $test_status
