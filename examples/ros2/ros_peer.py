#!/usr/bin/env python3
"""Stands in for ROS 2 nodes when there is no ROS install: Cyclone DDS's own
Python binding (pip install cyclonedds) with the ROS 2 names, so it is
exactly what a ROS 2 node on rmw_cyclonedds_cpp puts on the wire. It
subscribes to /camera/image_raw and publishes /joint_states.

    python3 ros_peer.py [--images N] [--states N] [--rate HZ] [--timeout S]

Exit 0 when N images arrived (each a uniform rgb8 frame) and N states were sent.
"""

import argparse
import math
import os
import sys
import time
from dataclasses import dataclass

import cyclonedds.idl.types as t
import threading

from cyclonedds.core import Listener, Policy, Qos
from cyclonedds.domain import DomainParticipant
from cyclonedds.idl import IdlStruct
from cyclonedds.pub import DataWriter
from cyclonedds.sub import DataReader
from cyclonedds.topic import Topic
from cyclonedds.util import duration


# The ROS 2 messages as DDS types ("<pkg>::msg::dds_::<Msg>_"), from their .msg files.
@dataclass
class Time(IdlStruct, typename="builtin_interfaces::msg::dds_::Time_"):
    sec: t.int32
    nanosec: t.uint32


@dataclass
class Header(IdlStruct, typename="std_msgs::msg::dds_::Header_"):
    stamp: Time
    frame_id: str


@dataclass
class Image(IdlStruct, typename="sensor_msgs::msg::dds_::Image_"):
    header: Header
    height: t.uint32
    width: t.uint32
    encoding: str
    is_bigendian: t.uint8
    step: t.uint32
    data: t.sequence[t.uint8]


@dataclass
class JointState(IdlStruct, typename="sensor_msgs::msg::dds_::JointState_"):
    header: Header
    name: t.sequence[str]
    position: t.sequence[t.float64]
    velocity: t.sequence[t.float64]
    effort: t.sequence[t.float64]


ap = argparse.ArgumentParser()
ap.add_argument("--images", type=int, default=20)
ap.add_argument("--states", type=int, default=50)
ap.add_argument("--rate", type=float, default=100.0)
ap.add_argument("--timeout", type=float, default=30.0)
args = ap.parse_args()

ros_qos = Qos(Policy.Reliability.Reliable(duration(seconds=1)), Policy.History.KeepLast(10))
dp = DomainParticipant(int(os.environ.get("ROS_DOMAIN_ID", "0")))
images = DataReader(dp, Topic(dp, "rt/camera/image_raw", Image), ros_qos)
matched = threading.Event()  # volatile topic: write once the policy's reader is there
states = DataWriter(dp, Topic(dp, "rt/joint_states", JointState), ros_qos,
                    listener=Listener(on_publication_matched=lambda _w, s: s.current_count
                                      and matched.set()))

got, bad, sent = 0, 0, 0
deadline = time.monotonic() + args.timeout
while (got < args.images or sent < args.states) and time.monotonic() < deadline:
    for img in images.take(10):
        uniform = img.encoding == "rgb8" and len(set(img.data[:: max(1, len(img.data) // 64)])) == 1
        got, bad = got + 1, bad + (not uniform)
    if sent < args.states and matched.is_set():
        now = time.time_ns()
        q = [math.sin(sent * 0.1 + j) for j in range(7)]
        states.write(JointState(Header(Time(now // 10**9, now % 10**9), "base"),
                                [f"joint_{j}" for j in range(7)], q, [], []))
        sent += 1
    time.sleep(1.0 / args.rate)
print(f"ros_peer: {got} images received ({bad} not uniform rgb8), {sent} joint states sent")
sys.exit(0 if got >= args.images and bad == 0 and sent >= args.states else 1)
