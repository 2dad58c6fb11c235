#!/bin/bash
# tipc pub --value V and --from FILE.npy: content as asked; a .npy file the
# pool cannot hold is refused with the reason (nothing created).
source "$(dirname "$0")/cli_common.sh" "$@"

echo_values() { # POOL: the values of one frame as JSON, in $WORK/out
    expect_rc 0 "$TIPC" echo "$1" --once --json
}

log "--value fills every element, in the pool's dtype"
start_bg "$WORK/v1.log" "$TIPC" pub "$TAG/u8" --shape 2,2 --dtype uint8 --value 255 --rate 20
start_bg "$WORK/v2.log" "$TIPC" pub "$TAG/i64" --shape 3 --dtype int64 --value -9007199254740993 --rate 20
start_bg "$WORK/v3.log" "$TIPC" pub "$TAG/f16" --shape 2 --dtype float16 --value 0.1 --rate 20
start_bg "$WORK/v4.log" "$TIPC" pub "$TAG/cx" --shape 1 --dtype complex128 --value 1.5-2j --rate 20
start_bg "$WORK/v5.log" "$TIPC" pub "$TAG/bo" --shape 2 --dtype bool --value true --rate 20
start_bg "$WORK/v6.log" "$TIPC" pub "$TAG/nan" --shape 2 --value nan --rate 20
for p in u8 i64 f16 cx bo nan; do
    wait_until 10 list_has "$TAG/$p" || fail "$TAG/$p not listed: $(cat "$WORK"/v*.log)"
done
check_json() { # POOL PYTHON-EXPR-ON-o
    echo_values "$1"
    "$PY" -c "import json,sys; o=json.load(open(sys.argv[1])); assert $2, o" "$WORK/out" \
        || fail "$1: $(cat "$WORK/out")"
}
check_json "$TAG/u8" 'o["values"] == [[255, 255], [255, 255]] and o["dtype"] == "uint8"'
check_json "$TAG/i64" 'o["values"] == [-9007199254740993] * 3'   # exact beyond 2**53
check_json "$TAG/f16" 'o["values"] == [0.0999755859375] * 2'     # 0.1 rounded to float16
check_json "$TAG/cx" 'o["values"] == [[1.5, -2.0]]'
check_json "$TAG/bo" 'o["values"] == [True, True]'
check_json "$TAG/nan" 'o["values"] == [None, None] and o["nan"] == 2'

log "--from takes shape and dtype from the file"
"$PY" - "$WORK" <<'PYEOF' || fail "cannot write the .npy files"
import numpy as np, sys
w = sys.argv[1]
np.save(f"{w}/frame.npy", np.array([[1.5, 2.5, 3.5], [4.5, 5.5, 6.5]], np.float32))
np.save(f"{w}/seq.npy", np.stack([np.full((2, 3), k, np.int16) for k in range(5)]))
np.save(f"{w}/scalar.npy", np.array(7, np.uint16))
np.save(f"{w}/big_endian.npy", np.zeros((2, 3), ">f4"))
np.save(f"{w}/fortran.npy", np.asfortranarray(np.zeros((2, 3), np.float32)))
np.save(f"{w}/records.npy", np.zeros(3, dtype=[("a", "<i4"), ("b", "<f8")]))
np.save(f"{w}/objects.npy", np.array([1, "x"], dtype=object), allow_pickle=True)
np.save(f"{w}/strings.npy", np.array(["ab", "cd"]))
np.save(f"{w}/empty.npy", np.zeros((0, 3), np.float32))
np.save(f"{w}/dims9.npy", np.zeros((1,) * 9, np.uint8))
with open(f"{w}/v2.npy", "wb") as f:   # format 2.0 (4-byte header length)
    np.lib.format.write_array(f, np.arange(4, dtype=np.uint32), version=(2, 0))
data = open(f"{w}/frame.npy", "rb").read()
open(f"{w}/truncated.npy", "wb").write(data[:-4])
open(f"{w}/notnpy.npy", "wb").write(b"hello world, not an array")
# a header written by hand: keys in another order, extra spaces
hdr = b"{ 'shape' : (2,) , 'fortran_order':False,'descr': '<i8' }"
hdr += b" " * (63 - (10 + len(hdr)) % 64) + b"\n"
open(f"{w}/handmade.npy", "wb").write(b"\x93NUMPY\x01\x00" + len(hdr).to_bytes(2, "little") + hdr
                                      + np.array([-1, 2**40], "<i8").tobytes())
