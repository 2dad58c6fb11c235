"""Shared set-up of the ROS 2 tests (run in the peer venv by run_ros2_tests.sh).

Domains: TIPC_DOMAIN_ID as given (default 0). ROS_DOMAIN_ID as given, else
derived from TIPC_DOMAIN_ID (+117, mod 233) so the bridges' ROS traffic
never meets the tests that use the default domain; set here so every child
process (peers, consumers) inherits it."""

import os
import sys

_tipc = int(os.environ.get("TIPC_DOMAIN_ID") or 0)
os.environ.setdefault("TIPC_DOMAIN_ID", str(_tipc))
if not os.environ.get("ROS_DOMAIN_ID"):
    os.environ["ROS_DOMAIN_ID"] = str((_tipc + 117) % 233)
sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
