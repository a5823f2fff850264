#!/usr/bin/env bash
# schema_test.sh - schemas/vosfp.schema.json and vosfp-agent agree on what a config is: the
# example config is valid, and every file of the config corpus gets the same verdict from a real
# JSON Schema validator and from `vosfp-agent --dry-run`, except the listed files whose fault no
# schema can see. Needs no root and changes nothing (dry runs only).
set -uo pipefail
# shellcheck source=tests/integration/lib.sh
. "$(dirname "$(readlink -f "$0")")/lib.sh"

usage() {
	cat <<USAGE
Usage: $(basename "$0") [-h] [FILE...]
Compare the JSON Schema's and the agent's verdicts on config files: by default every file of
tests/data/config/good and tests/data/config/bad, else the FILEs given (then no good/bad
expectation is applied, only agreement). Environment: VOSFP_AGENT (default build/vosfp-agent),
PYTHON (a python3 with jsonschema and yaml; default /usr/bin/python3, else python3).
USAGE
}

while getopts "h" opt; do
	case "$opt" in
	h) usage; exit 0 ;;
	*) usage >&2; exit 2 ;;
	esac
done
shift $((OPTIND - 1))

schema="$VOSFP_ROOT/schemas/vosfp.schema.json"
example="$VOSFP_ROOT/etc/vosfp.yaml"
corpus="$VOSFP_ROOT/tests/data/config"
agent=${VOSFP_AGENT:-$VOSFP_ROOT/build/vosfp-agent}

# Corpus files whose rejection depends on what a JSON Schema cannot know: for these the agent
# alone must reject (exit 2); the schema's verdict is shown but not required. One file a line.
declare -A schema_blind=(
	[bad/address-host-bits.yaml]="host bits of an inline prefix: arithmetic on the address"
	[bad/binary-garbage.yaml]="not YAML at all: nothing to validate"
	[bad/duplicate-key.yaml]="duplicate YAML key: the loaded data keeps one, JSON has no duplicates"
	[bad/interface-duplicate.yaml]="same interface name in two objects: uniqueness of one property"
	[bad/interface-file-bad-mode.yaml]="interface-file contents: an unknown XDP mode"
	[bad/interface-file-bad-name.yaml]="interface-file contents: an invalid interface name"
	[bad/interface-file-twice.yaml]="interface-file contents: one interface on two lines"
	[bad/interface-file-is-directory.yaml]="interface file is a directory: the file system"
	[bad/limits-exceeded.yaml]="entry count (inline + list files) against limits.blocklist_max"
	[bad/list-bad-line.yaml]="list-file contents: a line that is not an address"
	[bad/list-binary.yaml]="list-file contents: binary data"
	[bad/list-file-is-directory.yaml]="list file is a directory: the file system"
	[bad/list-file-missing.yaml]="list file does not exist: the file system"
	[bad/list-path-too-long.yaml]="a list name too long once joined to the config's directory: where the config is"
	[bad/list-host-bits.yaml]="list-file contents: a prefix with host bits set"
	[bad/list-long-line.yaml]="list-file contents: a line longer than 256 characters"
	[bad/list-prefix-129.yaml]="list-file contents: an IPv6 prefix length of 129"
	[bad/list-two-per-line.yaml]="list-file contents: two addresses on one line"
	[bad/merge-key.yaml]="YAML merge key '<<': the loader merges it, the agent refuses it"
	[bad/syntax-tab-indent.yaml]="YAML syntax error: nothing to validate"
	[bad/syntax-unclosed-bracket.yaml]="YAML syntax error: nothing to validate"
	[bad/syntax-unclosed-bracket-next-key.yaml]="YAML syntax error: nothing to validate"
	[bad/version-float.yaml]="1.0 written for 1: JSON Schema's numbers make 1.0 the integer 1"
	[bad/two-documents.yaml]="two YAML documents: the loader refuses the stream before any schema sees it"
	[bad/scanners-duplicate-token.yaml]="two tokens with one first word: case-insensitive word equality"
	[bad/port-underscore.yaml]="5_060 is an integer to YAML 1.1; the agent takes plain decimal or 0x hex only"
	[bad/repeat-max-below-duration.yaml]="auto_block.repeat.max_seconds below duration_seconds: two values compared"
)

# The first python3 that has the Debian packages python3-jsonschema and python3-yaml.
find_python() {
	local py
	for py in ${PYTHON:+"$PYTHON"} /usr/bin/python3 python3; do
		if "$py" -c 'import jsonschema, yaml' 2>/dev/null; then
			echo "$py"
			return 0
		fi
	done
	return 1
}

