#!/usr/bin/env python3
"""A camera pool reaching ROS 2 subscribers (the original tensor-ipc's
ROSTensorProducer example, ported).

Each frame is put into the pool "camera/rgb" (other processes read it as
usual) and published as sensor_msgs/msg/Image (rgb8) on the ROS 2 topic
/camera/image_raw. Without rclpy (or with --no-rclpy) the C bridge speaks
ROS 2's DDS wire format itself; with rclpy, an rclpy node publishes.

    python3 pool_to_ros.py [--frames N] [--rate HZ] [--no-rclpy]
"""

import argparse
import time

import numpy as np

from tensor_ipc import MetadataCreator
from tensor_ipc.rosext import ROS_AVAILABLE, ROSTensorProducer

ap = argparse.ArgumentParser()
ap.add_argument("--frames", type=int, default=100)
ap.add_argument("--rate", type=float, default=30.0)
ap.add_argument("--height", type=int, default=480)
ap.add_argument("--width", type=int, default=640)
ap.add_argument("--no-rclpy", action="store_true")
args = ap.parse_args()

sample = np.zeros((args.height, args.width, 3), np.uint8)
md = MetadataCreator.from_sample("camera/rgb", sample, history_len=4)

node = None
if ROS_AVAILABLE and not args.no_rclpy:
    import rclpy
    from rclpy.node import Node

    rclpy.init()
    node = Node("tensor_ipc_camera")

producer = ROSTensorProducer(md, node, "/camera/image_raw", "sensor_msgs/msg/Image",
                             frame_id="camera")
try:
    for k in range(args.frames):
        frame = np.full_like(sample, k % 256)  # a real driver fills this from the sensor
        producer.put(frame, encoding="rgb8")
        time.sleep(1.0 / args.rate)
    if producer.stats is not None:
        print(f"pool_to_ros: {producer.stats['frames']} of {args.frames} frames published "
              f"({producer.stats['skipped']} while no subscriber was there)")
finally:
    producer.cleanup()
    if node is not None:
        node.destroy_node()
        rclpy.shutdown()
