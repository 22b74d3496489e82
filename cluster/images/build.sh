#!/usr/bin/env bash
# Builds the local container images, with no registry and no container engine,
# as docker-archive tars that `ctr -n k8s.io image import` accepts, into a cache
# keyed by version and recipe, and prints `NAME REF TAR` for each. Does nothing
# for an image that is already there.
#
#   cluster/images/build.sh [pause] [postgres] [psql]   (default: all three)
#   PGOP_IMAGE_CACHE=DIR   cache root (default ${XDG_CACHE_HOME:-$HOME/.cache}/pgop/images)
#   PGOP_DEBIAN_MIRROR=URL the Debian mirror (default: the one apt uses here, else deb.debian.org)
#
# pause:    a static C program (pause.c), the pod sandbox's process.
# postgres: Debian bookworm's postgresql-15 on a debootstrap minbase, uid/gid
#           999, entrypoint.sh honouring the official image's environment.
# psql:     the same base with postgresql-client-15 only.
# postgres and psql share one debootstrap run when both are missing.
# debootstrap and chroot need root.
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)

SUITE=bookworm
PG=15
PAUSE_VERSION=1
REGISTRY=pgop.local
root=${PGOP_IMAGE_CACHE:-${XDG_CACHE_HOME:-$HOME/.cache}/pgop/images}

