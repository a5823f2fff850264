#!/usr/bin/env bash
# deb_test.sh - the Debian package: built from this tree with the Debian tools, lintian finds no
# error and no warning, it holds the files and the conffile an operator needs, its dependencies
# are the computed library ones plus the scripts' tools, its agent says the package's version and
# its /etc/vosfp.yaml declares no interface; `make deb` refuses a dirty tree and a host without
# the tools (exit 2, naming what is wrong, nothing built). Installs nothing; a clone in a temporary
# directory takes the refusals.
# shellcheck disable=SC2015 # "check && pass || fail": pass never fails
set -uo pipefail

repo=$(cd "$(dirname "$(readlink -f "$0")")/../.." && pwd)
work=$(mktemp -d /tmp/vosfp-deb-test.XXXXXX)
trap 'rm -rf "$work"' EXIT
status=0

pass() { echo "PASS: $1"; }
fail() { echo "FAIL: $1"; status=1; }

for tool in dpkg-buildpackage dh lintian dpkg-deb git; do
	command -v "$tool" >/dev/null || { fail "$tool is not installed (scripts/install-deps.sh installs it)"; exit 1; }
done

# --- the package of this tree (committed or not: tools/build-deb.sh -w) --------------------------
if ! out=$(bash "$repo/tools/build-deb.sh" -w -o "$work" 2>&1); then
	fail "package build: $out"
	exit 1
fi
deb=$(tail -n 1 <<<"$out")
version=$(awk 'NR == 1 { gsub(/[()]/, "", $2); print $2; exit }' "$repo/debian/changelog")
[ "$(basename "$deb")" = "vosfp_${version}_$(dpkg --print-architecture).deb" ] &&
	pass "built $(basename "$deb") ($(head -n 1 <<<"$out" | sed 's/^build-deb: //'))" ||
	fail "package name $(basename "$deb"), expected vosfp_${version}_ARCH.deb"

# lintian's own verdict, all of it shown; errors and warnings fail (debian/vosfp.lintian-overrides
# holds the overridden ones, each with its reason).
lint=$(lintian --display-info "$deb" 2>&1 | grep -v '^running with root privileges')
echo "lintian $(dpkg-query -W -f='${Version}' lintian) on $(basename "$deb"):"
while IFS= read -r line; do echo "    $line"; done <<<"${lint:-(nothing)}"
errors=$(grep -c '^E: ' <<<"$lint")
warnings=$(grep -c '^W: ' <<<"$lint")
[ "$errors" -eq 0 ] && pass "lintian: no error" || fail "lintian: $errors error(s)"
[ "$warnings" -eq 0 ] && pass "lintian: no warning" || fail "lintian: $warnings warning(s)"

# --- contents ------------------------------------------------------------------------------------
contents=$(dpkg-deb -c "$deb" | awk '{ print $1, $6 }')
for entry in "-rwxr-xr-x ./usr/sbin/vosfp-agent" "-rwxr-xr-x ./usr/bin/vosfp-send" \
	"-rw-r--r-- ./usr/lib/vosfp/sip_logic.bpf.o" "-rw-r--r-- ./etc/vosfp.yaml" \
	"-rw-r--r-- ./lib/systemd/system/vosfp-agent.service" "-rw-r--r-- ./usr/share/vosfp/vosfp.yaml.example" \
	"-rw-r--r-- ./usr/share/vosfp/vosfp.schema.json" "-rwxr-xr-x ./usr/share/vosfp/scripts/deploy.sh" \
	"-rwxr-xr-x ./usr/share/vosfp/scripts/block_ip.sh" "-rw-r--r-- ./usr/share/vosfp/scripts/lib.sh" \
	"-rw-r--r-- ./usr/share/man/man8/vosfp-agent.8.gz" "-rw-r--r-- ./usr/share/man/man5/vosfp.yaml.5.gz" \
	"-rw-r--r-- ./usr/share/man/man1/vosfp-send.1.gz" "-rw-r--r-- ./usr/share/doc/vosfp/README.Debian" \
	"-rw-r--r-- ./usr/share/doc/vosfp/copyright"; do
	grep -qxF -- "$entry" <<<"$contents" && pass "dpkg-deb -c: $entry" || fail "dpkg-deb -c: no $entry"
