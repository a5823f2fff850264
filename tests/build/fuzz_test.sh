#!/usr/bin/env bash
# fuzz_test.sh - run every fuzz target of the Makefile's FUZZ_TARGETS (libFuzzer, ASan, UBSan) for a
# bounded time each, from its committed seeds (tests/fuzz/corpus/NAME, never written) plus what
# earlier runs found (OUT/fuzz/corpus/NAME, kept). A crash, leak, undefined behaviour, timeout or
# memory blow-up is a FAIL with its report, the input left in OUT/fuzz/artifacts/NAME/; otherwise
# a PASS with the executions made and their rate. Builds the targets first (make fuzz-build).
set -uo pipefail

usage() {
	cat <<USAGE
Usage: $(basename "$0") [-o OUT_DIR] [-s SECONDS] [-h] [TARGET...]
Run each fuzz target (default: all of FUZZ_TARGETS) for SECONDS (default 15).
  -o OUT_DIR  the build directory (default: build)
  -s SECONDS  time per target, 1-86400
  -h          this help
Exit: 0 all passed, 1 a target failed (or would not build), 2 usage.
USAGE
}

repo=$(cd "$(dirname "$(readlink -f "$0")")/../.." && pwd)
out=build seconds=15
while getopts "o:s:h" opt; do
	case "$opt" in
	o) out=$OPTARG ;;
	s) seconds=$OPTARG ;;
	h) usage; exit 0 ;;
	*) usage >&2; exit 2 ;;
	esac
done
shift $((OPTIND - 1))
if ! [[ "$seconds" =~ ^[0-9]+$ ]] || [ "$seconds" -lt 1 ] || [ "$seconds" -gt 86400 ]; then
	echo "fuzz_test.sh: -s wants whole seconds from 1 to 86400, not '$seconds'" >&2
	exit 2
fi
cd "$repo" || exit 1
case "$out" in /*) ;; *) out="$repo/$out" ;; esac
targets=("$@")
[ "${#targets[@]}" -gt 0 ] || read -ra targets <<<"$(make --no-print-directory -s print-FUZZ_TARGETS)"

if ! make --no-print-directory -s OUT_DIR="$out" fuzz-build >"$out.fuzz-build.log" 2>&1; then
	echo "FAIL: the fuzz targets do not build (clang with libFuzzer: scripts/install-deps.sh installs libclang-rt-14-dev):"
	tail -20 "$out.fuzz-build.log"
	rm -f "$out.fuzz-build.log"
	exit 1
fi
rm -f "$out.fuzz-build.log"

# The inputs' files (tests/fuzz/fuzz_file.c): in memory when root (/dev/shm), else in the build
# directory (the parsers trust a user's files only in a directory of that user). A target that
# crashes leaves its directory behind: this one takes them all away.
base=$out/fuzz
[ "$(id -u)" -eq 0 ] && [ -d /dev/shm ] && base=/dev/shm
if ! mkdir -p "$base" || ! TMPDIR=$(mktemp -d "$base/vosfp-fuzz-run.XXXXXX"); then
	echo "FAIL: no directory for the inputs in $base"
	exit 1
fi
export TMPDIR
trap 'rm -rf "$TMPDIR"' EXIT

status=0
for t in "${targets[@]}"; do
	bin="$out/fuzz/${t}_fuzz" seeds="tests/fuzz/corpus/$t" corpus="$out/fuzz/corpus/$t"
	artifacts="$out/fuzz/artifacts/$t/" log="$out/fuzz/$t.log" dict=()
	if [ ! -x "$bin" ] || [ ! -d "$seeds" ]; then
		echo "FAIL: fuzz $t: no $bin or no seeds in $seeds (a target is tests/fuzz/${t}_fuzz.c, its seeds and a FUZZ_TARGETS line)"
		status=1
		continue
	fi
	[ -f "tests/fuzz/$t.dict" ] && dict=(-dict="tests/fuzz/$t.dict")
	mkdir -p "$corpus" "$artifacts"
	# In chunks of at most 10 minutes, each a fresh process: ASan keeps the stack of every
	# allocation, and here they keep being new ones, so one process grows ~300 B (list_file) to
	# ~4 KB (config) an execution until it meets -rss_limit_mb (with malloc_context_size=0 it stays
	# flat, and so does a build without ASan: no leak of ours). The corpus carries what a chunk
	# learnt into the next.
	runs=0 rss=0 rc=0 left=$seconds
	while [ "$left" -gt 0 ] && [ "$rc" -eq 0 ]; do
		chunk=$((left < 600 ? left : 600))
		left=$((left - chunk))
		# -timeout: one input taking 10 s is a hang; -rss_limit_mb: the parsers are bounded by
		# their limits, 2 GB is a blow-up; -max_len: past HTTP_REQUEST_MAX and any line limit.
		ASAN_OPTIONS=detect_leaks=1 UBSAN_OPTIONS=print_stacktrace=1:halt_on_error=1 \
			"$bin" -max_total_time="$chunk" -timeout=10 -rss_limit_mb=2048 -max_len=8192 \
			-print_final_stats=1 -artifact_prefix="$artifacts" "${dict[@]}" "$corpus" "$seeds" >"$log" 2>&1
		rc=$?
		n=$(sed -n 's/^stat::number_of_executed_units: *//p' "$log")
		m=$(sed -n 's/^stat::peak_rss_mb: *//p' "$log")
		runs=$((runs + ${n:-0}))
		[ "${m:-0}" -gt "$rss" ] && rss=$m
	done
	rate=$((runs / seconds))
	if [ "$rc" -eq 0 ] && [ "$runs" -gt 0 ]; then
		echo "PASS: fuzz $t: ${runs} executions in ${seconds} s (${rate}/s), corpus $(find "$corpus" -type f | wc -l) + $(find "$seeds" -type f | wc -l) seeds, peak RSS ${rss} MB"
	else
		echo "FAIL: fuzz $t: exit $rc after about ${runs} executions; the input is in $artifacts, the report in $log:"
		grep -E '^==[0-9]+==ERROR|runtime error|^SUMMARY|ALARM|out-of-memory|^ +#[0-9]+ |Test unit written|^artifact_prefix|deadly signal|^fuzz_file:' "$log" | head -30
		status=1
	fi
done
exit $status
