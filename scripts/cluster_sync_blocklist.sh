#!/usr/bin/env bash
# cluster_sync_blocklist.sh - push one blocklist file to other vosfp nodes over ssh/scp and apply
# it there. The file is validated here before any host is contacted; on each node it replaces the
# list atomically and a failed apply puts the previous list back. Never writes a map itself.
set -euo pipefail
# shellcheck source=scripts/lib.sh
. "$(dirname "$(readlink -f "$0")")/lib.sh"

REMOTE_PATH=${VOS_FASTPATH_CLUSTER_REMOTE_PATH:-/etc/vosfp/blocklist.txt}
REMOTE_AGENT=${VOS_FASTPATH_CLUSTER_REMOTE_AGENT:-vosfp-agent}
REMOTE_CONFIG=${VOS_FASTPATH_CLUSTER_REMOTE_CONFIG:-/etc/vosfp.yaml}
CONNECT_TIMEOUT=${VOS_FASTPATH_CLUSTER_TIMEOUT:-10}
HOST_TIMEOUT=${VOS_FASTPATH_CLUSTER_HOST_TIMEOUT:-120}
JOBS=${VOS_FASTPATH_CLUSTER_JOBS:-8}

usage() {
	cat <<USAGE
Usage: $(basename "$0") [-h] <file> [host...]
Push the blocklist <file> (one IPv4, IPv6 or CIDR per line, '#' comments) to every host and
apply it there. Hosts are [user@]name or [user@]address; if none are given, from
VOS_FASTPATH_CLUSTER_HOSTS (whitespace- or comma-separated).

What happens, in this order:
  1. <file> is copied aside and checked with vosfp-agent --check-list: one bad line (or a
     missing file) and no host is contacted at all.
  2. On each host: scp to a temporary name beside the remote path, then one ssh command
     renames it over the remote path (a watching agent never reads a half-written file) and
     runs the remote agent --once. If that apply fails, the previous remote file is put back
     (or removed, if there was none) and the host counts as failed.
Each node's config must name the remote path, e.g. blocklist.optional_files (the example
/etc/vosfp.yaml names /etc/vosfp/blocklist.txt), so its running agent keeps applying it.
The remote user must be able to write there and run the agent (normally root).

Prints one line per host, "host: ok" on stdout or "host: FAILED (why)" on stderr (why: the
last line ssh, scp or the remote agent said), then: Done: N synced, N failed

Environment:
  VOS_FASTPATH_CLUSTER_HOSTS          hosts when none are given as arguments
  VOS_FASTPATH_CLUSTER_REMOTE_PATH    remote list file [/etc/vosfp/blocklist.txt]
  VOS_FASTPATH_CLUSTER_REMOTE_AGENT   remote vosfp-agent command [vosfp-agent]
  VOS_FASTPATH_CLUSTER_REMOTE_CONFIG  remote config for --once [/etc/vosfp.yaml]
  VOS_FASTPATH_CLUSTER_TIMEOUT        ssh ConnectTimeout, seconds [10]; also how often a
                                      silent connection is probed (3 unanswered: dropped)
  VOS_FASTPATH_CLUSTER_HOST_TIMEOUT   upload and apply are each killed after this many
                                      seconds (a hung node never hangs the run) [120]
  VOS_FASTPATH_CLUSTER_JOBS           hosts synced at the same time; 1: one after another [8]
  VOS_FASTPATH_CLUSTER_SSH_OPTS       extra ssh and scp options, split on whitespace, e.g.
                                      "-i key -o UserKnownHostsFile=f -o Port=2222"
  VOSFP_AGENT                         local vosfp-agent for the check [$VOSFP_AGENT]
ssh runs with BatchMode=yes: keys, never passwords; host keys must already be known.
Remote paths and the agent command may hold only letters, digits and . _ / + - characters.

Exit status: 0 every host synced; 1 the file is invalid or unreadable (nothing sent), or
any host failed; 2 usage error (no file, no hosts, a bad host or setting).
USAGE
}

# --- arguments and settings: all checked before anything is read or sent ------------------------
script_args -1 "$@"
[ "${#ARGS[@]}" -ge 1 ] || die "expected a blocklist file and hosts (see -h)" 2
file=${ARGS[0]}
if [ "${#ARGS[@]}" -gt 1 ]; then
	requested=("${ARGS[@]:1}")
else
	env_hosts=${VOS_FASTPATH_CLUSTER_HOSTS:-}
	read -ra requested <<<"${env_hosts//,/ }"
fi
[ "${#requested[@]}" -gt 0 ] ||
	die "no hosts: name them after the file or in VOS_FASTPATH_CLUSTER_HOSTS (see -h)" 2

count() { [[ $2 =~ ^[1-9][0-9]{0,5}$ ]] || die "$1 '$2': expected a whole number of $3 (1 or more)" 2; }
count VOS_FASTPATH_CLUSTER_TIMEOUT "$CONNECT_TIMEOUT" seconds
count VOS_FASTPATH_CLUSTER_HOST_TIMEOUT "$HOST_TIMEOUT" seconds
count VOS_FASTPATH_CLUSTER_JOBS "$JOBS" hosts

