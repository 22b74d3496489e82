#!/usr/bin/env bash
# Builds pgop's local image as a docker-archive tar (as build.sh builds the
# others, with build.sh's archive()), into the same cache, and prints
# `pgop REF TAR`. Does nothing when the image of the current sources is there.
#
#   cluster/images/pgop.sh
#   PGOP_IMAGE_CACHE=DIR   cache root (default ${XDG_CACHE_HOME:-$HOME/.cache}/pgop/images)
#
# The image, pgop.local/pgop:<hash of everything it is made of>: the pinned
# Deno runtime (node_modules/.bin/deno, from the npm package `deno`) with the
# C libraries ldd names, main.ts and lib/ (no tests), deno.json, deno.lock
# without the toolchain's own entry, exactly the npm packages that lockfile
# pins (copied from the host's Deno cache, which `deno cache --frozen` fills),
# /etc/passwd with uid 65532, and an entrypoint running `deno run` with the
# Dockerfile's permissions and V8 flags (tests/support/pgop_image.ts says
# how). No shell, no package manager, no CA bundle. Needs no root.
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
repo=$(cd "$here/../.." && pwd)
root=${PGOP_IMAGE_CACHE:-${XDG_CACHE_HOME:-$HOME/.cache}/pgop/images}
deno=$(readlink -f "$repo/node_modules/.bin/deno")
helper="$repo/tests/support/pgop_image.ts"

# build.sh's archive() and arch(), so that every local image is made one way.
# shellcheck source=/dev/null
source <(sed -n '/^arch() /p; /^archive() /,/^}/p' "$here/build.sh")

# What the image is made of, in a stable order (no tests, no test data).
sources() {
  (cd "$repo" && { printf '%s\n' main.ts deno.json deno.lock tests/support/pgop_image.ts \
    tests/support/pgop_runtime.ts; find lib -name '*.ts' ! -name '*_test.ts' ! -path '*/testdata/*'; } |
    LC_ALL=C sort)
}
hash=$({ (cd "$repo" && sources | while read -r f; do echo "$f"; cat "$f"; done)
  cat "$0" "$here/build.sh"; "$deno" --version; } | sha256sum | cut -c1-12)
ref=pgop.local/pgop:$hash
final="$root/pgop-$hash"

tmp=""
trap '[ -n "$tmp" ] && rm -rf "$tmp"' EXIT

build() { # build ROOTFS OUTDIR
  local r=$1 lib d
  mkdir -p "$r/usr/local/bin" "$r/app" "$r/deno-dir/npm/registry.npmjs.org" "$r/etc" "$r/tmp"
  install -m 0755 "$deno" "$r/usr/local/bin/deno"
  # The runtime's shared libraries at the paths ldd names, and the loader.
  for lib in $(ldd "$deno" | awk '$2 == "=>" && $3 ~ /^\// {print $3} $1 ~ /^\// {print $1}'); do
    mkdir -p "$r$(dirname "$lib")" && cp -L "$lib" "$r$lib"
  done
  (cd "$repo" && sources | grep -v '^tests/' | while read -r f; do
    mkdir -p "$r/app/$(dirname "$f")" && cp "$f" "$r/app/$f"; done)
  local run=("$deno" run --quiet --frozen --allow-read --allow-write)
  (cd "$repo" && "${run[@]}" "$helper" prune-lock deno.lock "$r/app/deno.lock")
  # The host's cache holds every package deno.lock pins once this has run.
  (cd "$repo" && "$deno" cache --quiet --frozen main.ts)
  local cache
  cache=$("$deno" info --json | sed -n 's/.*"npmCache": "\(.*\)".*/\1/p')/registry.npmjs.org
  (cd "$repo" && "${run[@]}" "$helper" npm-dirs "$r/app/deno.lock") | while read -r d; do
    mkdir -p "$r/deno-dir/npm/registry.npmjs.org/$d"
    cp -a "$cache/$d/." "$r/deno-dir/npm/registry.npmjs.org/$d/"
    cp "$cache/$(dirname "$d")/registry.json" "$r/deno-dir/npm/registry.npmjs.org/$(dirname "$d")/"
  done
  printf 'root:x:0:0:root:/root:/sbin/nologin\npgop:x:65532:65532:pgop:/nonexistent:/sbin/nologin\n' >"$r/etc/passwd"
  printf 'root:x:0:\npgop:x:65532:\n' >"$r/etc/group"
  printf 'hosts: files dns\n' >"$r/etc/nsswitch.conf"
  chmod 1777 "$r/tmp"
  chmod -R a+rX,go-w "$r/app" "$r/deno-dir"
  # Offline, every module of main.ts loads from the tree; then the caches that
  # run wrote (keyed by this build directory's paths) go.
  (cd / && env -i DENO_DIR="$r/deno-dir" DENO_NO_UPDATE_CHECK=1 "$deno" run --frozen --cached-only \
    --no-prompt --config="$r/app/deno.json" --allow-env --allow-sys=hostname "$r/app/main.ts" --help >/dev/null)
  find "$r/deno-dir" -mindepth 1 -maxdepth 1 ! -name npm -exec rm -rf {} +
  archive "$r" "$ref" "$(cd "$repo" && "${run[@]}" "$helper" config)" "$2/image.tar"
  (cd "$r/deno-dir/npm/registry.npmjs.org" && find . -mindepth 2 -maxdepth 3 -type d -name '[0-9]*' |
    sed 's|^\./||' | sort) >"$2/versions.txt"
}

if [ ! -f "$final/image.tar" ]; then
  mkdir -p "$root"
  exec 9>"$root/.lock"
  flock 9
  if [ ! -f "$final/image.tar" ]; then
    start=$(date +%s)
    tmp=$(mktemp -d "$root/.build.XXXXXX")
    mkdir "$tmp/out"
    build "$tmp/pgop-root" "$tmp/out"
    rm -rf "$final"
    mv "$tmp/out" "$final"
    echo "built $ref in $(($(date +%s) - start))s: $(du -h "$final/image.tar" | cut -f1)" >&2
  fi
fi
echo "pgop $ref $final/image.tar"
