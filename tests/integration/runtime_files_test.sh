#!/usr/bin/env bash
# runtime_files_test.sh - the container and Kubernetes runtime files checked for what can be
# checked without a container engine: docker-compose.yml validates and says what it must (host
# network, privileged agent built here, /sys/fs/bpf, config directories); the Dockerfile's COPY
# set really builds and installs the agent with only its build packages' pkg-config files, its
# packages exist in Debian 12 and its runtime packages cover what the agent links; opensips.cfg's
# modules and functions agree; the Kubernetes manifests have the shape the agent needs; every
# config these files ship passes `vosfp-agent --dry-run` and the JSON Schema. Needs no root and
# changes nothing outside its temporary directory.
# shellcheck disable=SC2015 # "check && pass || fail": pass never fails
set -uo pipefail
# shellcheck source=tests/integration/lib.sh
. "$(dirname "$(readlink -f "$0")")/lib.sh"

agent="$VOSFP_ROOT/build/vosfp-agent"
schema="$VOSFP_ROOT/schemas/vosfp.schema.json"
work=$(mktemp -d /tmp/vosfp-runtime-test.XXXXXX)
trap 'rm -rf "$work"; cleanup_netns' EXIT
cd "$VOSFP_ROOT" || exit 1

# report OUTPUT: print a python checker's PASS:/FAIL: lines; any FAIL fails the test.
report() {
	[ -z "$1" ] || printf '%s\n' "$1"
	! grep -q '^FAIL: ' <<<"$1" || test_status=1
}

py=""
for p in ${PYTHON:+"$PYTHON"} /usr/bin/python3 python3; do
	if "$p" -c 'import yaml, jsonschema' 2>/dev/null; then py=$p; break; fi
done
if [ -z "$py" ]; then
	fail "python3 with yaml and jsonschema needed (scripts/install-deps.sh installs python3-yaml, python3-jsonschema)"
	exit 1
fi
[ -x "$agent" ] || { fail "$agent not built (make)"; exit 1; }

# config_ok LABEL FILE: the agent's --dry-run accepts FILE (exit 0) and so does the JSON Schema.
config_ok() {
	local out rc verdict
	out=$(timeout 60 "$agent" --dry-run --config "$2" 2>&1)
	rc=$?
	[ $rc -eq 0 ] && pass "$1: vosfp-agent --dry-run accepts it ($(head -n 1 <<<"$out"))" ||
		fail "$1: vosfp-agent --dry-run exit $rc: $out"
	verdict=$("$py" - "$schema" "$2" <<'PY'
import json, sys
import jsonschema, yaml
schema = json.load(open(sys.argv[1]))
doc = yaml.safe_load(open(sys.argv[2]))
err = jsonschema.exceptions.best_match(jsonschema.validators.validator_for(schema)(schema).iter_errors(doc))
print("valid" if err is None else "%s: %s" % ("/".join(map(str, err.absolute_path)), err.message))
PY
)
	[ "$verdict" = valid ] && pass "$1: valid against schemas/vosfp.schema.json" || fail "$1: schema: $verdict"
}

# --- docker-compose.yml ---------------------------------------------------------------------------
if ! command -v docker-compose >/dev/null; then
	fail "docker-compose not installed (scripts/install-deps.sh installs Debian's)"
elif ! out=$(docker-compose -f docker-compose.yml config -q 2>&1); then
	fail "docker-compose config -q: $out"
else
	pass "docker-compose -f docker-compose.yml config -q: valid"
