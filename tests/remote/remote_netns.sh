#!/bin/bash
# Two hosts simulated on one machine: each side has its own network, mount
# and UTS namespace (the same hostname on both: it must not matter), its own
# tmpfs on /dev/shm, and one end of a veth pair with a 10.213.x.y/30 address
# that exists only inside these namespaces. Cyclone is told to use the veth
# (a configuration per side, unicast discovery to the other side).
#
# Host A runs the producers; host B the remote consumers. Checked:
#   1. latest-only and every-frame delivery: every consumer feature, every
#      frame's content (tipc_remote_helper consume);
#   2. remote reading is off by default and on with TIPC_REMOTE=1;
#      (1b. a local reader holding a mirror frame: written around, not over;)
#   3. three consumers on B share one stream: one frame reader in the domain;
#   4. a local-only pool publishes no frame data (its producer sent 0 samples,
#      no frame reader exists), while the remote one did;
#   6. a producer of the same name on each host: the later one is told
#      (tipc_producer_check) and stops announcing, one announcer remains;
#   5. producer SIGKILLed and link cut: B's consumers disconnect within
#      DISCONNECT_BOUND s and reconnect within RECONNECT_BOUND s when the
#      producer (or link) is back; the mirror's owner SIGKILLed: another
#      consumer of B takes the mirror over.
# Everything it creates (namespaces, veth, tmpfs, processes) goes on exit.
#   7. tipc list/info on B show the pool on host A; tipc echo/hz read it
#      with TIPC_REMOTE=1 and say why not without.
#   remote_netns.sh <tipc_remote_helper> <tipc_remote_forge> <tipc>
set -u
HELPER=$(realpath "$1") FORGE=$(realpath "$2") TIPC=$(realpath "$3")
DISCONNECT_BOUND=5
RECONNECT_BOUND=15

