#!/usr/bin/env bash
# The project's main job: installs the Debian packages the demo needs (and no
# more), builds, then runs the robot demo: a C camera driver (480x640x3 frames
# at 60 Hz + IMU at 500 Hz), a Lua simulator (7-joint arm at 200 Hz) and a
# Python policy (numpy), as three processes sharing pools, printing a live
# table once a second (a legend under it says what each column means).
#   bash ci/demo.sh [--duration S] [--torch]
#     --duration S   run for S seconds (default: 10)
#     --torch        the policy computes with torch (installs python3-torch)
# The build directory is TIPC_BUILD_DIR (default build/ci, shared with
# ci/test.sh so a second run only rebuilds what changed).
set -euo pipefail
# shellcheck source=ci/lib.sh
source "$(dirname "${BASH_SOURCE[0]}")/lib.sh"
cd "$TIPC_ROOT"

build=${TIPC_BUILD_DIR:-build/ci}
packages=("${TIPC_DEMO_PACKAGES[@]}")
for arg in "$@"; do
    case $arg in
        -h | --help)
            sed -n '2,11s/^# \{0,1\}//p' "${BASH_SOURCE[0]}"
            exit 0
            ;;
        --torch) packages+=(python3-torch) ;;
    esac
done

tipc_log "Debian packages"
tipc_require_packages "${packages[@]}"
tipc_log "Build ($build)"
# No tests here (their packages are ci/test.sh's); ci/test.sh turns them back on.
cmake -S "$TIPC_ROOT" -B "$build" -DCMAKE_BUILD_TYPE=RelWithDebInfo \
    -DPython3_EXECUTABLE=/usr/bin/python3 -DBUILD_TESTING=OFF
cmake --build "$build" -j "$(nproc)" --target robot_camera_driver tipc_python tipc_lua

tipc_log "Robot demo: C camera driver + Lua simulator + Python policy ($*)"
bash examples/robot/run.sh "$build" "$@"
