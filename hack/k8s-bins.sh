#!/usr/bin/env bash
# Builds the local Kubernetes control plane from the Go modules pinned in
# hack/tools/{etcd,kubernetes,kwok}/go.mod into bin/k8s (or $1).
#
# Each binary is built (or copied from the tools cache) by hack/build-tool.sh.
set -euo pipefail

root="$(cd "$(dirname "$0")/.." && pwd)"
out="${1:-$root/bin/k8s}"
mkdir -p "$out"

modversion() { (cd "$root/hack/tools/$1" && go list -m -f '{{.Version}}' "$2"); }

build() { "$root/hack/build-tool.sh" "$out" "$@"; }

etcd_v="$(modversion etcd go.etcd.io/etcd/server/v3)"
k8s_v="$(modversion kubernetes k8s.io/kubernetes)"
# go list reports a module's Dir only once it is in the module cache, which a
# fresh machine (or a binary copied from the tools cache) has not filled yet.
(cd "$root/hack/tools/kwok" && go mod download sigs.k8s.io/kwok)
read -r kwok_v kwok_dir < <(cd "$root/hack/tools/kwok" && go list -m -f '{{.Version}} {{.Dir}}' sigs.k8s.io/kwok)
[[ -d "$kwok_dir/kustomize/stage" ]] || { echo "k8s-bins: kwok module source not found (dir '$kwok_dir')" >&2; exit 1; }

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
stages="$out/kwok-stages.yaml"
{
	echo "# kwok $kwok_v stages: kustomize/stage/node/fast and kustomize/stage/pod/fast"
	for f in "$kwok_dir"/kustomize/stage/node/fast/*.yaml "$kwok_dir"/kustomize/stage/pod/fast/*.yaml; do
		[[ "$(basename "$f")" == kustomization.yaml ]] && continue
		echo "---"
		cat "$f"
	done
} | awk '
	# Test hook: pods whose first container image is never-ready.invalid/app:1
	# never become Ready, so tests can exercise failed rollouts.
	/^  name: pod-ready$/ { inready = 1 }
	/^---/ { inready = 0 }
	inready && /^  next:$/ {
		print "    - key: '\''.spec.containers.[0].image'\''"
		print "      operator: '\''NotIn'\''"
		print "      values:"
		print "      - '\''never-ready.invalid/app:1'\''"
	}
	{ print }
' >"$stages.tmp.$$"
mv "$stages.tmp.$$" "$stages"
echo "k8s-bins: ready in $out"