die() { echo "FAIL: $*"; for f in "$WORK"/*.out; do echo "--- $f"; cat "$f"; done; exit 1; }
. "$(dirname "$(realpath "$0")")/netns_hosts.sh"

# wait_line <name> <regex> <seconds>: the line appears in time (returns the seconds taken)
wait_line() {
    local start end
    start=$(date +%s%N)
    end=$(( start + $3 * 1000000000 ))
    while [ "$(date +%s%N)" -lt "$end" ]; do
        if grep -Eq "$2" "$WORK/$1.out" 2>/dev/null; then
            WAITED=$(( ($(date +%s%N) - start) / 1000000 ))
            return 0
        fi
        sleep 0.02
    done
    return 1
}
count_lines() { grep -Ec "$2" "$WORK/$1.out" 2>/dev/null; }

[ "$(on A hostname)" = "$(on B hostname)" ] || die "hostnames differ"

SHAPE=480x640x3 HIST=16
bg prod A "$HELPER" produce rcam $SHAPE $HIST 60 11
wait_line prod '^PRODUCING' 10 || die "producer did not start"

# 2. off by default, on with TIPC_REMOTE=1
on B "$HELPER" probe rcam $SHAPE $HIST >"$WORK/probe_off.out" 2>&1
grep -q "^OFF .*announced by host [0-9a-f]\{32\}.*reading pools of other hosts is off" \
    "$WORK/probe_off.out" || die "remote reading is not off by default"
on B env TIPC_REMOTE=1 "$HELPER" probe rcam $SHAPE $HIST >"$WORK/probe_on.out" 2>&1
grep -q '^ON$' "$WORK/probe_on.out" || die "TIPC_REMOTE=1 does not turn remote reading on"
echo "ok: remote reading off by default, on with TIPC_REMOTE=1"

# 7. the command-line tool on host B
# host A's id, derived as the library documents it (boot id XOR A's /dev/shm)
ID_A=$(on A /usr/bin/python3 -c 'import os
b = bytes.fromhex(open("/proc/sys/kernel/random/boot_id").read().strip().replace("-", ""))
s = os.stat("/dev/shm")
print("%016x%016x" % (int.from_bytes(b[:8], "big") ^ s.st_dev, int.from_bytes(b[8:], "big") ^ s.st_ino))')
on B timeout 60 "$TIPC" list --json --wait 5 --rate-window 0 >"$WORK/list.out" 2>&1 || die "tipc list failed"
grep '"name": "rcam"' "$WORK/list.out" | grep '"local": false' | grep '"hostname": "robot"' |
    grep -q "\"host_id\": \"$ID_A\"" || die "tipc list on B does not show rcam on host A"
on B timeout 60 "$TIPC" info rcam --wait 10 >"$WORK/info.out" 2>&1 || die "tipc info failed"
grep -q "^host: *robot/${ID_A:0:8} $ID_A\$" "$WORK/info.out" || die "tipc info does not name host A"
on B timeout 60 "$TIPC" echo rcam --count 2 --wait 10 >"$WORK/echo_off.out" 2>&1 &&
    die "tipc echo read a pool of another host without TIPC_REMOTE=1"
grep -q "is on host robot/${ID_A:0:8}.*set TIPC_REMOTE=1" "$WORK/echo_off.out" ||
    die "tipc echo does not say the pool is on another host: $(cat "$WORK/echo_off.out")"
on B env TIPC_REMOTE=1 timeout 60 "$TIPC" echo rcam --count 3 --wait 10 >"$WORK/echo_on.out" 2>&1 ||
    die "tipc echo with TIPC_REMOTE=1 failed"
on B env TIPC_REMOTE=1 timeout 60 "$TIPC" hz rcam --count 2 --wait 10 >"$WORK/hz.out" 2>&1 ||
    die "tipc hz with TIPC_REMOTE=1 failed"
echo "ok: tipc list/info on B name host A; echo/hz read it with TIPC_REMOTE=1"

# 1. both delivery modes, every feature, every frame checked. Every-frame
# delivery is promised within history_len frames of lag; its pool runs at
# 15 Hz with history 32 (2 s of slack), so a loaded machine (sanitizers,
# parallel builds) does not outrun it, and a lost frame fails the test.
on B timeout 90 "$HELPER" consume rcam $SHAPE $HIST latest 120 >"$WORK/consume_latest.out" 2>&1 ||
    die "consumer (latest) failed"
grep -q '^OK ' "$WORK/consume_latest.out" || die "consumer (latest) did not finish"
echo "ok: latest delivery: $(cat "$WORK/consume_latest.out")"
bg eprod A "$HELPER" produce revery $SHAPE 32 15 14
wait_line eprod '^PRODUCING' 10 || die "every-frame producer did not start"
on B timeout 90 "$HELPER" consume revery $SHAPE 32 every 60 >"$WORK/consume_every.out" 2>&1 ||
    die "consumer (every) failed"
grep -q '^OK ' "$WORK/consume_every.out" || die "consumer (every) did not finish"
echo "ok: every delivery: $(cat "$WORK/consume_every.out")"
kill "$PID_eprod"; wait "$PID_eprod" || die "every-frame producer exited with $? after SIGTERM"
# A local reader on B holds a frame of the mirror: the mirror writes around
# it (frames come in through Cyclone's delivery thread, the wait for the held
# slot is the mirror thread's), never over it, and goes on after the release.
bg hprod A "$HELPER" produce rhold 4096 4 50 15
wait_line hprod '^PRODUCING' 10 || die "held-frame producer did not start"
on B timeout 60 "$HELPER" hold rhold 4096 4 latest >"$WORK/hold.out" 2>&1 ||
    die "held frame: $(cat "$WORK/hold.out")"
echo "ok: a held mirror frame: $(cat "$WORK/hold.out")"
kill "$PID_hprod"; wait "$PID_hprod" || die "held-frame producer exited with $? after SIGTERM"

# 3. one stream for the host: three consumers, one frame reader
for i in 1 2 3; do bg "share$i" B "$HELPER" consume rcam $SHAPE $HIST latest -30; done
for i in 1 2 3; do wait_line "share$i" '^OK ' 60 || die "sharing consumer $i failed"; done
on A "$FORGE" count-readers rcam 1 20 >"$WORK/readers.out" 2>&1 ||
    die "three consumers on B are not one frame reader: $(cat "$WORK/readers.out")"
echo "ok: three consumers on host B share one stream ($(cat "$WORK/readers.out"))"
for i in 1 2 3; do eval "kill \$PID_share$i"; done
for i in 1 2 3; do eval "wait \$PID_share$i" || die "sharing consumer $i exited with $? after SIGTERM"; done

# 4. a local-only pool sends nothing; the remote one did
bg lprod A "$HELPER" produce rlocal 64 8 200 12
wait_line lprod '^PRODUCING' 10 || die "local producer did not start"
on A timeout 60 "$HELPER" consume rlocal 64 8 every 100 >"$WORK/lcons.out" 2>&1 ||
    die "local consumer failed"
on A "$FORGE" count-readers rlocal 0 3 >"$WORK/lreaders.out" 2>&1 ||
    die "a local-only pool has frame readers: $(cat "$WORK/lreaders.out")"
kill "$PID_lprod"; wait "$PID_lprod" || die "local producer exited with $? after SIGTERM"
grep -q '^SENT 0$' "$WORK/lprod.out" || die "a local-only pool sent frame data: $(cat "$WORK/lprod.out")"
echo "ok: local-only pool sent no frame data ($(cat "$WORK/lreaders.out"))"

# 5. producer killed and back; link cut and back; mirror owner killed
# wait_count <name> <regex> <n> <seconds>: at least n such lines in time
wait_count() {
    local end=$(( $(date +%s%N) + $4 * 1000000000 )) start
    start=$(date +%s%N)
    while [ "$(date +%s%N)" -lt "$end" ]; do
        if [ "$(count_lines "$1" "$2")" -ge "$3" ]; then
            WAITED=$(( ($(date +%s%N) - start) / 1000000 ))
            return 0
        fi
        sleep 0.02
    done
    return 1
}
bg follow1 B "$HELPER" follow rcam $SHAPE $HIST latest
wait_count follow1 '^CONNECTED' 1 30 || die "follower 1 did not connect"
bg follow2 B "$HELPER" follow rcam $SHAPE $HIST latest
wait_count follow2 '^CONNECTED' 1 30 || die "follower 2 did not connect"

kill -9 "$PID_prod"; wait "$PID_prod" 2>/dev/null
for f in follow1 follow2; do
    wait_count $f '^DISCONNECTED' 1 $DISCONNECT_BOUND ||
        die "$f: no disconnect within ${DISCONNECT_BOUND}s of the producer's SIGKILL"
    echo "ok: producer SIGKILLed: $f disconnected after ${WAITED} ms"
done
bg prod A "$HELPER" produce rcam $SHAPE $HIST 60 13
for f in follow1 follow2; do
    wait_count $f '^CONNECTED' 2 $RECONNECT_BOUND ||
        die "$f: no reconnect within ${RECONNECT_BOUND}s of the producer's return"
    echo "ok: producer back: $f reconnected after ${WAITED} ms"
done

ip -n "$NS_A" link set "$VA" down
for f in follow1 follow2; do
    wait_count $f '^DISCONNECTED' 2 $DISCONNECT_BOUND ||
        die "$f: no disconnect within ${DISCONNECT_BOUND}s of the link cut"
    echo "ok: link cut: $f disconnected after ${WAITED} ms"
done
ip -n "$NS_A" link set "$VA" up
for f in follow1 follow2; do
    wait_count $f '^CONNECTED' 3 $RECONNECT_BOUND ||
        die "$f: no reconnect within ${RECONNECT_BOUND}s of the link's return"
    echo "ok: link back: $f reconnected after ${WAITED} ms"
done

# One of the two owns the mirror; SIGKILL both in turn (a third joins in
# between): the survivors take the mirror over, and B stays one frame reader.
kill -9 "$PID_follow1"; wait "$PID_follow1" 2>/dev/null
bg follow3 B "$HELPER" follow rcam $SHAPE $HIST latest
wait_count follow3 '^CONNECTED' 1 $RECONNECT_BOUND || die "follower 3 cannot join after a SIGKILL"
kill -9 "$PID_follow2"; wait "$PID_follow2" 2>/dev/null
n3=$(count_lines follow3 '^CONNECTED')
# follow3 either owned the mirror already or takes it over now; either way
# it reads new frames: its frame counter moves on.
on A "$FORGE" count-readers rcam 1 20 >"$WORK/readers2.out" 2>&1 ||
    die "after the SIGKILLs, B is not one frame reader: $(cat "$WORK/readers2.out")"
wait_count follow3 '^CONNECTED' "$n3" 1 || die "follower 3 lost its connection"
grep -q '^DISCONNECTED' "$WORK/follow3.out" && { wait_count follow3 '^CONNECTED' 2 $RECONNECT_BOUND ||
    die "follower 3 did not take the mirror over"; }
echo "ok: mirror owners SIGKILLed: follower 3 reads on ($(cat "$WORK/readers2.out"))"

# 6. the same pool name produced on both hosts: the later producer (B) is
# told and stops announcing; one announcer is left in the domain.
bg dupa A "$HELPER" produce rdup 64 8 50 21
wait_line dupa '^PRODUCING' 10 || die "producer rdup on A did not start"
bg dupb B "$HELPER" produce rdup 64 8 50 22
wait_count dupb '^RIVAL.*stopped announcing' 1 10 ||
    die "the later producer on B was not told, or did not stop announcing"
grep -q 'stopped announcing' "$WORK/dupa.out" && die "the first producer stopped announcing"
on A "$FORGE" count-writers rdup 1 10 >"$WORK/dupwriters.out" 2>&1 ||
    die "two hosts still announce the same pool: $(cat "$WORK/dupwriters.out")"
echo "ok: one name on two hosts: the later one told and withdrawn ($(cat "$WORK/dupwriters.out"))"
grep -h '^RIVAL' "$WORK/dupa.out" "$WORK/dupb.out"

kill "$PID_prod"; wait "$PID_prod" || die "producer exited with $? after SIGTERM"
grep -Eq '^SENT [1-9]' "$WORK/prod.out" || die "the remote pool's producer sent nothing: $(cat "$WORK/prod.out")"
echo "ok: remote pool producer $(cat "$WORK/prod.out")"
echo "PASS"
