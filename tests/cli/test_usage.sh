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
for cmd in list info hz bw delay echo pub gc completion; do
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
expect_rc 2 "$TIPC" list --json --names
grep -qx 'tipc list: --json and --names exclude each other' "$WORK/err" || fail "$(cat "$WORK/err")"
expect_rc 2 "$TIPC" list --settle -1
expect_rc 2 "$TIPC" bw
grep -qx 'tipc bw: missing pool name' "$WORK/err" || fail "$(cat "$WORK/err")"
expect_rc 2 "$TIPC" bw p --window 1
expect_rc 2 "$TIPC" delay
grep -qx 'tipc delay: missing pool name' "$WORK/err" || fail "$(cat "$WORK/err")"
expect_rc 2 "$TIPC" delay p --window 0
expect_rc 2 "$TIPC" hz p --json extra
expect_rc 2 "$TIPC" echo p --csv --json
grep -qx 'tipc echo: --csv and --json exclude each other' "$WORK/err" || fail "$(cat "$WORK/err")"
expect_rc 2 "$TIPC" echo p -n 0
grep -qx "tipc echo: -n needs a positive integer, got '0'" "$WORK/err" || fail "$(cat "$WORK/err")"
expect_rc 2 "$TIPC" pub "$TAG/x" --shape 2 --value 1 --from f.npy
grep -qx 'tipc pub: --value and --from exclude each other' "$WORK/err" || fail "$(cat "$WORK/err")"
expect_rc 2 "$TIPC" pub "$TAG/x" --shape 2 --dtype uint8 --value 256
grep -qx "tipc pub: --value: '256' is not an integer in 0..255 (uint8)" "$WORK/err" || fail "$(cat "$WORK/err")"
expect_rc 2 "$TIPC" pub "$TAG/x" --shape 2 --dtype int8 --value -129
grep -qx "tipc pub: --value: '-129' is not an integer in -128..127 (int8)" "$WORK/err" || fail "$(cat "$WORK/err")"
expect_rc 2 "$TIPC" pub "$TAG/x" --shape 2 --dtype int32 --value 1.5
expect_rc 2 "$TIPC" pub "$TAG/x" --shape 2 --dtype bool --value yes
grep -qx "tipc pub: --value: 'yes' is not a bool (true, false, 1, 0)" "$WORK/err" || fail "$(cat "$WORK/err")"
expect_rc 2 "$TIPC" pub "$TAG/x" --shape 2 --value abc
grep -qx "tipc pub: --value: 'abc' is not a number" "$WORK/err" || fail "$(cat "$WORK/err")"
expect_rc 2 "$TIPC" pub "$TAG/x" --shape 2 --dtype complex64 --value 1+2
expect_rc 2 "$TIPC" completion
grep -qx 'tipc completion: missing shell name (bash)' "$WORK/err" || fail "$(cat "$WORK/err")"
expect_rc 2 "$TIPC" completion zsh
grep -qx "tipc completion: no completion for shell 'zsh' (bash only)" "$WORK/err" || fail "$(cat "$WORK/err")"
grep -q '^Try' "$WORK/err" || fail "usage errors should point to --help"
[ ! -e "$(shm_file "$TAG/x")" ] || fail "a refused pub left a segment"

log "runtime failures exit 1"
expect_rc 1 "$TIPC" info "$TAG/none" --wait 0.3
grep -q "pool '$TAG/none' not found" "$WORK/err" || fail "info: no clear message: $(cat "$WORK/err")"
expect_rc 1 "$TIPC" hz "$TAG/none" --wait 0.3 --count 1
expect_rc 1 "$TIPC" echo "$TAG/none" --wait 0.3 --count 1
expect_rc 1 "$TIPC" bw "$TAG/none" --wait 0.3 --count 1
grep -q "pool '$TAG/none' not found" "$WORK/err" || fail "bw: $(cat "$WORK/err")"
expect_rc 1 "$TIPC" delay "$TAG/none" --wait 0.3 --count 1
grep -q "pool '$TAG/none' not found" "$WORK/err" || fail "delay: $(cat "$WORK/err")"
log "PASS"
