#!/usr/bin/env bash
# Installs the Debian packages a real node needs (containerd, runc, the CNI
# plugins, iptables, debootstrap for the images, psql, mkfs.ext4 for volumes), and
# PostgreSQL 15 for the instance script's test (tests/instance_script_test.ts), and gcc
# with a static libc for the pause image.
# Quick and quiet when they are all there; on a machine where this cannot run
# (not root, no apt-get) it says so in one line and succeeds: clusters then
# have kwok's simulated nodes only.
set -euo pipefail
packages=(containerd runc containernetworking-plugins iptables debootstrap postgresql-client postgresql-15 e2fsprogs gcc libc6-dev)

missing=()
for p in "${packages[@]}"; do
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing+=("$p")
done
[ ${#missing[@]} -eq 0 ] && exit 0

if [ "$(id -u)" != 0 ] || ! command -v apt-get >/dev/null; then
  echo "setup: not installing ${missing[*]} (needs root and apt-get): real nodes unavailable, kwok nodes only" >&2
  exit 0
fi
echo "setup: installing ${missing[*]}" >&2
export DEBIAN_FRONTEND=noninteractive
apt-get update -qq
apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