fi
docker-compose -f docker-compose.yml config >"$work/compose.yaml" 2>/dev/null
out=$("$py" - "$VOSFP_ROOT" "$work/compose.yaml" "$work/compose-config" <<'PY'
import os, sys, yaml
root, normalized, config_out = sys.argv[1:4]
def check(ok, what, why=""):
    print(("PASS: compose: " if ok else "FAIL: compose: ") + what + ("" if ok else ": " + why))
try:
    services = yaml.safe_load(open(normalized))["services"]
except Exception as e:
    check(False, "normalized config parses", str(e)); sys.exit()
agents = [n for n, s in services.items() if "build" in s]
proxies = [n for n, s in services.items() if str(s.get("image", "")) == "opensips/opensips:3.4"]
check(len(agents) == 1 and len(proxies) == 1, "one agent service (built here) and one opensips/opensips:3.4 service",
      "built: %s, opensips: %s" % (agents, proxies))
if len(agents) != 1 or len(proxies) != 1:
    sys.exit()
agent, proxy = services[agents[0]], services[proxies[0]]

def mounts(svc):  # (source, target) whatever syntax the compose version prints
    for v in svc.get("volumes", []):
        if isinstance(v, dict):
            yield v.get("source", ""), v.get("target", "")
        else:
            parts = v.split(":")
            yield parts[0], parts[1] if len(parts) > 1 else parts[0]

for name, svc in ((agents[0], agent), (proxies[0], proxy)):
    check(svc.get("network_mode") == "host", "%s: network_mode host" % name, repr(svc.get("network_mode")))
    check(("/sys/fs/bpf", "/sys/fs/bpf") in list(mounts(svc)), "%s: mounts the host's /sys/fs/bpf" % name,
          repr(list(mounts(svc))))
    for src, dst in mounts(svc):
        if src.startswith(root + "/"):
            check(os.path.exists(src), "%s: mounted %s exists in the repo" % (name, os.path.relpath(src, root)), "missing")
check(agent.get("privileged") is True, "agent privileged", repr(agent.get("privileged")))
build = agent["build"] if isinstance(agent["build"], dict) else {"context": agent["build"]}
check(os.path.realpath(build.get("context", "")) == os.path.realpath(root) and build.get("dockerfile", "Dockerfile") == "Dockerfile",
      "agent built from context . with Dockerfile", repr(build))

cfg_targets = [(s, d) for s, d in mounts(proxy)
               if (d == "/etc/opensips/opensips.cfg" and os.path.isfile(s))
               or (d == "/etc/opensips" and os.path.isfile(os.path.join(s, "opensips.cfg")))]
check(len(cfg_targets) == 1, "opensips: opensips.cfg mounted at /etc/opensips/opensips.cfg", repr(list(mounts(proxy))))

cmd = agent.get("command") or []
cmd = cmd.split() if isinstance(cmd, str) else cmd
if "--config" not in cmd or cmd.index("--config") + 1 >= len(cmd):
    check(False, "agent command names --config FILE", repr(cmd)); sys.exit()
path = cmd[cmd.index("--config") + 1]
dirs = [s for s, d in mounts(agent) if d == os.path.dirname(path) and os.path.isdir(s)
        and os.path.isfile(os.path.join(s, os.path.basename(path)))]
check(len(dirs) == 1 and all(d != path for _, d in mounts(agent)),
      "agent config %s mounted as its directory %s (a file bind mount never sees a rename)" % (path, os.path.dirname(path)),
      repr(list(mounts(agent))))
if dirs:
    open(config_out, "w").write(os.path.join(dirs[0], os.path.basename(path)))
PY
)
report "$out"
if [ -s "$work/compose-config" ]; then
	config_ok "compose: $(realpath --relative-to="$VOSFP_ROOT" "$(cat "$work/compose-config")")" "$(cat "$work/compose-config")"
fi

# --- Dockerfile -----------------------------------------------------------------------------------
# One line per fact: STAGE n image [name] | PKG stage pkg | COPY src dst | FROM_STAGE src dst |
# RUN stage command | ARG name=value | ENTRYPOINT json | CMD json | IGNORED pattern
"$py" - Dockerfile .dockerignore >"$work/dockerfile" <<'PY'
import json, re, shlex, sys
text = open(sys.argv[1]).read()
lines, cur = [], ""
for raw in text.splitlines():
    if not cur and raw.lstrip().startswith("#"):
        continue
    if raw.rstrip().endswith("\\"):
        cur += raw.rstrip()[:-1] + " "
        continue
    cur += raw
    if cur.strip():
        lines.append(cur.strip())
    cur = ""
