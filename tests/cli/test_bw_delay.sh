#!/bin/bash
# tipc bw and tipc delay (like ros2 topic bw / delay), and hz --json.
source "$(dirname "$0")/cli_common.sh" "$@"

POOL="$TAG/img"
# 8*10*3 uint8 = 240-byte frames at 20 Hz: 4800 B/s.
start_bg "$WORK/pub.log" "$TIPC" pub "$POOL" --shape 8,10,3 --dtype uint8 --rate 20
wait_until 10 list_has "$POOL" || fail "pool not listed within 10 s: $(cat "$WORK/pub.log")"
BIG="$TAG/big"
# 250*1000 float32 = 1 MB frames at 10 Hz.
start_bg "$WORK/pub2.log" "$TIPC" pub "$BIG" --shape 250,1000 --dtype float32 --rate 10
wait_until 10 list_has "$BIG" || fail "big pool not listed: $(cat "$WORK/pub2.log")"

log "bw --count 2"
expect_rc 0 "$TIPC" bw "$POOL" --count 2
cat "$WORK/out"
"$PY" - "$WORK/out" <<'PYEOF' || fail "bw output: $(cat "$WORK/out" "$WORK/err")"
import re, sys
text = open(sys.argv[1]).read()
avg = re.findall(r"^average: ([0-9.]+) (B|KB|MB)/s$", text, re.M)
det = re.findall(r"^\tframe: 240 B  rate: ([0-9.]+) Hz  window: (\d+)  missed: (\d+)$", text, re.M)
assert len(avg) == 2 and len(det) == 2, (avg, det)
for (v, unit), (rate, win, missed) in zip(avg, det):
    bps = float(v) * {"B": 1, "KB": 1e3, "MB": 1e6}[unit]
    assert 10 <= float(rate) <= 30, rate             # 20 Hz within 50 %
    assert abs(bps - 240 * float(rate)) <= 0.01 * bps + 10, (bps, rate)  # rate x frame size
    assert 2 <= int(win) <= 100, win
PYEOF

log "bw of 1 MB frames: MB/s, frame size in both units"
expect_rc 0 "$TIPC" bw "$BIG" --count 1 --window 5
grep -Eq '^average: [0-9.]+ MB/s$' "$WORK/out" || fail "bw big: $(cat "$WORK/out")"
grep -Eq '^	frame: 1000000 B \(1.00 MB\)  rate: [0-9.]+ Hz  window: [2-5]  missed: [0-9]+$' "$WORK/out" \
    || fail "bw big detail: $(cat "$WORK/out")"

log "bw --json"
expect_rc 0 "$TIPC" bw "$POOL" --count 2 --json
"$PY" - "$WORK/out" "$POOL" <<'PYEOF' || fail "bw --json: $(cat "$WORK/out")"
import json, sys
lines = open(sys.argv[1]).read().splitlines()
assert len(lines) == 2, lines
for l in lines:
    o = json.loads(l)
    assert set(o) == {"pool", "bytes_per_s", "frame_bytes", "rate", "window", "missed", "new_frames"}, o
    assert o["pool"] == sys.argv[2] and o["frame_bytes"] == 240 and o["new_frames"] >= 10, o
    assert abs(o["bytes_per_s"] - 240 * o["rate"]) < 1e-3 * o["bytes_per_s"], o
    assert 10 <= o["rate"] <= 30, o
PYEOF

log "delay --count 2"
expect_rc 0 "$TIPC" delay "$POOL" --count 2
cat "$WORK/out"
"$PY" - "$WORK/out" <<'PYEOF' || fail "delay output: $(cat "$WORK/out" "$WORK/err")"
import re, sys
text = open(sys.argv[1]).read()
means = re.findall(r"^average delay: (-?[0-9.]+)$", text, re.M)
stats = re.findall(r"^\tmin: (-?[0-9.]+)s max: (-?[0-9.]+)s std dev: ([0-9.]+)s window: (\d+)$", text, re.M)
assert len(means) == 2 and len(stats) == 2, (means, stats)
for m, (mn, mx, sd, win) in zip(means, stats):
    m, mn, mx, sd, win = float(m), float(mn), float(mx), float(sd), int(win)
    # Stamps and this clock are both CLOCK_REALTIME of one host: a frame is
    # seen after it was stamped, and well within a second on this machine.
    assert 0 <= mn <= m <= mx < 1.0, (mn, m, mx)
    assert sd <= mx - mn + 1e-9 and win >= 10, (sd, win)
PYEOF

log "delay --window 3 --json"
expect_rc 0 "$TIPC" delay "$POOL" --count 2 --window 3 --json
"$PY" - "$WORK/out" "$POOL" <<'PYEOF' || fail "delay --json: $(cat "$WORK/out")"
import json, sys
lines = open(sys.argv[1]).read().splitlines()
assert len(lines) == 2, lines
for l in lines:
    o = json.loads(l)
    assert set(o) == {"pool", "mean_s", "min_s", "max_s", "std_dev_s", "window", "new_frames"}, o
    assert o["pool"] == sys.argv[2] and o["window"] == 3, o
    assert 0 <= o["min_s"] <= o["mean_s"] <= o["max_s"] < 1.0, o
PYEOF

log "hz --json"
expect_rc 0 "$TIPC" hz "$POOL" --count 2 --json
"$PY" - "$WORK/out" "$POOL" <<'PYEOF' || fail "hz --json: $(cat "$WORK/out")"
import json, sys
lines = open(sys.argv[1]).read().splitlines()
assert len(lines) == 2, lines
for l in lines:
    o = json.loads(l)
    assert set(o) == {"pool", "rate", "min_s", "max_s", "std_dev_s", "window", "missed", "new_frames"}, o
    assert o["pool"] == sys.argv[2] and 10 <= o["rate"] <= 30, o
    assert 0 < o["min_s"] <= 0.05 <= o["max_s"], o
PYEOF

log "producer gone: each report is still one JSON line, with nulls"
start_bg "$WORK/hz.log" "$TIPC" hz "$BIG" --count 3 --json
HZ=$BG
wait_until 10 grep -q '"rate": [0-9]' "$WORK/hz.log" || fail "no first report: $(cat "$WORK/hz.log")"
stop_bg "${BG_PIDS[1]}" TERM
wait_until 10 not_running "$HZ" || fail "hz --json --count 3 did not end: $(cat "$WORK/hz.log")"
stop_bg "$HZ"
grep -v '^tipc hz:' "$WORK/hz.log" >"$WORK/hz.json"
"$PY" - "$WORK/hz.json" "$BIG" <<'PYEOF' || fail "hz --json after the producer left: $(cat "$WORK/hz.log")"
import json, sys
objs = [json.loads(l) for l in open(sys.argv[1]).read().splitlines()]
assert len(objs) == 3, objs
assert objs[-1] == {"pool": sys.argv[2], "rate": None, "min_s": None, "max_s": None,
                    "std_dev_s": None, "window": 0, "missed": objs[-1]["missed"], "new_frames": 0}, objs[-1]
PYEOF
log "PASS"