# scp's remote path is read by a remote shell in legacy mode and taken literally over SFTP (the
# default since OpenSSH 9.0): no quoting is right for both, so the remote words keep to a set
# that needs none. The ssh commands still quote them (printf %q).
safe_word() {
	[[ $2 =~ ^[A-Za-z0-9._/+-]+$ && $2 != -* ]] ||
		die "$1 '$2': only letters, digits and . _ / + - are allowed (and no leading -)" 2
}
safe_word VOS_FASTPATH_CLUSTER_REMOTE_PATH "$REMOTE_PATH"
safe_word VOS_FASTPATH_CLUSTER_REMOTE_AGENT "$REMOTE_AGENT"
safe_word VOS_FASTPATH_CLUSTER_REMOTE_CONFIG "$REMOTE_CONFIG"
case $REMOTE_PATH in
/*[!/]) ;;
*) die "VOS_FASTPATH_CLUSTER_REMOTE_PATH '$REMOTE_PATH': expected an absolute file path" 2 ;;
esac
case $REMOTE_CONFIG in
/*) ;;
*) die "VOS_FASTPATH_CLUSTER_REMOTE_CONFIG '$REMOTE_CONFIG': expected an absolute path" 2 ;;
esac
remote_dir=${REMOTE_PATH%/*}
remote_dir=${remote_dir:-/}
remote_base=${REMOTE_PATH##*/}

# A host is [user@]name, or [user@]IPv6 (bare or in brackets). Anything else, notably a leading
# '-' (ssh would read an option) or a ':' that is not IPv6 (scp would read a path), is refused.
v6='[0-9A-Fa-f.]*:[0-9A-Fa-f.]*:[0-9A-Fa-f:.]*'	# two colons at least: never name:port
hosts=()
declare -A seen=()
for h in "${requested[@]}"; do
	[[ $h =~ ^([A-Za-z0-9._][A-Za-z0-9._-]*@)?([A-Za-z0-9_][A-Za-z0-9._-]*|$v6|\[$v6\])$ ]] ||
		die "bad host '$h': expected [user@]name or [user@]address (options go in VOS_FASTPATH_CLUSTER_SSH_OPTS)" 2
	[ -z "${seen[$h]:-}" ] || { note "$h named twice: synced once"; continue; }
	seen[$h]=1
	hosts+=("$h")
done
read -ra ssh_opts <<<"${VOS_FASTPATH_CLUSTER_SSH_OPTS:-}"
ssh_args=(-o BatchMode=yes -o ConnectTimeout="$CONNECT_TIMEOUT"
	-o ServerAliveInterval="$CONNECT_TIMEOUT" -o ServerAliveCountMax=3 ${ssh_opts[@]+"${ssh_opts[@]}"})

# --- the file: a private snapshot, validated; that snapshot is what every host receives ----------
# (an edit of <file> during the run can then never send unchecked lines).
if [ ! -f "$file" ] || [ ! -r "$file" ]; then
	die "cannot read $file: expected a readable blocklist file; nothing sent"
fi
require_agent
work=$(mktemp -d "${TMPDIR:-/tmp}/vosfp-cluster-sync.XXXXXX") || die "cannot create a temporary directory"

cleanup() {
	local running
	running=$(jobs -pr)
	if [ -n "$running" ]; then
		# shellcheck disable=SC2086 # one PID per word
		kill -TERM $running 2>/dev/null || true
		wait 2>/dev/null || true
	fi
	rm -rf -- "$work"
}
trap cleanup EXIT
trap 'exit 129' HUP	# bash runs the EXIT trap on a signal only through exit
trap 'exit 130' INT
trap 'exit 143' TERM

snap=$work/list
cp -- "$file" "$snap" || die "cannot read $file; nothing sent"
chmod 644 -- "$snap"	# scp gives the remote file this mode; mktemp's 0600 would be odd there
rc=0
check=$("$VOSFP_AGENT" --check-list "$snap" 2>&1) || rc=$?
if [ "$rc" -ne 0 ]; then
	while IFS= read -r line; do
		printf '%s\n' "${line/#"$snap:"/"$file:"}" >&2
	done <<<"$check"
	[ "$rc" -eq 2 ] || die "vosfp-agent --check-list failed (exit $rc); nothing sent"
	die "$file has lines vosfp-agent rejects; nothing sent to any host"
fi
if [[ $check =~ ^0\ entries\ valid ]]; then
	note "warning: $file holds no entries: every host's $REMOTE_PATH becomes an empty list"
fi

