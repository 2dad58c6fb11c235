# Two simulated hosts for the remote-pool tests and benchmark (sourced by
# tests/remote/remote_netns.sh and bench/run_remote_bench.sh). Creates two
# network namespaces joined by a veth pair with a 10.213.x.y/30 address per
# side (only inside them), one host process per side holding its own mount
# and UTS namespace (hostname "robot" on both) with a fresh tmpfs on
# /dev/shm, and a Cyclone configuration per side naming its veth. Defines
# on <A|B> cmd..., bg <name> <A|B> cmd... (output in $WORK/<name>.out, pid in
# PID_<name>) and cleanup, which removes everything on exit. The sourcing
# script defines die and may set WORK; exits 77 without root, ip, unshare
# and nsenter.
if [ "$(id -u)" != 0 ] || ! command -v ip >/dev/null || ! command -v unshare >/dev/null ||
   ! command -v nsenter >/dev/null; then
    echo "SKIP: needs root, ip, unshare and nsenter"
    exit 77
fi

TAG=$(( $$ % 100000 ))
NS_A="tipc_a_$TAG" NS_B="tipc_b_$TAG"
VA="tva$TAG" VB="tvb$TAG"
NET="10.213.$(( TAG % 250 )).$(( (TAG / 250) % 63 * 4 ))"
ADDR_A="${NET%.*}.$(( ${NET##*.} + 1 ))" ADDR_B="${NET%.*}.$(( ${NET##*.} + 2 ))"
WORK=${WORK:-$(mktemp -d)}
HOST_A="" HOST_B=""
PIDS=()

cleanup() {
    for p in "${PIDS[@]}"; do kill -9 "$p" 2>/dev/null; done
    for p in "${PIDS[@]}"; do wait "$p" 2>/dev/null; done
    # Anything else still in the namespaces (a foreground command cut short).
    for ns in "$NS_A" "$NS_B"; do
        for p in $(ip netns pids "$ns" 2>/dev/null); do kill -9 "$p" 2>/dev/null; done
    done
    [ -n "$HOST_A" ] && kill -9 "$HOST_A" 2>/dev/null
    [ -n "$HOST_B" ] && kill -9 "$HOST_B" 2>/dev/null
    wait 2>/dev/null
    ip netns del "$NS_A" 2>/dev/null
    ip netns del "$NS_B" 2>/dev/null
    ip link del "$VA" 2>/dev/null
    rm -rf "$WORK"
}
trap cleanup EXIT
trap 'exit 1' TERM INT HUP


ip netns add "$NS_A" && ip netns add "$NS_B" || die "cannot create network namespaces"
ip link add "$VA" type veth peer name "$VB" || die "cannot create a veth pair"
ip link set "$VA" netns "$NS_A" && ip link set "$VB" netns "$NS_B" || die "cannot move the veth"
ip -n "$NS_A" addr add "$ADDR_A/30" dev "$VA" && ip -n "$NS_B" addr add "$ADDR_B/30" dev "$VB" ||
    die "cannot address the veth"
for ns in "$NS_A" "$NS_B"; do ip -n "$ns" link set lo up; done
ip -n "$NS_A" link set "$VA" up && ip -n "$NS_B" link set "$VB" up || die "cannot raise the veth"

cdds_config() { # <interface> <own address> <peer address>
    cat <<EOF
<?xml version="1.0" encoding="UTF-8"?>
<CycloneDDS xmlns="https://cdds.io/config">
  <Domain Id="any">
    <General>
      <Interfaces><NetworkInterface name="$1"/></Interfaces>
      <AllowMulticast>false</AllowMulticast>
      <MaxMessageSize>65500B</MaxMessageSize>
    </General>
    <Internal>
      <SocketReceiveBufferSize min="default"/>
      <!-- room for history_len unacknowledged frames (docs/remote.md) -->
      <Watermarks><WhcHigh>16MB</WhcHigh></Watermarks>
    </Internal>
    <Discovery>
      <ParticipantIndex>auto</ParticipantIndex>
      <MaxAutoParticipantIndex>60</MaxAutoParticipantIndex>
      <Peers><Peer address="$2"/><Peer address="$3"/></Peers>
    </Discovery>
  </Domain>
</CycloneDDS>
EOF
}
cdds_config "$VA" "$ADDR_A" "$ADDR_B" >"$WORK/cdds-a.xml"
cdds_config "$VB" "$ADDR_B" "$ADDR_A" >"$WORK/cdds-b.xml"

# A host: a process holding the mount and UTS namespaces, with a fresh tmpfs
# on /dev/shm; every process of that host joins them (and the network).
start_host() { # <netns> <readyfile>
    ip netns exec "$1" unshare -m -u --propagation private \
        bash -c "mount -t tmpfs -o size=512m,mode=1777 tmpfs /dev/shm && hostname robot &&
                 touch $2 && exec sleep 100000" &
}
start_host "$NS_A" "$WORK/a.ready"; HOST_A=$!
start_host "$NS_B" "$WORK/b.ready"; HOST_B=$!
for _ in $(seq 100); do [ -e "$WORK/a.ready" ] && [ -e "$WORK/b.ready" ] && break; sleep 0.05; done
[ -e "$WORK/a.ready" ] && [ -e "$WORK/b.ready" ] || die "hosts did not start"

host_pid() { [ "$1" = B ] && echo "$HOST_B" || echo "$HOST_A"; }
host_cfg() { [ "$1" = B ] && echo "$WORK/cdds-b.xml" || echo "$WORK/cdds-a.xml"; }
on() { # <A|B> <command...>: run on a host, with that host's Cyclone configuration
    local h=$1; shift
    nsenter -t "$(host_pid "$h")" -n -m -u -- env CYCLONEDDS_URI="file://$(host_cfg "$h")" "$@"
}
bg() { # <name> <A|B> <command...>: in the background, output in $WORK/<name>.out;
       # PID_<name> is the command's own pid (nsenter and env exec it)
    local name=$1 h=$2; shift 2
    nsenter -t "$(host_pid "$h")" -n -m -u -- env CYCLONEDDS_URI="file://$(host_cfg "$h")" "$@" \
        >"$WORK/$name.out" 2>&1 &
    PIDS+=($!)
    eval "PID_$name=$!"
}
