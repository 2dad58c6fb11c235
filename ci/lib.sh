# shellcheck shell=bash
# Shared by ci/test.sh and ci/demo.sh; source it, do not run it.
# Provides: TIPC_ROOT, tipc_log, tipc_require_packages, tipc_configure_build.

TIPC_ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
# Keep DDS discovery on loopback unless the caller chose a configuration:
# the demo and the tests talk only to processes on this machine.
export CYCLONEDDS_URI=${CYCLONEDDS_URI:-file://$TIPC_ROOT/tests/cyclonedds-loopback.xml}

# Debian 12 packages the project needs to build and test everything.
# python3-torch is large but it is the product's baseline for the torch
# backend, so it is installed like the rest.
TIPC_PACKAGES=(
    build-essential cmake pkg-config check
    cyclonedds-dev cyclonedds-tools swig
    liblua5.4-dev lua5.4 lua-busted
    python3-dev python3-numpy python3-pytest python3-torch python3-pip python3-setuptools
)

tipc_log() { printf '\n==> %s\n' "$*"; }

# Installs whatever of TIPC_PACKAGES is missing when root; otherwise prints
# the command to run and fails.
tipc_require_packages() {
    local missing=() pkg
    for pkg in "${TIPC_PACKAGES[@]}"; do
        if [[ $(dpkg-query -W -f='${Status}' "$pkg" 2>/dev/null || true) != "install ok installed" ]]; then
            missing+=("$pkg")
        fi
    done
    if (( ${#missing[@]} == 0 )); then
        echo "All ${#TIPC_PACKAGES[@]} Debian packages present."
        return 0
    fi
    if (( EUID == 0 )); then
        tipc_log "Installing ${missing[*]}"
        apt-get update &&
            DEBIAN_FRONTEND=noninteractive apt-get install -y --no-install-recommends "${missing[@]}"
    else
        echo "Missing Debian packages: ${missing[*]}" >&2
        echo "Install them with:" >&2
        echo "  sudo apt-get update && sudo apt-get install -y --no-install-recommends ${missing[*]}" >&2
        return 1
    fi
}

# tipc_configure_build <build dir> [extra cmake args...]: configure and build.
# Steps are chained with && because callers may run this where errexit is off.
tipc_configure_build() {
    local dir=$1
    shift
    cmake -S "$TIPC_ROOT" -B "$dir" \
        -DCMAKE_BUILD_TYPE=RelWithDebInfo \
        -DPython3_EXECUTABLE=/usr/bin/python3 \
        "$@" &&
        cmake --build "$dir" -j "$(nproc)"
}
