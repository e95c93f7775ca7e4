#!/usr/bin/env bash
# Starts radosgw on 127.0.0.1, runs the given command with RGW_ENDPOINT set, stops radosgw.
# Each run gets its own directory, so no state from an earlier run (an old monitor store, a stale pid) is reused.
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
export RGW_PORT=${RGW_PORT:-7480} MON_PORT=${MON_PORT:-6789}
export BASE=${BASE:-$(mktemp -d "${TMPDIR:-/tmp}/signed-file-store-radosgw.XXXXXX")}
trap '"$here/radosgw-stop.sh"; rm -rf "$BASE"' EXIT
"$here/radosgw-start.sh"
export RGW_ENDPOINT="http://127.0.0.1:$RGW_PORT" RGW_ACCESS_KEY_ID=AKIDTESTTESTTEST RGW_SECRET_ACCESS_KEY=testsecretkeytestsecretkey
"$@"