# judge FILE...: one line per file, "valid", "invalid: REASON" or "unloadable: REASON", from
# jsonschema's validator for the schema's own draft (2020-12). The schema must also mean the same
# to draft-07 tools (editors): a file the two drafts judge differently is reported as such.
judge() {
	"$py" - "$schema" "$@" <<'PY'
import json, sys
import jsonschema, yaml

schema = json.load(open(sys.argv[1]))
main = jsonschema.validators.validator_for(schema)(schema)
draft7 = jsonschema.Draft7Validator(schema)
for path in sys.argv[2:]:
    try:
        with open(path, "rb") as f:
            doc = yaml.safe_load(f)
    except Exception as e:  # any loader failure: not a document the schema can judge
        print("unloadable: " + " ".join(str(e).split())[:200])
        continue
    err = jsonschema.exceptions.best_match(main.iter_errors(doc))
    if (err is None) != draft7.is_valid(doc):
        print("drafts-differ: draft 2020-12 and draft-07 disagree")
    elif err is None:
        print("valid")
    else:
        where = "".join("[%d]" % p if isinstance(p, int) else "." + str(p) for p in err.absolute_path)
        shown = repr(err.instance)
        if len(shown) > 60:  # name a long list or mapping, don't print it
            kind = type(err.instance).__name__
            shown = "a %s of %d" % (kind, len(err.instance)) if kind in ("list", "dict") else shown[:57] + "..."
        if err.validator == "pattern":
            what = "%s does not match the pattern" % shown
        else:
            what = err.message.replace(repr(err.instance), shown, 1)
        print("invalid: " + (where.lstrip(".") + ": " if where else "") + " ".join(what.split())[:200])
PY
}

# run_agent FILE: sets agent_says to "accepted" (exit 0), "rejected" (exit 2) or "exit N", and
# agent_said to the first thing it said (warnings aside).
agent_says="" agent_said=""
run_agent() {
	local out rc
	out=$(timeout 60 "$agent" --dry-run --config "$1" 2>&1)
	rc=$?
	agent_said=$(grep -v '^warning: ' <<<"$out" | head -n 1)
	case "$rc" in
	0) agent_says=accepted ;;
	2) agent_says=rejected ;;
	*) agent_says="exit $rc" ;;
	esac
}

if ! py=$(find_python); then
	echo "SKIP: JSON Schema checks (need python3-jsonschema and python3-yaml: scripts/install-deps.sh)"
	exit 0
fi

# 1. The schema is a valid draft 2020-12 (and draft-07) schema, and every property says what it means.
if out=$("$py" - "$schema" 2>&1 <<'PY'
import json, sys
import jsonschema

schema = json.load(open(sys.argv[1]))
jsonschema.Draft202012Validator.check_schema(schema)
jsonschema.Draft7Validator.check_schema(schema)
missing = []
def walk(node, path):
    if isinstance(node, dict):
        for key, sub in node.get("properties", {}).items():
            if "description" not in sub:
                missing.append(path + "." + key)
        for key, sub in node.items():
            walk(sub, path + "/" + key)
    elif isinstance(node, list):
        for i, sub in enumerate(node):
            walk(sub, "%s[%d]" % (path, i))
walk(schema, "")
if missing:
    sys.exit("properties without a description: " + ", ".join(missing))
PY
); then
	pass "schema: valid draft 2020-12 and draft-07 schema, every property described"
else
	fail "schema: $out"
fi

# 2. The commented example config is valid.
verdict=$(judge "$example")
if [ "$verdict" = valid ]; then
	pass "schema: etc/vosfp.yaml is valid"
else
	fail "schema: etc/vosfp.yaml: $verdict"
fi

if [ ! -x "$agent" ]; then
	fail "agent: $agent not built (make build/vosfp-agent)"
	exit 1
fi

# 3. Same keys at every level: the agent names its keys in the unknown-key message and its
# required keys when they are missing; the schema must list the same.
work=$(mktemp -d /tmp/vosfp-schema-test.XXXXXX)
trap 'rm -rf "$work"; cleanup_netns' EXIT
# level|document with an unknown key at that level|document with every optional key absent
levels=(
	"top|{version: 1, interfaces: [], zz_unknown: 1}|{}"
	"interfaces[0]|{version: 1, interfaces: [{name: x, xdp_mode: [native], zz_unknown: 1}]}|{version: 1, interfaces: [{}]}"
	"sip|{version: 1, interfaces: [], sip: {zz_unknown: 1}}|{version: 1, interfaces: [], sip: {}}"
	"allowlist|{version: 1, interfaces: [], allowlist: {zz_unknown: 1}}|{version: 1, interfaces: [], allowlist: {}}"
	"blocklist|{version: 1, interfaces: [], blocklist: {zz_unknown: 1}}|{version: 1, interfaces: [], blocklist: {}}"
	"limits|{version: 1, interfaces: [], limits: {zz_unknown: 1}}|{version: 1, interfaces: [], limits: {}}"
)
declare -A schema_keys schema_required
while IFS='|' read -r name keys required; do
	schema_keys[$name]=$keys
	schema_required[$name]=$required
