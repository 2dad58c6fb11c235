#!/usr/bin/env bash
# Creates (once, cached) the venv of the ROS 2 tests' independent peers and
# prints its python. Peers: Cyclone DDS's own Python binding (cyclonedds
# 0.10.2, built from its sdist against Debian's C library by
# tests/common/cdds_venv.sh) and rosbags (pure-Python ROS 2 message
# definitions and CDR), pinned in constraints.txt.
#
# Usage: peers_venv.sh <work dir>      (prints <work dir>/venv/bin/python)
# Env:   TIPC_ROS2_PYTHON  base interpreter (default /usr/bin/python3)
# Needs: PyPI on the first run; Debian cyclonedds-dev cyclonedds-tools
#        python3-dev python3-venv build-essential.
# Exit:  0 ready; 2 setup failed.
set -uo pipefail

work=${1:?work dir}
mkdir -p "$work" && work=$(cd "$work" && pwd) || exit 2
here=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
base_py=${TIPC_ROS2_PYTHON:-/usr/bin/python3}

# shellcheck source-path=SCRIPTDIR source=../common/cdds_venv.sh
. "$here/../common/cdds_venv.sh" || exit 2

die() { printf '[ros2-peers] SETUP FAILED: %s\n' "$*" >&2; exit 2; }

venv=$work/venv
check='import cyclonedds.domain, cyclonedds.idl, rosbags.typesys, rosbags.serde, numpy'
stamp=$(cdds_venv_stamp "$base_py" "$here/constraints.txt")
if cdds_venv_ok "$work" .tipc-ros2-stamp "$stamp" "$check"; then
    echo "$venv/bin/python"
    exit 0
fi
{
    printf '[ros2-peers] creating %s\n' "$venv"
    cdds_venv_build "$work" "$base_py" "$here/constraints.txt" .tipc-ros2-stamp "$stamp" "$check" rosbags
} >&2
echo "$venv/bin/python"
