#!/usr/bin/env bash
# The project's one test command: installs missing Debian packages, builds,
# runs every test, then runs the C tests again under ASan + UBSan, then
# builds the fuzz targets with clang + libFuzzer and fuzzes each for a while.
# Build directories (relative to the repository root unless absolute):
#   TIPC_BUILD_DIR       default build/ci
#   TIPC_ASAN_BUILD_DIR  default build/ci-asan
#   TIPC_FUZZ_BUILD_DIR  default build/ci-fuzz
# TIPC_COMPAT_TESTS=ON|OFF (default ON here, OFF in a plain CMake build) sets
# the CMake option of the same name for $TIPC_BUILD_DIR: the original
# tensor-ipc 0.1.0's own tests against our package (tests/compat; needs PyPI).
# TIPC_PACKAGING_TESTS=ON|OFF (default ON here, OFF in a plain CMake build):
# the packaging tests (tests/packaging, label packaging: `pip install .` in
# fresh venvs of each CPython found, the Python suite with numpy 2 from PyPI,
# the auditwheel-repaired wheel with Debian's Cyclone DDS hidden, luarocks
# make); they need PyPI and cache under $TIPC_BUILD_DIR/tests/packaging.
# TIPC_FUZZ_SECONDS (default 60) is the fuzzing time per target; 0 skips
# the fuzzing (the seed corpora are still replayed).
# ctest honours CTEST_PARALLEL_LEVEL if you want parallel tests.
set -euo pipefail
# shellcheck source=ci/lib.sh
source "$(dirname "${BASH_SOURCE[0]}")/lib.sh"
cd "$TIPC_ROOT"

build=${TIPC_BUILD_DIR:-build/ci}
asan_build=${TIPC_ASAN_BUILD_DIR:-build/ci-asan}
fuzz_build=${TIPC_FUZZ_BUILD_DIR:-build/ci-fuzz}
fuzz_seconds=${TIPC_FUZZ_SECONDS:-60}

summary=()
failed=0
# stage <name> <command...>: run a stage, record its result and time.
stage() {
    local name=$1 start rc=0
    shift
    tipc_log "$name"
    start=$SECONDS
    "$@" || rc=$?
    if (( rc == 0 )); then
        summary+=("PASS  $name ($((SECONDS - start)) s)")
    else
        summary+=("FAIL  $name ($((SECONDS - start)) s, exit $rc)")
        failed=1
    fi
    return "$rc"
}
# shellcheck disable=SC2317  # called from the EXIT trap
print_summary() {
    local status=$1
    tipc_log "Summary"
    if (( ${#summary[@]} )); then
        printf '  %s\n' "${summary[@]}"
    fi
    if (( status != 0 || failed )); then
        echo "ci/test.sh: FAILED"
    else
        echo "ci/test.sh: all passed"
    fi
}
trap 'print_summary $?' EXIT

stage "Debian packages" tipc_require_packages

# A test failure does not stop the run (the sanitizer stage still runs); a
# build failure does, since nothing after it could pass.
stage "build ($build)" tipc_configure_build "$build" \
    "-DTIPC_COMPAT_TESTS=${TIPC_COMPAT_TESTS:-ON}" \
    "-DTIPC_PACKAGING_TESTS=${TIPC_PACKAGING_TESTS:-ON}"
stage "ctest: all tests ($build)" \
    ctest --test-dir "$build" --output-on-failure --no-tests=error || true

# The sanitizer build covers the C library, the CLI and the C programs; the
# Python and Lua modules are left out (their interpreters are not built with
# ASan, so the runtime could not come first).
stage "build with TIPC_SANITIZE=ON ($asan_build)" \
    tipc_configure_build "$asan_build" -DTIPC_SANITIZE=ON -DTIPC_PYTHON=OFF -DTIPC_LUA=OFF
stage "ctest: C tests under ASan/UBSan ($asan_build)" \
    ctest --test-dir "$asan_build" --output-on-failure --no-tests=error \
          -L 'unit|multiprocess|cli' -LE artifact || true

# Fuzzing: a separate clang build of the fuzz targets only (tests/fuzz),
# their seed corpora replayed, then each fuzzed for $fuzz_seconds s.
if stage "fuzz: build with clang + libFuzzer ($fuzz_build)" tipc_fuzz_build "$fuzz_build"; then
    stage "fuzz: replay the seed corpora ($fuzz_build)" \
        ctest --test-dir "$fuzz_build" --output-on-failure --no-tests=error -L fuzz || true
    if (( fuzz_seconds > 0 )); then
        stage "fuzz: ${fuzz_seconds} s per target ($fuzz_build)" \
            tipc_fuzz_run "$fuzz_build" "$fuzz_seconds" || true
    fi
fi

exit "$failed"