stage = -1
for line in lines:
    op, _, rest = line.partition(" ")
    op = op.upper()
    if op == "FROM":
        stage += 1
        print("STAGE", stage, *rest.split()[::2])
    elif op == "RUN":
        print("RUN", stage, rest)
        for cmd in re.split(r"&&|;", rest):
            words = cmd.split()
            if "apt-get" in words and "install" in words:
                for w in words[words.index("install") + 1:]:
                    if not w.startswith("-"):
                        print("PKG", stage, w)
    elif op == "COPY":
        words = shlex.split(rest)
        opts = [w for w in words if w.startswith("--")]
        args = [w for w in words if not w.startswith("--")]
        src_from = [o.split("=", 1)[1] for o in opts if o.startswith("--from=")]
        for src in args[:-1]:
            print("FROM_STAGE" if src_from else "COPY", src, args[-1])
    elif op == "ARG":
        print("ARG", rest)
    elif op in ("ENTRYPOINT", "CMD"):
        print(op, json.dumps(json.loads(rest)))
for p in open(sys.argv[2]).read().splitlines():
    if p.strip() and not p.startswith("#"):
        print("IGNORED", p.strip())
PY
fact() { sed -n "s/^$1 //p" "$work/dockerfile"; }
stages=$(fact STAGE)
[ "$(sed -n '1p' <<<"$stages" | cut -d' ' -f2)" = debian:12 ] && [ "$(sed -n '2p' <<<"$stages" | cut -d' ' -f2)" = debian:12-slim ] &&
	[ "$(wc -l <<<"$stages")" -eq 2 ] && pass "Dockerfile: two stages, debian:12 build, debian:12-slim runtime" ||
	fail "Dockerfile: stages: $(tr '\n' ';' <<<"$stages")"
build_stage=$(sed -n '1p' <<<"$stages" | cut -d' ' -f3)

ignored=$(fact IGNORED)
grep -qx 'build/\?' <<<"$ignored" && grep -qx '\.git/\?' <<<"$ignored" &&
	pass ".dockerignore excludes build/ and .git" || fail ".dockerignore: $(tr '\n' ' ' <<<"$ignored")"

# Every COPY source exists and is not excluded from the context; lay the COPY set out as the
# build stage sees it, to build from exactly that below.
mkdir -p "$work/src" "$work/out" "$work/pc"
copy_ok=1
while read -r src dst; do
	if [ ! -e "$src" ]; then
		fail "Dockerfile: COPY source $src does not exist"; copy_ok=0; continue
	fi
	if grep -qx "${src%%/*}/\?" <<<"$ignored"; then
		fail "Dockerfile: COPY source $src is excluded by .dockerignore"; copy_ok=0; continue
	fi
	if [ -d "$src" ]; then
		mkdir -p "$work/src/$dst" && cp -a "$src/." "$work/src/$dst"
	else
		mkdir -p "$work/src/$(dirname "$dst/x")" && cp -a "$src" "$work/src/$dst"
	fi
done < <(fact COPY)
[ $copy_ok -eq 1 ] && pass "Dockerfile: every COPY source exists in the repo: $(fact COPY | cut -d' ' -f1 | xargs)"

# apt_known PKG...: "name priority" for each PKG apt knows (Essential packages: "name required").
# One apt-cache call: each one costs a second or two on a host without apt's binary cache.
apt_known() {
	apt-cache show "$@" 2>/dev/null | awk -F': ' '
		/^Package: / { p = $2 } /^Priority: / { pr[p] = $2 } /^Essential: yes/ { pr[p] = "required" }
		END { for (p in pr) print p, pr[p] }' | sort -u
}
# Package names exist in Debian 12 (this host's apt sources are Debian 12's).
# shellcheck disable=SC2046 # package list
known=$(apt_known $(sed -n 's/^PKG [01] //p' "$work/dockerfile"))
for stage in 0 1; do
	pkgs=$(sed -n "s/^PKG $stage //p" "$work/dockerfile" | xargs)
	missing=""
	for p in $pkgs; do grep -q "^$p " <<<"$known" || missing="$missing $p"; done
	[ -n "$pkgs" ] && [ -z "$missing" ] && pass "Dockerfile: stage $stage packages exist in Debian 12: $pkgs" ||
		fail "Dockerfile: stage $stage packages unknown to apt:${missing:- (none installed)}"