done < <("$py" - "$schema" <<'PY'
import json, sys

s = json.load(open(sys.argv[1]))
levels = {"top": s, "interfaces[0]": s["$defs"]["interface"]}
for name in ("sip", "allowlist", "blocklist", "limits"):
    levels[name] = s["properties"][name]
for name, node in levels.items():
    print("%s|%s|%s" % (name, " ".join(sorted(node["properties"])), " ".join(sorted(node.get("required", [])))))
PY
)
for level in "${levels[@]}"; do
	IFS='|' read -r name unknown_doc empty_doc <<<"$level"
	printf '%s\n' "$unknown_doc" >"$work/unknown.yaml"
	printf '%s\n' "$empty_doc" >"$work/empty.yaml"
	unknown_said=$(timeout 60 "$agent" --dry-run --config "$work/unknown.yaml" 2>&1)
	empty_said=$(timeout 60 "$agent" --dry-run --config "$work/empty.yaml" 2>&1)
	agent_keys=$(sed -n "s/.*unknown key 'zz_unknown'.*: expected one of //p" <<<"$unknown_said" |
		tr -d ',' | tr ' ' '\n' | sort | xargs)
	agent_required=$(sed -n "s/.*missing required key '\([^']*\)'.*/\1/p" <<<"$empty_said" | sort | xargs)
	want_keys=${schema_keys[$name]:-} want_required=${schema_required[$name]:-}
	if [ -z "$agent_keys" ]; then
		fail "schema: $name: the agent did not name its keys: $(head -n 1 <<<"$unknown_said")"
	elif [ "$agent_keys" = "$want_keys" ] && [ "$agent_required" = "$want_required" ]; then
		pass "schema: $name has the agent's keys ($agent_keys), required: ${agent_required:-none}"
	else
		fail "schema: $name: agent keys '$agent_keys' required '$agent_required'; schema keys '$want_keys' required '$want_required'"
	fi
done

# 4. Every corpus file: both verdicts agree, and match the directory the file is in.
if [ $# -gt 0 ]; then
	files=("$@")
else
	for name in "${!schema_blind[@]}"; do
		[ -f "$corpus/$name" ] || fail "exception list names $name, which is not in the corpus"
	done
	files=("$corpus"/good/*.yaml "$corpus"/bad/*.yaml)
fi
mapfile -t verdicts < <(judge "${files[@]}")
if [ "${#verdicts[@]}" -ne "${#files[@]}" ]; then
	fail "schema: judged ${#verdicts[@]} of ${#files[@]} files"
	exit 1
fi

compared=0 agreed=0 blind=0
for i in "${!files[@]}"; do
	file=$(readlink -f "${files[$i]}")
	schema_says=${verdicts[$i]}
	name=${file#"$corpus"/}
	case "$name" in
	good/*) want=accepted ;;
	bad/*) want=rejected ;;
	*) want="" ;;
	esac
	run_agent "$file"
	compared=$((compared + 1))
	case "$agent_says" in
	accepted | rejected) ;;
	*)
		fail "$name: agent gave $agent_says, expected exit 0 or 2: $agent_said"
		continue
		;;
	esac
	if [ -n "$want" ] && [ "$agent_says" != "$want" ]; then
		fail "$name: agent $agent_says it, expected $want: $agent_said"
		continue
	fi
	if [ -n "${schema_blind[$name]:-}" ]; then
		if [ "$agent_says" = rejected ]; then
			blind=$((blind + 1))
			pass "$name: rejected by the agent, agent-only: ${schema_blind[$name]} (schema said ${schema_says%%:*})"
		else
			fail "$name: listed as agent-only, but the agent accepts it"
		fi
		continue
	fi
	case "$schema_says" in
	valid) schema_verdict=accepted ;;
	invalid:*) schema_verdict=rejected ;;
	*) schema_verdict=$schema_says ;;
	esac
	if [ "$schema_verdict" != "$agent_says" ]; then
		fail "$name: agent $agent_says it (${agent_said:-no message}); schema: $schema_says"
	elif [ "$agent_says" = accepted ]; then
		agreed=$((agreed + 1))
		pass "$name: accepted by schema and agent"
	else
		agreed=$((agreed + 1))
		pass "$name: rejected by schema and agent (schema: ${schema_says#invalid: })"
	fi
done

echo "schema_test: $compared files compared: $agreed same verdict from schema and agent, $blind agent-only (listed), $((compared - agreed - blind)) failed"
exit $test_status
