#!/usr/bin/env bash
# The project's one test command: installs missing Debian packages, builds,
# runs every test, then runs the C tests again under ASan + UBSan.
# Build directories (relative to the repository root unless absolute):
#   TIPC_BUILD_DIR       default build/ci
#   TIPC_ASAN_BUILD_DIR  default build/ci-asan
# ctest honours CTEST_PARALLEL_LEVEL if you want parallel tests.
set -euo pipefail
# shellcheck source=ci/lib.sh
source "$(dirname "${BASH_SOURCE[0]}")/lib.sh"
cd "$TIPC_ROOT"

build=${TIPC_BUILD_DIR:-build/ci}
asan_build=${TIPC_ASAN_BUILD_DIR:-build/ci-asan}

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
stage "build ($build)" tipc_configure_build "$build"
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

exit "$failed"
