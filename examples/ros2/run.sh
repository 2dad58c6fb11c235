#!/usr/bin/env bash
# The ROS 2 example end to end without a ROS install: ros_peer.py (Cyclone
# DDS's Python binding with the ROS 2 names) stands in for ROS 2 nodes;
# pool_to_ros.py and ros_to_policy.py use tensor_ipc's C bridges.
#
# Usage: run.sh [PEER_PYTHON]   (a python with the cyclonedds package; default python3)
# Env:   PYTHONPATH with tensor_ipc; ROS_DOMAIN_ID (default 0).
# Exit:  0 when the peer got the camera frames and the policy got the joint states.
set -uo pipefail
here=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
peer_py=${1:-python3}
py=${TIPC_EXAMPLE_PYTHON:-/usr/bin/python3}

# 40 states for a policy that needs 30: the first ones may go out before the
# policy's reader has matched the peer's writer (a volatile topic drops them)
"$peer_py" "$here/ros_peer.py" --images 20 --states 40 --timeout 60 & peer=$!
"$py" "$here/ros_to_policy.py" --states 30 --timeout 60 --no-rclpy & policy=$!
# 200 frames over 2 s: the first ones may come before the peer's reader is
# matched (those are not sent, by design); it needs 20
"$py" "$here/pool_to_ros.py" --frames 200 --rate 100 --height 120 --width 160 --no-rclpy & camera=$!
wait $peer; peer_rc=$?
wait $policy; policy_rc=$?
wait $camera; camera_rc=$?
echo "run.sh: peer exit $peer_rc, policy exit $policy_rc, camera exit $camera_rc"
[[ $peer_rc == 0 && $policy_rc == 0 && $camera_rc == 0 ]]
