#!/bin/bash
# tipc echo --once / -n / --slice / --csv / --json, on frames of known values
# (published from a .npy file).
source "$(dirname "$0")/cli_common.sh" "$@"

"$PY" - "$WORK" <<'PYEOF' || fail "cannot write the .npy files"
import numpy as np, sys
w = sys.argv[1]
np.save(f"{w}/cube.npy", np.arange(24, dtype=np.int32).reshape(2, 3, 4))
np.save(f"{w}/f.npy", np.array([[0.5, -1.25], [np.nan, 3.0]], dtype=np.float64))
np.save(f"{w}/c.npy", np.array([1 + 2j, -3.5 - 0.25j], dtype=np.complex64))
np.save(f"{w}/b.npy", np.array([True, False, True]))
PYEOF
for p in cube f c b; do
    start_bg "$WORK/pub_$p.log" "$TIPC" pub "$TAG/$p" --from "$WORK/$p.npy" --rate 20
done
for p in cube f c b; do
    wait_until 10 list_has "$TAG/$p" || fail "$TAG/$p not listed: $(cat "$WORK/pub_$p.log")"
done

log "--once prints exactly one frame"
expect_rc 0 "$TIPC" echo "$TAG/cube" --once
[ "$(grep -c '^frame: ' "$WORK/out")" -eq 1 ] || fail "--once: $(cat "$WORK/out")"
grep -q '^values:' "$WORK/out" && fail "24 elements without --slice printed values"
grep -qx 'min: 0  max: 23  mean: 11.5' "$WORK/out" || fail "--once stats: $(cat "$WORK/out")"

log "-n 3 prints three frames"
expect_rc 0 "$TIPC" echo "$TAG/b" -n 3
[ "$(grep -c '^frame: ' "$WORK/out")" -eq 3 ] || fail "-n 3: $(cat "$WORK/out")"
[ "$(grep -cx 'values: \[True, False, True\]' "$WORK/out")" -eq 3 ] || fail "bool values: $(cat "$WORK/out")"

log "--slice, numpy's rules"
check_slice() { # EXPR SHAPE VALUES
    expect_rc 0 "$TIPC" echo "$TAG/cube" --once --slice "$1"
    grep -qx "slice: $1  shape: $2" "$WORK/out" || fail "--slice $1 shape: $(cat "$WORK/out")"
    grep -qxF "values: $3" "$WORK/out" || fail "--slice $1 values: $(cat "$WORK/out")"
}
check_slice '0:2,:,1' '(2,3)' '[[1, 5, 9], [13, 17, 21]]'
check_slice '-1,::-1,0' '(3,)' '[20, 16, 12]'
check_slice '1,2,3' '()' '23'
check_slice '0' '(3,4)' '[[0, 1, 2, 3], [4, 5, 6, 7], [8, 9, 10, 11]]'
check_slice ':,1:,::2' '(2,2,2)' '[[[4, 6], [8, 10]], [[16, 18], [20, 22]]]'
check_slice '5:,-10:1' '(0,1,4)' '[]'
grep -qx 'min: nan  max: nan  mean: nan' "$WORK/out" || fail "empty slice stats: $(cat "$WORK/out")"
bad_slice() { # EXPR MESSAGE
    expect_rc 2 "$TIPC" echo "$TAG/cube" --once --slice "$1"
    grep -qxF "tipc echo: --slice '$1': $2" "$WORK/err" || fail "--slice $1: $(cat "$WORK/err")"
}
bad_slice '2' 'index 2 is out of bounds for axis 0 with size 2'
bad_slice '0,-4' 'index -4 is out of bounds for axis 1 with size 3'
bad_slice '0,0,0,0' '4 items for a frame of 3 dimensions'
bad_slice '::0' "slice step cannot be zero ('::0')"
bad_slice 'a' "'a' is not an index or a range"
bad_slice '1:2:3:4' "'1:2:3:4' is not a range start:stop[:step]"
bad_slice '...' "'...' is not supported; give each axis"

