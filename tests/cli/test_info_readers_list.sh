#!/bin/bash
# tipc info lists the attached readers (pids); tipc list returns once
# discovery has settled, and --names prints the names only.
source "$(dirname "$0")/cli_common.sh" "$@"

POOL="$TAG/cam"
start_bg "$WORK/pub.log" "$TIPC" pub "$POOL" --shape 4 --dtype uint8 --rate 20
PUB=$BG
start_bg "$WORK/pub2.log" "$TIPC" pub "$TAG/imu" --shape 6 --rate 20
wait_until 10 list_has "$POOL" || fail "pool not listed: $(cat "$WORK/pub.log")"
wait_until 10 list_has "$TAG/imu" || fail "imu not listed: $(cat "$WORK/pub2.log")"

log "no reader yet"
expect_rc 0 "$TIPC" info "$POOL"
grep -qx 'readers:        0' "$WORK/out" || fail "info without readers: $(cat "$WORK/out")"
expect_rc 0 "$TIPC" info "$POOL" --json
"$PY" -c 'import json,sys; o=json.load(open(sys.argv[1])); assert o["readers"] == [], o' "$WORK/out" \
    || fail "info --json: $(cat "$WORK/out")"

log "two readers (echo, hz) are listed by pid"
start_bg "$WORK/echo.log" "$TIPC" echo "$POOL" --wait 5
ECHO=$BG
start_bg "$WORK/hz.log" "$TIPC" hz "$POOL" --wait 5
HZ=$BG
readers_are() { # PIDS... (sorted): info --json lists exactly these
    "$TIPC" info "$POOL" --json >"$WORK/info.json" 2>"$WORK/info.err" || return 1
    "$PY" -c 'import json,sys; o=json.load(open(sys.argv[1])); sys.exit(0 if sorted(o["readers"]) == sorted(map(int, sys.argv[2:])) else 1)' \
        "$WORK/info.json" "$@"
}
wait_until 10 readers_are "$ECHO" "$HZ" || fail "readers: $(cat "$WORK/info.json" "$WORK/info.err")"
expect_rc 0 "$TIPC" info "$POOL"
grep -Eqx "readers:        2 \(pids ($ECHO $HZ|$HZ $ECHO)\)" "$WORK/out" || fail "info text: $(cat "$WORK/out")"
log "a reader that leaves is no longer listed"
stop_bg "$ECHO"
wait_until 10 readers_are "$HZ" || fail "after echo left: $(cat "$WORK/info.json")"
stop_bg "$HZ" KILL  # a killed reader's entry is reclaimed
wait_until 10 readers_are || fail "after hz was killed: $(cat "$WORK/info.json")"

log "list returns once discovery settled, long before --wait"
start=$(now_ms)
expect_rc 0 "$TIPC" list --wait 8 --rate-window 0 --json
took=$(($(now_ms) - start))
"$PY" - "$WORK/out" "$TAG" <<'PYEOF' || fail "list --json: $(cat "$WORK/out")"
import json, sys
names = [p["name"] for p in json.load(open(sys.argv[1]))]
assert f"{sys.argv[2]}/cam" in names and f"{sys.argv[2]}/imu" in names, names
PYEOF
log "list --wait 8 took $took ms"
[ "$took" -lt 6000 ] || fail "list --wait 8 did not return once discovery settled ($took ms)"
log "--settle 0 waits the whole --wait"
start=$(now_ms)
expect_rc 0 "$TIPC" list --wait 1.5 --settle 0 --rate-window 0 --names
took=$(($(now_ms) - start))
[ "$took" -ge 1500 ] || fail "list --settle 0 --wait 1.5 returned after $took ms"
log "--names prints one name per line"
expect_rc 0 "$TIPC" list --names
grep -qx "$POOL" "$WORK/out" && grep -qx "$TAG/imu" "$WORK/out" || fail "--names: $(cat "$WORK/out")"
! grep -q ' ' "$WORK/out" || fail "--names prints more than names: $(cat "$WORK/out")"
stop_bg "$PUB"
log "PASS"
