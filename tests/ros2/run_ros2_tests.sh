#!/usr/bin/env bash
# Runs one ROS 2 test file (tests/ros2/test_*.py) with the independent peers:
# the cached peer venv (peers_venv.sh) with this build's tensor_ipc package.
#
# Usage: run_ros2_tests.sh <our package dir> <work dir> <test file> [pytest args]
# Env:   TIPC_CLI, TIPC_LUA54, TIPC_LUA_DIR (optional: the C and Lua peers)
# Exit:  pytest's (0 all passed; 5 none collected); 2 setup failed.
set -uo pipefail
pkg=$(cd "${1:?our package dir}" && pwd) || exit 2
work=${2:?work dir}
test=${3:?test file}
shift 3
here=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
py=$("$here/peers_venv.sh" "$work") || exit 2
export PYTHONPATH=$pkg${PYTHONPATH:+:$PYTHONPATH}
export TIPC_EXPECT_PKG=$pkg/tensor_ipc PYTHONDONTWRITEBYTECODE=1 OMP_NUM_THREADS=1
exec "$py" -m pytest -q -p no:cacheprovider --rootdir "$here" "$test" "$@"
