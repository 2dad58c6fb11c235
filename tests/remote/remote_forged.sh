#!/bin/bash
# A DDS peer that claims to be a producer on another host feeds a consumer
# frame samples; the malformed ones (wrong size, pool, incarnation or index)
# are rejected and counted, never written into the mirror, and the good ones
# arrive intact. On the loopback configuration: the forger's host identity is
# forged too, so no second namespace is needed.
#   remote_forged.sh <tipc_remote_helper> <tipc_remote_forge>
set -u
HELPER=$1 FORGE=$2
POOL="rforged_$$"
WORK=$(mktemp -d)
FPID=""
cleanup() {
    [ -n "$FPID" ] && kill "$FPID" 2>/dev/null && wait "$FPID" 2>/dev/null
    rm -f "/dev/shm/tipc.$POOL"
    rm -rf "$WORK"
}
trap cleanup EXIT
"$FORGE" forge "$POOL" 10 >"$WORK/forge.out" 2>&1 &
FPID=$!
timeout 60 "$HELPER" forged "$POOL" 10 10 >"$WORK/consumer.out" 2>&1
rc=$?
cat "$WORK/consumer.out"
# The forger has written everything once the consumer saw it all.
for _ in $(seq 100); do grep -q '^FORGED' "$WORK/forge.out" && break; sleep 0.05; done
grep -q '^FORGED 10$' "$WORK/forge.out" || { echo "forger: $(cat "$WORK/forge.out")"; rc=1; }
[ $rc -eq 0 ] && grep -q '^OK mirrored=10 rejected=10$' "$WORK/consumer.out" || rc=1
# The consumer's mirror went with it.
[ $rc -eq 0 ] && [ -e "/dev/shm/tipc.$POOL" ] && { echo "mirror segment left behind"; rc=1; }
exit $rc