log "--csv: a header, then one parseable row per frame"
expect_rc 0 "$TIPC" echo "$TAG/cube" -n 2 --csv --slice '1,0:2,3'
"$PY" - "$WORK/out" <<'PYEOF' || fail "--csv: $(cat "$WORK/out")"
import csv, sys
rows = list(csv.reader(open(sys.argv[1])))
assert rows[0] == ["index", "timestamp_ns", "v[1][0][3]", "v[1][1][3]"], rows[0]
assert len(rows) == 3, rows
idx = [int(r[0]) for r in rows[1:]]
assert idx == sorted(set(idx)), idx
for r in rows[1:]:
    assert int(r[1]) > 1_600_000_000 * 10**9 and r[2:] == ["15", "19"], r
PYEOF
expect_rc 0 "$TIPC" echo "$TAG/f" --once --csv
"$PY" - "$WORK/out" <<'PYEOF' || fail "--csv floats: $(cat "$WORK/out")"
import csv, math, sys
rows = list(csv.reader(open(sys.argv[1])))
assert rows[0] == ["index", "timestamp_ns", "v[0][0]", "v[0][1]", "v[1][0]", "v[1][1]"], rows[0]
v = [float(x) for x in rows[1][2:]]
assert v[0] == 0.5 and v[1] == -1.25 and math.isnan(v[2]) and v[3] == 3.0, v
PYEOF
expect_rc 0 "$TIPC" echo "$TAG/c" --once --csv
"$PY" - "$WORK/out" <<'PYEOF' || fail "--csv complex: $(cat "$WORK/out")"
import csv, sys
rows = list(csv.reader(open(sys.argv[1])))
assert [complex(x) for x in rows[1][2:]] == [1 + 2j, -3.5 - 0.25j], rows
PYEOF

log "--json: one valid object per frame"
expect_rc 0 "$TIPC" echo "$TAG/cube" -n 2 --json --slice '0:2,:,1'
"$PY" - "$WORK/out" "$TAG/cube" <<'PYEOF' || fail "--json: $(cat "$WORK/out")"
import json, sys
lines = open(sys.argv[1]).read().splitlines()
assert len(lines) == 2, lines
for l in lines:
    o = json.loads(l)
    assert list(o) == ["pool", "index", "timestamp_ns", "age_s", "shape", "dtype", "slice",
                       "values_shape", "min", "max", "mean", "nan", "values"], o
    assert o["pool"] == sys.argv[2] and o["shape"] == [2, 3, 4] and o["dtype"] == "int32", o
    assert o["slice"] == "0:2,:,1" and o["values_shape"] == [2, 3], o
    assert o["values"] == [[1, 5, 9], [13, 17, 21]], o
    assert (o["min"], o["max"], o["mean"], o["nan"]) == (1, 21, 11, 0), o
PYEOF
expect_rc 0 "$TIPC" echo "$TAG/f" --once --json
"$PY" - "$WORK/out" <<'PYEOF' || fail "--json NaN: $(cat "$WORK/out")"
import json, sys
o = json.loads(open(sys.argv[1]).read(), parse_constant=lambda c: (_ for _ in ()).throw(ValueError(c)))
assert o["values"] == [[0.5, -1.25], [None, 3.0]] and o["nan"] == 1 and o["slice"] is None, o
assert o["min"] == -1.25 and o["max"] == 3.0, o
PYEOF
expect_rc 0 "$TIPC" echo "$TAG/c" --once --json
"$PY" -c 'import json,sys; o=json.load(open(sys.argv[1])); assert o["values"] == [[1.0, 2.0], [-3.5, -0.25]], o' \
    "$WORK/out" || fail "--json complex: $(cat "$WORK/out")"
expect_rc 0 "$TIPC" echo "$TAG/b" --once --json
"$PY" -c 'import json,sys; o=json.load(open(sys.argv[1])); assert o["values"] == [True, False, True], o' \
    "$WORK/out" || fail "--json bool: $(cat "$WORK/out")"
log "PASS"
