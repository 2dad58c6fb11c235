#!/bin/bash
# tipc list / info show a running `tipc pub`; pub shuts down cleanly.
source "$(dirname "$0")/cli_common.sh" "$@"

POOL="$TAG/cam/rgb"
log "start: tipc pub $POOL (domain $TIPC_DOMAIN_ID)"
start_bg "$WORK/pub.log" "$TIPC" pub "$POOL" --shape 4,5,3 --dtype uint8 --rate 50 --history 6
PUB=$BG
wait_until 10 list_has "$POOL" || fail "tipc list --json did not show $POOL within 10 s: $(cat "$WORK/list.json" "$WORK/list.err" "$WORK/pub.log")"

log "list --json (with rates)"
expect_rc 0 "$TIPC" list --json
"$PY" - "$WORK/out" "$POOL" "$PUB" <<'PYEOF' || fail "list --json: $(cat "$WORK/out")"
import json, os, sys
pools = {p["name"]: p for p in json.load(open(sys.argv[1]))}
p = pools[sys.argv[2]]
assert p["shape"] == [4, 5, 3], p
assert p["dtype"] == "uint8", p
assert p["backend"] == "numpy", p
assert p["device"] == "cpu", p
assert p["history"] == 6, p
assert p["pid"] == int(sys.argv[3]), p
assert p["shm_name"] == "/tipc." + sys.argv[2].replace("/", "."), p
assert p["rate"] is not None and 25 <= p["rate"] <= 75, p  # 50 Hz within 50 %
# this host's pool: its host identity (that of /dev/shm) is stated and ours
assert p["local"] is True and len(p["host_id"]) == 32, p
# the documented derivation: boot id halves XOR /dev/shm's device and inode
boot = bytes.fromhex(open("/proc/sys/kernel/random/boot_id").read().strip().replace("-", ""))
st = os.stat("/dev/shm")
want = "%016x%016x" % (int.from_bytes(boot[:8], "big") ^ st.st_dev,
                       int.from_bytes(boot[8:], "big") ^ st.st_ino)
assert want == p["host_id"], (want, p)
PYEOF

log "list (table)"
expect_rc 0 "$TIPC" list
head -1 "$WORK/out" | grep -q '^NAME  *SHAPE  *DTYPE  *BACKEND  *HISTORY  *PID  *HOST  *RATE' || fail "table header: $(cat "$WORK/out")"
grep -E "^$POOL +\(4,5,3\) +uint8 +numpy +6 +$PUB +local +[0-9.]+\$" "$WORK/out" >/dev/null || fail "table row: $(cat "$WORK/out")"
# The columns are aligned: every line of the table starts its RATE column at the same offset.
"$PY" - "$WORK/out" <<'PYEOF' || fail "table not aligned: $(cat "$WORK/out")"
import sys
lines = open(sys.argv[1]).read().splitlines()
ends = {len(l) for l in lines}
assert len(ends) == 1, ends  # right-aligned last column: all lines equally long
PYEOF

log "another domain does not see it"
expect_rc 0 "$TIPC" --domain $(( (TIPC_DOMAIN_ID + 1) % 233 )) list --json --wait 0.5
"$PY" -c 'import json,sys; assert all(p["name"] != sys.argv[2] for p in json.load(open(sys.argv[1])))' "$WORK/out" "$POOL" \
    || fail "pool visible in another domain"
expect_rc 0 "$TIPC" list --domain "$TIPC_DOMAIN_ID" --json --rate-window 0
grep -q "\"$POOL\"" "$WORK/out" || fail "--domain after the command"

log "info --json"
expect_rc 0 "$TIPC" info "$POOL" --json
"$PY" - "$WORK/out" "$POOL" "$PUB" <<'PYEOF' || fail "info --json: $(cat "$WORK/out")"
import json, sys
i = json.load(open(sys.argv[1]))
assert i["name"] == sys.argv[2] and i["pid"] == int(sys.argv[3]), i
assert i["shape"] == [4, 5, 3] and i["ndim"] == 3 and i["dtype"] == "uint8", i
assert i["element_size"] == 1 and i["frame_bytes"] == 60, i
assert i["history"] == 6 and i["total_bytes"] == 360, i
assert i["backend"] == "numpy" and i["device"] == "cpu", i
assert i["shm_name"] == "/tipc." + sys.argv[2].replace("/", "."), i
assert i["reachable"] is True and i["error"] is None, i
assert i["local"] is True and len(i["host_id"]) == 32, i
assert isinstance(i["latest_index"], int) and i["latest_index"] >= 0, i
assert 0 <= i["latest_age_s"] < 5, i
PYEOF

log "info (text)"
expect_rc 0 "$TIPC" info "$POOL"
for field in 'pool: *'"$POOL" 'shape: *(4,5,3)' 'dtype: *uint8' 'element size: *1' 'frame bytes: *60' \
    'history: *6' 'total bytes: *360' 'backend: *numpy' 'shm name: */tipc\.' "producer pid: *$PUB" \
    'reachable: *yes' 'latest frame: *[0-9]' 'latest age: *[0-9.]* s'; do
    grep -q "^$field" "$WORK/out" || fail "info lacks '$field': $(cat "$WORK/out")"
done

log "SIGTERM: pub exits 0, removes its segment and its announcement"
[ -e "$(shm_file "$POOL")" ] || fail "segment $(shm_file "$POOL") missing while pub runs"
stop_bg "$PUB" TERM
[ "$BG_STATUS" -eq 0 ] || fail "pub exited $BG_STATUS on SIGTERM: $(cat "$WORK/pub.log")"
grep -q '^published [0-9]* frames' "$WORK/pub.log" || fail "pub log: $(cat "$WORK/pub.log")"
[ ! -e "$(shm_file "$POOL")" ] || fail "segment left after a clean stop"
wait_until 10 list_lacks "$POOL" || fail "pool still listed 10 s after its producer closed"
expect_rc 1 "$TIPC" info "$POOL" --wait 0.3

log "pub --count: stops by itself"
expect_rc 0 "$TIPC" pub "$TAG/counted" --shape 3 --dtype float64 --rate 100 --count 5
grep -q '^published 5 frames' "$WORK/out" || fail "pub --count 5: $(cat "$WORK/out")"
[ ! -e "$(shm_file "$TAG/counted")" ] || fail "segment left after pub --count"

log "a second producer of the same name is refused (exit 1)"
start_bg "$WORK/pub2.log" "$TIPC" pub "$TAG/dup" --shape 2 --rate 20
wait_until 10 test -e "$(shm_file "$TAG/dup")" || fail "pub did not create its segment"
expect_rc 1 "$TIPC" pub "$TAG/dup" --shape 2
grep -q 'TIPC_E_EXISTS' "$WORK/err" || fail "second pub: $(cat "$WORK/err")"
stop_bg "$BG" INT
[ "$BG_STATUS" -eq 0 ] || fail "pub exited $BG_STATUS on SIGINT"
[ ! -e "$(shm_file "$TAG/dup")" ] || fail "segment left after SIGINT"
log "PASS"
