#!/usr/bin/env bash
# Builds the local control plane (etcd, kube-apiserver, kube-controller-manager,
# kube-scheduler, kubectl, kubelet, kube-proxy, kwok) from the Go modules in this
# folder into a cache directory keyed by their versions, and prints that
# directory. Does nothing when the binaries of these versions are already there.
#
#   cluster/build.sh            build if needed, print the bin directory
#   cluster/build.sh coredns    the same for CoreDNS (only real nodes need it), in a
#                               directory of its own so the control plane's key
#                               does not change with it
#   PGOP_CLUSTER_CACHE=DIR      cache root (default ${XDG_CACHE_HOME:-$HOME/.cache}/pgop/cluster)
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)

modver() { # modver DIR MODULE -> version required by the wrapper module
  awk -v m="$2" '$1 == m && $2 ~ /^v/ {print $2; exit} $1 == "require" && $2 == m {print $3; exit}' "$here/$1/go.mod"
}
root=${PGOP_CLUSTER_CACHE:-${XDG_CACHE_HOME:-$HOME/.cache}/pgop/cluster}
export CGO_ENABLED=0 GOFLAGS=-mod=readonly GOTOOLCHAIN=local

if [ "${1:-}" = coredns ]; then
  coredns=$(modver coredns github.com/coredns/coredns)
  bin="$root/coredns-$coredns-$(sha256sum <"$here/coredns/go.sum" | cut -c1-12)"
  if [ -x "$bin/coredns" ]; then
    echo "$bin"
    exit 0
  fi
  mkdir -p "$root"
  tmp=$(mktemp -d "$root/.build.XXXXXX")
  trap 'rm -rf "$tmp"' EXIT
  echo "building CoreDNS $coredns into $bin (cold: about 3 minutes on 2 cores)" >&2
  (cd "$here/coredns" && go build -trimpath -ldflags "-s -w" -o "$tmp/coredns" github.com/coredns/coredns)
  rm -rf "$bin"
  mv "$tmp" "$bin"
  trap - EXIT
  echo "$bin"
  exit 0
fi

k8s=$(modver kube k8s.io/kubernetes)
etcd=$(modver kube go.etcd.io/etcd/server/v3)
kwok=$(modver kwok sigs.k8s.io/kwok)
# The key also covers our own sources so an edit to main.go rebuilds.
src=$(cat "$here"/kube/main.go "$here"/kube/go.sum "$here"/kwok/go.sum | sha256sum | cut -c1-12)
bin="$root/k8s-$k8s-etcd-$etcd-kwok-$kwok-$src"

if [ -x "$bin/kube" ] && [ -x "$bin/etcd" ] && [ -x "$bin/kwok" ]; then
  echo "$bin"
  exit 0
fi

mkdir -p "$root"
tmp=$(mktemp -d "$root/.build.XXXXXX")
trap 'rm -rf "$tmp"' EXIT
start=$(date +%s)

# The same keys on both version packages, as kubernetes' hack/lib/version.sh does,
# so that `kubectl version` and /version report the real release.
minor=$(echo "$k8s" | cut -d. -f2)
ldflags="-s -w"
for pkg in k8s.io/client-go/pkg/version k8s.io/component-base/version; do
  ldflags+=" -X $pkg.gitVersion=$k8s -X $pkg.gitMajor=1 -X $pkg.gitMinor=$minor"
  ldflags+=" -X $pkg.gitTreeState=clean -X $pkg.buildDate=1970-01-01T00:00:00Z"
done

echo "building control plane $k8s, etcd $etcd, kwok $kwok into $bin (cold: about 20 minutes on 2 cores)" >&2
(cd "$here/kube" && go build -trimpath -ldflags "$ldflags" -o "$tmp/kube" .)
(cd "$here/kube" && go build -trimpath -ldflags "-s -w" -o "$tmp/etcd" go.etcd.io/etcd/server/v3)
(cd "$here/kwok" && go build -trimpath -ldflags "-s -w" -o "$tmp/kwok" sigs.k8s.io/kwok/cmd/kwok)
for c in kube-apiserver kube-controller-manager kube-scheduler kubectl kubelet kube-proxy; do ln -s kube "$tmp/$c"; done
echo "built in $(( $(date +%s) - start ))s" >&2

rm -rf "$bin"
mv "$tmp" "$bin"
trap - EXIT
echo "$bin"
