"""An independent ROS 2 peer: Cyclone DDS's own Python binding with the ROS 2
type names (ros2_peer_types), publishing or subscribing on "rt/<topic>" with
ROS 2's default QoS (reliable, keep-last 10, volatile). Run as a process:

  peer_cdds.py pub TYPE TOPIC IN.json [GO]   IN: {"cdr": [hex, ...], "raw": bool}
      Waits for a matched reader (then prints "matched" and, given GO, waits
      for that file: the reader's side of the match may come later, and a
      volatile reader misses what was written before it), writes each
      payload (a CDR message from rosbags, deserialised into the Cyclone
      class; raw: the bytes as they are, for malformed input), waits for
      acknowledgements.
  peer_cdds.py sub TYPE TOPIC OUT.json COUNT
      Prints "ready" once its reader exists and "matched" once it matched a
      writer, takes COUNT samples (the serialised bytes as received) and
      writes {"cdr": [hex, ...]}.

The domain is ROS_DOMAIN_ID. Exit 0 done, 3 deadline (TIPC_PEER_TIMEOUT s, default 30).
"""

from __future__ import annotations

import json
import os
import sys
import threading
import time

from cyclonedds._clayer import ddspy_take, ddspy_write
from cyclonedds.core import Listener, Policy, Qos
from cyclonedds.domain import DomainParticipant
from cyclonedds.pub import DataWriter
from cyclonedds.sub import DataReader
from cyclonedds.topic import Topic
from cyclonedds.util import duration

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from ros2_peer_types import ros2_class  # noqa: E402

TIMEOUT = float(os.environ.get("TIPC_PEER_TIMEOUT", "30"))
ROS_QOS = Qos(
    Policy.Reliability.Reliable(duration(seconds=1)),
    Policy.History.KeepLast(10),
    Policy.Durability.Volatile,
)


def ros_topic(name: str) -> str:
    return "rt/" + name.lstrip("/")


def pub(type_name: str, topic_name: str, path: str, go: str = "") -> int:
    with open(path) as f:
        spec = json.load(f)
    cls = ros2_class(type_name)
    matched = threading.Event()

    def on_match(_writer, status):
        if status.current_count > 0:
            matched.set()

    dp = DomainParticipant(int(os.environ.get("ROS_DOMAIN_ID", "0")))
    topic = Topic(dp, ros_topic(topic_name), cls)
    writer = DataWriter(dp, topic, ROS_QOS, listener=Listener(on_publication_matched=on_match))
    if not matched.wait(TIMEOUT):
        print("peer pub: no reader matched", file=sys.stderr)
        return 3
    print("matched", flush=True)
    deadline = time.monotonic() + TIMEOUT
    while go and not os.path.exists(go):
        if time.monotonic() > deadline:
            print(f"peer pub: {go} never appeared", file=sys.stderr)
            return 3
        time.sleep(0.005)
    for h in spec["cdr"]:
        data = bytes.fromhex(h)
        if spec.get("raw"):
            data = data.ljust((len(data) + 3) & ~3, b"\0")
            rc = ddspy_write(writer._ref, data)
            if rc < 0:
                print(f"peer pub: raw write failed ({rc})", file=sys.stderr)
                return 4
        else:
            writer.write(cls.deserialize(data))
    writer.wait_for_acks(duration(seconds=TIMEOUT))
    print("done", flush=True)
    return 0


def sub(type_name: str, topic_name: str, path: str, count: int) -> int:
    cls = ros2_class(type_name)
    dp = DomainParticipant(int(os.environ.get("ROS_DOMAIN_ID", "0")))
    topic = Topic(dp, ros_topic(topic_name), cls)
    matched = threading.Event()

    def on_match(_reader, status):
        if status.current_count > 0:
            matched.set()

    reader = DataReader(dp, topic, ROS_QOS, listener=Listener(on_subscription_matched=on_match))
    print("ready", flush=True)
    if not matched.wait(TIMEOUT):
        print("peer sub: no writer matched", file=sys.stderr)
        return 3
    print("matched", flush=True)
    got = []
    deadline = time.monotonic() + TIMEOUT
    while len(got) < count and time.monotonic() < deadline:
        ret = ddspy_take(reader._ref, count - len(got))
        if isinstance(ret, int):
            print(f"peer sub: take failed ({ret})", file=sys.stderr)
            return 4
        got += [data.hex() for data, info in ret if info.valid_data]
        if len(got) < count:
            time.sleep(0.005)
    with open(path, "w") as f:
        json.dump({"cdr": got}, f)
    return 0 if len(got) >= count else 3


if __name__ == "__main__":
    mode = sys.argv[1]
    if mode == "pub":
        sys.exit(pub(sys.argv[2], sys.argv[3], sys.argv[4], *sys.argv[5:6]))
    if mode == "sub":
        sys.exit(sub(sys.argv[2], sys.argv[3], sys.argv[4], int(sys.argv[5])))
    sys.exit(f"unknown mode {mode!r}")
