#!/bin/bash
# tipc gc removes the segment of a SIGKILLed producer and temporaries of dead
# pids, and keeps live pools and files that are not tensor-ipc segments.
source "$(dirname "$0")/cli_common.sh" "$@"

STALE="$TAG/stale"
LIVE="$TAG/live"
start_bg "$WORK/stale.log" "$TIPC" pub "$STALE" --shape 8 --rate 50
VICTIM=$BG
start_bg "$WORK/live.log" "$TIPC" pub "$LIVE" --shape 8 --rate 50
LIVEPID=$BG
wait_until 10 test -e "$(shm_file "$STALE")" || fail "no segment for $STALE: $(cat "$WORK/stale.log")"
wait_until 10 test -e "$(shm_file "$LIVE")" || fail "no segment for $LIVE: $(cat "$WORK/live.log")"

log "SIGKILL the producer of $STALE and reap it"
stop_bg "$VICTIM" KILL
[ "$BG_STATUS" -eq 137 ] || fail "victim exited $BG_STATUS, not by SIGKILL"
not_running "$VICTIM" || fail "victim still running"
[ -e "$(shm_file "$STALE")" ] || fail "SIGKILL left no segment to collect"

# A temporary of a dead pid, and a file that is not a segment.
sh -c 'exit 0' &
DEAD=$!
wait "$DEAD"
TMP="/dev/shm/tipc.$TAG.half~$DEAD.0.tmp"
kill -0 "$DEAD" 2>/dev/null && fail "pid $DEAD reused already"
: >"$TMP"
JUNK="/dev/shm/tipc.$TAG.junk"
echo 'not a tensor-ipc pool, just text here' >"$JUNK"
POOLS=("$STALE" "$LIVE" "$TAG/half" "$TAG/junk")

log "gc --dry-run lists, removes nothing"
expect_rc 0 "$TIPC" gc --dry-run "${POOLS[@]}"
cat "$WORK/out"
grep -q "^would remove $(shm_file "$STALE") (producer pid $VICTIM is not running)" "$WORK/out" || fail "dry run: $(cat "$WORK/out")"
grep -q "^would remove $TMP " "$WORK/out" || fail "dry run tmp: $(cat "$WORK/out")"
! grep -q "$(shm_file "$LIVE")\|$JUNK" "$WORK/out" || fail "dry run would remove a live pool or junk"
[ -e "$(shm_file "$STALE")" ] && [ -e "$TMP" ] || fail "dry run removed files"
# Without pool names it looks at every tipc.* file (still a dry run: touches nothing).
expect_rc 0 "$TIPC" gc -n
grep -q "^would remove $(shm_file "$STALE") " "$WORK/out" || fail "global dry run: $(cat "$WORK/out")"

log "gc -v removes the stale segment and temporary"
expect_rc 0 "$TIPC" gc -v "${POOLS[@]}"
cat "$WORK/out"
grep -q "^removed $(shm_file "$STALE") (producer pid $VICTIM is not running)" "$WORK/out" || fail "gc: $(cat "$WORK/out")"
grep -q "^removed $TMP " "$WORK/out" || fail "gc tmp: $(cat "$WORK/out")"
grep -q "^kept $(shm_file "$LIVE"): producer pid $LIVEPID is running" "$WORK/out" || fail "gc verbose live: $(cat "$WORK/out")"
grep -q "^kept $JUNK: not a tensor-ipc segment" "$WORK/out" || fail "gc verbose junk: $(cat "$WORK/out")"
grep -q '^2 stale files removed' "$WORK/out" || fail "gc summary: $(cat "$WORK/out")"
[ ! -e "$(shm_file "$STALE")" ] || fail "stale segment still there"
[ ! -e "$TMP" ] || fail "stale temporary still there"
[ -e "$(shm_file "$LIVE")" ] || fail "gc removed a live pool"
[ -e "$JUNK" ] || fail "gc removed a file that is not a segment"
rm -f "$JUNK"

log "gc again: nothing to remove"
expect_rc 0 "$TIPC" gc "${POOLS[@]}"
grep -q '^nothing to remove' "$WORK/out" || fail "second gc: $(cat "$WORK/out")"

log "the live pool still works after gc"
expect_rc 0 "$TIPC" echo "$LIVE" --count 1
stop_bg "$LIVEPID" TERM
[ "$BG_STATUS" -eq 0 ] || fail "live pub exited $BG_STATUS"
[ ! -e "$(shm_file "$LIVE")" ] || fail "live pool's segment left after a clean stop"
log "PASS"
