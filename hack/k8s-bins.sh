#!/usr/bin/env bash
# Builds the local Kubernetes control plane from the Go modules pinned in
# hack/tools/{etcd,kubernetes,kwok}/go.mod into bin/k8s (or $1).
#
# Idempotent: a binary whose stamp file names the pinned version and Go
# toolchain is left alone. Built binaries are also kept in a per-user cache
# ($ASTROLIFT_TOOLS_CACHE, default ~/.cache/astrolift/tools) so a fresh clone
# on the same machine copies them instead of rebuilding.
set -euo pipefail

root="$(cd "$(dirname "$0")/.." && pwd)"
out="${1:-$root/bin/k8s}"
cache="${ASTROLIFT_TOOLS_CACHE:-${XDG_CACHE_HOME:-$HOME/.cache}/astrolift/tools}"
gover="$(go env GOVERSION)"
mkdir -p "$out" "$cache"

modversion() { (cd "$root/hack/tools/$1" && go list -m -f '{{.Version}}' "$2"); }

# build NAME TOOLSDIR PACKAGE VERSION [LDFLAGS]
build() {
	local name=$1 dir=$2 pkg=$3 version=$4 ldflags=${5:-}
	local stamp="$out/.$name.version" want="$version $gover"
	if [[ -x "$out/$name" && "$(cat "$stamp" 2>/dev/null)" == "$want" ]]; then
		echo "k8s-bins: $name $version up to date"
		return
	fi
	local cached="$cache/$name-$version-$gover"
	if [[ ! -x "$cached" ]]; then
		echo "k8s-bins: building $name $version (cold builds take minutes on 2 cores)"
		local start=$SECONDS
		(cd "$root/hack/tools/$dir" &&
			CGO_ENABLED=0 go build -trimpath -ldflags "-s -w $ldflags" -o "$cached.tmp.$$" "$pkg")
		mv "$cached.tmp.$$" "$cached"
		echo "k8s-bins: built $name in $((SECONDS - start))s"
	fi
	cp "$cached" "$out/$name.tmp.$$"
	mv "$out/$name.tmp.$$" "$out/$name"
	echo "$want" >"$stamp"
}

etcd_v="$(modversion etcd go.etcd.io/etcd/server/v3)"
k8s_v="$(modversion kubernetes k8s.io/kubernetes)"
kwok_v="$(modversion kwok sigs.k8s.io/kwok)"

minor="${k8s_v#v1.}"
minor="${minor%%.*}"
kv="-X k8s.io/component-base/version.gitVersion=$k8s_v -X k8s.io/component-base/version.gitMajor=1 -X k8s.io/component-base/version.gitMinor=$minor -X k8s.io/component-base/version.gitTreeState=clean"

build etcd etcd go.etcd.io/etcd/server/v3 "$etcd_v"
build kube-apiserver kubernetes k8s.io/kubernetes/cmd/kube-apiserver "$k8s_v" "$kv"
build kube-controller-manager kubernetes k8s.io/kubernetes/cmd/kube-controller-manager "$k8s_v" "$kv"
build kube-scheduler kubernetes k8s.io/kubernetes/cmd/kube-scheduler "$k8s_v" "$kv"
build kwok kwok sigs.k8s.io/kwok/cmd/kwok "$kwok_v" "-X sigs.k8s.io/kwok/pkg/consts.Version=${kwok_v#v}"

# kwok refuses to start without stages: collect the "fast" node and pod stages
# shipped in the pinned kwok module into one multi-document config file.
kwok_dir="$(cd "$root/hack/tools/kwok" && go list -m -f '{{.Dir}}' sigs.k8s.io/kwok)"
stages="$out/kwok-stages.yaml"
{
	echo "# kwok $kwok_v stages: kustomize/stage/node/fast and kustomize/stage/pod/fast"
	for f in "$kwok_dir"/kustomize/stage/node/fast/*.yaml "$kwok_dir"/kustomize/stage/pod/fast/*.yaml; do
		[[ "$(basename "$f")" == kustomization.yaml ]] && continue
		echo "---"
		cat "$f"
	done
} >"$stages.tmp.$$"
mv "$stages.tmp.$$" "$stages"
echo "k8s-bins: ready in $out"