done
build_pkgs=$(sed -n 's/^PKG 0 //p' "$work/dockerfile")
runtime_pkgs=$(sed -n 's/^PKG 1 //p' "$work/dockerfile")	# one a line, like the lists below

# Build from the COPY set, seeing only the pkg-config files the build packages (and what they
# depend on) install: the Makefile's pkg-config calls fail and drop the link flags otherwise.
# shellcheck disable=SC2086 # package lists
for p in $(apt-cache depends --recurse --important $build_pkgs 2>/dev/null | grep -v '^ ' | sort -u); do
	dpkg -L "$p" 2>/dev/null | grep '\.pc$' | while read -r pc; do ln -sf "$pc" "$work/pc/"; done
done
make_cmd=$(sed -n 's/^RUN 0 //p' "$work/dockerfile" | grep -E '(^|&&) *make ' | head -n 1)
btf=$(fact ARG | sed -n 's/^KERNEL_BTF=//p')
if ! grep -q 'DESTDIR=/out' <<<"$make_cmd"; then
	fail "Dockerfile: the build stage's make command has no DESTDIR=/out: $make_cmd"
elif out=$(cd "$work/src" && env -u MAKEFLAGS PKG_CONFIG_LIBDIR="$work/pc" PKG_CONFIG_PATH="" KERNEL_BTF="$btf" \
	timeout 300 bash -ec "${make_cmd//DESTDIR=\/out/DESTDIR=$work/out}" 2>&1); then
	pass "Dockerfile: '$make_cmd' builds and installs from the COPY set with only the build packages' .pc files"
else
	fail "Dockerfile: the build stage's make failed: $(tail -n 5 <<<"$out")"
fi
while read -r src dst; do
	[ -e "$work${src%/}" ] && pass "Dockerfile: COPY --from=$build_stage $src $dst: present in the installed tree" ||
		fail "Dockerfile: COPY --from=$build_stage $src: not in what make install produced"
done < <(fact FROM_STAGE)
entry=$(fact ENTRYPOINT) cmd=$(fact CMD)
image_agent="$work/out/usr/local/sbin/vosfp-agent"
[ "$entry" = '["vosfp-agent"]' ] && [ -x "$image_agent" ] && "$image_agent" -V >/dev/null 2>&1 &&
	pass "Dockerfile: ENTRYPOINT vosfp-agent is installed in /usr/local/sbin (on the image's PATH) and runs" ||
	fail "Dockerfile: ENTRYPOINT $entry: agent not at /usr/local/sbin or does not run"
[ "$cmd" = '["--config", "/etc/vosfp/vosfp.yaml"]' ] && pass "Dockerfile: CMD --config /etc/vosfp/vosfp.yaml" ||
	fail "Dockerfile: CMD is $cmd"
[ -f "$work/out/usr/local/lib/vosfp/sip_logic.bpf.o" ] && pass "Dockerfile: the XDP object is installed where the agent looks by default" ||
	fail "Dockerfile: no /usr/local/lib/vosfp/sip_logic.bpf.o in the installed tree"

