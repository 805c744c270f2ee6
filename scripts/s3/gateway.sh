#!/usr/bin/env bash
# A throw-away one-node Ceph cluster (one monitor, one OSD on memstore or bluestore, no manager, no cephx) with
# a RADOS Gateway on 127.0.0.1, for tests. Everything lives in one scratch directory:
#
#   FUSEKIT_S3_GATEWAY_DIR      default ${TMPDIR:-/tmp}/fusekit-s3-gateway
#   FUSEKIT_S3_GATEWAY_TIMEOUT  seconds each start step may take (default 60)
#   FUSEKIT_S3_GATEWAY_STORE    the OSD's object store: memstore (default: data in the OSD's RAM,
#                               fastest to start) or bluestore (data in a sparse 16 GiB file in DIR,
#                               as a real disk-backed cluster keeps it)
#
#   gateway.sh start    starts it (its Debian packages must be there: scripts/s3/install.sh),
#                       waits for HTTP 200 on /, writes DIR/env (FUSEKIT_TEST_S3_ENDPOINT,
#                       AWS_ACCESS_KEY_ID, AWS_SECRET_ACCESS_KEY, AWS_REGION; mode 0600); prints
#                       the endpoint and the start time, never the secret
#   gateway.sh stop     ends every daemon it started and removes DIR; safe twice, after a crash
#   gateway.sh status   "running at URL" (exit 0) or "stopped" (exit 3)
#   gateway.sh rgw-stop   kills the radosgw daemon alone (SIGKILL: a gateway gone at once, as in
#                         a crash); the monitor, the OSD and the data stay (for outage tests)
#   gateway.sh rgw-start  starts that radosgw again on the same port and waits for HTTP 200
#
# Each setting in the generated ceph.conf fixed a failure: its comment says which.
set -euo pipefail

dir=${FUSEKIT_S3_GATEWAY_DIR:-${TMPDIR:-/tmp}/fusekit-s3-gateway}
step_timeout=${FUSEKIT_S3_GATEWAY_TIMEOUT:-60}
store=${FUSEKIT_S3_GATEWAY_STORE:-memstore}
marker=$dir/.fusekit-s3-gateway
conf=$dir/ceph.conf
here=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)

say() { echo "s3 gateway: $*" >&2; }

