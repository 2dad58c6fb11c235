#!/bin/bash
# tipc info on a pool whose only announcement is malformed says so and why
# (the validation sentence), in text and --json, and exits 1; a pool that is
# not announced at all is still "not found". The announcements come from the
# control tests' raw DDS writer (tipc_ctl_helper announce), which writes
# hand-made PoolMeta samples against the IDL only.
source "$(dirname "$0")/cli_common.sh" "$@"
HELPER=${2:?usage: $0 path/to/tipc path/to/tipc_ctl_helper}
[ -x "$HELPER" ] || fail "not executable: $HELPER"

coproc LIAR { exec "$HELPER" announce; }
BG_PIDS+=("$LIAR_PID")
# liar REQUEST: one request, one answer line (in $REPLY), bounded by 30 s.
liar() {
    echo "$*" >&"${LIAR[1]}" || fail "liar is gone (request: $*)"
    read -r -t 30 REPLY <&"${LIAR[0]}" || fail "liar did not answer '$*'"
    [[ $REPLY == ok* ]] || fail "liar: '$*' answered '$REPLY'"
}
read -r -t 30 REPLY <&"${LIAR[0]}" || fail "liar did not start"
[[ $REPLY == "ok ready"* ]] || fail "liar: $REPLY"

BAD="$TAG/bad-sizes"
OLD="$TAG/next-version"
GOOD="$TAG/well-formed"
log "announce $BAD (inconsistent frame_bytes), $OLD (message version 2), $GOOD (valid)"
liar lie "$BAD" frame_bytes=1
liar lie "$OLD" version=2
liar lie "$GOOD"

log "the well-formed one is found (control), though nothing backs it"
expect_rc 0 "$TIPC" info "$GOOD" --wait 10
grep -q "^pool: *$GOOD" "$WORK/out" || fail "info $GOOD: $(cat "$WORK/out")"

log "info (text) on a malformed announcement"
expect_rc 1 "$TIPC" info "$BAD" --wait 2
grep -q "pool '$BAD' is announced, but its announcement is malformed: .*inconsistent sizes" "$WORK/err" \
    || fail "info $BAD: $(cat "$WORK/out" "$WORK/err")"
grep -q "not found" "$WORK/err" && fail "info $BAD says not found: $(cat "$WORK/err")"
expect_rc 1 "$TIPC" info "$OLD" --wait 2
grep -q "malformed: .*message version 2" "$WORK/err" || fail "info $OLD: $(cat "$WORK/out" "$WORK/err")"

log "info --json on a malformed announcement"
expect_rc 1 "$TIPC" info "$BAD" --wait 2 --json
"$PY" - "$WORK/out" "$BAD" <<'PYEOF' || fail "info --json $BAD: $(cat "$WORK/out" "$WORK/err")"
import json, sys
i = json.load(open(sys.argv[1]))
assert i["name"] == sys.argv[2], i
assert i["announced"] is True and i["malformed"] is True, i
assert "inconsistent sizes" in i["error"], i
PYEOF

log "a pool that is not announced is still not found"
expect_rc 1 "$TIPC" info "$TAG/absent" --wait 0.5
grep -q "pool '$TAG/absent' not found in DDS domain" "$WORK/err" || fail "absent: $(cat "$WORK/err")"

echo quit >&"${LIAR[1]}"
log "PASS"
