#!/bin/bash
# A single-node Ceph (mon + memstore osd + radosgw) on 127.0.0.1 for the S3 compatibility suite: no systemd, no mgr.
# Usage: radosgw-start.sh   (env: BASE, RGW_PORT). Needs Debian packages ceph-mon ceph-osd radosgw bc.
set -euo pipefail
STORE=memstore
BASE=${BASE:-${TMPDIR:-/tmp}/radosgw-$STORE}
RGW_PORT=${RGW_PORT:-7480}
T0=$(date +%s.%N)
ts() { printf '[%6.2fs] %s\n' "$(echo "$(date +%s.%N) - $T0" | bc)" "$*"; }
rm -rf "$BASE"; mkdir -p "$BASE"/{mon/ceph-a,osd/ceph-0,log,run,rgw}
FSID=$(cat /proc/sys/kernel/random/uuid)
CONF=$BASE/ceph.conf
cat > "$CONF" <<CONF
[global]
fsid = $FSID
mon host = v1:127.0.0.1:6789
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
mon data = $BASE/mon/ceph-\$id
osd data = $BASE/osd/ceph-\$id
osd objectstore = $STORE
memstore device bytes = 1073741824
bluestore block path = $BASE/osd/ceph-\$id/block.img
bluestore block create = true
bluestore block size = 2147483648
bluestore fsck on mount = false
bluestore cache size = 134217728
osd memory target = 939524096
[client.rgw.gw]
rgw frontends = beast endpoint=127.0.0.1:$RGW_PORT
rgw data = $BASE/rgw
rgw thread pool size = 64
CONF
ceph-authtool --create-keyring "$BASE/keyring" --gen-key -n mon. --cap mon 'allow *' >/dev/null
ceph-authtool "$BASE/keyring" --gen-key -n client.admin --cap mon 'allow *' --cap osd 'allow *' --cap mgr 'allow *' >/dev/null
monmaptool --create --fsid "$FSID" --addv a "[v1:127.0.0.1:6789]" "$BASE/monmap" >/dev/null
ceph-mon -c "$CONF" --mkfs -i a --monmap "$BASE/monmap" --keyring "$BASE/keyring"
ceph-mon -c "$CONF" -i a -f </dev/null >>"$BASE/log/mon.out" 2>&1 & echo $! > "$BASE/mon.pid"
ts "mon started pid $(cat $BASE/mon.pid)"
until ceph -c "$CONF" --connect-timeout 2 mon stat >/dev/null 2>&1; do sleep 0.2; done
ts "mon answers"
OSD_UUID=$(cat /proc/sys/kernel/random/uuid)
OSD_ID=$(ceph -c "$CONF" osd new "$OSD_UUID")
ceph-osd -c "$CONF" -i "$OSD_ID" --mkfs --osd-uuid "$OSD_UUID" 2>&1 | grep -v -i 'created object store' || true
ts "osd.$OSD_ID mkfs done"
ceph-osd -c "$CONF" -i "$OSD_ID" -f </dev/null >>"$BASE/log/osd.out" 2>&1 & echo $! > "$BASE/osd.pid"
until ceph -c "$CONF" osd dump 2>/dev/null | grep -q "^osd.$OSD_ID up"; do sleep 0.2; done
ts "osd.$OSD_ID up pid $(cat $BASE/osd.pid)"
radosgw -c "$CONF" -n client.rgw.gw -f </dev/null >>"$BASE/log/rgw.out" 2>&1 & echo $! > "$BASE/rgw.pid"
until curl -s -o /dev/null "http://127.0.0.1:$RGW_PORT/"; do sleep 0.2; done
ts "rgw answers on 127.0.0.1:$RGW_PORT pid $(cat $BASE/rgw.pid)"
radosgw-admin -c "$CONF" user create --uid=test --display-name=test \
  --access-key=AKIDTESTTESTTEST --secret-key=testsecretkeytestsecretkey >/dev/null
ts "user created"
