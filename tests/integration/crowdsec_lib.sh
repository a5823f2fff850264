# shellcheck shell=bash
# crowdsec_lib.sh - a real CrowdSec Local API for the crowdsec_*_test.sh tests: Debian's crowdsec
# binary run by the test itself (LAPI only: -no-cs, no Central API), on 127.0.0.1 with its own
# config directory and SQLite file under the test's work directory, stopped by PID. Never the
# system service. Source it after lib.sh; the test calls lapi_stop (and removes its work
# directory) in its cleanup.

lapi_dir="" lapi_port="" lapi_pid="" lapi_tls=""

# lapi_require: SKIP the test when crowdsec is not installed (scripts/install-deps.sh installs it).
lapi_require() {
	if ! command -v crowdsec >/dev/null || ! command -v cscli >/dev/null; then
		echo "SKIP: $1 (crowdsec and cscli not installed: bash scripts/install-deps.sh)"
		exit 0
	fi
}

# lapi_setup DIR PORT: write a LAPI-only config in DIR listening on 127.0.0.1:PORT (https with
# the certificate DIR2/server.pem and key DIR2/server.key when lapi_tls=DIR2 is set).
lapi_setup() {
	lapi_dir=$1 lapi_port=$2
	mkdir -p "$lapi_dir/data" "$lapi_dir/hub"
	cat >"$lapi_dir/config.yaml" <<EOF
common:
  daemonize: false
  log_media: stdout
  log_level: info
config_paths:
  config_dir: $lapi_dir/
  data_dir: $lapi_dir/data/
  simulation_path: $lapi_dir/simulation.yaml
  hub_dir: $lapi_dir/hub/
  index_path: $lapi_dir/hub/.index.json
db_config:
  type: sqlite
  db_path: $lapi_dir/data/crowdsec.db
  use_wal: true
api:
  client:
    credentials_path: $lapi_dir/local_api_credentials.yaml
    insecure_skip_verify: $([ -n "$lapi_tls" ] && echo true || echo false)
  server:
    listen_uri: 127.0.0.1:$lapi_port
    profiles_path: $lapi_dir/profiles.yaml
${lapi_tls:+    tls:
      cert_file: $lapi_tls/server.pem
      key_file: $lapi_tls/server.key
}prometheus:
  enabled: false
EOF
	cat >"$lapi_dir/profiles.yaml" <<EOF
name: default_ip_remediation
filters:
 - Alert.Remediation == true && Alert.GetScope() == "Ip"
decisions:
 - type: ban
   duration: 4h
on_success: break
EOF
	echo "simulation: off" >"$lapi_dir/simulation.yaml"
	# cscli's own machine, so that it can add and delete decisions through the LAPI.
	cscli -c "$lapi_dir/config.yaml" machines add cscli-local -a -f "$lapi_dir/local_api_credentials.yaml" >/dev/null 2>&1
	[ -z "$lapi_tls" ] || sed -i 's|^url: http://|url: https://|' "$lapi_dir/local_api_credentials.yaml"
}

# lapi_cscli ARGS...: cscli on this LAPI; its output on stdout, its complaints only when it fails.
lapi_cscli() {
	local out
	if ! out=$(timeout 60 cscli --error -c "$lapi_dir/config.yaml" "$@" 2>"$lapi_dir/cscli.err"); then
		echo "cscli $*: $(cat "$lapi_dir/cscli.err")" >&2
		return 1
	fi
	printf '%s\n' "$out"
}

lapi_answers() {	# the LAPI answers (403 without a key is an answer)
	[ "$(curl -sk -o /dev/null -w '%{http_code}' --max-time 2 "http${lapi_tls:+s}://127.0.0.1:$lapi_port/v1/decisions")" = 403 ]
}

# lapi_start: run it (log appended to DIR/lapi.log) and wait until it answers.
lapi_start() {
	crowdsec -c "$lapi_dir/config.yaml" -no-cs >>"$lapi_dir/lapi.log" 2>&1 &
	lapi_pid=$!
	wait_for 30 lapi_answers
}

# stop_pid PID: SIGTERM a process this test started, wait for it, SIGKILL after 10 s.
stop_pid() {
	[ -n "$1" ] || return 0
	kill "$1" 2>/dev/null
	for _ in $(seq 200); do kill -0 "$1" 2>/dev/null || break; sleep 0.05; done
	kill -9 "$1" 2>/dev/null
	wait "$1" 2>/dev/null
}

lapi_stop() {	# the LAPI this test started
	stop_pid "$lapi_pid"
	lapi_pid=""
}

# now_ms: milliseconds on the monotonic clock bash can see (for measured delays).
now_ms() {
	local t
	read -r t _ </proc/uptime
	echo $((${t%.*} * 1000 + 10#${t#*.} * 10))
}

# wait_ms MS COMMAND...: poll COMMAND every 50 ms until it succeeds or MS have passed.
wait_ms() {
	local deadline=$(($(now_ms) + $1))
	shift
	until "$@" >/dev/null 2>&1; do
		[ "$(now_ms)" -lt "$deadline" ] || return 1
		sleep 0.05
	done
}

# lapi_bouncer_key NAME FILE: a bouncer key, written to FILE with mode 0600.
lapi_bouncer_key() {
	local key
	key=$(lapi_cscli bouncers add "$1" -o raw) || return 1
	(umask 077 && printf '%s\n' "$key" >"$2")
}

# lapi_machine NAME FILE: machine credentials (what cscli writes), mode 0600.
lapi_machine() {
	(umask 077 && lapi_cscli machines add "$1" --password "vosfp-test-$1-$$" -f "$2" >/dev/null && chmod 600 "$2")
}