# The runtime packages cover every library the agent links: each is installed by name, comes in
# with one (a dependency), or is part of debian:12-slim (Priority: required). And every library
# package installed by name is one the agent links.
# shellcheck disable=SC2086 # package list
closure=$(apt-cache depends --recurse --important $runtime_pkgs 2>/dev/null | grep -v '^ ' | sort -u)
owner() {	# owner LIB: the Debian package that ships LIB (usrmerge: try both spellings)
	local c found
	for c in "$1" "$(readlink -f "$1")" "/usr$1" "${1#/usr}"; do
		found=$(dpkg -S "$c" 2>/dev/null) && { sed -n '1s/:.*//p' <<<"$found"; return 0; }
	done
	return 1
}
for bin in "$agent" "$image_agent"; do
	[ -x "$bin" ] || continue
	linked="" uncovered=""
	declare -A lib_pkg=()
	for lib in $(ldd "$bin" | awk '/=>/ { print $3 } /ld-linux/ { print $1 }'); do
		lib_pkg[$lib]=$(owner "$lib") || lib_pkg[$lib]=""
	done
	# shellcheck disable=SC2046 # package list
	required=$(apt_known $(printf '%s\n' "${lib_pkg[@]}" | sort -u) | awk '$2 == "required" { print $1 }')
	for lib in "${!lib_pkg[@]}"; do
		pkg=${lib_pkg[$lib]}
		[ -n "$pkg" ] || { uncovered="$uncovered $lib(no package)"; continue; }
		linked+="$pkg"$'\n'
		grep -qx -- "$pkg" <<<"$runtime_pkgs" || grep -qx -- "$pkg" <<<"$closure" ||
			grep -qx -- "$pkg" <<<"$required" || uncovered="$uncovered $lib($pkg)"
	done
	unset lib_pkg
	label=${bin#"$work/out"}
	[ -z "$uncovered" ] && pass "Dockerfile: runtime packages cover ldd ${label#"$VOSFP_ROOT/"}: $(sort -u <<<"$linked" | xargs)" ||
		fail "Dockerfile: not installed in the runtime image for ${label#"$VOSFP_ROOT/"}:$uncovered"
done
unused=""
for p in $runtime_pkgs; do
	case $p in lib*) grep -qx -- "$p" <<<"$linked" || unused="$unused $p" ;; esac
done
[ -z "$unused" ] && pass "Dockerfile: every runtime library package is one the agent links" ||
	fail "Dockerfile: runtime library packages the agent does not link:$unused"

