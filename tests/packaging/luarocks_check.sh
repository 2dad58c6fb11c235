#!/usr/bin/env bash
# The rock: `luarocks make --tree <tmp>` from a copy of the repository
# (luarocks builds in the source tree), then `require("tensor_ipc")` from the
# tree alone (LD_LIBRARY_PATH unset) and a producer/consumer round trip.
#   luarocks_check.sh SOURCE_DIR WORK_DIR
# Exit 77 (skipped) without luarocks.
set -euo pipefail
src=$1 work=$2
command -v luarocks >/dev/null || { echo "SKIPPED: no luarocks (Debian: apt-get install luarocks)"; exit 77; }
fail() { echo "FAIL: $*"; exit 1; }
mkdir -p "$work"
work=$(cd "$work" && pwd)
rockspec=$(cd "$src" && ls tensor-ipc-*.rockspec)
header_version=$(sed -n 's/^#define TIPC_VERSION_STRING "\(.*\)"$/\1/p' "$src/c/include/tensor_ipc.h")
[[ $rockspec == "tensor-ipc-$header_version-"*.rockspec ]] ||
    fail "$rockspec does not carry the header's version $header_version"
grep -q "^version = \"$header_version-" "$src/$rockspec" || fail "$rockspec: version is not $header_version-N"

# A copy of the tracked files (luarocks writes build.luarocks/ in the tree).
copy=$work/rock-src tree=$work/rock-tree
rm -rf "$copy" "$tree"
mkdir -p "$copy"
git -C "$src" ls-files -z --cached --others --exclude-standard | (cd "$src" && xargs -0 cp --parents -t "$copy") ||
    fail "copying the sources"
(cd "$copy" && luarocks make --lua-version 5.4 --tree "$tree" "$rockspec") > "$work/luarocks.log" 2>&1 ||
    { tail -n 40 "$work/luarocks.log"; fail "luarocks make"; }
echo "luarocks make: ok ($rockspec)"
find "$tree" -type f \( -name '*.so*' -o -name 'tensor_ipc.lua' \) | sed "s|^$tree/|  installed: |"
cmod=$(find "$tree" -name tensor_ipc_core.so -print -quit)
[[ -n $cmod ]] || fail "tensor_ipc_core.so not installed in $tree"
readelf -d "$cmod" | grep -E 'RUNPATH|RPATH' | sed 's/^/  tensor_ipc_core.so /'
unset LD_LIBRARY_PATH
eval "$(luarocks --lua-version 5.4 --tree "$tree" path)"
cd "$work"
lua5.4 -e "
local t = require('tensor_ipc')
local n = 'rock/check_' .. tostring(os.time()) .. math.random(1000000)
local p <close> = t.producer{name = n, shape = {3}}
local c <close> = t.consumer{name = n, shape = {3}}
p:put{1, 2, 3}
assert(c:get()[3] == 3, 'round trip')
print('require(\"tensor_ipc\") from the rock tree: ok, library ' .. t.version())"
echo "OK: luarocks make + require"
