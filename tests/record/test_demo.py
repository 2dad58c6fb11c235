"""The robot demo (examples/robot), recorded and replayed: a live run of the
camera driver (C), the simulator (Lua) and the policy (Python) is recorded
with `tipc record`; rosbags opens the file; then, with every live process
gone, `tipc play` replays the sensor pools into an unchanged policy.py, which
runs on the replayed frames (its actions follow the recorded joint states).

Demo files used as they are: examples/robot/policy.py, examples/robot/sim.lua
and the robot_camera_driver program built from examples/robot/camera_driver.c.
"""

from __future__ import annotations

import os
import pathlib
import re
import sys
import threading

import numpy as np
from conftest import REPO, read_line, shm_files, tipc_cli, wait_until
from rosbags.highlevel import AnyReader

import tensor_ipc as tipc
from tensor_ipc import record

ROBOT = REPO / "examples" / "robot"
POOLS = ("camera", "imu", "joints", "sim_stats", "action")


def build_paths():
    pkg = pathlib.Path(tipc.__file__).resolve().parent  # <build>/bindings/python/pkg/tensor_ipc
    build = pkg.parents[3]
    driver = os.environ.get("TIPC_DEMO_CAMERA_DRIVER") or str(build / "examples" /
                                                              "robot_camera_driver")
    lua_pkg = build / "bindings" / "lua" / "pkg"
    assert os.access(driver, os.X_OK), f"the demo's camera driver is not built: {driver}"
    assert (lua_pkg / "tensor_ipc.lua").is_file(), f"the Lua binding is not built: {lua_pkg}"
    return driver, {"LUA_CPATH": f"{lua_pkg}/?.so;;", "LUA_PATH": f"{lua_pkg}/?.lua;;"}


def test_a_recorded_demo_run_opens_in_rosbags_and_replays_into_the_policy(tmp_path, prefix, spawn):
    driver, lua_env = build_paths()
    P = prefix
    path = tmp_path / "demo.mcap"
    env = {"TIPC_PYTHON": sys.executable}

    # --- the live run, recorded (pools named only: found as they appear)
    rec = spawn(tipc_cli(), "record", *[f"{P}/{p}" for p in POOLS], "-o", path,
                "--ros2-type", f"{P}/joints=sensor_msgs/msg/JointState", "--quiet", env=env)
    wait_until(lambda: path.exists(), 30, "the recorder to start")
    policy = spawn.python(ROBOT / "policy.py", "--prefix", P, "--duration", "5", "--quiet")
    read_line(policy, "policy: reading", 60)  # imports done: it acts on the first joint state
    sim = spawn("lua5.4", ROBOT / "sim.lua", "--prefix", P, "--duration", "5", env=lua_env)
    cam = spawn(driver, "--prefix", P, "--duration", "5")
    for name, p in (("policy", policy), ("sim", sim), ("camera driver", cam)):
        out, err = p.communicate(timeout=60)
        assert p.returncode == 0, f"live {name} failed: {out}{err}"
    rec.send_signal(2)  # SIGINT, as Ctrl-C
    out, err = rec.communicate(timeout=60)
    assert rec.returncode == 0, err
    assert not shm_files(P), "a live pool is left: the replay must be alone"

    # --- not our code: rosbags opens the recording with the ROS 2 types
    with AnyReader([path]) as r:
        types = {c.topic: c.msgtype for c in r.connections}
        assert types[f"/{P}/camera"] == "sensor_msgs/msg/Image"
        assert types[f"/{P}/joints"] == "sensor_msgs/msg/JointState"
        counts = {t: 0 for t in types}
        first_image = None
        for conn, stamp, raw in r.messages():
            counts[conn.topic] += 1
            if first_image is None and conn.topic == f"/{P}/camera":
                first_image = r.deserialize(raw, conn.msgtype)
    assert (first_image.height, first_image.width, first_image.encoding) == (480, 640, "rgb8")
    assert all(counts[f"/{P}/{p}"] > 0 for p in POOLS), counts
    assert counts[f"/{P}/imu"] > 5 * counts[f"/{P}/camera"]  # 500 Hz vs 60 Hz
    _, joints = record.read(path, f"{P}/joints")
    _, imu = record.read(path, f"{P}/imu")

    # --- the replay: the sensor pools (not the policy's own action pool)
    actions = []
    watch = tipc.TensorConsumer(tipc.PoolMetadata(f"{P}/action", (7,), "float32", "numpy", 4))
    lock = threading.Lock()

    def on_action(a):
        with lock:
            actions.append(np.array(a))

    watch.set_callback(on_action)
    try:
        # No --require-all: on a loaded machine a late policy step can let more
        # than its history of replayed joint states pass (as it could live);
        # the rates and the actions below show it ran on the replay.
        policy = spawn.python(ROBOT / "policy.py", "--prefix", P, "--duration", "4", "--quiet")
        read_line(policy, "policy: reading", 60)
        player = spawn.python("-m", "tensor_ipc.play", path, "--quiet", "--start-delay", "0.3",
                              "--pools", *[f"{P}/{p}" for p in POOLS if p != "action"])
        out, err = policy.communicate(timeout=60)
        assert policy.returncode == 0, f"policy on the replay failed: {out}{err}"
        m = re.search(r"policy: (\d+) actions", out)
        assert m and int(m.group(1)) > 50, out
        # the policy's table: each pool moved (the rate column, found by its
        # heading: the rows lack the heading's first word)
        head = next(line for line in out.splitlines() if "rate Hz" in line)
        rate_col = head.split().index("rate") - 1
        for pool in ("camera", "imu", "joints"):
            row = next(line for line in out.splitlines() if f"{P}/{pool} " in line)
            assert float(row.split()[rate_col]) > 0, row
        pout, perr = player.communicate(timeout=60)
        assert player.returncode == 0, perr
    finally:
        watch.cleanup()
    with lock:
        got = np.stack(actions)
    # Each action is gain * (target - q) + 0.01 * (brightness + accel) for a
    # joint state q the policy read: here, one of the recorded ones.
    target = np.linspace(-0.5, 0.5, 7)
    bound = 0.01 * (1.0 + float(np.abs(imu[:, 0]).max())) + 1e-3
    ideal = 2.0 * (target[None, :] - joints)  # (recorded frames, 7)
    for a in got[:: max(1, len(got) // 200)]:
        assert np.abs(ideal - a[None, :]).max(axis=1).min() <= bound
