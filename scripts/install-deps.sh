#!/usr/bin/env bash
# install-deps.sh - install the Debian packages vosfp needs to build, test and run, and only
# those that are missing. Idempotent: a second run installs nothing and says so.
set -euo pipefail

usage() {
	cat <<USAGE
Usage: $(basename "$0") [-n] [-h]
Install the Debian 12 packages that building and testing vosfp needs, if missing.
  -n  only list what is missing (exit 1 if anything is)
  -h  this help
USAGE
}

# Build: clang/llvm (BPF), bpftool (vmlinux.h, skeleton), libbpf/libxdp, libcyaml, Check.
# Test and run: iproute2 (netns, veth, ip link xdp), procps; python3-jsonschema and python3-yaml
# (tests/integration/schema_test.sh checks configs against schemas/vosfp.schema.json);
# the shellcheck package (the scripts must stay clean); util-linux (runuser, taskset, flock);
# man-db, groff-base and binutils (the install test renders the man pages, reads the binary);
# sip-tester (sipp), kamailio and sipvicious (real SIP peers and attack tools: make demo and the tests); openssh-server and
# openssh-client (cluster_sync_blocklist.sh's test runs two sshd "nodes"); docker-compose
# (validates docker-compose.yml: no engine needed); prometheus (its promtool checks the agent's
# /metrics exposition in the metrics test); build-essential, dpkg-dev, debhelper and git (make deb
# builds the package from a commit with dpkg-buildpackage, which wants build-essential;
# Rules-Requires-Root: no, so no fakeroot) and lintian (the package test); libcurl4-openssl-dev
# and libjson-c-dev (the agent's CrowdSec feed: HTTP(S) and JSON); crowdsec and curl (the
# CrowdSec tests run their own Local API); libclang-rt-14-dev (libFuzzer and the sanitizers'
# runtimes for clang 14: make fuzz, tests/build/fuzz_test.sh).
PACKAGES=(
	make gcc libc6-dev clang llvm pkg-config libclang-rt-14-dev
	bpftool libbpf-dev libxdp-dev xdp-tools
	libcyaml-dev libyaml-dev check
	iproute2 procps
	python3-jsonschema python3-yaml
	shellcheck util-linux
	man-db groff-base binutils
	sip-tester kamailio sipvicious openssh-server openssh-client docker-compose
	prometheus
	build-essential dpkg-dev debhelper git lintian
	libcurl4-openssl-dev libjson-c-dev crowdsec curl
)
# Packages that ship a system daemon: the tests run their own instances, so installing them must
# not start (or enable) a system-wide kamailio, sshd or prometheus on the operator's machine.
DAEMONS=(kamailio:kamailio openssh-server:ssh prometheus:prometheus crowdsec:crowdsec)

dry_run=0
while getopts "nh" opt; do
	case "$opt" in
	n) dry_run=1 ;;
	h) usage; exit 0 ;;
	*) usage >&2; exit 2 ;;
	esac
done

missing=()
for pkg in "${PACKAGES[@]}"; do
	status=$(dpkg-query -W -f='${db:Status-Status}' "$pkg" 2>/dev/null || true)
	[ "$status" = "installed" ] || missing+=("$pkg")
done

if [ "${#missing[@]}" -eq 0 ]; then
	echo "install-deps: all ${#PACKAGES[@]} packages present"
	exit 0
fi
if [ "$dry_run" -eq 1 ]; then
	echo "install-deps: missing: ${missing[*]}"
	exit 1
fi
if [ "$(id -u)" -ne 0 ]; then
	echo "install-deps: missing packages: ${missing[*]}" >&2
	echo "install-deps: run as root (sudo make check) or: sudo apt-get install ${missing[*]}" >&2
	exit 1
fi

echo "install-deps: installing ${missing[*]}"
export DEBIAN_FRONTEND=noninteractive

# policy-rc.d exiting 101 is Debian's "do not start services" switch (invoke-rc.d and
# deb-systemd-invoke honour it). Put one in place for the install unless the host has its own.
policy=/usr/sbin/policy-rc.d
own_policy=0
if [ ! -e "$policy" ]; then
	printf '#!/bin/sh\n# installed by vosfp install-deps.sh for the duration of an install\nexit 101\n' >"$policy"
	chmod 755 "$policy"
	own_policy=1
	trap 'rm -f "$policy"' EXIT
fi

# crowdsec's postinst registers the host with CrowdSec's Central API unless this file exists
# and is not empty: the tests need no Central API, and an install must not enrol the host.
capi=/etc/crowdsec/online_api_credentials.yaml
case " ${missing[*]} " in
*" crowdsec "*)
	if [ ! -s "$capi" ]; then
		mkdir -p "$(dirname "$capi")"
		printf '# no Central API: written by vosfp install-deps.sh before installing crowdsec\n' >"$capi"
		echo "install-deps: $capi written first: crowdsec will not register with the Central API"
	fi
	;;
esac

apt_install() {
	apt-get -o DPkg::Lock::Timeout=600 install -y -q --no-install-recommends "$@"
}
# A fresh machine has no package lists yet: refresh once, then install.
if ! apt_install "${missing[@]}"; then
	apt-get -o DPkg::Lock::Timeout=600 update -q
	apt_install "${missing[@]}"
fi

# The units of daemons installed just now are enabled by their packages: disable them (a host
# that had them before keeps its own setting).
for entry in "${DAEMONS[@]}"; do
	pkg=${entry%%:*} unit=${entry#*:}
	case " ${missing[*]} " in *" $pkg "*) ;; *) continue ;; esac
	if command -v systemctl >/dev/null && systemctl disable --quiet "$unit" 2>/dev/null; then
		echo "install-deps: $unit.service installed but not enabled (vosfp's tests run their own)"
	fi
done
[ "$own_policy" -eq 0 ] || rm -f "$policy"
echo "install-deps: done"
