#!/usr/bin/env bash
# crowdsec_tls_test.sh - the CrowdSec feed over https: a real LAPI serving TLS with a certificate
# from a CA the test makes. With crowdsec.ca_file naming that CA the agent's --dry-run and its
# feed reach it and a decision lands in the maps; without ca_file (the system's CAs) the
# certificate is refused and said so; plain http:// to the TLS port gets no answer. No traffic:
# the agent filters no interface here (the decision maps are checked through --stats).
set -uo pipefail
# shellcheck source=tests/integration/lib.sh
. "$(dirname "$(readlink -f "$0")")/lib.sh"
# shellcheck source=tests/integration/crowdsec_lib.sh
. "$(dirname "$(readlink -f "$0")")/crowdsec_lib.sh"
require_root "CrowdSec feed over https"
lapi_require "CrowdSec feed over https"
command -v openssl >/dev/null || { echo "SKIP: CrowdSec feed over https (openssl not installed)"; exit 0; }

agent="$VOSFP_ROOT/build/vosfp-agent"
work=$(mktemp -d /tmp/vosfp-crowdsec-tls.XXXXXX)
pin="/sys/fs/bpf/vosfp-crowdsec-tls-$$"
port=18150 agent_pid=""

cleanup() {
	stop_pid "$agent_pid"
	lapi_stop
	remove_agent_state "$work/vosfp.yaml" "$pin"
	rm -rf "$work"
}
trap cleanup EXIT

# A CA and a server certificate for 127.0.0.1 signed by it.
mkdir -p "$work/tls"
(
	cd "$work/tls" &&
	openssl req -x509 -newkey rsa:2048 -nodes -days 2 -subj "/CN=vosfp test CA $$" \
		-keyout ca.key -out ca.pem &&
	openssl req -newkey rsa:2048 -nodes -subj "/CN=127.0.0.1" -keyout server.key -out server.csr &&
	printf 'subjectAltName=IP:127.0.0.1\n' >san.ext &&
	openssl x509 -req -in server.csr -CA ca.pem -CAkey ca.key -CAcreateserial -days 2 \
		-extfile san.ext -out server.pem
) >"$work/openssl.log" 2>&1 || { fail "openssl: $(cat "$work/openssl.log")"; exit 1; }

lapi_tls="$work/tls"
lapi_setup "$work/lapi" "$port"
lapi_start || { fail "the LAPI did not start over TLS: $(tail -5 "$work/lapi/lapi.log")"; exit 1; }
lapi_bouncer_key "vosfp-tls-$$" "$work/bouncer.key" || { fail "cscli bouncers add"; exit 1; }
lapi_cscli decisions add --ip 198.19.178.5 --duration 1h --reason vosfp-test >/dev/null ||
	{ fail "cscli decisions add over TLS"; exit 1; }

config() {	# config URL [CA]: the test's config
	{
		config_head "$pin" | sed 's/^interfaces:$/interfaces: []/'
		printf 'crowdsec:\n  lapi_url: %s\n  api_key_file: bouncer.key\n  poll_interval_seconds: 1\n' "$1"
		[ -z "${2:-}" ] || printf '  ca_file: %s\n' "$2"
	} >"$work/vosfp.yaml"
}

config "https://127.0.0.1:$port" tls/ca.pem
dry=$("$agent" --dry-run -c "$work/vosfp.yaml" 2>&1)
if grep -q "crowdsec: LAPI https://127.0.0.1:$port answers (key from $work/bouncer.key): it holds 1 decisions; 1 sources would be enforced here" <<<"$dry"; then
	pass "https with ca_file: --dry-run reaches the LAPI (1 decision)"
else
	fail "https with ca_file: $dry"
fi
config "https://127.0.0.1:$port"
dry=$("$agent" --dry-run -c "$work/vosfp.yaml" 2>&1)
if grep -q "crowdsec: LAPI https://127.0.0.1:$port does not answer: .*certificate" <<<"$dry"; then
	pass "https without ca_file: the test CA's certificate is refused, and said so"
else
	fail "https without ca_file: $dry"
fi
config "http://127.0.0.1:$port"
dry=$("$agent" --dry-run -c "$work/vosfp.yaml" 2>&1)
if grep -qE "crowdsec: LAPI http://127.0.0.1:$port (does not answer|answers HTTP 400)" <<<"$dry"; then
	pass "plain http to the TLS port: no answer taken ($(grep -o 'crowdsec: LAPI.*' <<<"$dry" | head -1))"
else
	fail "plain http to the TLS port: $dry"
fi

# The daemon over https: the decision in the maps.
config "https://127.0.0.1:$port" tls/ca.pem
"$agent" -c "$work/vosfp.yaml" >"$work/agent.log" 2>&1 &
agent_pid=$!
if wait_for 15 grep -q "crowdsec: startup answer: 1 new" "$work/agent.log" &&
	"$agent" --stats -c "$work/vosfp.yaml" 2>&1 | grep -qE "^  cscli +1 +0 "; then
	pass "the feed over https: the startup answer's decision is in the maps"
else
	fail "the feed over https: $(grep crowdsec "$work/agent.log")"
fi
exit $test_status
