#!/bin/sh
# Installs what the bench needs beyond the workspace (Debian/Ubuntu): bindfs (the C FUSE
# filesystem it compares with), fio (random reads) and fuse (fusermount). Safe to run twice.
set -eu

missing=""
for pair in bindfs:bindfs fio:fio fusermount:fuse; do
  command -v "${pair%%:*}" >/dev/null 2>&1 || missing="$missing ${pair#*:}"
done

if [ -z "$missing" ]; then
  echo "bench: bindfs, fio and fusermount are installed"
  exit 0
fi
if [ "$(id -u)" -ne 0 ]; then
  echo "bench: missing:$missing. As root, run: apt-get install -y$missing" >&2
  exit 1
fi
apt-get update
DEBIAN_FRONTEND=noninteractive apt-get install -y $missing