# The mirror apt already uses on this machine (deb822 or one-line sources), so
# that a machine behind its own mirror builds from it too.
mirror() {
  if [ -n "${PGOP_DEBIAN_MIRROR:-}" ]; then echo "$PGOP_DEBIAN_MIRROR"; return; fi
  local found
  found=$(cat /etc/apt/sources.list /etc/apt/sources.list.d/*.sources /etc/apt/sources.list.d/*.list 2>/dev/null |
    awk '/^URIs:/ && $2 ~ /\/debian\/?$/ {print $2; exit} /^deb / && $0 ~ /\/debian\/? / {for (i = 2; i <= NF; i++) if ($i ~ /^http/) {print $i; exit}}') || true
  echo "${found:-http://deb.debian.org/debian}"
}

hash_of() { cat "$@" | sha256sum | cut -c1-12; }
dir_of() { # dir_of NAME -> cache dir of that image's current recipe
  case "$1" in
    pause) echo "$root/pause-$PAUSE_VERSION-$(hash_of "$here/build.sh" "$here/pause.c")" ;;
    postgres) echo "$root/postgres-$PG-$(hash_of "$here/build.sh" "$here/entrypoint.sh")" ;;
    psql) echo "$root/psql-$PG-$(hash_of "$here/build.sh")" ;;
    *) echo "unknown image \"$1\" (pause, postgres, psql)" >&2; exit 2 ;;
  esac
}
ref_of() { case "$1" in pause) echo "$REGISTRY/pause:$PAUSE_VERSION" ;; *) echo "$REGISTRY/$1:$PG" ;; esac; }

arch() { case "$(uname -m)" in x86_64) echo amd64 ;; aarch64) echo arm64 ;; *) uname -m ;; esac; }

# archive ROOTFS REF CONFIG_JSON OUT: a one-layer docker-archive of ROOTFS.
# CONFIG_JSON is the image's "config" object (User, Env, Entrypoint, …).
archive() {
  local rootfs=$1 ref=$2 config=$3 out=$4 work
  work=$(mktemp -d "$out.XXXXXX")
  (cd "$rootfs" && tar --numeric-owner --sort=name --xattrs --mtime=@0 -cf "$work/layer.tar" -- $(ls -A))
  local diff
  diff=$(sha256sum "$work/layer.tar" | cut -d' ' -f1)
  mkdir "$work/$diff" && mv "$work/layer.tar" "$work/$diff/layer.tar"
  printf '{"architecture":"%s","os":"linux","created":"1970-01-01T00:00:00Z","config":%s,"rootfs":{"type":"layers","diff_ids":["sha256:%s"]},"history":[{"created":"1970-01-01T00:00:00Z","created_by":"pgop cluster/images/build.sh"}]}' \
    "$(arch)" "$config" "$diff" >"$work/config.json"
  local id
  id=$(sha256sum "$work/config.json" | cut -d' ' -f1)
  mv "$work/config.json" "$work/$id.json"
  printf '[{"Config":"%s.json","RepoTags":["%s"],"Layers":["%s/layer.tar"]}]' "$id" "$ref" "$diff" >"$work/manifest.json"
  (cd "$work" && tar --sort=name --mtime=@0 -cf "$out" manifest.json "$id.json" "$diff")
  rm -rf "$work"
}

# Everything mounted below $1 (debootstrap mounts proc and sys in the target), deepest first.
unmount_below() {
  awk -v p="$1/" 'index($2, p) == 1 {print $2}' /proc/mounts | sort -r | while read -r m; do umount -l "$m"; done
}

tmp=""
cleanup() {
  if [ -n "$tmp" ] && [ -d "$tmp" ]; then unmount_below "$tmp"; rm -rf --one-file-system "$tmp"; fi
}
trap cleanup EXIT

build_pause() { # build_pause OUTDIR
  mkdir -p "$tmp/pause-root"
  gcc -static -Os -s -o "$tmp/pause-root/pause" "$here/pause.c"
  archive "$tmp/pause-root" "$(ref_of pause)" '{"Entrypoint":["/pause"],"User":"65535:65535"}' "$1/image.tar"
}

# The debootstrap base shared by postgres and psql: the postgres user and group
# as uid/gid 999 (as in the official image) before any package can pick one,
# and no cluster created by the package's postinst.
build_base() { # build_base ROOTFS
  local m
  m=$(mirror)
  echo "debootstrap $SUITE from $m" >&2
  debootstrap --variant=minbase "$SUITE" "$1" "$m" >"$tmp/debootstrap.log" 2>&1 ||
    { tail -20 "$tmp/debootstrap.log" >&2; return 1; }
  local security=${m%/debian}/debian-security
  [ "$security" = "$m/debian-security" ] && security=http://deb.debian.org/debian-security
  printf 'deb %s %s main\ndeb %s %s-updates main\ndeb %s %s-security main\n' \
    "$m" "$SUITE" "$m" "$SUITE" "$security" "$SUITE" >"$1/etc/apt/sources.list"
  chroot "$1" groupadd --system --gid 999 postgres
  chroot "$1" useradd --system --uid 999 --gid 999 --home-dir /var/lib/postgresql \
    --shell /bin/bash postgres
  mkdir -p "$1/var/lib/postgresql" "$1/etc/postgresql-common/createcluster.d"
  chroot "$1" chown postgres:postgres /var/lib/postgresql
  echo 'create_main_cluster = false' >"$1/etc/postgresql-common/createcluster.d/pgop.conf"
  # No service may start inside the build.
  printf '#!/bin/sh\nexit 101\n' >"$1/usr/sbin/policy-rc.d" && chmod +x "$1/usr/sbin/policy-rc.d"
  chroot "$1" env DEBIAN_FRONTEND=noninteractive apt-get -qq update
}

# apt-get install PACKAGES into ROOTFS, then remove what running does not need.
install_trimmed() { # install_trimmed ROOTFS PACKAGE...
  local r=$1
  shift
  chroot "$r" env DEBIAN_FRONTEND=noninteractive apt-get -qq install -y --no-install-recommends \
    "$@" >"$r.log" 2>&1 || { tail -20 "$r.log" >&2; return 1; }
  chroot "$r" dpkg-query -W -f '${Package} ${Version}\n' "$@" postgresql-client-$PG >"$r.versions"
  chroot "$r" apt-get -qq clean
  rm -rf "$r"/var/lib/apt/lists/* "$r"/var/cache/debconf/*-old "$r"/var/log/* \
    "$r"/usr/share/doc/* "$r"/usr/share/man/* "$r"/usr/share/info/* "$r"/usr/share/locale/* \
    "$r"/usr/share/lintian "$r"/usr/share/i18n "$r"/usr/sbin/policy-rc.d "$r"/etc/resolv.conf \
    "$r"/tmp/* "$r"/root/.??*
  # ssl-cert's postinst made a key pair; a private key baked into an image is everyone's.
  rm -f "$r"/etc/ssl/private/ssl-cert-snakeoil.key "$r"/etc/ssl/certs/ssl-cert-snakeoil.pem
  # LLVM and its solver (~130 MB) serve only JIT compilation, which PostgreSQL
  # leaves off by itself when its provider library is absent.
  rm -rf "$r"/usr/lib/postgresql/$PG/lib/llvmjit* "$r"/usr/lib/postgresql/$PG/lib/bitcode \
    "$r"/usr/lib/*/libLLVM* "$r"/usr/lib/*/libz3.so*
  touch "$r/etc/resolv.conf"
}

build_postgres() { # build_postgres ROOTFS OUTDIR
  install_trimmed "$1" "postgresql-$PG"
  install -m 0755 "$here/entrypoint.sh" "$1/usr/local/bin/docker-entrypoint.sh"
  # Inside the chroot: /var/run is an absolute symlink that outside it points at the host's /run.
  chroot "$1" sh -c 'mkdir -p /docker-entrypoint-initdb.d /var/lib/postgresql/data /run/postgresql &&
    chown postgres:postgres /var/lib/postgresql/data /run/postgresql && chmod 2777 /run/postgresql'
  local path="/usr/lib/postgresql/$PG/bin:/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin"
  archive "$1" "$(ref_of postgres)" "$(printf '{"User":"999:999","Env":["PATH=%s","LANG=C.UTF-8","PGDATA=/var/lib/postgresql/data"],"Entrypoint":["docker-entrypoint.sh"],"Cmd":["postgres"],"ExposedPorts":{"5432/tcp":{}},"StopSignal":"SIGINT","WorkingDir":"/var/lib/postgresql"}' "$path")" "$2/image.tar"
  mv "$1.versions" "$2/versions.txt"
}

build_psql() { # build_psql ROOTFS OUTDIR
  install_trimmed "$1" "postgresql-client-$PG"
  archive "$1" "$(ref_of psql)" '{"User":"999:999","Env":["PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin","LANG=C.UTF-8"],"Entrypoint":["psql"],"WorkingDir":"/tmp"}' "$2/image.tar"
  mv "$1.versions" "$2/versions.txt"
}

wanted=("$@")
[ ${#wanted[@]} -eq 0 ] && wanted=(pause postgres psql)
missing=()
for name in "${wanted[@]}"; do
  [ -f "$(dir_of "$name")/image.tar" ] || missing+=("$name")
done
if [ ${#missing[@]} -gt 0 ]; then
  [ "$(id -u)" = 0 ] || { echo "building images ${missing[*]} needs root (debootstrap, chroot)" >&2; exit 1; }
  mkdir -p "$root"
  # One build at a time (tests and the harness may ask at once); a build
  # directory left by a build that was killed is removed under the lock.
  exec 9>"$root/.lock"
  flock 9
  for stale in "$root"/.build.*; do
    [ -d "$stale" ] && unmount_below "$stale" && rm -rf --one-file-system "$stale"
  done
  missing=()
  for name in "${wanted[@]}"; do
    [ -f "$(dir_of "$name")/image.tar" ] || missing+=("$name")
  done
  tmp=$(mktemp -d "$root/.build.XXXXXX")
  base_built=""
  for name in "${missing[@]}"; do
    start=$(date +%s)
    out="$tmp/out-$name"
    mkdir "$out"
    case "$name" in
      pause) build_pause "$out" ;;
      postgres | psql)
        if [ -z "$base_built" ]; then build_base "$tmp/base"; base_built=1; fi
        cp -a "$tmp/base" "$tmp/$name-root"
        "build_$name" "$tmp/$name-root" "$out"
        rm -rf --one-file-system "$tmp/$name-root"
        ;;
    esac
    final=$(dir_of "$name")
    rm -rf "$final"
    mv "$out" "$final"
    echo "built $(ref_of "$name") in $(($(date +%s) - start))s: $(du -h "$final/image.tar" | cut -f1)" >&2
  done
fi
for name in "${wanted[@]}"; do
  echo "$name $(ref_of "$name") $(dir_of "$name")/image.tar"
done