# Pids of daemons started with our configuration: the pid files, plus any process whose argv
# names our ceph.conf (a daemon that died before writing its pid file, or a start cut short).
our_pids() {
  local pid
  for file in "$dir"/run/*.pid; do
    [ -f "$file" ] || continue
    pid=$(cat "$file" 2>/dev/null || true)
    if [ -n "$pid" ] && started_by_us "$pid"; then echo "$pid"; fi
  done
  for proc in /proc/[0-9]*; do
    pid=${proc#/proc/}
    if started_by_us "$pid"; then echo "$pid"; fi
  done
}

# A pid file may outlive its process and the pid be reused: trust it only if argv names our conf.
started_by_us() {
  local args arg
  mapfile -d '' args 2>/dev/null <"/proc/$1/cmdline" || return 1
  for arg in "${args[@]}"; do
    [ "$arg" = "$conf" ] && return 0
  done
  return 1
}

stop() {
  if [ ! -e "$dir" ]; then
    return 0
  fi
  # An empty directory (made by the caller for us to use) goes too.
  if [ ! -f "$marker" ] && rmdir "$dir" 2>/dev/null; then
    return 0
  fi
  if [ ! -f "$marker" ]; then
    say "refusing to remove $dir: not a gateway directory (no $(basename "$marker"))"
    exit 1
  fi
  local pids
  pids=$(our_pids | sort -u)
  if [ -n "$pids" ]; then
    # shellcheck disable=SC2086
    kill -TERM $pids 2>/dev/null || true
    # radosgw can take several seconds to exit on SIGTERM.
    for _ in $(seq 100); do
      pids=$(our_pids)
      [ -z "$pids" ] && break
      sleep 0.1
    done
    if [ -n "$pids" ]; then
      # shellcheck disable=SC2086
      kill -KILL $pids 2>/dev/null || true
      for _ in $(seq 50); do
        [ -z "$(our_pids)" ] && break
        sleep 0.1
      done
    fi
  fi
  rm -rf "$dir"
}

# Node is there wherever this project runs; curl may not be.
http_ok() {
  node -e 'fetch(process.argv[1], { signal: AbortSignal.timeout(2000) })
    .then((r) => process.exit(r.status === 200 ? 0 : 1), () => process.exit(1))' "$1"
}

endpoint_of() {
  sed -n 's/^FUSEKIT_TEST_S3_ENDPOINT=//p' "$dir/env" 2>/dev/null
}

# Each of the three daemons alive by its pid file.
daemons_alive() {
  local name pid
  for name in mon.a osd.0 client.rgw.a; do
    pid=$(cat "$dir/run/$name.pid" 2>/dev/null || true)
    [ -n "$pid" ] && started_by_us "$pid" || return 1
  done
}

status() {
  local endpoint
  endpoint=$(endpoint_of || true)
  if [ -n "$endpoint" ] && daemons_alive && http_ok "$endpoint"; then
    echo "running at $endpoint"
    return 0
  fi
  echo "stopped"
  return 3
}

# On a failed start: one line saying what failed, the tail of that daemon's log, then clean up.
start_failed() {
  local what=$1 log=$2
  say "start failed: $what (log: ${log#"$dir"/}, last lines below)"
  if [ -f "$log" ]; then tail -n 15 "$log" | sed 's/^/    /' >&2; fi
  stop
  exit 1
}

# wait_until DESCRIPTION LOG COMMAND...: polls COMMAND until it succeeds or the step times out.
wait_until() {
  local what=$1 log=$2
  shift 2
  local deadline=$((SECONDS + step_timeout))
  until "$@" >/dev/null 2>&1; do
    if [ $SECONDS -ge $deadline ]; then
      start_failed "$what not ready after ${step_timeout}s" "$log"
    fi
    sleep 0.1
  done
}

ceph_cli() { timeout 15 ceph -c "$conf" --connect-timeout 10 "$@"; }

osd_up() { ceph_cli osd stat -f json | grep -q '"num_up_osds":1'; }

# The [osd] lines that choose and size the object store.
store_settings() {
  case "$store" in
    memstore)
      echo "osd objectstore = memstore"
      echo "memstore device bytes = 8589934592"
      ;;
    bluestore)
      echo "osd objectstore = bluestore"
      # Not inside the OSD data directory: ceph-osd --mkfs refuses that.
      echo "bluestore block path = $dir/bluestore.block"
      echo "bluestore block create = true"
      echo "bluestore block size = 17179869184"
      ;;
  esac
}

start() {
  case "$store" in
    memstore | bluestore) ;;
    *)
      say "FUSEKIT_S3_GATEWAY_STORE must be memstore or bluestore, not '$store'"
      exit 2
      ;;
  esac
  "$here/install.sh" --check
  # An empty directory (made by the caller for us) is used as it is.
  if [ -e "$dir" ] && [ -n "$(ls -A "$dir")" ]; then
    if status >/dev/null; then
      say "already running at $(endpoint_of) (env: $dir/env)"
      return 0
    fi
    stop
  fi
  local began
  began=$(date +%s%N)

  mkdir -p "$dir"
  chmod 0700 "$dir"
  touch "$marker"
  mkdir -p "$dir/run" "$dir/log" "$dir/mon" "$dir/osd/0" "$dir/rgw"

  # Three free ports (monitor v2 and v1, gateway) and the S3 user's keys, from the OS.
  local ports keys
  ports=$(node -e 'const net = require("node:net")
    const servers = [0, 1, 2].map(() => net.createServer().listen(0, "127.0.0.1"))
    Promise.all(servers.map((s) => new Promise((r) => s.on("listening", r)))).then(() => {
      console.log(servers.map((s) => s.address().port).join(" "))
      servers.forEach((s) => s.close())
    })')
  keys=$(node -e 'const { randomInt } = require("node:crypto")
    const pick = (alphabet, n) => Array.from({ length: n }, () => alphabet[randomInt(alphabet.length)]).join("")
    console.log(pick("ABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789", 20), pick("ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789", 40))')
  local mon_v2 mon_v1 rgw_port access_key secret_key
  read -r mon_v2 mon_v1 rgw_port <<<"$ports"
  read -r access_key secret_key <<<"$keys"
  local fsid osd_uuid
  fsid=$(cat /proc/sys/kernel/random/uuid)
  osd_uuid=$(cat /proc/sys/kernel/random/uuid)
  local endpoint=http://127.0.0.1:$rgw_port

  cat >"$conf" <<CONF
[global]
fsid = $fsid
mon host = [v2:127.0.0.1:$mon_v2,v1:127.0.0.1:$mon_v1]
# No cephx; without "crc secure" radosgw hunts for the monitor for 300 s.
auth cluster required = none
auth service required = none
auth client required = none
ms mon client mode = crc secure
run dir = $dir/run
log file = $dir/log/\$name.log
# Without it every pool creation takes ~1 s (startup 14 s instead of 3 s).
paxos propose interval = 0.05
# One OSD holds every replica.
osd pool default size = 1
osd pool default min size = 1
mon allow pool size one = true
osd crush chooseleaf type = 0
osd pool default pg num = 8
osd pool default pgp num = 8
osd pool default pg autoscale mode = off
mon allow pool delete = true

[mon]
mon data = $dir/mon/\$id
pid file = $dir/run/\$name.pid

[osd]
osd data = $dir/osd/\$id
# Spelled exactly: an unknown value silently falls back to bluestore.
$(store_settings)
pid file = $dir/run/\$name.pid

[client.rgw.a]
rgw data = $dir/rgw
# Without tcp_nodelay every small GET waits ~40 ms (Nagle and delayed ACK).
rgw frontends = beast endpoint=127.0.0.1:$rgw_port tcp_nodelay=1
# Deleted data is freed after this wait (2 h by default, held in the OSD's RAM meanwhile).
rgw gc obj min wait = 30
rgw gc processor period = 30
pid file = $dir/run/\$name.pid
CONF

  local log=$dir/log
  monmaptool --create --fsid "$fsid" --addv a "[v2:127.0.0.1:$mon_v2,v1:127.0.0.1:$mon_v1]" \
    "$dir/monmap" >"$log/monmaptool.log" 2>&1 || start_failed "monmaptool" "$log/monmaptool.log"
  ceph-mon -c "$conf" --mkfs -i a --monmap "$dir/monmap" >"$log/mon-mkfs.log" 2>&1 ||
    start_failed "ceph-mon --mkfs" "$log/mon-mkfs.log"
  ceph-mon -c "$conf" -i a >>"$log/mon.a.log" 2>&1 || start_failed "ceph-mon" "$log/mon.a.log"
  wait_until "monitor" "$log/mon.a.log" ceph_cli mon stat

  local osd_id
  osd_id=$(ceph_cli osd new "$osd_uuid" 2>>"$log/client.admin.log") ||
    start_failed "ceph osd new" "$log/client.admin.log"
  [ "$osd_id" = 0 ] || start_failed "ceph osd new gave id '$osd_id', not 0" "$log/client.admin.log"
  ceph-osd -c "$conf" -i 0 --mkfs --osd-uuid "$osd_uuid" >"$log/osd-mkfs.log" 2>&1 ||
    start_failed "ceph-osd --mkfs" "$log/osd-mkfs.log"
  ceph-osd -c "$conf" -i 0 >>"$log/osd.0.log" 2>&1 || start_failed "ceph-osd" "$log/osd.0.log"
  wait_until "OSD" "$log/osd.0.log" osd_up

  # Also makes the default zone and its pools. Its output holds the secret: never shown.
  timeout "$step_timeout" radosgw-admin -c "$conf" user create --uid fusekit-test \
    --display-name "fusekit tests" --access-key "$access_key" --secret "$secret_key" \
    >/dev/null 2>>"$log/radosgw-admin.log" || start_failed "radosgw-admin user create" "$log/radosgw-admin.log"
  radosgw -c "$conf" -n client.rgw.a >>"$log/client.rgw.a.log" 2>&1 ||
    start_failed "radosgw" "$log/client.rgw.a.log"
  wait_until "radosgw (HTTP 200 on $endpoint/)" "$log/client.rgw.a.log" http_ok "$endpoint/"

  (
    umask 077
    cat >"$dir/env" <<ENV
FUSEKIT_TEST_S3_ENDPOINT=$endpoint
AWS_ACCESS_KEY_ID=$access_key
AWS_SECRET_ACCESS_KEY=$secret_key
AWS_REGION=us-east-1
ENV
  )
  local elapsed_ms=$((($(date +%s%N) - began) / 1000000))
  echo "s3 gateway: ready at $endpoint ($store) in $((elapsed_ms / 1000)).$(printf %03d $((elapsed_ms % 1000))) s (env: $dir/env)"
}

# The radosgw daemon alone, for tests of a gateway that goes away and comes back.
rgw_pid() {
  local pid
  pid=$(cat "$dir/run/client.rgw.a.pid" 2>/dev/null || true)
  if [ -n "$pid" ] && started_by_us "$pid"; then echo "$pid"; fi
}

rgw_stop() {
  [ -f "$marker" ] || { say "no gateway in $dir"; exit 1; }
  local pid
  pid=$(rgw_pid)
  [ -n "$pid" ] || { say "radosgw is not running"; exit 1; }
  kill -KILL "$pid"
  for _ in $(seq 50); do
    [ -z "$(rgw_pid)" ] && return 0
    sleep 0.1
  done
  say "radosgw (pid $pid) did not end"
  exit 1
}

rgw_start() {
  [ -f "$marker" ] || { say "no gateway in $dir"; exit 1; }
  [ -z "$(rgw_pid)" ] || { say "radosgw is running already"; exit 1; }
  local endpoint log=$dir/log
  endpoint=$(endpoint_of)
  radosgw -c "$conf" -n client.rgw.a >>"$log/client.rgw.a.log" 2>&1 || { say "radosgw did not start (log: $log/client.rgw.a.log)"; exit 1; }
  local deadline=$((SECONDS + step_timeout))
  until http_ok "$endpoint/"; do
    if [ $SECONDS -ge $deadline ]; then
      say "radosgw not answering at $endpoint after ${step_timeout}s (log: $log/client.rgw.a.log)"
      exit 1
    fi
    sleep 0.1
  done
}

case "${1:-}" in
  start) start ;;
  stop) stop ;;
  status) status ;;
  rgw-stop) rgw_stop ;;
  rgw-start) rgw_start ;;
  *)
    echo "usage: $(basename "$0") start|stop|status|rgw-stop|rgw-start   (directory: \$FUSEKIT_S3_GATEWAY_DIR, default $dir)" >&2
    exit 2
    ;;
esac
