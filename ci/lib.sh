# shellcheck shell=bash
# Shared by ci/test.sh and ci/demo.sh; source it, do not run it.
# Provides: TIPC_ROOT, tipc_log, tipc_require_packages, tipc_configure_build,
# tipc_fuzz_build, tipc_fuzz_run.

TIPC_ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
# Keep DDS discovery on loopback unless the caller chose a configuration:
# the demo and the tests talk only to processes on this machine.
export CYCLONEDDS_URI=${CYCLONEDDS_URI:-file://$TIPC_ROOT/tests/cyclonedds-loopback.xml}

# Debian 12 packages the robot demo (ci/demo.sh) needs: the C library and
# its Lua and Python modules, numpy for the policy. Nothing else: a new
# user's first command installs this (ci/demo.sh --torch adds python3-torch).
TIPC_DEMO_PACKAGES=(
    build-essential cmake pkg-config
    cyclonedds-dev cyclonedds-tools swig
    liblua5.4-dev lua5.4
    python3-dev python3-numpy
)
# Debian 12 packages the project needs to build and test everything (ci/test.sh).
# python3-torch is large (it pulls Qt, OpenCV, GDAL) but it is the product's
# baseline for the torch backend, so the tests install it like the rest.
TIPC_PACKAGES=(
    "${TIPC_DEMO_PACKAGES[@]}" check lua-busted luarocks iproute2 util-linux
    python3-pytest python3-torch python3-pip python3-setuptools python3-venv
    python3-matplotlib
    clang libclang-rt-14-dev
)
# python3-venv: the venvs of tests/compat (TIPC_COMPAT_TESTS=ON), tests/ros2
# (the ROS 2 peers: cyclonedds built against cyclonedds-dev, rosbags) and
# tests/packaging (TIPC_PACKAGING_TESTS=ON); luarocks: the rock's test there.
# iproute2 and util-linux (ip, unshare, nsenter): the two-host tests of
# tests/remote, in network namespaces.
# python3-matplotlib: bench/plot.py, run by the test docs.performance_plots.
# clang and libclang-rt-14-dev (libclang_rt.fuzzer, the ASan/UBSan runtimes)
# build the libFuzzer targets of tests/fuzz (tipc_fuzz_build, tipc_fuzz_run).

tipc_log() { printf '\n==> %s\n' "$*"; }

# tipc_require_packages [package...]: installs whatever of the packages
# (default: TIPC_PACKAGES) is missing when root; otherwise prints the command
# to run and fails.
tipc_require_packages() {
    local missing=() pkg wanted=("$@")
    (( $# )) || wanted=("${TIPC_PACKAGES[@]}")
    for pkg in "${wanted[@]}"; do
        if [[ $(dpkg-query -W -f='${Status}' "$pkg" 2>/dev/null || true) != "install ok installed" ]]; then
            missing+=("$pkg")
        fi
    done
    if (( ${#missing[@]} == 0 )); then
        echo "All ${#wanted[@]} Debian packages present."
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

# tipc_configure_build <build dir> [extra cmake args...]: configure and build,
# tests included (BUILD_TESTING=ON: ci/demo.sh may have turned it off in the
# build directory they share).
# Steps are chained with && because callers may run this where errexit is off.
tipc_configure_build() {
    local dir=$1
    shift
    cmake -S "$TIPC_ROOT" -B "$dir" \
        -DCMAKE_BUILD_TYPE=RelWithDebInfo \
        -DPython3_EXECUTABLE=/usr/bin/python3 \
        -DBUILD_TESTING=ON \
        "$@" &&
        cmake --build "$dir" -j "$(nproc)"
}

# tipc_fuzz_build <build dir>: configure a clang build with TIPC_FUZZ=ON and
# build only the fuzz targets (tests/fuzz).
tipc_fuzz_build() {
    local dir=$1
    CC=clang CXX=clang++ cmake -S "$TIPC_ROOT" -B "$dir" \
        -DCMAKE_BUILD_TYPE=RelWithDebInfo \
        -DPython3_EXECUTABLE=/usr/bin/python3 \
        -DTIPC_PYTHON=OFF -DTIPC_LUA=OFF -DTIPC_FUZZ=ON &&
        cmake --build "$dir" -j "$(nproc)" --target tipc_fuzz_targets
}

# tipc_fuzz_run <build dir> [seconds]: fuzz every target of a tipc_fuzz_build
# for <seconds> (default 60) each, one after the other, on a copy of its seed
# corpus under <build dir>/fuzz-work/<target>/corpus (the repository is never
# written; what a run adds stays there for the next run). A crash, a leak, a
# sanitizer report, an input slower than 10 s or a broken promise fails it;
# the reproducer is kept in <build dir>/fuzz-work/<target>/artifacts/.
# Ends with one line: "tipc-fuzz: PASS ..." or "tipc-fuzz: FAIL ...".
tipc_fuzz_run() {
    local dir=$1 secs=${2:-60} list name bin seeds work log rc crashed=() n=0
    list="$dir/tests/fuzz/fuzz_targets.txt"
    if [[ ! -s $list ]]; then
        echo "tipc-fuzz: FAIL no fuzz targets listed in $list (run tipc_fuzz_build first)"
        return 1
    fi
    while read -r name bin seeds; do
        [[ -n $name ]] || continue
        n=$((n + 1))
        work="$dir/fuzz-work/$name"
        mkdir -p "$work/corpus" "$work/artifacts"
        cp -f "$seeds"/* "$work/corpus/"
        log="$work/last-run.log"
        echo "fuzz: $name for $secs s ($(find "$work/corpus" -type f | wc -l) inputs in $work/corpus)"
        rc=0
        # timeout: a hard stop well past -max_total_time, should libFuzzer hang.
        timeout --kill-after=10 $((secs + 120)) "$bin" -max_total_time="$secs" -timeout=10 \
            -print_final_stats=1 -artifact_prefix="$work/artifacts/" "$work/corpus" \
            >"$log" 2>&1 </dev/null || rc=$?
        grep -E '^(stat::number_of_executed_units|stat::new_units_added|stat::peak_rss_mb)' "$log" |
            sed 's/^/  /'
        if (( rc != 0 )); then
            echo "fuzz: $name FAILED (exit $rc); the end of its log ($log):"
            tail -n 40 "$log" | sed 's/^/  | /'
            find "$work/artifacts" -type f -printf '  reproducer: %p\n'
            crashed+=("$name")
        fi
    done <"$list"
    if (( ${#crashed[@]} )); then
        echo "tipc-fuzz: FAIL ${crashed[*]} (of $n targets, $secs s each)"
        return 1
    fi
    echo "tipc-fuzz: PASS $n targets, $secs s each, no crash"
}
