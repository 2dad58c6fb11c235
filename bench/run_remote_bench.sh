#!/bin/bash
# Remote pools across a veth pair between two network namespaces (the same
# simulated hosts as tests/remote/remote_netns.sh, with the tuned Cyclone
# configuration of examples/remote/cyclonedds-remote.xml on both sides),
# beside a plain Cyclone writer/reader of the same bytes in the same run.
# Per frame size and delivery: a throughput run (N frames sent as fast as the
# sender can) and a latency run (frames paced well below the link's
# capacity); then the local-only put cost. Needs root. Prints a table and
# the ratio tensor-ipc / plain Cyclone for each figure. Each run is repeated
# $ROUNDS times (default 3), tensor-ipc and plain Cyclone alternating with
# the order swapped every round; the table shows medians over the rounds.
# The put cost is measured in alternation with the library in
# $BASELINE_LIB_DIR (a build of the commit before remote pools), when set.
#   [ROUNDS=n] [BASELINE_LIB_DIR=dir] bench/run_remote_bench.sh <tipc_bench_remote> [--quick]
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
ROWS="64 20000 1000 200
921600 2000 250 50
6220800 300 150 20"
[ "$QUICK" = --quick ] && ROWS="64 2000 100 200
921600 200 50 50
6220800 40 20 20"
ROWS=${BENCH_ROWS:-$ROWS} # e.g. BENCH_ROWS="6220800 300 100 20" for one row

run() { # <kind> <bytes> <mode> <n> <hz>: one sender/receiver pair; prints RESULT
    rm -f "$WORK/ready" "$WORK/done"
    bg recv B "$BENCH" recv "$1" "$2" "$3" "$4" "$WORK"
    on A timeout 120 "$BENCH" send "$1" "$2" "$3" "$4" "$5" "$WORK" >"$WORK/send.out" 2>&1 ||
        die "sender $*"
    wait "$PID_recv" || die "receiver $*"
    grep '^RESULT' "$WORK/recv.out"
}
field() { sed -n "s/.* $1=\([^ ]*\).*/\1/p"; }
median() { sort -n | awk '{v[NR]=$1} END {print (NR % 2 ? v[(NR+1)/2] : (v[NR/2] + v[NR/2+1]) / 2)}'; }
ROUNDS=${ROUNDS:-3}
[ "$QUICK" = --quick ] && ROUNDS=1
KINDS=(dds loan put)
trio() { # <bytes> <mode> <n> <hz> <round>: the three kinds, order rotated each round
    for ((k = 0; k < 3; k++)); do run "${KINDS[$((($5 + k) % 3))]}" "$1" "$2" "$3" "$4"; done
}
med() { grep "kind=$1 " | field "$2" | median; } # <kind> <field> over RESULT lines
ratio() { awk -v a="$1" -v b="$2" 'BEGIN{printf "%.2f", (b > 0 ? a / b : 0)}'; }

echo "remote pools across a veth pair: tensor-ipc vs plain Cyclone DDS ($(uname -r))"
echo "loan: the producer writes each frame in a loaned slot; put: tipc_producer_put copies it in"
printf '%-9s %-6s | %9s %8s %9s %9s | %9s %9s %9s | %9s %8s %9s %9s | %5s %5s %5s | %5s %5s %5s\n' \
    bytes mode "loan f/s" "MB/s" "p50 us" "p99 us" "put f/s" "p50 us" "p99 us" "plain f/s" "MB/s" \
    "p50 us" "p99 us" "f/s x" "p50 x" "p99 x" "put:f" "p50" "p99"
while read -r bytes n_thr n_lat hz; do
    for mode in latest every; do
        thr="" lat=""
        for ((r = 0; r < ROUNDS; r++)); do
            thr+=$(trio "$bytes" "$mode" "$n_thr" 0 $r)$'\n'
            lat+=$(trio "$bytes" "$mode" "$n_lat" "$hz" $r)$'\n'
        done
        lf=$(med loan fps <<<"$thr") lm=$(med loan MBps <<<"$thr")
        pf=$(med put fps <<<"$thr")
        df=$(med dds fps <<<"$thr") dm=$(med dds MBps <<<"$thr")
        l50=$(med loan p50_us <<<"$lat") l99=$(med loan p99_us <<<"$lat")
        p50=$(med put p50_us <<<"$lat") p99=$(med put p99_us <<<"$lat")
        d50=$(med dds p50_us <<<"$lat") d99=$(med dds p99_us <<<"$lat")
        printf '%-9s %-6s | %9s %8s %9s %9s | %9s %9s %9s | %9s %8s %9s %9s | %5s %5s %5s | %5s %5s %5s\n' \
            "$bytes" "$mode" "$lf" "$lm" "$l50" "$l99" "$pf" "$p50" "$p99" "$df" "$dm" "$d50" "$d99" \
            "$(ratio "$df" "$lf")" "$(ratio "$l50" "$d50")" "$(ratio "$l99" "$d99")" \
            "$(ratio "$df" "$pf")" "$(ratio "$p50" "$d50")" "$(ratio "$p99" "$d99")"
        printf '%s\n' "$thr$lat" | sed '/^$/d' >>"$WORK/raw.txt"
    done
done <<<"$ROWS"
echo "(medians of $ROUNDS rounds; f/s x: plain frames/s over tensor-ipc frames/s; p50/p99 x: tensor-ipc"
echo " latency over plain; the last three: the same for put;"
echo " 1.00 = equal, above 1 = tensor-ipc slower. Throughput: frames received per second while"
echo " the sender writes as fast as it can; latency: one-way, paced at the rates in the script)"
echo
# Local-only put cost (64 B, ns per put, median of 11 rounds of 100000 per
# run; 7 runs alternating with the baseline library when given).
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
