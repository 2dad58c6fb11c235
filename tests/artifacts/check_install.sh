#!/usr/bin/env bash
# Install the library into a temporary prefix and build a small program
# against it twice: with pkg-config and with find_package(tensor_ipc CONFIG).
# Both programs must run against the installed library and print its version.
# Usage: check_install.sh <build dir> <consumer source dir> <tensor_ipc.h> [cmake] [cc]
set -euo pipefail

build=${1:?usage: check_install.sh <build dir> <consumer dir> <header> [cmake] [cc]}
consumer_src=${2:?missing consumer source dir}
header=${3:?missing header path}
cmake=${4:-cmake}
cc=${5:-cc}

tmp=$(mktemp -d "${TMPDIR:-/tmp}/tipc-install.XXXXXX")
trap 'rm -rf "$tmp"' EXIT
prefix=$tmp/prefix

fail() { echo "FAIL: $*"; exit 1; }

expected_version=$(sed -n 's/^#define TIPC_VERSION_STRING "\(.*\)"$/\1/p' "$header")
[[ -n $expected_version ]] || fail "no TIPC_VERSION_STRING in $header"
major=${expected_version%%.*}

# Everything (every component: library, headers, tool, bindings): each
# installed file must land under the prefix given at install time.
"$cmake" --install "$build" --prefix "$prefix" | tee "$tmp/install.log"
outside=$(sed -nE 's/^-- (Installing|Up-to-date): //p' "$tmp/install.log" | grep -vF "$prefix/" || true)
[[ -z $outside ]] || fail "installed outside the prefix $prefix: $outside"
n=$(grep -cE '^-- (Installing|Up-to-date): ' "$tmp/install.log")
(( n > 0 )) || fail "cmake --install reported no file"
echo "all $n installed files are under the prefix"
# RPATHs are relative to the file ($ORIGIN), so they hold under any prefix.
abs_rpath=$(sed -nE 's/^-- Set runtime path of "([^"]*)" to "([^$][^"]*)"$/\1 -> \2/p' "$tmp/install.log")
[[ -z $abs_rpath ]] || fail "RPATH not relative to \$ORIGIN: $abs_rpath"

for h in tensor_ipc.h tensor_ipc_export.h; do
    [[ -f $prefix/include/$h ]] || fail "header $h not installed in $prefix/include"
done

pc=$(find "$prefix" -name tensor_ipc.pc -print -quit)
[[ -n $pc ]] || fail "tensor_ipc.pc not installed"
pcdir=$(dirname "$pc")
libdir=$(dirname "$pcdir")
echo "library dir: ${libdir#"$prefix"/}"

# Real file, SONAME link, development link.
real=$libdir/libtensor_ipc.so.$expected_version
[[ -f $real && ! -L $real ]] || fail "libtensor_ipc.so.$expected_version missing or not a file"
[[ -L $libdir/libtensor_ipc.so.$major ]] || fail "SONAME link libtensor_ipc.so.$major missing"
[[ -L $libdir/libtensor_ipc.so ]] || fail "development link libtensor_ipc.so missing"
[[ $(readlink -f "$libdir/libtensor_ipc.so") == "$(readlink -f "$real")" ]] \
    || fail "libtensor_ipc.so does not resolve to $real"
soname=$(objdump -p "$real" | awk '$1 == "SONAME" { print $2 }')
[[ $soname == "libtensor_ipc.so.$major" ]] || fail "SONAME is '$soname', want libtensor_ipc.so.$major"

cmake_cfg=$(find "$prefix" -name tensor_ipcConfig.cmake -print -quit)
[[ -n $cmake_cfg ]] || fail "tensor_ipcConfig.cmake not installed"
[[ -f $(dirname "$cmake_cfg")/tensor_ipcConfigVersion.cmake ]] || fail "tensor_ipcConfigVersion.cmake not installed"

# The installed files must not point back into the build or source tree.
if grep -rlF "$build" "$prefix/include" "$pc" "$(dirname "$cmake_cfg")"; then
    fail "installed files above mention the build directory $build"
fi

check_output() { # <label> <output>
    local first second
    first=$(sed -n 1p <<<"$2")
    second=$(sed -n 2p <<<"$2")
    [[ $first == "tensor_ipc $expected_version" ]] \
        || fail "$1: first line '$first', want 'tensor_ipc $expected_version'"
    [[ $second == *"install/check"* && $second == *uint8* ]] \
        || fail "$1: second line '$second' does not describe pool 'install/check'"
    echo "$1: ok: $first | $second"
}

# 1. pkg-config
export PKG_CONFIG_PATH=$pcdir
pc_version=$(pkg-config --modversion tensor_ipc)
[[ $pc_version == "$expected_version" ]] || fail "pkg-config version $pc_version, want $expected_version"
# shellcheck disable=SC2046  # word splitting of pkg-config's flags is intended
"$cc" -std=c11 -pedantic -Wall -Wextra -Werror "$consumer_src/main.c" \
    $(pkg-config --cflags --libs tensor_ipc) -o "$tmp/consumer_pc"
out=$(LD_LIBRARY_PATH=$libdir "$tmp/consumer_pc") || fail "pkg-config consumer exited $?"
check_output pkg-config "$out"

# 2. CMake package
"$cmake" -S "$consumer_src" -B "$tmp/cmake-build" -DCMAKE_PREFIX_PATH="$prefix" \
    -DCMAKE_C_COMPILER="$cc" -DCMAKE_BUILD_TYPE=Release >"$tmp/cmake.log" 2>&1 \
    || { cat "$tmp/cmake.log"; fail "configuring the find_package consumer failed"; }
"$cmake" --build "$tmp/cmake-build" >"$tmp/build.log" 2>&1 \
    || { cat "$tmp/build.log"; fail "building the find_package consumer failed"; }
grep -qxF "tensor_ipc_DIR:PATH=$(dirname "$cmake_cfg")" "$tmp/cmake-build/CMakeCache.txt" \
    || fail "find_package did not use the installed package in $(dirname "$cmake_cfg")"
out=$(LD_LIBRARY_PATH=$libdir "$tmp/cmake-build/consumer") || fail "find_package consumer exited $?"
check_output find_package "$out"

echo "OK: installed to a temporary prefix; pkg-config and find_package consumers build and run"