PYEOF
start_bg "$WORK/f1.log" "$TIPC" pub "$TAG/frame" --from "$WORK/frame.npy" --rate 20
start_bg "$WORK/f2.log" "$TIPC" pub "$TAG/seq" --from "$WORK/seq.npy" --shape 2,3 --rate 50 --history 8
start_bg "$WORK/f3.log" "$TIPC" pub "$TAG/scalar" --from "$WORK/scalar.npy" --rate 20
start_bg "$WORK/f4.log" "$TIPC" pub "$TAG/v2" --from "$WORK/v2.npy" --dtype uint32 --rate 20
start_bg "$WORK/f5.log" "$TIPC" pub "$TAG/hand" --from "$WORK/handmade.npy" --rate 20
for p in frame seq scalar v2 hand; do
    wait_until 10 list_has "$TAG/$p" || fail "$TAG/$p not listed: $(cat "$WORK"/f*.log)"
done
check_json "$TAG/frame" 'o["shape"] == [2, 3] and o["dtype"] == "float32" and o["values"] == [[1.5, 2.5, 3.5], [4.5, 5.5, 6.5]]'
check_json "$TAG/scalar" 'o["shape"] == [] and o["dtype"] == "uint16" and o["values"] == 7'
check_json "$TAG/v2" 'o["values"] == [0, 1, 2, 3]'
check_json "$TAG/hand" 'o["dtype"] == "int64" and o["values"] == [-1, 2**40]'
log "a sequence on a leading axis is published in turn"
expect_rc 0 "$TIPC" echo "$TAG/seq" -n 12 --json
"$PY" - "$WORK/out" <<'PYEOF' || fail "sequence: $(cat "$WORK/out")"
import json, sys
objs = [json.loads(l) for l in open(sys.argv[1]).read().splitlines()]
assert len(objs) == 12
for o in objs:
    assert o["shape"] == [2, 3] and o["dtype"] == "int16", o
    k = o["index"] % 5  # frame k of the file, repeated
    assert o["values"] == [[k] * 3] * 2, o
PYEOF

log "files the pool cannot hold are refused, with the reason"
refused() { # FILE MESSAGE [pub options...]
    local f=$1 msg=$2
    shift 2
    expect_rc 1 "$TIPC" pub "$TAG/refused" --from "$WORK/$f" --count 1 "$@"
    grep -qxF "tipc: cannot publish $WORK/$f: $msg" "$WORK/err" || fail "$f: $(cat "$WORK/err")"
    [ ! -e "$(shm_file "$TAG/refused")" ] || fail "$f: a refused pub left a segment"
}
refused big_endian.npy "data is big-endian ('>f4') but pools hold this host's little-endian order; convert it first, e.g. arr.astype('<f4')"
refused fortran.npy "data is stored in Fortran (column-major) order; pools hold C order: save np.ascontiguousarray(arr) instead"
refused records.npy "structured dtypes (records) cannot be published"
refused objects.npy "dtype '|O' is not a plain numeric dtype"
refused strings.npy "dtype '<U2' is not a pool dtype (bool, int8..int64, uint8..uint64, float16, float32, float64, complex64, complex128)"
refused empty.npy "shape has an empty dimension (axis 0 is 0)"
refused dims9.npy "9 dimensions, a frame has at most 8 (give --shape to publish a sequence of frames)"
refused truncated.npy "holds 20 bytes of data, its header describes 24"
refused notnpy.npy 'not a .npy file (no \x93NUMPY magic)'
refused missing.npy "cannot open: No such file or directory"
refused frame.npy "its dtype is float32, the pool's (--dtype) float64" --dtype float64
refused frame.npy "its shape (2,3) is neither the frame shape (--shape) (3,2) nor a sequence of such frames (N,3,2)" --shape 3,2
refused seq.npy "its shape (5,2,3) is neither the frame shape (--shape) (3,) nor a sequence of such frames (N,3)" --shape 3
log "PASS"
