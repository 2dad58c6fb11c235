#!/usr/bin/env bash
# Run demo_consumer and demo_producer as two separate processes on a pool of
# their own, and fail if either fails or if a segment of theirs is left in
# /dev/shm. Used by the example.demo test.
# Usage: run_demo.sh [--strict-shm] <demo_producer> <demo_consumer> [producer options...]
#   --strict-shm  also fail on any other /dev/shm/tipc.* entry that appeared
#                 during the run (off in CTest, where other tests' pools live).
set -euo pipefail

strict=0
if [[ ${1:-} == --strict-shm ]]; then
    strict=1
    shift
fi
producer=${1:?usage: run_demo.sh [--strict-shm] <demo_producer> <demo_consumer> [options]}
consumer=${2:?usage: run_demo.sh [--strict-shm] <demo_producer> <demo_consumer> [options]}
shift 2

pool="demo/run_$$"
seg="tipc.${pool//\//.}"   # the library's segment name for the pool
shm_list() { find /dev/shm -maxdepth 1 -name 'tipc.*' -printf '%f\n' 2>/dev/null | sort; }
before=$(shm_list)

pids=()
cleanup() {
    local pid
    for pid in "${pids[@]}"; do
        kill "$pid" 2>/dev/null || true
    done
}
trap cleanup EXIT

# The consumer starts first and waits for the producer; either order works.
"$consumer" --pool "$pool" &
cpid=$!
pids+=("$cpid")
"$producer" --pool "$pool" "$@" &
ppid=$!
pids+=("$ppid")

prc=0
wait "$ppid" || prc=$?
crc=0
wait "$cpid" || crc=$?
pids=()

fail=0
if (( prc != 0 )); then
    echo "run_demo: demo_producer failed (exit $prc)" >&2
    fail=1
fi
if (( crc != 0 )); then
    echo "run_demo: demo_consumer failed (exit $crc)" >&2
    fail=1
fi

after=$(shm_list)
left=$(grep -xE "${seg//./\\.}(\\..*)?" <<<"$after" || true)
if [[ -n $left ]]; then
    echo "run_demo: segments of the demo's pools left in /dev/shm:" >&2
    sed 's/^/  /' <<<"$left" >&2
    fail=1
fi
new=$(comm -13 <(echo "$before") <(echo "$after") | grep -v '^$' || true)
others=$(grep -vxF -f <(echo "$left") <<<"$new" || true)
if [[ -n $others ]]; then
    echo "run_demo: other tipc.* entries appeared in /dev/shm during the run:" >&2
    sed 's/^/  /' <<<"$others" >&2
    (( strict )) && fail=1
fi
old=$(comm -12 <(echo "$before") <(echo "$after") | grep -v '^$' || true)
if [[ -n $old ]]; then
    echo "run_demo: note: tipc.* entries from earlier runs are in /dev/shm (not this demo's):" >&2
    sed 's/^/  /' <<<"$old" >&2
fi

if (( fail )); then
    exit 1
fi
echo "run_demo: ok: both processes succeeded and /dev/shm holds nothing of pool '$pool'"
