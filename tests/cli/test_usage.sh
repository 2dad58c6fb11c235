#!/bin/bash
# tipc: --help of every command exits 0, bad usage exits 2, runtime failures exit 1.
source "$(dirname "$0")/cli_common.sh" "$@"

log "help and version"
expect_rc 0 "$TIPC" --help
grep -q '^Exit status:' "$WORK/out" || fail "tipc --help does not document the exit status"
grep -q '2  usage error' "$WORK/out" || fail "tipc --help does not document exit code 2"
expect_rc 0 "$TIPC" -h
expect_rc 0 "$TIPC" --version
grep -q 'tensor-ipc' "$WORK/out" || fail "--version: $(cat "$WORK/out")"
expect_rc 0 "$TIPC" help
for cmd in list info hz echo pub gc; do
    expect_rc 0 "$TIPC" "$cmd" --help
    grep -q "^Usage: tipc $cmd" "$WORK/out" || fail "tipc $cmd --help: no usage line"
    expect_rc 0 "$TIPC" help "$cmd"
    grep -q "^Usage: tipc $cmd" "$WORK/out" || fail "tipc help $cmd: no usage line"
done
expect_rc 0 "$TIPC" gc --help
grep -q '32-byte prefix' "$WORK/out" || fail "gc --help does not say it reads only the 32-byte prefix"

log "usage errors exit 2"
expect_rc 2 "$TIPC"
expect_rc 2 "$TIPC" frobnicate
expect_rc 2 "$TIPC" help frobnicate
expect_rc 2 "$TIPC" --bogus list
expect_rc 2 "$TIPC" --domain
expect_rc 2 "$TIPC" --domain 999 list
expect_rc 2 "$TIPC" --domain abc list
expect_rc 2 "$TIPC" list --bogus
expect_rc 2 "$TIPC" list extra
expect_rc 2 "$TIPC" list --wait
expect_rc 2 "$TIPC" list --wait -3
expect_rc 2 "$TIPC" info
expect_rc 2 "$TIPC" info a b
expect_rc 2 "$TIPC" hz
expect_rc 2 "$TIPC" hz p --count 0
expect_rc 2 "$TIPC" hz p --window x
expect_rc 2 "$TIPC" echo
expect_rc 2 "$TIPC" echo p --count -1
expect_rc 2 "$TIPC" pub "$TAG/x"
grep -q 'missing --shape' "$WORK/err" || fail "pub without --shape: $(cat "$WORK/err")"
expect_rc 2 "$TIPC" pub --shape 2
expect_rc 2 "$TIPC" pub "$TAG/x" --shape 2,0
expect_rc 2 "$TIPC" pub "$TAG/x" --shape 2,,3
expect_rc 2 "$TIPC" pub "$TAG/x" --shape 1,1,1,1,1,1,1,1,1
expect_rc 2 "$TIPC" pub "$TAG/x" --shape 2 --dtype float128
expect_rc 2 "$TIPC" pub "$TAG/x" --shape 2 --backend jax
expect_rc 2 "$TIPC" pub "$TAG/x" --shape 2 --rate -1
expect_rc 2 "$TIPC" pub "$TAG/x" --shape 2 --history 0
expect_rc 2 "$TIPC" pub "$TAG/x" --shape 2 --mode 0777
expect_rc 2 "$TIPC" pub 'bad//name' --shape 2
expect_rc 2 "$TIPC" gc --bogus
expect_rc 2 "$TIPC" gc 'bad//name'
grep -q '^Try' "$WORK/err" || fail "usage errors should point to --help"
[ ! -e "$(shm_file "$TAG/x")" ] || fail "a refused pub left a segment"

log "runtime failures exit 1"
expect_rc 1 "$TIPC" info "$TAG/none" --wait 0.3
grep -q "pool '$TAG/none' not found" "$WORK/err" || fail "info: no clear message: $(cat "$WORK/err")"
expect_rc 1 "$TIPC" hz "$TAG/none" --wait 0.3 --count 1
expect_rc 1 "$TIPC" echo "$TAG/none" --wait 0.3 --count 1
log "PASS"
