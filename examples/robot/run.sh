#!/usr/bin/env bash
# Runs the robot demo: the C camera driver, the Lua simulator and the Python
# policy as three processes sharing pools, for --duration seconds, and checks
# that they all exit cleanly and leave nothing in /dev/shm.
#   run.sh BUILD_DIR [--duration S] [--prefix P] [--torch]
# BUILD_DIR is a CMake build of this repository (camera driver, Lua and Python
# modules). --torch: the policy computes with torch instead of numpy.
# Exit status: 0 when all three succeed and every pool moved.
set -euo pipefail
here=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
build=${1:?usage: run.sh BUILD_DIR [--duration S] [--prefix P] [--torch]}
shift
duration=10
prefix="demo_$$"
engine=()
while (($#)); do
    case $1 in
        --duration) duration=$2; shift 2 ;;
        --prefix) prefix=$2; shift 2 ;;
        --torch) engine=(--torch); shift ;;
        -h | --help) sed -n '2,8s/^# \{0,1\}//p' "${BASH_SOURCE[0]}"; exit 0 ;;
        *) echo "run.sh: unknown argument '$1'" >&2; exit 2 ;;
    esac
done
build=$(cd "$build" && pwd)
export LUA_CPATH="$build/bindings/lua/pkg/?.so;;"
export LUA_PATH="$build/bindings/lua/pkg/?.lua;;"
export PYTHONPATH="$build/bindings/python/pkg${PYTHONPATH:+:$PYTHONPATH}"
shm_prefix="tipc.${prefix//\//.}."

pids=()
# shellcheck disable=SC2317  # called from the INT/TERM trap
cleanup() {
    for pid in "${pids[@]}"; do kill -TERM "$pid" 2>/dev/null || true; done
}
trap cleanup INT TERM

# Readers first, so every pool's consumer is waiting when its writer starts;
# the order does not matter to the library, only to the first seconds of the
# table. The writers run a little longer than the policy (which spends about a
# second importing numpy/torch before its clock starts), so its summary sees
# them to the end.
/usr/bin/python3 -u "$here/policy.py" --prefix "$prefix" --duration "$duration" \
    --require-all "${engine[@]}" &
pids+=($!)
lua5.4 "$here/sim.lua" --prefix "$prefix" --duration "$((duration + 3))" &
pids+=($!)
"$build/examples/robot_camera_driver" --prefix "$prefix" --duration "$((duration + 3))" &
pids+=($!)

status=0
names=(policy sim camera_driver)
for i in "${!pids[@]}"; do
    if ! wait "${pids[$i]}"; then
        echo "run.sh: ${names[$i]} failed" >&2
        status=1
    fi
done
left=$(find /dev/shm -maxdepth 1 -name "${shm_prefix}*" 2>/dev/null || true)
if [[ -n $left ]]; then
    echo "run.sh: left in /dev/shm:" >&2
    echo "$left" >&2
    status=1
fi
((status == 0)) && echo "run.sh: all three processes exited cleanly; /dev/shm is clean"
exit $status
