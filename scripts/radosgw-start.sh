#!/bin/bash
# A single-node Ceph (mon + memstore osd + radosgw) on 127.0.0.1 for the S3 compatibility suite: no systemd, no mgr.
# Usage: radosgw-start.sh   (env: BASE, RGW_PORT, MON_PORT, RGW_START_TIMEOUT). Needs Debian packages ceph-mon ceph-osd radosgw.
# Every wait is bounded, and each step checks that the daemon it started is still alive: a daemon that dies
# (for example an OSD refused by a monitor left over from an earlier run, "wrong fsid") fails the start with
# its log instead of hanging the caller. Both ports must be free: a stale monitor answering on MON_PORT is
# exactly how an OSD ends up talking to the wrong cluster.
set -euo pipefail
BASE=${BASE:-${TMPDIR:-/tmp}/signed-file-store-radosgw}
RGW_PORT=${RGW_PORT:-7480}
MON_PORT=${MON_PORT:-6789}
TIMEOUT=${RGW_START_TIMEOUT:-90}
T0=$SECONDS
ts() { echo "[$((SECONDS - T0))s] $*"; }
fail() {
  echo "radosgw-start: $*" >&2
  for f in "$BASE"/log/*; do [ -s "$f" ] && { echo "--- tail $f" >&2; tail -n 20 "$f" >&2; }; done
  exit 1
}
port_busy() { (exec 3<>"/dev/tcp/127.0.0.1/$1") 2>/dev/null; }
# wait_for NAME PIDFILE COMMAND...: runs COMMAND until it succeeds, failing if the daemon dies or time runs out.
wait_for() {
  local name=$1 pidfile=$2; shift 2
  local deadline=$((SECONDS + TIMEOUT))
  until "$@" >/dev/null 2>&1; do
    kill -0 "$(cat "$pidfile")" 2>/dev/null || fail "$name exited during start"
    [ "$SECONDS" -lt "$deadline" ] || fail "$name not ready after ${TIMEOUT}s"
    sleep 0.2
  done
}
for p in "$MON_PORT" "$RGW_PORT"; do
  port_busy "$p" && fail "127.0.0.1:$p is already in use (a radosgw or monitor from an earlier run? stop it with scripts/radosgw-stop.sh)"
done
rm -rf "$BASE"; mkdir -p "$BASE"/{mon/ceph-a,osd/ceph-0,log,run,rgw}
FSID=$(cat /proc/sys/kernel/random/uuid)
CONF=$BASE/ceph.conf
cat > "$CONF" <<CONF
[global]
fsid = $FSID
mon host = v1:127.0.0.1:$MON_PORT
public addr = 127.0.0.1
cluster addr = 127.0.0.1
ms bind ipv6 = false
auth cluster required = none
auth service required = none
auth client required = none
auth allow insecure global id reclaim = false
keyring = $BASE/keyring
run dir = $BASE/run
admin socket = $BASE/run/\$name.asok
log file = $BASE/log/\$name.log
pid file = $BASE/run/\$name.pid
log to stderr = false
err to stderr = true
osd pool default size = 1
osd pool default min size = 1
mon allow pool size one = true
mon allow pool delete = true
mon warn on pool no redundancy = false
mon max pg per osd = 1000
osd pool default pg num = 8
osd pool default pgp num = 8
osd pool default pg autoscale mode = off
osd crush chooseleaf type = 0
# The OSD's start-up commands to the monitor can leave before the OSD has the monitor map, and the
# monitor refuses them ("handle_command on fsid 00000000-… != …"; the OSD exits with "wrong fsid").
# So the OSD sends none: a memstore OSD has no device class to detect, and its place in the CRUSH
# map is set below, before it starts, by a client that knows the cluster.
osd class update on start = false
osd crush update on start = false
mon data = $BASE/mon/ceph-\$id
osd data = $BASE/osd/ceph-\$id
osd objectstore = memstore
memstore device bytes = 1073741824
osd memory target = 939524096
[client.rgw.gw]
rgw frontends = beast endpoint=127.0.0.1:$RGW_PORT
rgw data = $BASE/rgw
rgw thread pool size = 64
CONF
ceph-authtool --create-keyring "$BASE/keyring" --gen-key -n mon. --cap mon 'allow *' >/dev/null
ceph-authtool "$BASE/keyring" --gen-key -n client.admin --cap mon 'allow *' --cap osd 'allow *' --cap mgr 'allow *' >/dev/null
monmaptool --create --fsid "$FSID" --addv a "[v1:127.0.0.1:$MON_PORT]" "$BASE/monmap" >/dev/null
ceph-mon -c "$CONF" --mkfs -i a --monmap "$BASE/monmap" --keyring "$BASE/keyring"
ceph-mon -c "$CONF" -i a -f </dev/null >>"$BASE/log/mon.out" 2>&1 &
echo $! >"$BASE/mon.pid"
ts "mon started pid $(cat "$BASE/mon.pid")"
# The answer must come from this cluster: compare the fsid, so a stray monitor can never pass for ours.
mon_is_ours() { ceph -c "$CONF" --connect-timeout 2 fsid 2>/dev/null | grep -qx "$FSID"; }
wait_for mon "$BASE/mon.pid" mon_is_ours
ts "mon answers (fsid $FSID)"
OSD_UUID=$(cat /proc/sys/kernel/random/uuid)
OSD_ID=$(timeout "$TIMEOUT" ceph -c "$CONF" --connect-timeout 5 osd new "$OSD_UUID") || fail "osd new failed"
timeout "$TIMEOUT" ceph-osd -c "$CONF" -i "$OSD_ID" --mkfs --osd-uuid "$OSD_UUID" >>"$BASE/log/osd-mkfs.out" 2>&1 ||
  fail "osd mkfs failed"
ts "osd.$OSD_ID mkfs done"
timeout "$TIMEOUT" ceph -c "$CONF" --connect-timeout 5 osd crush add "osd.$OSD_ID" 1.0 root=default >/dev/null 2>&1 ||
  fail "osd crush add failed"
ceph-osd -c "$CONF" -i "$OSD_ID" -f </dev/null >>"$BASE/log/osd.out" 2>&1 &
echo $! >"$BASE/osd.pid"
osd_up() { ceph -c "$CONF" --connect-timeout 2 osd dump 2>/dev/null | grep -q "^osd.$OSD_ID up"; }
wait_for "osd.$OSD_ID" "$BASE/osd.pid" osd_up
ts "osd.$OSD_ID up pid $(cat "$BASE/osd.pid")"
radosgw -c "$CONF" -n client.rgw.gw -f </dev/null >>"$BASE/log/rgw.out" 2>&1 &
echo $! >"$BASE/rgw.pid"
wait_for radosgw "$BASE/rgw.pid" curl -s -m 2 -o /dev/null "http://127.0.0.1:$RGW_PORT/"
ts "rgw answers on 127.0.0.1:$RGW_PORT pid $(cat "$BASE/rgw.pid")"
timeout "$TIMEOUT" radosgw-admin -c "$CONF" user create --uid=test --display-name=test \
  --access-key=AKIDTESTTESTTEST --secret-key=testsecretkeytestsecretkey >/dev/null || fail "user create failed"
ts "user created"
