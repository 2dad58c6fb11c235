# cli_common.sh - sourced by the tests of the `tipc` command-line tool.
#
# Usage in a test:  source "$(dirname "$0")/cli_common.sh" "$@"
# $1 is the tipc executable. Each test gets pool names under a prefix of its
# own ($TAG) and $TIPC_DOMAIN_ID (or a DDS domain of its own), starts processes with start_bg, and
# polls for conditions with deadlines (wait_until). The EXIT trap stops every
# background process and removes this test's files from /dev/shm.
set -u

TIPC=${1:?usage: $0 path/to/tipc}
[ -x "$TIPC" ] || { echo "not executable: $TIPC" >&2; exit 1; }
: "${CYCLONEDDS_URI:?CYCLONEDDS_URI must be set (keep DDS on loopback)}"
PY=/usr/bin/python3
TAG="tipccli$$"
# The caller's domain when it chose one (TIPC_DOMAIN_ID), else a domain per
# test; pool names carry $TAG either way, so parallel tests do not mix.
export TIPC_DOMAIN_ID=${TIPC_DOMAIN_ID:-$((100 + $$ % 100))}
WORK=$(mktemp -d /tmp/tipc-cli.XXXXXX)
BG_PIDS=()

log() { echo "[$(date +%T.%N | cut -c1-12)] $*"; }
fail() {
    echo "FAIL: $*" >&2
    exit 1
}

now_ms() { echo $(($(date +%s%N) / 1000000)); }

# wait_until SECONDS COMMAND...: run COMMAND every 100 ms until it succeeds;
# returns 1 if it has not succeeded within SECONDS.
wait_until() {
    local end=$(($(now_ms) + $1 * 1000))
    shift
    while ! "$@"; do
        [ "$(now_ms)" -lt "$end" ] || return 1
        sleep 0.1
    done
}

# start_bg LOGFILE COMMAND...: start COMMAND in the background; its pid is in $BG.
start_bg() {
    local out=$1
    shift
    "$@" >"$out" 2>&1 &
    BG=$!
    BG_PIDS+=("$BG")
}

# stop_bg PID [SIGNAL]: signal PID (default TERM) and reap it; its exit status
# is in $BG_STATUS. Sends KILL if it has not exited within 10 s.
stop_bg() {
    local pid=$1 sig=${2:-TERM}
    kill -"$sig" "$pid" 2>/dev/null
    if ! wait_until 10 not_running "$pid"; then
        kill -KILL "$pid" 2>/dev/null
    fi
    wait "$pid"
    BG_STATUS=$?
}

# Exited (a zombie still counts as exited: the test reaps it with wait).
not_running() {
    [ ! -e "/proc/$1" ] || grep -q '^State:[[:space:]]*Z' "/proc/$1/status" 2>/dev/null
}

cleanup() {
    local pid
    for pid in "${BG_PIDS[@]}"; do
        kill -TERM "$pid" 2>/dev/null
    done
    for pid in "${BG_PIDS[@]}"; do
        wait_until 10 not_running "$pid" || kill -KILL "$pid" 2>/dev/null
        wait "$pid" 2>/dev/null
    done
    rm -f /dev/shm/tipc."$TAG".* 2>/dev/null
    rm -rf "$WORK"
}
trap cleanup EXIT
trap 'exit 1' INT TERM

# shm_file POOL: the /dev/shm path of pool POOL.
shm_file() { echo "/dev/shm/tipc.$(echo "$1" | tr / .)"; }

# list_has POOL: `tipc list --json` shows POOL (saved in $WORK/list.json).
list_has() {
    timeout 20 "$TIPC" list --json --wait 0.3 --rate-window 0 >"$WORK/list.json" 2>"$WORK/list.err" \
        || return 1
    "$PY" -c 'import json,sys; sys.exit(0 if any(p["name"] == sys.argv[2] for p in json.load(open(sys.argv[1]))) else 1)' \
        "$WORK/list.json" "$1"
}
list_lacks() { ! list_has "$1" && "$PY" -c 'import json,sys; json.load(open(sys.argv[1]))' "$WORK/list.json"; }

# expect_rc RC COMMAND...: run COMMAND (bounded by 30 s) and check its exit status.
expect_rc() {
    local want=$1 rc
    shift
    timeout 30 "$@" >"$WORK/out" 2>"$WORK/err"
    rc=$?
    [ "$rc" -eq "$want" ] || {
        cat "$WORK/out" "$WORK/err" >&2
        fail "'$*' exited $rc, expected $want"
    }
}
