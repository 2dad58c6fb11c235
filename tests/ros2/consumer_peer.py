"""A Python consumer in its own process, for test_ros2_dds.py.
    consumer_peer.py NAME SHAPE DTYPE HISTORY COUNT
Waits (deadline 20 s) until the pool has COUNT frames; prints them (oldest
first) and their stamps as JSON; exit 3 on deadline."""

import json
import sys
import time

import numpy as np
from tensor_ipc import PoolMetadata, TensorConsumer

name, shape, dtype, history, count = sys.argv[1:6]
shape = [int(d) for d in shape.split(",") if d]
count = int(count)
c = TensorConsumer(PoolMetadata(name, shape, dtype, "numpy", int(history)))
deadline = time.monotonic() + 20
while time.monotonic() < deadline:
    idx = c.latest_index()
    if idx is not None and idx >= count - 1:
        frames = c.get(history_len=count, latest_first=False, as_numpy=True)
        print(json.dumps({"frames": np.asarray(frames).tolist(), "stamp": c.last_timestamp_ns}))
        sys.exit(0)
    time.sleep(0.01)
sys.exit(3)
