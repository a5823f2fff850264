# deb_root_lib.sh - a throwaway root where dpkg installs, upgrades, removes and purges vosfp for
# real: this host's / under a copy-on-write overlay (the upper layer on a tmpfs) with a private bpf
# filesystem, /run and /tmp; commands run chrooted into it inside a network namespace the test
# made. Source it (after lib.sh) from a test running in a private mount namespace (unshare -m):
# the host's files, dpkg database, pins, interfaces and services are never touched, and the mounts
# go with the namespace. No systemd runs there: start_agent/stop_agent do what deb-systemd-invoke
# would. Sets deb_root (the root's path), deb_root_netns, deb_root_log (dpkg's output), agent_pid.
# shellcheck shell=bash disable=SC2016 # '${Status}' is dpkg-query's

deb_root="" deb_root_netns="" deb_root_log="" agent_pid=""

# deb_root_make DIR NETNS: build the root at DIR/root (DIR must be empty), run in NETNS.
deb_root_make() {
	local dir=$1
	deb_root_netns=$2 deb_root_log="$dir/dpkg.log"
	mount -t tmpfs tmpfs "$dir" && mkdir "$dir/upper" "$dir/work" "$dir/root" &&
		mount -t overlay overlay -o "lowerdir=/,upperdir=$dir/upper,workdir=$dir/work" "$dir/root" || return 1
	deb_root="$dir/root"
	mount --rbind /proc "$deb_root/proc" && mount --rbind /sys "$deb_root/sys" &&
		mount --rbind /dev "$deb_root/dev" && mount -t bpf bpf "$deb_root/sys/fs/bpf" &&
		mount -t tmpfs tmpfs "$deb_root/run" && mount -t tmpfs tmpfs "$deb_root/tmp" &&
		mkdir "$deb_root/run/lock" || return 1
	rm -f "$deb_root/var/lib/man-db/auto-update"	# no man-db trigger (seconds of mandb) in the copy
}

# processes_in_root: the PIDs of the processes whose root is this root (what the test started).
processes_in_root() {
	local p
	[ -n "$deb_root" ] || return 0
	for p in /proc/[0-9]*; do
		[ "$(readlink "$p/root" 2>/dev/null)" != "$deb_root" ] || echo "${p#/proc/}"
	done
}

# deb_root_remove: stop what runs in the root, unmount it (its tmpfs goes with it).
deb_root_remove() {
	local pid
	[ -n "$deb_root" ] || return 0
	for pid in $agent_pid $(processes_in_root); do
		kill -TERM "$pid" 2>/dev/null
		wait "$pid" 2>/dev/null
	done
	wait_for 10 test -z "$(processes_in_root)"
	umount -R "${deb_root%/root}" 2>/dev/null
	deb_root=""
}

# in_root CMD...: CMD in the root, in its network namespace, with a clean environment.
in_root() {
	nsenter --net="/run/netns/$deb_root_netns" chroot "$deb_root" \
		env -i PATH=/usr/sbin:/usr/bin:/sbin:/bin LANG=C DEBIAN_FRONTEND=noninteractive "$@"
}
# exec_in_root CMD...: the same, replacing the calling (sub)shell: a background job's PID is CMD's.
exec_in_root() {
	exec nsenter --net="/run/netns/$deb_root_netns" chroot "$deb_root" \
		env -i PATH=/usr/sbin:/usr/bin:/sbin:/bin LANG=C "$@"
}
# dpkg_in_root ARGS...: dpkg as unattended upgrades run it (an edited conffile is kept, no prompt).
dpkg_in_root() {
	in_root dpkg --force-confdef --force-confold "$@" >>"$deb_root_log" 2>&1
}
status_of() { in_root dpkg-query -W -f='${Status} ${Version}' "$1" 2>/dev/null; }
purged() { [[ "$(status_of "$1")" == "" || "$(status_of "$1")" == *not-installed* ]]; }

stop_pid() {	# stop_pid PID: SIGTERM, then wait for it (bounded); its exit status
	kill -TERM "$1" 2>/dev/null
	wait_for 10 bash -c "! kill -0 $1 2>/dev/null"
	wait "$1" 2>/dev/null
}

# start_agent LOG [PATTERN]: what vosfp-agent.service does (its ExecStartPre lines, then
# ExecStart), in the root, in the background; returns once LOG shows PATTERN (default: the first
# reconcile).
start_agent() {
	local log=$1 expect=${2:-reconciled|no change:} unit="" cmd f
	for f in "$deb_root"/lib/systemd/system/vosfp-agent.service "$deb_root"/usr/lib/systemd/system/vosfp-agent.service; do
		[ -n "$unit" ] || [ ! -e "$f" ] || unit=$f
	done
	[ -n "$unit" ] || { fail "no vosfp-agent.service installed"; return 1; }
	while IFS= read -r cmd; do
		in_root sh -c "$cmd" >>"$log" 2>&1 || { fail "ExecStartPre $cmd: $(tail -3 "$log")"; return 1; }
	done < <(sed -n 's/^ExecStartPre=//p' "$unit")
	cmd=$(sed -n 's/^ExecStart=//p' "$unit")
	exec_in_root sh -c "exec $cmd" 2>>"$log" &
	agent_pid=$!
	# A loaded 2-core host has taken 8 s to verify the object (the first reconcile loads it).
	wait_for 60 grep -qE "$expect" "$log" ||
		{ fail "agent ($cmd) did not come up: $(tail -3 "$log")"; return 1; }
}

stop_agent() {	# what deb-systemd-invoke stop does: SIGTERM, wait; the agent's exit status
	local rc
	stop_pid "$agent_pid"
	rc=$?
	agent_pid=""
	return $rc
}
