#!/usr/bin/env bash
# `cmake --install --prefix P` puts the Python package and the Lua modules
# under P, and each loads the library installed under P through its relative
# RPATH ($ORIGIN/...), with LD_LIBRARY_PATH unset: install everything into a
# temporary prefix, then use the package (PYTHONPATH), the Lua module
# (LUA_CPATH/LUA_PATH) and the tipc tool from there alone.
#   check_install_bindings.sh BUILD_DIR SOURCE_DIR PYTHON
set -euo pipefail
build=$1 src=$2 py=$3
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
prefix=$tmp/prefix
fail() { echo "FAIL: $*"; exit 1; }
unset LD_LIBRARY_PATH PYTHONPATH
cmake --install "$build" --prefix "$prefix" > "$tmp/install.log"
outside=$(sed -nE 's/^-- (Installing|Up-to-date): //p' "$tmp/install.log" | grep -vF "$prefix/" || true)
[[ -z $outside ]] || fail "installed outside the prefix $prefix: $outside"

init=$(find "$prefix" -path '*/tensor_ipc/__init__.py' -not -path '*/tensor_ipc/*/*' -print -quit)
[[ -n $init ]] || fail "no tensor_ipc package under $prefix"
site=$(dirname "$(dirname "$init")")
echo "python package: ${site#"$prefix"/}/tensor_ipc"
mod=$(ls "$site"/tensor_ipc/_capi*.so)
lib=$(ldd "$mod" | awk '$1 ~ /^libtensor_ipc/ && $2 == "=>" { print $3 }')
[[ $(readlink -f "$lib") == "$prefix/"* ]] || fail "$mod loads libtensor_ipc from '$lib', not from $prefix"
cd "$tmp"
PYTHONPATH="$site" "$py" -c "
import os, numpy as np, tensor_ipc as t
assert t.__file__.startswith('$site'), t.__file__
n = f'inst/py_{os.getpid()}'
with t.TensorProducer.from_sample(n, np.zeros(3)) as p, t.TensorConsumer.from_sample(n, np.zeros(3)) as c:
    p.put(np.ones(3)); assert c.get().sum() == 3
print('python package: import and round trip ok')"

cmod=$(find "$prefix" -name tensor_ipc_core.so)
lmod=$(find "$prefix" -name tensor_ipc.lua)
[[ -n $cmod && -n $lmod ]] || fail "Lua modules not installed under $prefix"
echo "lua modules: ${cmod#"$prefix"/}, ${lmod#"$prefix"/}"
LUA_CPATH="$(dirname "$cmod")/?.so" LUA_PATH="$(dirname "$lmod")/?.lua" lua5.4 -e "
local t = require('tensor_ipc')
local n = 'inst/lua_' .. tostring(os.time()) .. math.random(1000000)
local p <close> = t.producer{name = n, shape = {3}}
local c <close> = t.consumer{name = n, shape = {3}}
p:put{1, 2, 3}
assert(c:get()[3] == 3)
print('lua module: require and round trip ok')"

"$prefix/bin/tipc" --version || fail "the installed tipc does not run"
# tipc record runs the installed package's recorder, found relative to bin/
out=$(cd "$tmp" && "$prefix/bin/tipc" record --help 2>&1) || fail "tipc record --help: $out"
grep -q "usage: tipc record" <<<"$out" || fail "tipc record --help printed: $out"
# ... and puts that very package first on PYTHONPATH (an interpreter that
# prints what it was given stands in for Python)
printf '#!/bin/sh\nprintf "%%s\\n" "$PYTHONPATH"\n' > "$tmp/show-path"
chmod +x "$tmp/show-path"
first=$(TIPC_PYTHON=$tmp/show-path "$prefix/bin/tipc" record --help | cut -d: -f1)
[[ $(readlink -f "$first") == "$(readlink -f "$site")" ]] ||
    fail "tipc record puts '$first' on PYTHONPATH, not the installed package's $site"
echo "tipc record: runs the package in ${site#"$prefix"/}"
echo "install of the bindings under $prefix: ok"
