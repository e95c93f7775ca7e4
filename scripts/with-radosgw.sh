#!/usr/bin/env bash
# Starts radosgw on 127.0.0.1, runs the given command with RGW_ENDPOINT set, stops radosgw.
# Each attempt gets its own directory, so no state from an earlier run (an old monitor store, a stale pid) is reused.
# The start is retried from scratch up to RGW_START_ATTEMPTS times, for a daemon that dies during
# start; radosgw-start.sh keeps the OSD from sending the monitor commands that raced its monitor map.
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
export RGW_PORT=${RGW_PORT:-7480} MON_PORT=${MON_PORT:-6789}
attempts=${RGW_START_ATTEMPTS:-3}
BASE=""
cleanup() { [ -n "$BASE" ] && { "$here/radosgw-stop.sh"; rm -rf "$BASE"; }; return 0; }
trap cleanup EXIT
for attempt in $(seq "$attempts"); do
  export BASE
  BASE=$(mktemp -d "${TMPDIR:-/tmp}/signed-file-store-radosgw.XXXXXX")
  if "$here/radosgw-start.sh"; then break; fi
  cleanup
  BASE=""
  [ "$attempt" -lt "$attempts" ] || { echo "radosgw did not start in $attempts attempts" >&2; exit 1; }
  echo "radosgw start attempt $attempt failed; retrying" >&2
done
export RGW_ENDPOINT="http://127.0.0.1:$RGW_PORT" RGW_ACCESS_KEY_ID=AKIDTESTTESTTEST RGW_SECRET_ACCESS_KEY=testsecretkeytestsecretkey
"$@"
