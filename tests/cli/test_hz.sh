#!/bin/bash
# tipc hz reports a rate near the producer's.
source "$(dirname "$0")/cli_common.sh" "$@"

POOL="$TAG/joints"
start_bg "$WORK/pub.log" "$TIPC" pub "$POOL" --shape 7 --dtype float64 --rate 20
PUB=$BG
wait_until 10 list_has "$POOL" || fail "pool not listed within 10 s: $(cat "$WORK/pub.log")"

log "hz --count 2 on a 20 Hz producer"
expect_rc 0 "$TIPC" hz "$POOL" --count 2
cat "$WORK/out"
"$PY" - "$WORK/out" <<'PYEOF' || fail "hz output: $(cat "$WORK/out" "$WORK/err")"
import re, sys
text = open(sys.argv[1]).read()
rates = [float(x) for x in re.findall(r"^average rate: ([0-9.]+)$", text, re.M)]
assert len(rates) == 2, rates
assert all(10 <= r <= 30 for r in rates), rates  # 20 Hz within 50 %
stats = re.findall(r"^\tmin: ([0-9.]+)s max: ([0-9.]+)s std dev: ([0-9.]+)s window: (\d+)", text, re.M)
assert len(stats) == 2, stats
for mn, mx, sd, win in stats:
    mn, mx, sd, win = float(mn), float(mx), float(sd), int(win)
    assert 0 < mn <= 0.05 <= mx, (mn, mx)  # 50 ms nominal interval
    assert sd < 0.05 and win >= 10, (sd, win)
PYEOF

log "hz --window 5 keeps at most 5 frames"
expect_rc 0 "$TIPC" hz "$POOL" --count 1 --window 5
grep -Eq 'window: [1-5] ' "$WORK/out" || fail "hz --window 5: $(cat "$WORK/out")"

log "a producer faster than the reader: frames still counted by index"
start_bg "$WORK/fast.log" "$TIPC" pub "$TAG/fast" --shape 1 --dtype uint8 --rate 1000 --history 16
wait_until 10 list_has "$TAG/fast" || fail "fast pool not listed"
expect_rc 0 "$TIPC" hz "$TAG/fast" --count 2
"$PY" - "$WORK/out" <<'PYEOF' || fail "fast hz: $(cat "$WORK/out")"
import re, sys
rates = [float(x) for x in re.findall(r"^average rate: ([0-9.]+)$", open(sys.argv[1]).read(), re.M)]
assert len(rates) == 2 and all(500 <= r <= 1500 for r in rates), rates  # 1 kHz within 50 %
PYEOF

log "producer gone: hz keeps reporting (\"no new frames\"), so --count still ends"
start_bg "$WORK/hz.log" "$TIPC" hz "$POOL" --count 3
HZ=$BG
wait_until 10 grep -q '^average rate' "$WORK/hz.log" || fail "no first report: $(cat "$WORK/hz.log")"
stop_bg "$PUB" TERM
[ "$BG_STATUS" -eq 0 ] || fail "pub exited $BG_STATUS"
wait_until 10 not_running "$HZ" || fail "hz --count 3 did not end after its producer left: $(cat "$WORK/hz.log")"
stop_bg "$HZ"
[ "$BG_STATUS" -eq 0 ] || fail "hz exited $BG_STATUS: $(cat "$WORK/hz.log")"
tail -1 "$WORK/hz.log" | grep -q '^no new frames$' || fail "hz after the producer left: $(cat "$WORK/hz.log")"
grep -q "the producer is gone" "$WORK/hz.log" || fail "hz did not say the producer left: $(cat "$WORK/hz.log")"
log "PASS"
