#!/usr/bin/env bash
# bench_test.sh - `make bench` keeps working: its datapath part builds and, on a small list with
# few runs, loads every program, checks every class's frame takes the path its row names
# (verdict and counter, on the real kernel) and prints every row and floor. Timing figures are
# never asserted here (make bench reports them; a test run on a busy host would only add noise).
set -uo pipefail

repo=$(cd "$(dirname "$(readlink -f "$0")")/../.." && pwd)
out=${VOSFP_OUT_DIR:-$repo/build}
status=0

pass() { echo "PASS: $1"; }
fail() { echo "FAIL: $1"; status=1; }

# Make's targets are named relative to the repository (build/...), as the Makefile writes them.
rel=${out#"$repo"/}
if ! log=$(make -C "$repo" --no-print-directory "$rel/trivial.bpf.o" "$rel/floor.bpf.o" \
	"$rel/bench/prog_bench" "$rel/bench/flood_bench" 2>&1); then
	fail "bench programs do not build: $log"
	exit 1
fi
pass "bench programs build"

bench=("$out/bench/prog_bench" -n 20000 -r 1000 -t 1 "$out/sip_logic.bpf.o" "$out/trivial.bpf.o" \
	"$out/floor.bpf.o")
log=$("${bench[@]}" 2>&1)
rc=$?
if [ "$rc" -eq 0 ]; then
	pass "prog_bench runs: every class verified on the kernel"
else
	fail "prog_bench exited $rc: $log"
fi

classes="blocked_v4_exact blocked_v4_prefix blocked_v6_exact blocked_v6_prefix options_v4_stealth
	register_v4 register_v6 invite_v4_1400 invite_v4_defence invite_v4_attack udp_v4_dns tcp_v4_5060
	register_v4_dec register_v6_dec decision_v4_exact decision_v4_range decision_v6_exact"
for c in $classes; do
	if grep -Eq "^BENCH prog class=$c verdict=[A-Z]+ .* ratio=[0-9.]+ target=[0-9.]+ status=(ok|over)$" <<<"$log"; then
		pass "row $c"
	else
		fail "row $c missing or malformed"
	fi
done
if grep -Eq "^BENCH decisions entries=[0-9]+ ms=[0-9.]+ v4_sum_density=[0-9.]+$" <<<"$log"; then
	pass "the decisions' load line"
else
	fail "the decisions' load line missing or malformed"
fi
for c in answer_200_v4 answer_200_v6 answer_200_v4_1400 answer_100_v4 answer_404_v4 answer_401_v4 \
	answer_401_v6_tcp udp_v4_other_port; do
	if grep -Eq "^BENCH egress class=$c bytes=[0-9]+ ns=[0-9.]+ .* baseline=trivial_tc .* ratio=[0-9.]+$" <<<"$log"; then
		pass "egress row $c"
	else
		fail "egress row $c missing or malformed"
	fi
done
# Issue 14's goals, each against its reference in the same rounds, with its status.
for g in v6_prefix defence non_sip v6_prefix_every_length; do
	if grep -Eq "^BENCH goal name=$g .*target=[0-9.]+ .*status=(ok|over)$" <<<"$log"; then
		pass "goal $g"
	else
		fail "goal $g missing or malformed"
	fi
done
for f in floor_parse floor_blocked floor_defence; do
	if grep -Eq "^BENCH floor name=$f .* ratio=[0-9.]+ target=[0-9.]+ status=(above|below)$" <<<"$log"; then
		pass "floor $f"
	else
		fail "floor $f missing or malformed"
	fi
done

"${bench[0]}" -r 10 "${bench[@]:7}" >/dev/null 2>&1
rc=$?
if [ "$rc" -eq 2 ]; then
	pass "too few runs per trial is a usage error (exit 2)"
else
	fail "prog_bench -r 10 exited $rc, expected 2"
fi

# A flood shorter than half a second is refused before anything is made.
log=$(VOSFP_OUT_DIR=$out bash "$repo/bench/flood_bench.sh" -d 0.4 2>&1)
rc=$?
if [ "$rc" -eq 2 ] && grep -q -- "-d wants 0.5..9 seconds" <<<"$log"; then
	pass "flood_bench.sh -d 0.4 is a usage error (exit 2) that names the range"
else
	fail "flood_bench.sh -d 0.4 exited $rc: $log"
fi

# The line-rate flood, one short round per class: it runs end to end (its own exact cross-check of
# sip_xdp_prog's counters against the veth's holds) and prints one row per class.
log=$(VOSFP_OUT_DIR=$out bash "$repo/bench/flood_bench.sh" -n 1000 -D 1000 -d 0.5 -r 1 2>&1)
rc=$?
if [ "$rc" -eq 0 ]; then
	pass "flood_bench.sh runs: every frame of every class counted where it belongs"
else
	fail "flood_bench.sh exited $rc: $log"
fi
for c in blocked options malformed decision scanner rate_limited auto_blocked; do
	if grep -Eq "^BENCH flood class=$c bytes=[0-9]+ mpps=[0-9.]+ drop_mpps=[0-9.]+ ratio=[0-9.]+ target=[0-9.]+ status=(ok|over) " <<<"$log"; then
		pass "flood row $c"
	else
		fail "flood row $c missing or malformed"
	fi
done
# The blocked floor, flooded in the same turns: every frame dropped (flood_bench checks it).
grep -Eq "^BENCH flood_floor name=floor_blocked class=blocked mpps=[0-9.]+ drop_mpps=[0-9.]+ ratio=[0-9.]+ " <<<"$log" &&
	pass "flood row floor_blocked beside the blocked class" || fail "flood row floor_blocked missing or malformed"
if ! ip netns list | grep -q "vosfp-flood-.*-[0-9]" && ! compgen -G "/sys/fs/bpf/vosfp-flood-*" >/dev/null &&
	! pgrep -f "crowdsec_fake_lapi.py 18141 flood-bench-key" >/dev/null; then
	pass "flood_bench.sh leaves no namespace, pin or fake LAPI behind"
else
	fail "flood_bench.sh left $(ip netns list | grep vosfp-flood) $(compgen -G "/sys/fs/bpf/vosfp-flood-*") $(pgrep -af "crowdsec_fake_lapi.py 18141")"
fi
# The sender's guards: no frame from outside 198.18.0.0/15, never in the namespace it started in.
fb=("$out/bench/flood_bench" -i lo -I lo -l /nonexistent -c /nonexistent -t "$out/trivial.bpf.o")
"${fb[@]}" -n /proc/self/ns/net -N /proc/self/ns/net blocked=192.0.2.1 >/dev/null 2>&1
rc=$?
if [ "$rc" -eq 2 ]; then
	pass "flood_bench refuses a source outside 198.18.0.0/15 (exit 2)"
else
	fail "flood_bench with source 192.0.2.1 exited $rc, expected 2"
fi
log=$("${fb[@]}" -n /proc/self/ns/net -N /proc/self/ns/net blocked=198.18.160.66 2>&1)
rc=$?
if [ "$rc" -eq 1 ] && grep -q "is the namespace this ran in" <<<"$log"; then
	pass "flood_bench refuses to send in the namespace it was started in"
else
	fail "flood_bench in its own namespace exited $rc: $log"
fi
exit $status
