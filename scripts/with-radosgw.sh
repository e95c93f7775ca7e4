#!/usr/bin/env bash
# Starts radosgw on 127.0.0.1, runs the given command with RGW_ENDPOINT set, stops radosgw.
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
export RGW_PORT=${RGW_PORT:-7480}
export BASE=${BASE:-${TMPDIR:-/tmp}/signed-file-store-radosgw}
trap '"$here/radosgw-stop.sh"' EXIT
"$here/radosgw-start.sh"
export RGW_ENDPOINT="http://127.0.0.1:$RGW_PORT" RGW_ACCESS_KEY_ID=AKIDTESTTESTTEST RGW_SECRET_ACCESS_KEY=testsecretkeytestsecretkey
"$@"
