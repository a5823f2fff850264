# lib.sh - what every vosfp script shares: where the repo, the agent and the config are, how to
# fail, how to print usage. Sourced, never run. Scripts stay thin layers over vosfp-agent: no map
# or attach logic lives in bash.
# shellcheck shell=bash

VOSFP_ROOT=$(cd "$(dirname "$(readlink -f "${BASH_SOURCE[0]}")")/.." && pwd)
# The agent: the installed one, else the one built in this tree.
VOSFP_AGENT=${VOSFP_AGENT:-$(command -v vosfp-agent 2>/dev/null || echo "$VOSFP_ROOT/build/vosfp-agent")}
VOSFP_CONFIG=${VOSFP_CONFIG:-/etc/vosfp.yaml}
# Traffic generator for the simulation and the stress test (built by make).
VOSFP_SEND=${VOSFP_SEND:-$(command -v vosfp-send 2>/dev/null || echo "$VOSFP_ROOT/build/vosfp-send")}

# die MESSAGE [CODE]: message to stderr, exit CODE (default 1).
die() {
	echo "$(basename "$0"): $1" >&2
	exit "${2:-1}"
}

require_root() {
	[ "$(id -u)" -eq 0 ] || die "must run as root (sudo $0 ...)"
}

# script_args MAX ARGS...: the option handling every script without options of its own shares:
# -h/--help prints usage() and exits 0; any other option, or more than MAX operands (-1: any
# number), is a usage error (exit 2) quoting usage()'s first line. The operands are left in ARGS.
script_args() {
	local max=$1 opt OPTIND=1
	shift
	[ "${1:-}" != --help ] || { usage; exit 0; }
	while getopts "h" opt; do
		case "$opt" in
		h) usage; exit 0 ;;
		*) die "usage: $(usage | sed -n '1s/^Usage: //p') (see -h)" 2 ;;
		esac
	done
	shift $((OPTIND - 1))
	if [ "$max" -ge 0 ] && [ $# -gt "$max" ]; then
		die "unexpected argument '${*:max+1:1}' (see -h)" 2
	fi
	# shellcheck disable=SC2034 # read by the scripts that source this file
	ARGS=("$@")
}

require_agent() {
	[ -x "$VOSFP_AGENT" ] || die "vosfp-agent not found at $VOSFP_AGENT: run make (or make install)"
}

