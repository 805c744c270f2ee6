#!/usr/bin/env bash
# Installs the Debian packages that scripts/s3/gateway.sh needs (a one-node Ceph cluster with a
# RADOS Gateway), if any is missing. Safe to run again. Not root: prints the command to run.
#   install.sh           install what is missing
#   install.sh --check   only say what is missing (exit 1), install nothing
set -euo pipefail

packages=(radosgw ceph-mon ceph-osd ceph-common)
# Each package's main binary: present means installed (dpkg-query is slow and noisy).
binaries=(radosgw ceph-mon ceph-osd ceph monmaptool radosgw-admin)

missing=()
for binary in "${binaries[@]}"; do
  command -v "$binary" >/dev/null 2>&1 || missing+=("$binary")
done
if [ ${#missing[@]} -eq 0 ]; then
  exit 0
fi

command_line="apt-get install -y --no-install-recommends ${packages[*]}"
if [ "${1:-}" = --check ]; then
  echo "s3 gateway: missing ${missing[*]}; install with scripts/s3/install.sh (as root: apt-get update && $command_line)" >&2
  exit 1
fi
if [ "$(id -u)" -ne 0 ]; then
  echo "s3 gateway: missing ${missing[*]}; as root run: apt-get update && $command_line" >&2
  exit 1
fi
echo "s3 gateway: installing ${packages[*]} (missing ${missing[*]})" >&2
export DEBIAN_FRONTEND=noninteractive
# An old or empty package list finds nothing: refresh it once before installing.
apt-get update -q >/dev/null
$command_line >/dev/null
