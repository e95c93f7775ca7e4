#!/usr/bin/env bash
# Runs the test command while another process keeps every core busy for the whole run, as on a
# shared machine: a test that waits a fixed time instead of for its event fails here.
# Usage: scripts/test-under-load.sh [command...]   (default: npm test; BURNERS=N, default: the core count)
set -uo pipefail
cd "$(dirname "$0")/.."
burners=${BURNERS:-$(nproc)}
pids=()
stop() { for p in "${pids[@]}"; do kill "$p" 2>/dev/null; done; }
trap stop EXIT
for _ in $(seq "$burners"); do
  node -e 'for (;;) Math.sqrt(Math.random());' &
  pids+=($!)
done
echo "test-under-load: $burners CPU burners running (pids ${pids[*]})" >&2
if [ $# -eq 0 ]; then set -- npm test; fi
started=$(date +%s)
"$@"
status=$?
echo "test-under-load: '$*' exited $status after $(( $(date +%s) - started )) s with $burners burners" >&2
exit $status
