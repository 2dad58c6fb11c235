#!/usr/bin/env bash
# Runs a command with the ROS 2 tests' domains (as conftest.py sets them):
# TIPC_DOMAIN_ID as given (default 0); ROS_DOMAIN_ID as given, else
# TIPC_DOMAIN_ID + 117 (mod 233), apart from every other test's traffic.
tipc=${TIPC_DOMAIN_ID:-0}
export TIPC_DOMAIN_ID=$tipc
export ROS_DOMAIN_ID=${ROS_DOMAIN_ID:-$(( (tipc + 117) % 233 ))}
exec "$@"
