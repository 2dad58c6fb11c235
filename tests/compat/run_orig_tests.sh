#!/usr/bin/env bash
# Runs the ORIGINAL tensor-ipc 0.1.0's own tests (from its PyPI sdist) against
# this project's Python package. See docs/compat-tests.md.
#
# Usage: run_orig_tests.sh <our package dir (bindings/python/pkg of a build)> <work dir>
# Env:   TIPC_COMPAT_PYTHON  base interpreter (default /usr/bin/python3)
#        TIPC_COMPAT_TIMEOUT per-file pytest timeout in s (default 1200)
# Needs: network access to PyPI (first run, and each run for the sdist unless
#        cached in <work dir>), Debian packages cyclonedds-dev, cyclonedds-tools,
#        python3-dev, python3-venv, build-essential, python3-pytest.
# Exit:  0 every test run passed; 1 a test failed (or a file errored); 2 setup
#        failed (nothing counted as passed).
# a && b || die: die runs when either fails, as meant.
# shellcheck disable=SC2015
set -uo pipefail

pkg=$(cd "${1:?our package dir}" && pwd) || exit 2
work=${2:?work dir}
mkdir -p "$work" && work=$(cd "$work" && pwd) || exit 2
here=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
base_py=${TIPC_COMPAT_PYTHON:-/usr/bin/python3}
per_file_timeout=${TIPC_COMPAT_TIMEOUT:-1200}

ORIG_VERSION=0.1.0
ORIG_SDIST=tensor_ipc-$ORIG_VERSION.tar.gz
ORIG_SHA256=70c8548116c9555aedcbfa00e2057b2d6c52863d8f64c77947bee26fc465f658
# The Python binding of Debian 12's Cyclone DDS C library (0.10.2), built from
# source against it (the original itself pinned cyclonedds==0.10.5, whose
# wheels bundle their own C library: we use the one matching Debian's).
# shellcheck source-path=SCRIPTDIR source=../common/cdds_venv.sh
. "$here/../common/cdds_venv.sh" || exit 2

log() { printf '\n[compat] %s\n' "$*"; }
die() { printf '\n[compat] SETUP FAILED: %s\n[compat] exit 2: no test was run\n' "$*" >&2; exit 2; }

# ---- 1. the venv of test-only peers (cyclonedds binding), cached ----------
venv=$work/venv
check='import cyclonedds.domain, cyclonedds.idl, numpy, pytest'
stamp=$(cdds_venv_stamp "$base_py" "$here/constraints.txt")
if cdds_venv_ok "$work" .tipc-compat-stamp "$stamp" "$check"; then
    log "venv: reusing $venv ($stamp)"
else
    log "venv: creating $venv (--system-site-packages: Debian's numpy, torch, pytest)"
    start=$SECONDS
    cdds_venv_build "$work" "$base_py" "$here/constraints.txt" .tipc-compat-stamp "$stamp" "$check"
    log "venv: built in $((SECONDS - start)) s"
fi
py=$venv/bin/python

# ---- 2. the original's sdist: tests/ only, never installed ----------------
if ! sha_ok "$work/dl/$ORIG_SDIST" "$ORIG_SHA256"; then
    rm -f "$work/dl/$ORIG_SDIST"
    log "downloading $ORIG_SDIST"
    "$py" -m pip download -q --no-deps --no-binary :all: -d "$work/dl" "tensor-ipc==$ORIG_VERSION" ||
        die "pip download tensor-ipc==$ORIG_VERSION"
fi
sha_ok "$work/dl/$ORIG_SDIST" "$ORIG_SHA256" || die "$ORIG_SDIST: sha256 is not $ORIG_SHA256"
log "sdist $ORIG_SDIST sha256 $ORIG_SHA256 (verified)"

tok=c$(printf '%04x%04x' $(( $$ & 0xffff )) $(( RANDOM )))
run=$work/run
rm -rf "$run" && mkdir -p "$run/orig" || die "mkdir $run"
tar -xzf "$work/dl/$ORIG_SDIST" -C "$run/orig" --strip-components=1 "tensor_ipc-$ORIG_VERSION/tests" ||
    die "extract tests/"
cp -r "$run/orig/tests" "$run/tests" && cp "$here/conftest.py" "$run/tests/conftest.py" || die "copy"
# test_prod_consum_subproc.py runs two daemon scripts that the sdist lacks
# (they are only in the original's repository): ours, written from the
# protocol the test uses (config.json in, results.json out), stand in.
if [[ ! -e $run/tests/prod_consum_daemon/producer_daemon.py ]]; then
    mkdir -p "$run/tests/prod_consum_daemon" &&
        cp "$here/prod_consum_daemon/producer_daemon.py" "$here/prod_consum_daemon/consumer_daemon.py" \
            "$run/tests/prod_consum_daemon/" || die "copy the daemon scripts"
    log "test_prod_consum_subproc.py: its daemon scripts are not in the sdist; using ours (tests/compat/prod_consum_daemon)"
fi
printf '[pytest]\naddopts = -p no:cacheprovider\n' > "$run/pytest.ini"

# ---- 3. pool names: the only change ----------------------------------------
"$py" "$here/rewrite_pool_names.py" "$run/tests" "$tok" || die "pool-name rewrite"
log "pool names rewritten with token $tok; the only changes to the original tests:"
(cd "$run" && diff -ru orig/tests tests --exclude=conftest.py)

