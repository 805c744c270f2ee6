#!/bin/sh
# Builds a Node-API addon from C files: build-addon.sh <output.node> <source.c>...
# Headers come from the running Node's installation (/usr/include/node for Debian's nodejs).
set -eu
headers="$(node -p "require('node:path').resolve(process.execPath, '../../include/node')")"
if [ ! -f "$headers/node_api.h" ]; then
  echo "build-addon: Node's C headers are missing ($headers/node_api.h); install the headers of your Node.js (Debian: apt-get install libnode-dev, or use an official Node.js build)" >&2
  exit 1
fi
command -v gcc >/dev/null || { echo "build-addon: gcc is missing: apt-get install gcc" >&2; exit 1; }
output="$1"
shift
exec gcc -O2 -Wall -shared -fPIC -I"$headers" -o "$output" "$@"