# --- deploy/opensips/opensips.cfg: light static checks ---------------------------------------------
out=$("$py" - deploy/opensips/opensips.cfg <<'PY'
import re, sys
src = open(sys.argv[1]).read()
def check(ok, what, why=""):
    print(("PASS: opensips.cfg: " if ok else "FAIL: opensips.cfg: ") + what + ("" if ok else ": " + why))
# Strip comments and string contents (keep the quotes) so braces and calls are seen only in code.
code = re.sub(r'"(\\.|[^"\\])*"', '""', re.sub(r"#[^\n]*|/\*.*?\*/", "", src, flags=re.S))
depth, balanced = 0, True
for ch in code:
    depth += {"{": 1, "}": -1}.get(ch, 0)
    balanced = balanced and depth >= 0
check(balanced and depth == 0, "braces balanced", "depth %d" % depth)
check(re.search(r"^route\s*\{", code, re.M) is not None, "main route block present")
called = set(re.findall(r"\broute\((\w+)\)", code))
defined = set(re.findall(r"^route\[(\w+)\]\s*\{", code, re.M))
check(called == defined, "every route(x) called has its route[x] block and vice versa: %s" % sorted(defined),
      "called %s, defined %s" % (sorted(called), sorted(defined)))
check(re.search(r"^socket\s*=\s*udp:", src, re.M) and not re.search(r"^(listen|log_stderror|children)\s*=", src, re.M),
      "3.x syntax: socket=udp:..., no listen=/log_stderror/children", "")
check(re.search(r'^mpath\s*=\s*"/', src, re.M) is not None, "mpath set")
loaded = re.findall(r'^loadmodule\s+"(\w+)\.so"', src, re.M)
# Functions of OpenSIPS 3.4 modules as documented for 3.4 (only those this check needs to know).
exports = {
    "sl": {"sl_send_reply", "sl_reply_error"},
    "tm": {"t_relay", "t_check_trans", "t_newtran", "t_reply", "t_on_failure", "t_on_reply", "t_on_branch"},
    "signaling": {"send_reply"},
    "rr": {"record_route", "loose_route", "record_route_preset", "add_rr_param"},
    "maxfwd": {"mf_process_maxfwd_header"},
    "sipmsgops": {"is_method", "has_totag", "append_hf", "remove_hf", "is_present_hf"},
    "registrar": {"save", "lookup", "remove", "is_registered"},
    "usrloc": set(), "proto_udp": set(),
}
core = {"xlog", "is_myself", "exit", "drop", "return", "setflag", "isflagset"}
# Loaded for what they are, not for script functions: the UDP transport behind socket=udp:...,
# and the registrar's storage (registrar refuses to start without it).
needed_by = {"proto_udp": "socket=udp:" in src.replace(" ", ""), "usrloc": "registrar" in loaded}
hard_deps = {"registrar": ["usrloc", "signaling"]}
keywords = {"if", "else", "while", "switch", "route", "modparam", "loadmodule", "case", "for"}
calls = set(re.findall(r"\b([a-z_][a-z0-9_]*)\s*\(", code)) - keywords
unknown = sorted(f for f in calls if f not in core and not any(f in exports.get(m, ()) for m in loaded))
check(not unknown, "every function called comes from a loaded module or the core", "unknown: %s" % unknown)
for m in loaded:
    used = sorted(calls & exports.get(m, set()))
    if m not in exports:
        check(False, "module %s known to this check" % m, "add its functions to the table")
    elif used:
        check(True, "%s loaded and used: %s" % (m, ", ".join(used)))
    else:
        check(needed_by.get(m, False), "%s loaded without script functions, needed for what it is" % m, "unused")
for m, deps in hard_deps.items():
    if m in loaded:
        check(all(d in loaded for d in deps), "%s's dependencies loaded: %s" % (m, ", ".join(deps)), "missing")
params = set(re.findall(r'^modparam\("(\w+)"', src, re.M))
check(params <= set(loaded), "modparam only for loaded modules", "%s" % sorted(params - set(loaded)))
check(re.search(r'sl_send_reply\(\s*200', src) and re.search(r'is_method\("OPTIONS"\)', src), "OPTIONS answered 200 by the proxy itself")
check(re.search(r'is_method\("REGISTER"\)', src) and re.search(r'save\("location"\)', src)
      and 'working_mode_preset", "single-instance-no-db"' in src, "REGISTER saved in memory (usrloc, no database)")
PY
)
report "$out"

