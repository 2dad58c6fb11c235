#!/usr/bin/env bash
# Check the dynamic symbol table of libtensor_ipc.so against the public header:
#  - every exported (defined, dynamic) symbol starts with tipc_;
#  - every function the header declares TIPC_API is exported;
#  - nothing is exported that the header does not declare TIPC_API.
# Usage: check_exports.sh <libtensor_ipc.so> <tensor_ipc.h> [nm]
set -euo pipefail

lib=${1:?usage: check_exports.sh <lib.so> <header> [nm]}
header=${2:?usage: check_exports.sh <lib.so> <header> [nm]}
nm=${3:-nm}

[[ -f $lib ]] || { echo "FAIL: no library at $lib"; exit 1; }
[[ -f $header ]] || { echo "FAIL: no header at $header"; exit 1; }

# nm -D prints "ADDR TYPE NAME[@VERSION]"; keep NAME.
exported=$("$nm" -D --defined-only "$lib" | awk 'NF >= 3 { sub(/@.*/, "", $3); print $3 }' | sort -u)

# Functions declared TIPC_API, comments removed first so prose cannot match.
# A declaration may wrap, so the file is read as one string.
declared=$(perl -0777 -ne '
    s{/\*.*?\*/}{ }gs; s{//[^\n]*}{}g;
    while (/\bTIPC_API\b[^;{}()]*?\b(tipc_\w+)\s*\(/g) { print "$1\n" }
' "$header" | sort -u)

fail=0
if [[ -z $declared ]]; then
    echo "FAIL: found no TIPC_API declarations in $header"
    fail=1
fi
if [[ -z $exported ]]; then
    echo "FAIL: $lib exports no symbols"
    fail=1
fi

bad_prefix=$(grep -v '^tipc_' <<<"$exported" || true)
if [[ -n $bad_prefix ]]; then
    echo "FAIL: exported symbols without the tipc_ prefix:"
    sed 's/^/  /' <<<"$bad_prefix"
    fail=1
fi

missing=$(comm -23 <(echo "$declared") <(echo "$exported"))
if [[ -n $missing ]]; then
    echo "FAIL: declared TIPC_API in the header but not exported:"
    sed 's/^/  /' <<<"$missing"
    fail=1
fi

undeclared=$(comm -13 <(echo "$declared") <(grep '^tipc_' <<<"$exported" || true))
if [[ -n $undeclared ]]; then
    echo "FAIL: exported but not declared TIPC_API in the header (internal symbol leaking?):"
    sed 's/^/  /' <<<"$undeclared"
    fail=1
fi

if (( fail )); then
    exit 1
fi
echo "OK: $(wc -l <<<"$exported") exported symbols, all tipc_ and all declared TIPC_API in $(basename "$header")"
