#!/bin/bash
# tipc ros2: the type table, usage errors, and a pool exported to a ROS 2
# topic by one tipc process and imported into a second pool by another.
source "$(dirname "$0")/cli_common.sh" "$@"
# A ROS 2 domain of this test's own unless the caller chose one.
export ROS_DOMAIN_ID=${ROS_DOMAIN_ID:-$((100 + $$ % 100))}

log "types lists every type with its shapes"
expect_rc 0 "$TIPC" ros2 types
grep -Eq '^sensor_msgs/msg/Image +\(H,W\) or \(H,W,C\)' "$WORK/out" || fail "types: $(cat "$WORK/out")"
[ "$(grep -c '/msg/' "$WORK/out")" -ge 21 ] || fail "types lists too few: $(cat "$WORK/out")"

log "usage errors exit 2"
expect_rc 2 "$TIPC" ros2
expect_rc 2 "$TIPC" ros2 import some_topic "$TAG/x"
grep -q 'import needs --type' "$WORK/err" || fail "import without --type: $(cat "$WORK/err")"
expect_rc 2 "$TIPC" ros2 import some_topic "$TAG/x" --type sensor_msgs/msg/Nope
grep -q 'sensor_msgs/msg/PointCloud2' "$WORK/err" || fail "unknown type does not list the types: $(cat "$WORK/err")"
expect_rc 2 "$TIPC" ros2 export "$TAG/x" topic --shape 3
expect_rc 2 "$TIPC" ros2 import t "$TAG/x" --type geometry_msgs/Twist --dtype float64

log "a pool with no obvious type: the error lists the choices"
start_bg "$WORK/vec.log" "$TIPC" pub "$TAG/vec" --shape 3 --dtype float64 --rate 50
wait_until 10 list_has "$TAG/vec" || fail "pool not listed: $(cat "$WORK/vec.log")"
expect_rc 1 "$TIPC" ros2 export "$TAG/vec" "tipc_cli/$TAG/vec" --count 1
grep -q 'geometry_msgs/msg/Point' "$WORK/err" && grep -q 'geometry_msgs/msg/Vector3' "$WORK/err" \
    || fail "no choices listed: $(cat "$WORK/err")"

log "export an rgb8 image pool, import it into another pool"
SRC="$TAG/cam"
DST="$TAG/cam_copy"
TOPIC="tipc_cli/${TAG}_cam"
start_bg "$WORK/pub.log" "$TIPC" pub "$SRC" --shape 4,6,3 --dtype uint8 --rate 50
wait_until 10 list_has "$SRC" || fail "pool not listed: $(cat "$WORK/pub.log")"
start_bg "$WORK/export.log" "$TIPC" ros2 export "$SRC" "$TOPIC" --frame-id cam
EXPORT=$BG
# Before an importer exists the exporter sends nothing, and says so.
wait_until 10 grep -Eq '^0 frames/s .* skipped [1-9][0-9]* .* matched 0$' "$WORK/export.log" \
    || fail "export without a subscriber: $(cat "$WORK/export.log")"
start_bg "$WORK/import.log" "$TIPC" ros2 import "$TOPIC" "$DST" --type sensor_msgs/Image --history 3
IMPORT=$BG
wait_until 15 grep -Eq '^[1-9][0-9]* frames/s .* matched 1$' "$WORK/export.log" \
    || fail "export never sent: $(cat "$WORK/export.log")"
wait_until 15 grep -Eq '^[1-9][0-9]* frames/s .*malformed 0 matched 1$' "$WORK/import.log" \
    || fail "import never wrote: $(cat "$WORK/import.log")"
grep -q "as sensor_msgs/msg/Image" "$WORK/export.log" || fail "export title: $(cat "$WORK/export.log")"
wait_until 10 list_has "$DST" || fail "imported pool not listed"
"$PY" - "$WORK/list.json" "$DST" <<'PYEOF' || fail "imported pool: $(cat "$WORK/list.json")"
import json, sys
p = [p for p in json.load(open(sys.argv[1])) if p["name"] == sys.argv[2]][0]
assert p["dtype"] == "uint8" and p["shape"] == [4, 6, 3] and p["history"] == 3, p
PYEOF

log "SIGTERM ends both bridges cleanly; the imported pool is gone"
stop_bg "$IMPORT" TERM
[ "$BG_STATUS" -eq 0 ] || fail "import exited $BG_STATUS: $(cat "$WORK/import.log")"
stop_bg "$EXPORT" TERM
[ "$BG_STATUS" -eq 0 ] || fail "export exited $BG_STATUS: $(cat "$WORK/export.log")"
[ ! -e "$(shm_file "$DST")" ] || fail "imported pool left in /dev/shm"

log "import with --shape makes the pool at once"
start_bg "$WORK/import2.log" "$TIPC" ros2 import "${TOPIC}_2" "$TAG/twist" \
    --type geometry_msgs/msg/Twist --shape 2,3
wait_until 10 list_has "$TAG/twist" || fail "pool of --shape not listed: $(cat "$WORK/import2.log")"
"$PY" - "$WORK/list.json" "$TAG/twist" <<'PYEOF' || fail "twist pool: $(cat "$WORK/list.json")"
import json, sys
p = [p for p in json.load(open(sys.argv[1])) if p["name"] == sys.argv[2]][0]
assert p["dtype"] == "float64" and p["shape"] == [2, 3], p
PYEOF
log "PASS"
