#!/usr/bin/env bash
# `cmake --install` puts the Python package where the interpreter looks under
# the prefix and the Lua modules where lua5.4 looks, and both load the
# installed library (relative RPATH): install the Runtime, Python and Lua
# components into a DESTDIR, then use each from there alone.
#   check_install_bindings.sh BUILD_DIR SOURCE_DIR PYTHON
set -euo pipefail
build=$1 src=$2 py=$3
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
prefix=$(sed -n 's/^CMAKE_INSTALL_PREFIX:PATH=//p' "$build/CMakeCache.txt")
for c in Runtime Python Lua; do
    DESTDIR="$tmp/root" cmake --install "$build" --component "$c" > /dev/null
done
site="$tmp/root$("$py" "$src/bindings/python/site_dir.py" "$prefix")"
[[ -f $site/tensor_ipc/__init__.py ]] || { echo "no package in $site"; exit 1; }
cd "$tmp"
PYTHONPATH="$site" "$py" -c "
import os, numpy as np, tensor_ipc as t
assert t.__file__.startswith('$site'), t.__file__
n = f'inst/py_{os.getpid()}'
with t.TensorProducer.from_sample(n, np.zeros(3)) as p, t.TensorConsumer.from_sample(n, np.zeros(3)) as c:
    p.put(np.ones(3)); assert c.get().sum() == 3
print('python package installed in', '$site')"
cmod=$(find "$tmp/root" -name tensor_ipc_core.so)
lmod=$(find "$tmp/root" -name tensor_ipc.lua)
[[ -n $cmod && -n $lmod ]] || { echo "Lua modules not installed"; exit 1; }
LUA_CPATH="$(dirname "$cmod")/?.so" LUA_PATH="$(dirname "$lmod")/?.lua" lua5.4 -e "
local t = require('tensor_ipc')
local n = 'inst/lua_' .. tostring(os.time()) .. math.random(1000000)
local p <close> = t.producer{name = n, shape = {3}}
local c <close> = t.consumer{name = n, shape = {3}}
p:put{1, 2, 3}
assert(c:get()[3] == 3)
print('lua modules installed in $(dirname "$cmod")')"
echo "install of the bindings: ok"
