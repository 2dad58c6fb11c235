#!/usr/bin/env bash
# Creates (once, cached) the venv of the ROS 2 tests' independent peers and
# prints its python. Peers: Cyclone DDS's own Python binding (cyclonedds
# 0.10.2, built from its sdist against Debian's C library, the recipe of
# tests/compat/run_orig_tests.sh) and rosbags (pure-Python ROS 2 message
# definitions and CDR), pinned in constraints.txt.
#
# Usage: peers_venv.sh <work dir>      (prints <work dir>/venv/bin/python)
# Env:   TIPC_ROS2_PYTHON  base interpreter (default /usr/bin/python3)
# Needs: PyPI on the first run; Debian cyclonedds-dev cyclonedds-tools
#        python3-dev python3-venv build-essential.
# Exit:  0 ready; 2 setup failed.
# shellcheck disable=SC2015
set -uo pipefail

work=${1:?work dir}
mkdir -p "$work" && work=$(cd "$work" && pwd) || exit 2
here=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
base_py=${TIPC_ROS2_PYTHON:-/usr/bin/python3}

CDDS_VERSION=0.10.2
CDDS_SDIST=cyclonedds-$CDDS_VERSION.tar.gz
CDDS_SHA256=f834962eabbdcdf4e9cd75cf87222f3c5ef22d9cb9e7ed651d9a8710fe984a30

die() { printf '[ros2-peers] SETUP FAILED: %s\n' "$*" >&2; exit 2; }
sha_ok() { [[ -f $1 ]] && [[ $(sha256sum "$1" | cut -d' ' -f1) == "$2" ]]; }

venv=$work/venv
cdds_home=$work/cyclonedds-home
check='import cyclonedds.domain, cyclonedds.idl, rosbags.typesys, rosbags.serde, numpy'
stamp="python=$($base_py -c 'import sys; print(sys.version.split()[0])') cyclonedds=$CDDS_SHA256 constraints=$(sha256sum "$here/constraints.txt" | cut -c1-16)"
if [[ -x $venv/bin/python && -f $venv/.tipc-ros2-stamp ]] &&
    [[ $(cat "$venv/.tipc-ros2-stamp") == "$stamp" ]] && "$venv/bin/python" -c "$check" 2>/dev/null; then
    echo "$venv/bin/python"
    exit 0
fi
{
    printf '[ros2-peers] creating %s\n' "$venv"
    rm -rf "$venv" "$cdds_home"
    mkdir -p "$cdds_home" "$work/dl" || die "mkdir"
    triplet=$(gcc -dumpmachine 2>/dev/null || echo x86_64-linux-gnu)
    [[ -e /usr/lib/$triplet/libddsc.so && -e /usr/include/dds/dds.h ]] ||
        die "Cyclone DDS development files missing (apt-get install cyclonedds-dev cyclonedds-tools)"
    # cyclonedds' setup.py wants <home>/{include,bin,lib/libddsc.so}.
    ln -s /usr/include "$cdds_home/include" && ln -s /usr/bin "$cdds_home/bin" &&
        ln -s "/usr/lib/$triplet" "$cdds_home/lib" || die "cyclonedds home"
    # --system-site-packages: Debian's numpy (the tests compare with it).
    "$base_py" -m venv --system-site-packages "$venv" || die "python3 -m venv (apt-get install python3-venv)"
    if ! sha_ok "$work/dl/$CDDS_SDIST" "$CDDS_SHA256"; then
        rm -f "$work/dl/$CDDS_SDIST"
        CYCLONEDDS_HOME=$cdds_home "$venv/bin/pip" download -q --no-deps --no-binary :all: \
            -d "$work/dl" "cyclonedds==$CDDS_VERSION" || die "pip download cyclonedds==$CDDS_VERSION"
    fi
    sha_ok "$work/dl/$CDDS_SDIST" "$CDDS_SHA256" || die "$CDDS_SDIST: sha256 is not $CDDS_SHA256"
    CYCLONEDDS_HOME=$cdds_home "$venv/bin/pip" install -q --no-cache-dir \
        -c "$here/constraints.txt" "$work/dl/$CDDS_SDIST" rosbags ||
        die "pip install cyclonedds rosbags (needs build-essential python3-dev)"
    "$venv/bin/python" -c "$check" || die "venv check"
    echo "$stamp" > "$venv/.tipc-ros2-stamp"
} >&2
echo "$venv/bin/python"
