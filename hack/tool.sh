#!/usr/bin/env bash
# Builds a pinned tool from source through the Go module proxy, once per version,
# into a cache outside the repository, and links it into bin/ (and bin/k8s/ for
# the control-plane binaries that envtest and `make run` use).
#
#   hack/tool.sh NAME...      NAME: controller-gen kube-apiserver kubectl etcd helm
#   hack/tool.sh --path NAME  print the cached binary's path (building it if missing)
#
# Cache: $INKASSO_TOOLS_CACHE, else ${XDG_CACHE_HOME:-$HOME/.cache}/inkasso-operator/tools,
# one directory per NAME-VERSION, so a warm cache never rebuilds anything.
set -euo pipefail

root=$(cd "$(dirname "$0")/.." && pwd)
cache=${INKASSO_TOOLS_CACHE:-${XDG_CACHE_HOME:-${HOME:-/tmp}/.cache}/inkasso-operator/tools}
bin=$root/bin

# name -> tools module dir, package, module whose version keys the cache
spec() {
  case $1 in
    controller-gen) echo "hack/tools sigs.k8s.io/controller-tools/cmd/controller-gen sigs.k8s.io/controller-tools" ;;
    kube-apiserver) echo "hack/tools k8s.io/kubernetes/cmd/kube-apiserver k8s.io/kubernetes" ;;
    kubectl)        echo "hack/tools k8s.io/kubernetes/cmd/kubectl k8s.io/kubernetes" ;;
    etcd)           echo "hack/etcd go.etcd.io/etcd/server/v3 go.etcd.io/etcd/server/v3" ;;
    helm)           echo "hack/helm helm.sh/helm/v3/cmd/helm helm.sh/helm/v3" ;;
    *) echo "hack/tool.sh: unknown tool '$1'" >&2; return 1 ;;
  esac
}

build() {
  local name=$1 moddir pkg mod version dir out ldflags=""
  read -r moddir pkg mod <<<"$(spec "$name")"
  version=$(cd "$root/$moddir" && go list -m -f '{{.Version}}' "$mod")
  dir=$cache/$name-$version
  out=$dir/$name
  if [[ ! -x $out ]]; then
    mkdir -p "$dir"
    # One builder per tool version at a time; others wait and reuse its result.
    exec 9>"$dir/.lock"
    flock 9
    if [[ ! -x $out ]]; then
      if [[ $mod == k8s.io/kubernetes ]]; then
        local v=${version#v} major minor
        major=${v%%.*}; minor=${v#*.}; minor=${minor%%.*}
        for p in k8s.io/component-base/version k8s.io/client-go/pkg/version; do
          ldflags+=" -X $p.gitVersion=$version -X $p.gitMajor=$major -X $p.gitMinor=$minor -X $p.gitTreeState=clean"
        done
      fi
      echo "hack/tool.sh: building $name $version from source (first time only; cached in $dir)" >&2
      local start=$SECONDS
      (cd "$root/$moddir" && GOFLAGS=-mod=mod CGO_ENABLED=0 go build -trimpath -ldflags "-s -w$ldflags" -o "$out.tmp" "$pkg")
      mv "$out.tmp" "$out"
      echo "hack/tool.sh: built $name $version in $((SECONDS - start))s" >&2
    fi
    exec 9>&-
  fi
  mkdir -p "$bin/k8s"
  ln -sfn "$out" "$bin/$name"
  case $name in kube-apiserver|etcd|kubectl|helm) ln -sfn "$out" "$bin/k8s/$name" ;; esac
  echo "$out"
}

if [[ ${1:-} == --path ]]; then
  shift; build "$1"; exit
fi
[[ $# -gt 0 ]] || { echo "usage: hack/tool.sh NAME..." >&2; exit 2; }
for t in "$@"; do build "$t" >/dev/null; done
