"""rosbags from the shell, for the Lua spec (test_ros2_lua_spec.lua):

  cdr_tool.py show TYPE FILE          FILE from peer_cdds.py sub: prints one
                                      JSON object per message (its fields,
                                      arrays as lists)
  cdr_tool.py jointstate FILE STAMP_NS V1,V2,...  writes a peer_cdds.py pub
                                      input with one JointState
"""

import json
import sys

import numpy as np
from ros2_oracle import expected
from ros2_peer_types import TYPESTORE


def plain(v):
    if hasattr(v, "__dataclass_fields__"):
        return {f: plain(getattr(v, f)) for f in v.__dataclass_fields__ if f != "__msgtype__"}
    if isinstance(v, np.ndarray):
        return v.tolist()
    if isinstance(v, list):
        return [plain(x) for x in v]
    return v


if sys.argv[1] == "show":
    for h in json.load(open(sys.argv[3]))["cdr"]:
        print(json.dumps(plain(TYPESTORE.deserialize_cdr(bytes.fromhex(h), sys.argv[2]))))
elif sys.argv[1] == "jointstate":
    pos = np.array([float(v) for v in sys.argv[4].split(",")])
    msg = expected("sensor_msgs/msg/JointState", pos, int(sys.argv[3]))
    data = bytes(TYPESTORE.serialize_cdr(msg, "sensor_msgs/msg/JointState"))
    json.dump({"cdr": [data.hex()]}, open(sys.argv[2], "w"))
else:
    sys.exit(f"unknown command {sys.argv[1]!r}")
