#!/bin/bash
# tipc echo prints frames: index, shape, dtype, statistics and small values.
source "$(dirname "$0")/cli_common.sh" "$@"

start_bg "$WORK/pub.log" "$TIPC" pub "$TAG/small" --shape 2,3 --dtype float32 --rate 20
start_bg "$WORK/pub2.log" "$TIPC" pub "$TAG/big" --shape 5,5 --dtype int16 --rate 20
start_bg "$WORK/pub3.log" "$TIPC" pub "$TAG/half" --shape 3 --dtype bfloat16 --rate 20
start_bg "$WORK/pub4.log" "$TIPC" pub "$TAG/flags" --shape 2,2 --dtype bool --rate 20
start_bg "$WORK/pub5.log" "$TIPC" pub "$TAG/iq" --shape '' --dtype complex128 --rate 20
for p in small big half flags iq; do
    wait_until 10 list_has "$TAG/$p" || fail "$TAG/$p not listed within 10 s"
done

log "echo --count 3 (float32, 6 elements)"
expect_rc 0 "$TIPC" echo "$TAG/small" --count 3
cat "$WORK/out"
"$PY" - "$WORK/out" <<'PYEOF' || fail "echo output: $(cat "$WORK/out" "$WORK/err")"
import re, sys
text = open(sys.argv[1]).read()
frames = [int(x) for x in re.findall(r"^frame: (\d+)  age: [0-9.]+s  shape: \(2,3\)  dtype: float32$", text, re.M)]
assert len(frames) == 3 and frames == sorted(set(frames)), frames
stats = re.findall(r"^min: (\S+)  max: (\S+)  mean: (\S+)$", text, re.M)
values = re.findall(r"^values: (.*)$", text, re.M)
assert len(stats) == 3 and len(values) == 3, (stats, values)
seen = []
for (mn, mx, mean), v in zip(stats, values):
    nums = [float(x) for x in re.findall(r"-?[0-9.]+(?:e-?\d+)?", v)]
    assert re.fullmatch(r"\[\[[^\[\]]*\], \[[^\[\]]*\]\]", v), v  # nested by shape
    assert len(nums) == 6 and all(-1 <= x <= 1 for x in nums), v
    assert abs(min(nums) - float(mn)) < 1e-4 and abs(max(nums) - float(mx)) < 1e-4, (v, mn, mx)
    assert abs(sum(nums) / 6 - float(mean)) < 1e-4, (v, mean)
    seen.append(v)
assert len(set(seen)) == 3, seen  # the values change from frame to frame
PYEOF

log "echo: 25 elements print statistics but no values"
expect_rc 0 "$TIPC" echo "$TAG/big" --count 1
grep -q '^frame: [0-9]*  .*shape: (5,5)  dtype: int16$' "$WORK/out" || fail "$(cat "$WORK/out")"
grep -Eq '^min: -?[0-9]+  max: -?[0-9]+  mean: ' "$WORK/out" || fail "int16 stats: $(cat "$WORK/out")"
! grep -q '^values:' "$WORK/out" || fail "values printed for 25 elements"

log "echo: bfloat16, bool, complex128 scalar"
expect_rc 0 "$TIPC" echo "$TAG/half" --count 1
grep -Eq '^values: \[-?[0-9.]+, -?[0-9.]+, -?[0-9.]+\]$' "$WORK/out" || fail "bfloat16: $(cat "$WORK/out")"
expect_rc 0 "$TIPC" echo "$TAG/flags" --count 1
grep -Eq '^values: \[\[(True|False), (True|False)\], \[(True|False), (True|False)\]\]$' "$WORK/out" || fail "bool: $(cat "$WORK/out")"
grep -q '^min: 0  max: 1  mean: 0.5$' "$WORK/out" || fail "bool stats (0/1): $(cat "$WORK/out")"
expect_rc 0 "$TIPC" echo "$TAG/iq" --count 1
grep -Eq '^values: -?[0-9.e-]+[+-][0-9.e-]+j$' "$WORK/out" || fail "complex: $(cat "$WORK/out")"
grep -Eq '^min: (1|0.9999[0-9]*|1.0000[0-9]*)  max: ' "$WORK/out" || fail "complex magnitude: $(cat "$WORK/out")"
log "PASS"