# --- deploy/kubernetes ------------------------------------------------------------------------------
mkdir -p "$work/cm"
out=$("$py" - "$work/cm" deploy/kubernetes/*.yaml <<'PY'
import os, sys, yaml
outdir, files = sys.argv[1], sys.argv[2:]
def check(ok, what, why=""):
    print(("PASS: kubernetes: " if ok else "FAIL: kubernetes: ") + what + ("" if ok else ": " + why))
docs = []
for f in files:
    try:
        docs += [(f, d) for d in yaml.safe_load_all(open(f)) if d]
        check(True, "%s parses" % f)
    except Exception as e:
        check(False, "%s parses" % f, str(e).replace("\n", " "))
ds = [d for _, d in docs if d.get("apiVersion") == "apps/v1" and d.get("kind") == "DaemonSet"]
cms = [d for _, d in docs if d.get("apiVersion") == "v1" and d.get("kind") == "ConfigMap"]
others = [(d.get("apiVersion"), d.get("kind")) for _, d in docs if d not in ds and d not in cms]
check(len(ds) == 1 and len(cms) == 1 and not others, "one apps/v1 DaemonSet and one v1 ConfigMap",
      "DaemonSets %d, ConfigMaps %d, others %s" % (len(ds), len(cms), others))
if len(ds) != 1 or len(cms) != 1:
    sys.exit()
ds, cm = ds[0], cms[0]
spec, pod = ds["spec"], ds["spec"]["template"]["spec"]
check(ds["metadata"].get("namespace") == cm["metadata"].get("namespace"), "DaemonSet and ConfigMap in one namespace")
labels = ds["spec"]["template"]["metadata"].get("labels", {})
check(all(labels.get(k) == v for k, v in spec["selector"]["matchLabels"].items()), "selector matches the pod labels")
check(spec.get("updateStrategy", {}).get("type") == "RollingUpdate", "updateStrategy RollingUpdate")
check(pod.get("hostNetwork") is True, "hostNetwork")
check({"operator": "Exists"} in pod.get("tolerations", []), "tolerates every taint (operator: Exists)")
check(isinstance(pod.get("terminationGracePeriodSeconds"), int), "terminationGracePeriodSeconds set")
agents = [c for c in pod["containers"] if c.get("args", [])[:1] == ["--config"]]
check(len(agents) == 1, "one container runs the agent with --config", repr([c.get("args") for c in pod["containers"]]))
if len(agents) != 1:
    sys.exit()
c = agents[0]
config = c["args"][1]
check(c["args"] == ["--config", "/etc/vosfp/vosfp.yaml"], "args --config /etc/vosfp/vosfp.yaml", repr(c["args"]))
volumes = {v["name"]: v for v in pod["volumes"]}
cm_vols = [n for n, v in volumes.items() if v.get("configMap", {}).get("name") == cm["metadata"]["name"]]
cm_mounts = [m for m in c.get("volumeMounts", []) if m["name"] in cm_vols]
check(len(cm_mounts) == 1 and "subPath" not in cm_mounts[0] and "subPathExpr" not in cm_mounts[0]
      and cm_mounts[0]["mountPath"] == os.path.dirname(config),
      "ConfigMap %s mounted as the directory %s, without subPath" % (cm["metadata"]["name"], os.path.dirname(config)), repr(cm_mounts))
host = {n: v["hostPath"]["path"] for n, v in volumes.items() if "hostPath" in v}
bpf = [n for n, p in host.items() if p == "/sys/fs/bpf"]
check(len(bpf) == 1, "hostPath /sys/fs/bpf", repr(host))
all_c = pod.get("initContainers", []) + pod["containers"]
bpf_mounts = [(x, m) for x in all_c for m in x.get("volumeMounts", []) if m["name"] in bpf]
check(any(m.get("mountPropagation") == "Bidirectional" and x.get("securityContext", {}).get("privileged") for x, m in bpf_mounts),
      "/sys/fs/bpf mounted with Bidirectional propagation (in a privileged container, as Kubernetes requires)")
check(any(x is c and m["mountPath"] == "/sys/fs/bpf" for x, m in bpf_mounts), "the agent sees /sys/fs/bpf")
check("/var/lib/vosfp" in host.values() and any(m["mountPath"] == "/var/lib/vosfp" for m in c["volumeMounts"]),
      "hostPath /var/lib/vosfp mounted in the agent")
sc = c.get("securityContext", {})
caps = set(sc.get("capabilities", {}).get("add", []))
check(sc.get("privileged") is True or {"BPF", "NET_ADMIN", "PERFMON", "SYS_RESOURCE"} <= caps,
      "agent privileged or granted BPF, NET_ADMIN, PERFMON, SYS_RESOURCE", repr(sc))
check("readinessProbe" in c and "resources" in c, "readiness probe and resources set")
keys = cm.get("data", {})
check(os.path.basename(config) in keys, "ConfigMap has the key %s" % os.path.basename(config), repr(sorted(keys)))
for k, v in keys.items():
    open(os.path.join(outdir, k), "w").write(v)
PY
)
report "$out"
[ -f "$work/cm/vosfp.yaml" ] && config_ok "kubernetes: ConfigMap vosfp.yaml (keys written to one directory)" "$work/cm/vosfp.yaml"

exit $test_status
