#!/usr/bin/env bash
# build-tool.sh OUTDIR NAME TOOLSDIR PACKAGE VERSION [LDFLAGS]
#
# Builds PACKAGE from the tools module hack/tools/TOOLSDIR into OUTDIR/NAME.
# Idempotent: a binary whose stamp file (OUTDIR/.NAME.version) names VERSION
# and the Go toolchain is left alone. Built binaries are kept in a per-user
# cache ($ASTROLIFT_TOOLS_CACHE, default ~/.cache/astrolift/tools), so a
# fresh clone on the same machine copies them instead of rebuilding.
#
# TOOL_TAGS (build tags) and TOOL_CGO=1 (cgo on; off by default) are part of
# the stamp, so changing them rebuilds.
set -euo pipefail

out=$1 name=$2 dir=$3 pkg=$4 version=$5 ldflags=${6:-}
root="$(cd "$(dirname "$0")/.." && pwd)"
cache="${ASTROLIFT_TOOLS_CACHE:-${XDG_CACHE_HOME:-$HOME/.cache}/astrolift/tools}"
gover="$(go env GOVERSION)"
mkdir -p "$out" "$cache"

tags=${TOOL_TAGS:-} cgo=${TOOL_CGO:-0}
flavor=""
[[ -n "$tags" || "$cgo" != 0 ]] && flavor="-${tags// /,}-cgo$cgo"
stamp="$out/.$name.version" want="$version $gover$flavor"
if [[ -x "$out/$name" && "$(cat "$stamp" 2>/dev/null)" == "$want" ]]; then
	echo "tools: $name $version up to date"
	exit 0
fi
cached="$cache/$name-$version-$gover$flavor"
if [[ ! -x "$cached" ]]; then
	echo "tools: building $name $version (cold builds take minutes on 2 cores)"
	start=$SECONDS
	(cd "$root/hack/tools/$dir" &&
		CGO_ENABLED=$cgo go build -trimpath -tags "$tags" -ldflags "-s -w $ldflags" -o "$cached.tmp.$$" "$pkg")
	mv "$cached.tmp.$$" "$cached"
	echo "tools: built $name in $((SECONDS - start))s"
fi
cp "$cached" "$out/$name.tmp.$$"
mv "$out/$name.tmp.$$" "$out/$name"
echo "$want" >"$stamp"