done
[ "$(dpkg-deb -f "$deb" Version)" = "$version" ] && pass "Version: $version (debian/changelog)" ||
	fail "Version: $(dpkg-deb -f "$deb" Version), changelog says $version"
conffiles=$(dpkg-deb --ctrl-tarfile "$deb" | tar -xO ./conffiles 2>/dev/null)
[ "$conffiles" = "/etc/vosfp.yaml" ] && pass "conffiles: /etc/vosfp.yaml (an upgrade never overwrites an edited one)" ||
	fail "conffiles: '$conffiles'"

# Depends: the libraries the agent links, as dh_shlibdeps computed them, and the scripts' tools.
depends=$(dpkg-deb -I "$deb" | sed -n 's/^ Depends: //p')
echo "    Depends: $depends"
for dep in libbpf1 libcyaml1 libyaml-0-2 libc6 bpftool iproute2; do
	grep -qE "(^|, )$dep( |,|$)" <<<"$depends" && pass "Depends names $dep" || fail "Depends lacks $dep: $depends"
done

# The packaged agent and config, unpacked: the version and "no interface until one is declared".
dpkg-deb -x "$deb" "$work/root"
agent_version=$("$work/root/usr/sbin/vosfp-agent" --version 2>&1)
[ "$agent_version" = "vosfp-agent $version" ] && pass "packaged agent: $agent_version" ||
	fail "packaged agent says '$agent_version', package $version"
plan=$("$work/root/usr/sbin/vosfp-agent" --dry-run -c "$work/root/etc/vosfp.yaml" 2>&1)
grep -q "valid (0 interfaces," <<<"$plan" && pass "the shipped /etc/vosfp.yaml is valid and declares no interface" ||
	fail "shipped /etc/vosfp.yaml: $plan"
grep -q '^ExecStart=/usr/sbin/vosfp-agent --config /etc/vosfp.yaml$' "$work/root/lib/systemd/system/vosfp-agent.service" &&
	pass "the unit runs /usr/sbin/vosfp-agent on /etc/vosfp.yaml" || fail "unit ExecStart: $(grep '^Exec' "$work/root/lib/systemd/system/vosfp-agent.service")"

# --- refusals, in a clone: `make deb` builds only a committed tree, and only with the tools ------
git clone -q "$repo" "$work/clone" 2>/dev/null || { fail "git clone $repo"; exit 1; }
echo "# not committed" >>"$work/clone/README.md"
out=$(make -C "$work/clone" --no-print-directory deb 2>&1)
rc=$?
[ $rc -eq 2 ] && grep -q "uncommitted changes" <<<"$out" && grep -q " M README.md" <<<"$out" &&
	[ -z "$(find "$work/clone" -name '*.deb')" ] &&
	pass "make deb on a dirty tree: exit 2, names README.md, builds nothing" || fail "make deb on a dirty tree: rc=$rc $out"
git -C "$work/clone" checkout -q README.md

# Every command of this host but the Debian packaging tools.
mkdir "$work/bin"
for f in /usr/local/sbin/* /usr/local/bin/* /usr/sbin/* /usr/bin/* /sbin/* /bin/*; do
	ln -s "$f" "$work/bin/" 2>/dev/null
done
rm -f "$work/bin/dpkg-buildpackage" "$work/bin/dpkg-checkbuilddeps" "$work/bin/dh"
out=$(env PATH="$work/bin" make -C "$work/clone" --no-print-directory deb 2>&1)
rc=$?
[ $rc -eq 2 ] && grep -q "missing: dpkg-buildpackage (package dpkg-dev)" <<<"$out" &&
	grep -q "missing: dh (package debhelper)" <<<"$out" && [ -z "$(find "$work/clone" -name '*.deb')" ] &&
	pass "make deb without the Debian tools: exit 2, names dpkg-buildpackage and dh, builds nothing" ||
	fail "make deb without the tools: rc=$rc $out"
exit $status
