#!/usr/bin/env bash
# build-deb.sh - build vosfp_VERSION_ARCH.deb with the Debian tools (dpkg-buildpackage, debhelper)
# from one commit's or tree's files (git archive), never from the working tree: a package is always
# a commit. Refuses, building nothing, when the tools or build dependencies are missing or (for
# HEAD, `make deb`) the tree has uncommitted changes. Never installs anything.
set -euo pipefail

usage() {
	cat <<USAGE
Usage: $(basename "$0") [-o DIR] [-w | REV]
Build vosfp_VERSION_ARCH.deb from REV's files (git archive), with dpkg-buildpackage.
  REV     commit or tree to package (default: HEAD, and then the working tree must be clean)
  -w      package the working tree as it is, committed or not (its files git does not ignore,
          written as a tree object; the index is left alone): what the tests check
  -o DIR  where the .deb goes (default: build/); its path is printed on success
  -h      this help
A package already built from the same tree (build/deb/TREE/) is reused: same files, same package.
Exit status: 0 built, 1 the build failed (its log is named), 2 usage, missing tools or build
dependencies, uncommitted changes.
USAGE
}

die() { echo "build-deb: $1" >&2; exit "${2:-2}"; }

out=build working_tree=0
while getopts "o:wh" opt; do
	case "$opt" in
	o) out=$OPTARG ;;
	w) working_tree=1 ;;
	h) usage; exit 0 ;;
	*) usage >&2; exit 2 ;;
	esac
done
shift $((OPTIND - 1))
if [ $# -gt 1 ] || { [ "$working_tree" -eq 1 ] && [ $# -eq 1 ]; }; then
	usage >&2
	exit 2
fi
rev=${1:-}

repo=$(cd "$(dirname "$(readlink -f "$0")")/.." && pwd)
cd "$repo"

# The tools, named with the package that brings each.
missing=()
for tool in git:git dpkg-buildpackage:dpkg-dev dpkg-checkbuilddeps:dpkg-dev dh:debhelper; do
	command -v "${tool%%:*}" >/dev/null || missing+=("${tool%%:*} (package ${tool#*:})")
done
if [ "${#missing[@]}" -gt 0 ]; then
	printf 'build-deb: missing: %s\n' "${missing[@]}" >&2
	die "nothing built; install them (scripts/install-deps.sh does) and run again"
fi
git rev-parse --git-dir >/dev/null 2>&1 || die "$repo is not a git checkout: a package is built from a commit"

if [ "$working_tree" -eq 1 ]; then
	index=$(mktemp /tmp/vosfp-build-deb-index.XXXXXX)
	trap 'rm -f "$index"' EXIT
	rm -f "$index"	# git wants to create it: an empty file is not an index
	rev=$(GIT_INDEX_FILE=$index git add -A . && GIT_INDEX_FILE=$index git write-tree)
elif [ -z "$rev" ]; then
	rev=HEAD
	dirty=$(git status --porcelain --untracked-files=normal)
	if [ -n "$dirty" ]; then
		echo "build-deb: uncommitted changes (the package is built from HEAD's commit, without them):" >&2
		while IFS= read -r line; do echo "  $line"; done <<<"$dirty" >&2
		die "nothing built; commit or stash them, or package another commit: tools/build-deb.sh REV"
	fi
fi
tree=$(git rev-parse --verify --quiet "$rev^{tree}") || die "$rev: no such commit or tree"
git cat-file -e "$tree:debian/changelog" 2>/dev/null || die "$rev has no debian/ directory: nothing to package"
version=$(git cat-file -p "$tree:debian/changelog" | awk 'NR == 1 { gsub(/[()]/, "", $2); print $2; exit }')
arch=$(dpkg --print-architecture)
deb="vosfp_${version}_${arch}.deb"
work="$repo/build/deb/$tree"
mkdir -p "$out"

if [ ! -f "$work/$deb" ]; then
	rm -rf "$work"
	mkdir -p "$work/vosfp-$version"
	git archive "$tree" | tar -x -C "$work/vosfp-$version"
	if ! deps=$(cd "$work/vosfp-$version" && dpkg-checkbuilddeps 2>&1); then
		rm -rf "$work"
		echo "build-deb: $deps" >&2
		die "nothing built; install the build dependencies named above (apt-get install ...) and run again"
	fi
	echo "build-deb: building $deb from $rev (tree ${tree:0:12}); log: $work/build.log"
	if ! (cd "$work/vosfp-$version" && dpkg-buildpackage -b -us -uc -jauto) >"$work/build.log" 2>&1; then
		tail -n 20 "$work/build.log" >&2
		rm -f "$work/$deb"
		die "the package build failed (the end of $work/build.log is above)" 1
	fi
	rm -rf "$work/vosfp-$version"	# the .deb, .buildinfo, .changes and the log stay
else
	echo "build-deb: $deb from tree ${tree:0:12} was built already: reused"
fi
cp "$work/$deb" "$out/$deb"
# Under sudo, hand what we wrote back to the invoking user (as the Makefile does with build/).
[ -z "${SUDO_UID:-}" ] || chown -R "$SUDO_UID:${SUDO_GID:-$SUDO_UID}" "$repo/build/deb" "$out/$deb"
echo "$out/$deb"