# --- one host --------------------------------------------------------------------------------------
# remote_script TMP: the single remote command: swap TMP over the remote path, apply, and on a
# failed apply put the previous file back. Its last line is the reason shown: the agent's first
# error (the agent prints the problem first, then a summary). POSIX sh: the remote login shell
# may not be bash.
remote_script() {
	local t f b a c
	printf -v t %q "$1"
	printf -v f %q "$REMOTE_PATH"
	printf -v b %q "$1.prev"
	printf -v a %q "$REMOTE_AGENT"
	printf -v c %q "$REMOTE_CONFIG"
	cat <<REMOTE
if [ -d $f ]; then rm -f -- $t; echo "$REMOTE_PATH is a directory"; exit 3; fi
had=0
if [ -e $f ]; then
	cp -p -- $f $b || { rm -f -- $t; echo "cannot keep a copy of $REMOTE_PATH; nothing changed"; exit 3; }
	chmod --reference=$f -- $t 2>/dev/null
	had=1
fi
mv -f -- $t $f || { rm -f -- $t $b; echo "cannot replace $REMOTE_PATH; nothing changed"; exit 3; }
out=\$($a --once --config $c 2>&1)
rc=\$?
if [ \$rc -eq 0 ]; then rm -f -- $b; exit 0; fi
printf '%s\n' "\$out"
if [ \$had = 1 ]; then mv -f -- $b $f; else rm -f -- $f; fi &&
	kept="previous $REMOTE_PATH restored" || kept="previous $REMOTE_PATH NOT restored (see $1.prev)"
why=\$(printf '%s\n' "\$out" | sed -n '/error/{p;q;}')
[ -n "\$why" ] || why=\$(printf '%s\n' "\$out" | tail -n 1)
echo "apply failed: $REMOTE_AGENT exit \$rc: \$why; \$kept"
exit 4
REMOTE
}

# why LOG: the line that explains a failure: the last one, skipping scp's closing remarks.
why() {
	local r
	r=$(tr -d '\r' <"$1" | grep -v -e 'scp: Connection closed$' -e '^lost connection$' -e '^[[:space:]]*$' | tail -n 1) || true
	echo "${r:-no message}"
}

# bounded LOG COMMAND...: run COMMAND killed after HOST_TIMEOUT, output in LOG. In the background
# and waited for, so that the job's TERM trap runs at once and takes the command down with it.
bounded() {
	local log=$1
	shift
	timeout -k 5 "$HOST_TIMEOUT" "$@" </dev/null >"$log" 2>&1 &
	step_pid=$!
	wait "$step_pid"
}

# sync_host INDEX HOST: runs as a background job; prints the host's line, leaves "ok" or
# "failed" in $work/INDEX.result.
sync_host() {
	local i=$1 host=$2 user="" addr dest target tmp rc=0 reason=""
	step_pid=""
	trap '[ -z "$step_pid" ] || kill -TERM "$step_pid" 2>/dev/null; exit 143' TERM
	case $host in *@*) user=${host%@*}@ ;; esac
	addr=${host##*@}
	addr=${addr#[}
	addr=${addr%]}
	dest=$user$addr
	target=$dest
	case $addr in *:*) target="${user}[$addr]" ;; esac	# scp needs brackets around IPv6
	tmp="$remote_dir/.$remote_base.sync-$$-$i-$RANDOM"
	[ "$remote_dir" != / ] || tmp="/.$remote_base.sync-$$-$i-$RANDOM"

	# An upload cut short can leave its temporary file behind; no config names it, so no agent
	# reads it, and the next sync uses another name.
	bounded "$work/$i.log" scp "${ssh_args[@]}" -- "$snap" "$target:$tmp" || rc=$?
	case $rc in
	0) ;;
	124 | 137) reason="upload timed out after ${HOST_TIMEOUT}s; $REMOTE_PATH unchanged" ;;
	*) reason="upload: $(why "$work/$i.log"); $REMOTE_PATH unchanged" ;;
	esac
	if [ "$rc" -eq 0 ]; then
		bounded "$work/$i.log" ssh -n "${ssh_args[@]}" -- "$dest" "$(remote_script "$tmp")" || rc=$?
		case $rc in
		0) ;;
		124 | 137) reason="apply timed out after ${HOST_TIMEOUT}s; check $REMOTE_PATH and the agent there" ;;
		255) reason="$(why "$work/$i.log"); swap and apply not confirmed" ;;
		*) reason=$(why "$work/$i.log") ;;
		esac
	fi
	if [ "$rc" -eq 0 ]; then
		echo "$host: ok"
		echo ok >"$work/$i.result"
	else
		echo "$host: FAILED ($reason)" >&2
		echo failed >"$work/$i.result"
	fi
}

# --- every host, at most JOBS at a time --------------------------------------------------------------
i=0
for host in "${hosts[@]}"; do
	while [ "$(jobs -pr | wc -l)" -ge "$JOBS" ]; do
		wait -n || true
	done
	sync_host "$i" "$host" &
	i=$((i + 1))
done
wait

synced=0 failed=0
for i in "${!hosts[@]}"; do
	if [ "$(cat "$work/$i.result" 2>/dev/null)" = ok ]; then
		synced=$((synced + 1))
	else
		failed=$((failed + 1))
		[ -e "$work/$i.result" ] || echo "${hosts[$i]}: FAILED (its sync job ended without a result)" >&2
	fi
done
echo "Done: $synced synced, $failed failed"
[ "$failed" -eq 0 ]
