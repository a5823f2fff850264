# kamailio_lib.sh - how vosfp runs a throwaway Kamailio (make demo, the flood test): one address
# only, its own runtime directory, little memory, not as root. Sourced, never run.
# shellcheck shell=bash

# kamailio_args DIR CFG LISTEN: set KAM_ARGS, the arguments of a Kamailio reading CFG and
# listening on LISTEN (udp:ADDRESS:PORT) only, its runtime files in DIR/kamailio (created; DIR
# is the caller's own temporary directory). Kamailio drops root to its Debian user once its
# socket is bound, so that user must be able to reach the runtime directory.
kamailio_args() {
	local dir=$1 cfg=$2 listen=$3 user=()
	mkdir -m 700 "$dir/kamailio" || return 1
	if id -u kamailio >/dev/null 2>&1; then
		chown kamailio: "$dir/kamailio"
		chmod 711 "$dir"
		user=(-u kamailio -g kamailio)
	fi
	# shellcheck disable=SC2034 # read by the scripts that source this file
	KAM_ARGS=(-f "$cfg" -l "$listen" -Y "$dir/kamailio" -m 32 -M 4 "${user[@]}")
}
