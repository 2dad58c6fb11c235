#!/usr/bin/env bash
# The project's demo: installs missing Debian packages, builds, then runs a C
# producer and a C consumer as two processes sharing 480x640x3 camera frames.
#   bash ci/demo.sh [--duration S] [--rate HZ]     (defaults: 5 s, 60 Hz)
# The build directory is TIPC_BUILD_DIR (default build/ci, shared with
# ci/test.sh so a second run only rebuilds what changed).
set -euo pipefail
# shellcheck source=ci/lib.sh
source "$(dirname "${BASH_SOURCE[0]}")/lib.sh"
cd "$TIPC_ROOT"

build=${TIPC_BUILD_DIR:-build/ci}

case ${1:-} in
    -h | --help)
        sed -n '2,6s/^# \{0,1\}//p' "${BASH_SOURCE[0]}"
        exit 0
        ;;
esac

tipc_log "Debian packages"
tipc_require_packages
tipc_log "Build ($build)"
cmake -S "$TIPC_ROOT" -B "$build" -DCMAKE_BUILD_TYPE=RelWithDebInfo \
    -DPython3_EXECUTABLE=/usr/bin/python3
cmake --build "$build" -j "$(nproc)" --target demo_producer demo_consumer

tipc_log "Demo: demo_producer -> demo_consumer ($*)"
bin=$build/examples
bash examples/run_demo.sh --strict-shm "$bin/demo_producer" "$bin/demo_consumer" "$@"
