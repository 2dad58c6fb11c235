#!/bin/bash
# Remote pools across a veth pair between two network namespaces (the same
# simulated hosts as tests/remote/remote_netns.sh, with the tuned Cyclone
# configuration of examples/remote/cyclonedds-remote.xml on both sides),
# beside a plain Cyclone writer/reader of the same bytes in the same run.
# Per frame size and delivery: a throughput run (N frames sent as fast as the
# sender can) and a latency run (frames paced well below the link's
# capacity); then the local-only put cost. Needs root. Prints a table and
# the ratio tensor-ipc / plain Cyclone for each figure.
# The put cost is measured in alternation with the library in
# $BASELINE_LIB_DIR (a build of the commit before remote pools), when set.
#   [BASELINE_LIB_DIR=dir] bench/run_remote_bench.sh <tipc_bench_remote> [--quick]
set -u
BENCH=$(realpath "$1")
QUICK=${2:-}
HERE=$(dirname "$(realpath "$0")")
die() { echo "FAIL: $*"; for f in "$WORK"/*.out; do echo "--- $f"; cat "$f"; done; exit 1; }
. "$HERE/../tests/remote/netns_hosts.sh"

tuned() { # <interface> <own address> <peer address>
    sed -e "s|<NetworkInterface name=\"eth0\"/>|<NetworkInterface name=\"$1\"/>|" \
        -e "s|<Peer address=\"robot.local\"/>|<Peer address=\"$2\"/>|" \
        -e "s|<Peer address=\"workstation.local\"/>|<Peer address=\"$3\"/>|" \
        "$HERE/../examples/remote/cyclonedds-remote.xml"
}
tuned "$VA" "$ADDR_A" "$ADDR_B" >"$WORK/cdds-a.xml"
tuned "$VB" "$ADDR_B" "$ADDR_A" >"$WORK/cdds-b.xml"

# size  throughput-frames  latency-frames  latency-Hz
ROWS="64 20000 400 200
921600 2000 200 50
6220800 300 100 20"
[ "$QUICK" = --quick ] && ROWS="64 2000 100 200
921600 200 50 50
6220800 40 20 20"

run() { # <kind> <bytes> <mode> <n> <hz>: one sender/receiver pair; prints RESULT
    rm -f "$WORK/ready" "$WORK/done"
    bg recv B "$BENCH" recv "$1" "$2" "$3" "$4" "$WORK"
    on A timeout 120 "$BENCH" send "$1" "$2" "$3" "$4" "$5" "$WORK" >"$WORK/send.out" 2>&1 ||
        die "sender $*"
    wait "$PID_recv" || die "receiver $*"
    grep '^RESULT' "$WORK/recv.out"
}
field() { sed -n "s/.* $1=\([^ ]*\).*/\1/p"; }

echo "remote pools across a veth pair: tensor-ipc vs plain Cyclone DDS ($(uname -r))"
printf '%-9s %-6s %-5s | %10s %10s %9s %9s | %10s %10s %9s %9s | %6s %6s %6s\n' \
    bytes mode kind "frames/s" "MB/s" "p50 us" "p99 us" "plain f/s" "plain MB/s" "plain p50" \
    "plain p99" "f/s x" "p50 x" "p99 x"
while read -r bytes n_thr n_lat hz; do
    for mode in latest every; do
        d_thr=$(run dds "$bytes" "$mode" "$n_thr" 0)
        t_thr=$(run tipc "$bytes" "$mode" "$n_thr" 0)
        d_lat=$(run dds "$bytes" "$mode" "$n_lat" "$hz")
        t_lat=$(run tipc "$bytes" "$mode" "$n_lat" "$hz")
        tf=$(field fps <<<"$t_thr") tm=$(field MBps <<<"$t_thr")
        df=$(field fps <<<"$d_thr") dm=$(field MBps <<<"$d_thr")
        t50=$(field p50_us <<<"$t_lat") t99=$(field p99_us <<<"$t_lat")
        d50=$(field p50_us <<<"$d_lat") d99=$(field p99_us <<<"$d_lat")
        printf '%-9s %-6s %-5s | %10s %10s %9s %9s | %10s %10s %9s %9s | %6s %6s %6s\n' \
            "$bytes" "$mode" tipc "$tf" "$tm" "$t50" "$t99" "$df" "$dm" "$d50" "$d99" \
            "$(awk -v a="$df" -v b="$tf" 'BEGIN{printf "%.2f", (b > 0 ? a / b : 0)}')" \
            "$(awk -v a="$t50" -v b="$d50" 'BEGIN{printf "%.2f", (b > 0 ? a / b : 0)}')" \
            "$(awk -v a="$t99" -v b="$d99" 'BEGIN{printf "%.2f", (b > 0 ? a / b : 0)}')"
        echo "  raw: $t_thr | $d_thr | $t_lat | $d_lat" >>"$WORK/raw.txt"
    done
done <<<"$ROWS"
echo "(f/s x: plain frames/s over tensor-ipc frames/s; p50/p99 x: tensor-ipc latency over plain;"
echo " 1.00 = equal, above 1 = tensor-ipc slower. Throughput: frames received per second while"
echo " the sender writes as fast as it can; latency: one-way, paced at the rates in the script)"
echo
# Local-only put cost (64 B, ns per put, median of 11 rounds of 100000 per
# run; 7 runs alternating with the baseline library when given).
median() { sort -n | awk '{v[NR]=$1} END {print v[int((NR+1)/2)]}'; }
for i in 1 2 3 4 5 6 7; do
    on A "$BENCH" putcost 100000 >>"$WORK/put_new.txt"
    [ -n "${BASELINE_LIB_DIR:-}" ] &&
        on A env LD_LIBRARY_PATH="$BASELINE_LIB_DIR" "$BENCH" putcost 100000 >>"$WORK/put_old.txt"
done
echo "local-only put, 64 B (ns, median of 7 runs): control plane on / off"
echo "  this build: $(awk '{print $2}' "$WORK/put_new.txt" | median) / $(awk '{print $3}' "$WORK/put_new.txt" | median)"
[ -n "${BASELINE_LIB_DIR:-}" ] &&
    echo "  baseline:   $(awk '{print $2}' "$WORK/put_old.txt" | median) / $(awk '{print $3}' "$WORK/put_old.txt" | median)  ($BASELINE_LIB_DIR)"
echo
echo "raw RESULT lines:"
cat "$WORK/raw.txt"