export PYTHONPATH=$pkg${PYTHONPATH:+:$PYTHONPATH}
export TIPC_COMPAT_EXPECT_PKG=$pkg/tensor_ipc
export PYTHONDONTWRITEBYTECODE=1 OMP_NUM_THREADS=${OMP_NUM_THREADS:-1}
cd "$run" || die "cd $run"
[[ ! -e src ]] || die "$run/src exists (the tests append src/ to sys.path)"
where=$("$py" -c 'import tensor_ipc; print(tensor_ipc.__file__)') || die "import tensor_ipc (our package) failed"
[[ $where == "$pkg/tensor_ipc/"* ]] || die "tensor_ipc is $where, not ours under $pkg"
log "tensor_ipc = $where (ours)"

has_cuda=$("$py" -c 'import torch; print(int(torch.cuda.is_available()))' 2>/dev/null || echo 0)
has_rclpy=$("$py" -c 'import rclpy' >/dev/null 2>&1 && echo 1 || echo 0)

# ---- 4. run, count, report --------------------------------------------------
declare -a rows notrun
tot_pass=0 tot_fail=0 tot_err=0 tot_skip=0 tot_desel=0 status=0
run_file() {  # run_file <file> [pytest args...]
    local f=$1 rc counts
    shift
    log "pytest tests/$f${*:+ $(printf '%q ' "$@")}"
    export TIPC_COMPAT_DESELECTED_FILE=$run/$f.deselected
    timeout -k 30 "$per_file_timeout" "$py" -m pytest -q -rfEs --junitxml="$run/$f.xml" "tests/$f" "$@"
    rc=$?
    counts=$("$py" - "$run/$f.xml" "$rc" <<'PY'
import sys, xml.etree.ElementTree as ET
try:
    r = ET.parse(sys.argv[1]).getroot()
    s = r if r.tag == "testsuite" else r.find("testsuite")
    t, f, e, sk = (int(s.get(k, 0)) for k in ("tests", "failures", "errors", "skipped"))
    print(t - f - e - sk, f, e, sk)
except Exception:
    print("0 0 1 0")   # no report: the file errored as a whole
PY
)
    read -r p fl er sk <<<"$counts"
    local ds=0
    [[ -f $TIPC_COMPAT_DESELECTED_FILE ]] && ds=$(wc -l < "$TIPC_COMPAT_DESELECTED_FILE")
    tot_desel=$((tot_desel + ds))
    if (( rc == 124 || rc == 137 )); then er=$((er + 1)); fi
    if (( rc == 5 )) && (( p + fl + er == 0 )); then er=1; fi  # collected nothing
    (( rc == 0 )) || status=1
    (( fl + er == 0 )) || status=1
    tot_pass=$((tot_pass + p)) tot_fail=$((tot_fail + fl)) tot_err=$((tot_err + er)) tot_skip=$((tot_skip + sk))
    rows+=("$(printf '%-28s pytest-exit %-3s passed %-4s failed %-4s errors %-3s skipped %-3s deselected %s' "$f" "$rc" "$p" "$fl" "$er" "$sk" "$ds")")
}

cuda_args=()
if (( has_cuda )); then
    log "CUDA available: the torch_cuda cases are run"
else
    cuda_args=(-m "not torch_cuda")
    log "NO CUDA device: the torch_cuda cases are deselected (-m 'not torch_cuda': the 36 torch_cuda cases of test_prod_consum.py, case_072..case_107) and test_torch_cuda_backend.py is not run"
fi
run_file test_numpy_backend.py
run_file test_torch_backend.py
run_file test_prod_consum.py "${cuda_args[@]}"
if (( has_cuda )); then
    run_file test_torch_cuda_backend.py
else
    notrun+=("test_torch_cuda_backend.py: no CUDA device (torch.cuda.is_available() is False)")
fi
# test_dds.py drives the original's internal DDS layer (tensor_ipc.core.dds:
# DDSProducer, DDSConsumer, its own PoolMetadata IDL type over cyclonedds-python),
# which this package replaces with the C library's control plane and does not
# reimplement (docs/migration.md, "DDS").
notrun+=("test_dds.py: tests the original's internal pure-Python DDS layer (tensor_ipc.core.dds), which this package replaces with the C library's control plane; see docs/migration.md, \"DDS\"")
if [[ -f $run/tests/prod_consum_daemon/producer_daemon.py && -f $run/tests/prod_consum_daemon/consumer_daemon.py ]]; then
    run_file test_prod_consum_subproc.py "${cuda_args[@]}"
else
    notrun+=("test_prod_consum_subproc.py: its daemon scripts tests/prod_consum_daemon/{producer,consumer}_daemon.py are not in the sdist (they live only in the original's repository, which CI cannot reach and whose code is not committed here)")
fi
if (( has_rclpy )); then
    run_file test_rosext.py
else
    notrun+=("test_rosext.py: needs ROS 2 (rclpy, sensor_msgs), which neither Debian 12 nor PyPI provides; it also tests the original's tensor_ipc.rosext module")
fi

log "SUMMARY (original tensor-ipc $ORIG_VERSION tests against $pkg)"
printf '  %s\n' "${rows[@]}"
printf '  NOT RUN  %s\n' "${notrun[@]}"
printf '  total: passed %d, failed %d, errors %d, skipped %d, deselected (not run) %d; files not run: %d\n' \
    "$tot_pass" "$tot_fail" "$tot_err" "$tot_skip" "$tot_desel" "${#notrun[@]}"
(( tot_pass > 0 )) || status=1   # nothing passed is not a pass
if (( status )); then echo "[compat] exit 1: FAILED"; else echo "[compat] exit 0: every test run passed"; fi
exit "$status"