# --- Policy scripts (allow_ip.sh, block_ip.sh, unblock_ip.sh, block_ips_from_file.sh) -----------
# They change the desired state: a list file the config names (the state file), edited under a
# lock and replaced atomically, then one reconcile (vosfp-agent --once). The agent's list parser
# is the only address parser; nothing here writes a map.
VOSFP_BLOCK_FILE=${VOSFP_BLOCK_FILE:-/var/lib/vosfp/blocked.txt}
VOSFP_ALLOW_FILE=${VOSFP_ALLOW_FILE:-/var/lib/vosfp/allowed.txt}
VOSFP_LOCK_TIMEOUT=${VOSFP_LOCK_TIMEOUT:-120}	# seconds to wait for another policy script
# Absolute, as the config names them (a relative path would not match, nor survive a cd).
case $VOSFP_BLOCK_FILE in /*) ;; *) VOSFP_BLOCK_FILE=$PWD/$VOSFP_BLOCK_FILE ;; esac
case $VOSFP_ALLOW_FILE in /*) ;; *) VOSFP_ALLOW_FILE=$PWD/$VOSFP_ALLOW_FILE ;; esac
policy_tmp=()
policy_backup=""

policy_cleanup() {
	[ "${#policy_tmp[@]}" -eq 0 ] || rm -f -- "${policy_tmp[@]}"
}

# policy_mktemp VAR [DIR]: a temporary file (in DIR, default $TMPDIR or /tmp) named in VAR and
# removed when the script exits. Not in $(...): the list of files to remove lives in this shell.
policy_mktemp() {
	local dir=${2:-${TMPDIR:-/tmp}} f
	f=$(mktemp "$dir/.vosfp.XXXXXX") || die "cannot create a temporary file in $dir"
	policy_tmp+=("$f")
	trap policy_cleanup EXIT
	trap 'exit 129' HUP	# bash runs the EXIT trap on a signal only through exit
	trap 'exit 130' INT
	trap 'exit 143' TERM
	printf -v "$1" '%s' "$f"
}

# policy_one_arg ARGS...: -h/--help prints usage() and exits 0; anything but exactly one operand
# is a usage error (exit 1). The operand is left in POLICY_ARG.
policy_one_arg() {
	while [ $# -gt 0 ]; do
		case $1 in
		-h | --help) usage; exit 0 ;;
		--) shift; break ;;
		-?*) die "unknown option $1 ($(usage | head -n 1); -h for help)" ;;
		*) break ;;
		esac
	done
	[ $# -eq 1 ] || die "expected exactly one argument, got $# ($(usage | head -n 1); -h for help)"
	# shellcheck disable=SC2034 # read by the scripts that source this file
	POLICY_ARG=$1
}

# policy_reasons OUTPUT [FILE]: the agent's --check-list messages without the summary line and,
# if FILE is given, without the "FILE:LINE: " prefix (the name of one of our temp files).
policy_reasons() {
	if [ -n "${2:-}" ]; then
		sed -e '/^[0-9]* entr[a-z]* valid, [0-9]* invalid$/d' -e "s|^$2:\([0-9]*:\)\{0,1\} *||" <<<"$1"
	else
		sed -e '/^[0-9]* entr[a-z]* valid, [0-9]* invalid$/d' <<<"$1"
	fi
}

# policy_parse_entry ARG: canonical form of ARG (IPv4, IPv6 or CIDR) in POLICY_ENTRY, as the
# agent's list parser reads it; else die with the parser's reason. No privileges, no changes.
policy_parse_entry() {
	local arg=$1 in out err rc=0
	local example="expected one IPv4 or IPv6 address or CIDR prefix (e.g. 198.51.100.7, 203.0.113.0/24 or 2001:db8::/32)"

	# One line of a list file: a newline would make two entries, '#' would start a comment.
	case $arg in
	*$'\n'* | *$'\r'* | *'#'*) die "'${arg//$'\n'/\\n}': $example" ;;
	esac
	require_agent
	policy_mktemp in
	policy_mktemp out
	printf '%s\n' "$arg" >"$in"
	err=$("$VOSFP_AGENT" --check-list --canonical "$in" 2>&1 >"$out") || rc=$?
	case $rc in
	0) ;;
	2) die "$(policy_reasons "$err" "$in" | head -n 1)" ;;
	*) die "vosfp-agent --check-list failed (exit $rc): $err" ;;
	esac
	[ "$(wc -l <"$out")" -eq 1 ] || die "'$arg': $example"
	# shellcheck disable=SC2034 # read by the scripts that source this file
	POLICY_ENTRY=$(cat "$out")
}

# policy_require_listed STATE_FILE SECTION: the config must name STATE_FILE under SECTION
# (blocklist or allowlist), or the agent would never apply what we write (or apply it as the
# other list). A line-based look at the YAML (comments stripped, top-level key tracked), not a
# parse: the agent validates the whole config when it reconciles.
policy_require_listed() {
	local file=$1 section=$2 dir
	[ -r "$VOSFP_CONFIG" ] || die "cannot read the config $VOSFP_CONFIG (VOSFP_CONFIG names another)"
	dir=$(cd "$(dirname "$VOSFP_CONFIG")" && pwd)
	awk -v want="$file" -v section="$section" -v dir="$dir" '
		{ sub(/^#.*/, ""); sub(/[ \t]#.*/, "") }
		/^[A-Za-z_][A-Za-z0-9_]*[ \t]*:/ { key = $0; sub(/[ \t]*:.*/, "", key) }
		key == section {
			n = split($0, tok, /[][ \t,{}"'\'']+/)
			for (i = 1; i <= n; i++) {
				t = tok[i]
				if (t != "" && substr(t, 1, 1) != "/")
					t = dir "/" t	# relative list paths are relative to the config
				if (t == want)
					found = 1
			}
		}
		END { exit !found }' "$VOSFP_CONFIG" ||
		die "$VOSFP_CONFIG does not name $file under $section: add it to $section.optional_files (optional_files: [$file]) so the agent applies it; nothing changed"
}

# policy_lock STATE_FILE: an exclusive lock on STATE_FILE.lock, held until the script exits:
# policy scripts serialize their whole read-modify-write-apply.
policy_lock() {
	local dir lock="$1.lock"
	dir=$(dirname "$1")
	# 0755 whatever the caller's umask: the agent refuses a list in a directory others may write.
	(umask 022 && mkdir -p -- "$dir") || die "cannot create $dir"
	exec {policy_lock_fd}>>"$lock" || die "cannot open the lock file $lock"
	flock -w "$VOSFP_LOCK_TIMEOUT" "$policy_lock_fd" ||
		die "another policy script holds $lock (waited ${VOSFP_LOCK_TIMEOUT}s); nothing changed"
}

# policy_read_state STATE_FILE OUT: the state file's entries, canonical and without duplicates,
# into OUT (empty if the file does not exist). A state file the agent rejects (a bad hand edit)
# stops here: the agent is not applying it either.
policy_read_state() {
	local file=$1 out=$2 raw err rc=0
	: >"$out"
	[ -e "$file" ] || return 0
	policy_mktemp raw
	err=$("$VOSFP_AGENT" --check-list --canonical "$file" 2>&1 >"$raw") || rc=$?
	[ "$rc" -eq 0 ] || die "$file is refused by the agent; fix it first (nothing changed):
$(policy_reasons "$err")"
	awk '!seen[$0]++' "$raw" >"$out"
}

# policy_write_state STATE_FILE NEW: replace STATE_FILE by NEW atomically (a temp file in the
# same directory, renamed over it), keeping the previous content for policy_restore_state. The
# new file is never writable by group or others: the agent would refuse it (StrictModes).
policy_write_state() {
	local file=$1 new=$2 dir tmp
	dir=$(dirname "$file")
	policy_mktemp tmp "$dir"
	cat -- "$new" >"$tmp"
	if [ -e "$file" ]; then
		policy_mktemp policy_backup "$dir"
		cp -p -- "$file" "$policy_backup"
		chmod --reference="$file" -- "$tmp"
		chmod go-w -- "$tmp"
	else
		policy_backup=""
		chmod 644 -- "$tmp"
	fi
	mv -f -- "$tmp" "$file"
}

# policy_restore_state STATE_FILE: put back what policy_write_state replaced (atomically too).
policy_restore_state() {
	if [ -n "$policy_backup" ]; then
		mv -f -- "$policy_backup" "$1"
	else
		rm -f -- "$1"
	fi
}

# policy_apply STATE_FILE: reconcile once (the agent serializes this with a running daemon, which
# also sees the rename). If the agent refuses, restore the previous state file, print the agent's
# error and return 1: the agent rolled back, so the host is as before.
policy_apply() {
	local out rc=0
	out=$("$VOSFP_AGENT" --once --config "$VOSFP_CONFIG" 2>&1) || rc=$?
	[ "$rc" -ne 0 ] || return 0
	policy_restore_state "$1"
	echo "$(basename "$0"): vosfp-agent --once --config $VOSFP_CONFIG failed (exit $rc); previous $1 restored:" >&2
	printf '%s\n' "$out" >&2
	return 1
}

# policy_pin_path: the config's pin_path (default /sys/fs/bpf/vosfp).
policy_pin_path() {
	local p
	p=$(sed -n "s/^pin_path:[[:space:]]*[\"']\{0,1\}\([^\"'#[:space:]]*\).*/\1/p" "$VOSFP_CONFIG" | tail -n 1)
	echo "${p:-/sys/fs/bpf/vosfp}"
}

# policy_blocked_v4 ENTRY: does the live blocklist still drop this IPv4 address or prefix (an
# exact entry, or a prefix covering it)? Reads the pinned maps, changes nothing. IPv6 is not
# looked up: the answer is then "no".
policy_blocked_v4() {
	local entry=$1 pin addr len lenbytes bpftool
	case $entry in *:*) return 1 ;; esac
	bpftool=$(command -v bpftool || echo /usr/sbin/bpftool)
	pin=$(policy_pin_path)
	addr=${entry%/*}
	len=32
	[ "$addr" = "$entry" ] || len=${entry#*/}
	# LPM key: host-order __u32 prefix length, then the address bytes.
	if [ "$(printf '\001\000' | od -An -tu2 | tr -d ' ')" = 1 ]; then
		lenbytes="$len 0 0 0"
	else
		lenbytes="0 0 0 $len"
	fi
	# shellcheck disable=SC2046,SC2086
	{ [ "$len" -eq 32 ] && "$bpftool" map lookup pinned "$pin/blocked_ips" key $(tr . ' ' <<<"$addr") >/dev/null 2>&1; } ||
		"$bpftool" map lookup pinned "$pin/blocked_nets" key $lenbytes $(tr . ' ' <<<"$addr") >/dev/null 2>&1
}

# note MESSAGE: one line to stderr, named like die's.
note() {
	echo "$(basename "$0"): $1" >&2
}

# policy_add ENTRY STATE_FILE SECTION WORD: add a canonical entry to a state file and apply it;
# an entry already there changes nothing (and is not re-applied). WORD: "blocked", "allowed".
policy_add() {
	local entry=$1 file=$2 section=$3 word=$4 cur new
	policy_require_listed "$file" "$section"
	policy_lock "$file"
	policy_mktemp cur
	policy_read_state "$file" "$cur"
	if grep -qxF -- "$entry" "$cur"; then
		note "$entry is already $word (in $file): nothing changed"
		return 0
	fi
	policy_mktemp new
	{ cat -- "$cur"; printf '%s\n' "$entry"; } >"$new"
	policy_write_state "$file" "$new"
	policy_apply "$file" || exit 1
	note "$entry $word (added to $file, applied)"
}

# policy_remove ENTRY STATE_FILE SECTION WORD: remove a canonical entry from a state file and
# apply; an entry not there changes nothing. WORD: "unblocked".
policy_remove() {
	local entry=$1 file=$2 section=$3 word=$4 cur new
	policy_require_listed "$file" "$section"
	policy_lock "$file"
	policy_mktemp cur
	policy_read_state "$file" "$cur"
	if ! grep -qxF -- "$entry" "$cur"; then
		note "$entry is not in $file: nothing changed"
		return 0
	fi
	policy_mktemp new
	grep -vxF -- "$entry" "$cur" >"$new" || true
	policy_write_state "$file" "$new"
	policy_apply "$file" || exit 1
	note "$entry $word (removed from $file, applied)"
}
