#!/usr/bin/env bash
# A user's install: a fresh venv of one CPython, `pip install <source>` (build
# isolation on: scikit-build-core from PyPI; numpy from PyPI, i.e. numpy 2),
# then either the Python suite (tests/python) against the installed package
# or, with MODE=smoke, an import, a producer/consumer pair in two processes
# and the `tipc` command.
#   venv_suite.sh PYTHON SOURCE_DIR WORK_DIR suite|smoke
# Exit 77 (CTest: skipped, not passed) when PYTHON does not exist here.
# Cached in WORK_DIR: pip's cache and the CMake build directory (per Python
# version), so a re-run rebuilds only what changed; the venv is always new.
set -euo pipefail
py=$1 src=$2 work=$3 mode=$4
if [[ ! -x $py ]]; then
    echo "SKIPPED: $py not found: this Python version is not tested here"
    exit 77
fi
ver=$("$py" -c 'import sys; print("%d.%d" % sys.version_info[:2])')
mkdir -p "$work"
work=$(cd "$work" && pwd)
venv=$work/venv-$ver
export PIP_CACHE_DIR=$work/pip-cache PIP_DISABLE_PIP_VERSION_CHECK=1 PYTHONDONTWRITEBYTECODE=1
unset PYTHONPATH

start=$SECONDS
rm -rf "$venv"
"$py" -m venv "$venv"
echo "== pip install $src (Python $ver, $py)"
# build-dir: scikit-build-core's CMake build, kept for the next run.
"$venv/bin/pip" install -q --config-settings "build-dir=$work/skbuild-$ver" "$src"
echo "   installed in $((SECONDS - start)) s"
site=$("$venv/bin/python" -c 'import sysconfig; print(sysconfig.get_path("platlib"))')
numpy_major=$("$venv/bin/python" -c 'import numpy; print(numpy.__version__.split(".")[0])')
if (( numpy_major < 2 )); then
    echo "FAIL: numpy $("$venv/bin/python" -c 'import numpy; print(numpy.__version__)') in the venv: numpy 2 expected from PyPI"
    exit 1
fi

cd "$work"
"$venv/bin/python" "$src/tests/packaging/pair_check.py" "$site"
version=$("$venv/bin/tipc" --version)
echo "tipc --version: $version"
[[ $version == *"$("$venv/bin/python" -c 'import tensor_ipc; print(tensor_ipc.version())')"* ]] ||
    { echo "FAIL: tipc --version does not name the package's library version"; exit 1; }

if [[ $mode == suite ]]; then
    "$venv/bin/pip" install -q pytest
    echo "== tests/python against $site (numpy $("$venv/bin/python" -c 'import numpy; print(numpy.__version__)'))"
    # -rs: skipped cases are listed with their reason (e.g. no PyTorch here).
    "$venv/bin/python" -m pytest -q -rs -p no:cacheprovider "$src"/tests/python/test_*.py
fi
echo "OK: Python $ver: pip install + $mode in $((SECONDS - start)) s"
