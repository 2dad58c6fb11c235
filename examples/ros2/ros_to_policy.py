#!/usr/bin/env python3
"""A ROS 2 topic reaching a Python policy (the original tensor-ipc's
ROSTensorConsumer example, ported).

sensor_msgs/msg/JointState messages of /joint_states go into the pool
"robot/joint_states" (7 joint positions, float64), which this policy (and
any other process) reads. Without rclpy (or with --no-rclpy) the C bridge
receives them; with rclpy, an rclpy subscription does.

    python3 ros_to_policy.py [--states N] [--timeout S] [--no-rclpy]
"""

import argparse
import sys
import time

import numpy as np

from tensor_ipc import PoolMetadata
from tensor_ipc.rosext import ROS_AVAILABLE, ROSTensorConsumer

ap = argparse.ArgumentParser()
ap.add_argument("--states", type=int, default=50)
ap.add_argument("--timeout", type=float, default=30.0)
ap.add_argument("--no-rclpy", action="store_true")
args = ap.parse_args()

md = PoolMetadata("robot/joint_states", (7,), "float64", "numpy", history_len=8)

node = None
if ROS_AVAILABLE and not args.no_rclpy:
    import rclpy
    from rclpy.node import Node

    rclpy.init()
    node = Node("tensor_ipc_policy")

consumer = ROSTensorConsumer(md, node, "/joint_states", "sensor_msgs/msg/JointState")
gain = np.linspace(0.5, 1.0, 7)
steps = received = 0
deadline = time.monotonic() + args.timeout
try:
    while received < args.states and time.monotonic() < deadline:
        if node is not None:
            rclpy.spin_once(node, timeout_sec=0.01)
        elif not consumer.wait(timeout=0.1):
            continue
        q = consumer.get(as_numpy=True)
        if q is None:
            continue
        action = -gain * q  # the policy: a P controller towards zero, on the latest state
        steps += 1
        # states that arrive while the policy computes are overwritten by newer
        # ones (it acts on the latest); the bridge counts every one received
        received = consumer.stats["frames"] if consumer.stats is not None else steps
    print(f"ros_to_policy: {received} joint states received, {steps} policy steps; last "
          f"action {np.round(action, 3).tolist()}" if steps else "ros_to_policy: no joint state")
finally:
    consumer.cleanup()
    if node is not None:
        node.destroy_node()
        rclpy.shutdown()
sys.exit(0 if received >= args.states else 1)
