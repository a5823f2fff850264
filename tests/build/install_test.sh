#!/usr/bin/env bash
# install_test.sh - `make install` with PREFIX and DESTDIR lays out the tree an operator (or a
# package) expects, the installed agent runs and finds the installed object, an existing
# /etc/vosfp.yaml is never replaced, and `make uninstall` removes what install put there.
set -uo pipefail

repo=$(cd "$(dirname "$(readlink -f "$0")")/../.." && pwd)
dest=$(mktemp -d /tmp/vosfp-install-test.XXXXXX)
trap 'rm -rf "$dest"' EXIT
status=0

pass() { echo "PASS: $1"; }
fail() { echo "FAIL: $1"; status=1; }

if ! out=$(make -C "$repo" --no-print-directory install PREFIX=/usr DESTDIR="$dest" 2>&1); then
	fail "make install: $out"
	exit 1
fi

expect_file() {	# expect_file PATH MODE
	local f="$dest$1" mode
	mode=$(stat -c %a "$f" 2>/dev/null)
	if [ "$mode" = "$2" ]; then
		pass "installed $1 (mode $2)"
	else
		fail "$1: mode '${mode:-missing}', expected $2"
	fi
}

expect_file /usr/sbin/vosfp-agent 755
expect_file /usr/bin/vosfp-send 755
expect_file /usr/lib/vosfp/sip_logic.bpf.o 644
expect_file /usr/share/vosfp/vosfp.yaml.example 644
expect_file /usr/share/vosfp/vosfp.schema.json 644
expect_file /usr/share/vosfp/scripts/block_ip.sh 755
# Libraries the scripts source are not commands (no #!): not executable.
expect_file /usr/share/vosfp/scripts/lib.sh 644
expect_file /usr/share/vosfp/scripts/sim_lib.sh 644
expect_file /etc/vosfp.yaml 644
expect_file /usr/lib/systemd/system/vosfp-agent.service 644
expect_file /usr/share/man/man8/vosfp-agent.8 644
expect_file /usr/share/man/man5/vosfp.yaml.5 644
expect_file /usr/share/man/man1/vosfp-send.1 644
expect_file /usr/share/vosfp/grafana/vosfp-dashboard.json 644
expect_file /usr/share/vosfp/grafana/prometheus.yml 644

unit="$dest/usr/lib/systemd/system/vosfp-agent.service"
if grep -q '^ExecStart=/usr/sbin/vosfp-agent --config /etc/vosfp.yaml$' "$unit" &&
	grep -q '^ExecReload=/bin/kill -HUP $MAINPID$' "$unit" && ! grep -q '@SBINDIR@' "$unit"; then
	pass "systemd unit points at the installed agent and reloads with SIGHUP"
else
	fail "systemd unit: $(grep -E '^Exec' "$unit")"
fi
if grep -q '^CapabilityBoundingSet=CAP_BPF ' "$unit" && grep -q '^ProtectSystem=strict$' "$unit" &&
	grep -q '^ReadWritePaths=/sys/fs/bpf ' "$unit"; then
	pass "systemd unit is hardened (capabilities, ProtectSystem, ReadWritePaths)"
else
	fail "systemd unit hardening lines missing"
fi
if grep -q '^MemoryMax=' "$unit" && grep -q '^SystemCallFilter=@system-service bpf$' "$unit" &&
	grep -q '^PrivateDevices=yes$' "$unit" && grep -q '^UMask=0077$' "$unit"; then
	pass "systemd unit bounds memory (MemoryMax) and system calls (@system-service and bpf)"
else
	fail "systemd unit: MemoryMax, SystemCallFilter, PrivateDevices or UMask missing"
fi
# systemd's own reading of the unit, where systemd is installed (no PID 1 needed): every directive
# known, the exposure score it gives.
if command -v systemd-analyze >/dev/null && systemd-analyze security --help 2>/dev/null | grep -q -- --offline; then
	if out=$(systemd-analyze security --offline=true "$unit" 2>&1) && ! grep -qiE "unknown|failed to parse|ignoring" <<<"$out"; then
		pass "systemd-analyze security reads every directive: $(tail -n 1 <<<"$out" | sed 's/^→ //')"
	else
		fail "systemd-analyze security: $(grep -iE "unknown|failed|ignoring" <<<"$out" | head -n 3)"
	fi
fi

# The installed agent runs, and its default object is the installed one (PREFIX is compiled in).
version=$("$dest/usr/sbin/vosfp-agent" --version)
if grep -q '^vosfp-agent ' <<<"$version"; then
	pass "installed agent runs"
else
	fail "installed agent does not run"
fi
# (strings' output captured first: `strings | grep -q` fails under pipefail when grep exits early)
agent_strings=$(strings "$dest/usr/sbin/vosfp-agent")
if grep -qx '/usr/lib/vosfp/sip_logic.bpf.o' <<<"$agent_strings"; then
	pass "installed agent's default object is /usr/lib/vosfp/sip_logic.bpf.o"
else
	fail "installed agent does not default to the installed object"
fi
# One version, debian/changelog's: the agent's --version and every man page's footer say it.
version=$(awk 'NR == 1 { gsub(/[()]/, "", $2); print $2; exit }' "$repo/debian/changelog")
agent_version=$("$dest/usr/sbin/vosfp-agent" --version)
footers=$(sed -n '1s/^\.TH .* "vosfp \([^"]*\)" .*/\1/p' "$dest"/usr/share/man/man*/* | sort -u)
if [ -n "$version" ] && [ "$agent_version" = "vosfp-agent $version" ] && [ "$footers" = "$version" ]; then
	pass "agent --version and the man pages say debian/changelog's version ($version)"
else
	fail "versions disagree: changelog '$version', agent '$agent_version', man pages '$footers'"
fi
for page in "$dest/usr/share/man/man8/vosfp-agent.8" "$dest/usr/share/man/man5/vosfp.yaml.5" \
	"$dest/usr/share/man/man1/vosfp-send.1"; do
	if command -v man >/dev/null && out=$(man --warnings -l "$page" 2>&1 >/dev/null) && [ -z "$out" ]; then
		pass "man page $(basename "$page") renders without warnings"
	elif ! command -v man >/dev/null; then
		echo "SKIP: man not installed; $(basename "$page") not rendered"
	else
		fail "man page $(basename "$page"): $out"
	fi
done

# An operator's config survives a second install.
echo "# mine" >"$dest/etc/vosfp.yaml"
make -C "$repo" --no-print-directory install PREFIX=/usr DESTDIR="$dest" >/dev/null 2>&1
[ "$(cat "$dest/etc/vosfp.yaml")" = "# mine" ] && pass "install never replaces an existing /etc/vosfp.yaml" ||
	fail "install replaced /etc/vosfp.yaml"

make -C "$repo" --no-print-directory uninstall PREFIX=/usr DESTDIR="$dest" >/dev/null 2>&1
left=$(cd "$dest" && find . -type f | sort | tr '\n' ' ')
[ "$left" = "./etc/vosfp.yaml " ] && pass "uninstall removes everything but the operator's config" ||
	fail "uninstall left: $left"
exit $status
