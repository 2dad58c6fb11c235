"""tensor_ipc's ROS 2 bridges on the wire, against an independent peer
(Cyclone DDS's own Python binding with the ROS 2 type names, peer_cdds.py, in
its own process) and rosbags (decoding what the peer received, encoding what
it sends). Every supported type both ways; export sends only to a matched
reader; import feeds C, Python and Lua consumers in other processes; a
wrong-shape or malformed message is counted and never written.
Runs in the peer venv (run_ros2_tests.sh); domains: conftest.py."""

from __future__ import annotations

import itertools
import json
import os
import subprocess
import sys
import time

import numpy as np
import pytest
from ros2_oracle import assert_same, cases, expected
from ros2_peer_types import TYPESTORE

from tensor_ipc import PoolMetadata
from tensor_ipc.errors import MismatchError, UnsupportedError
from tensor_ipc.rosext import ROSTensorConsumer, ROSTensorProducer

HERE = os.path.dirname(os.path.abspath(__file__))
PEER = os.path.join(HERE, "peer_cdds.py")
_ids = itertools.count()
TIMEOUT = 20.0


def uniq(what: str) -> str:
    return f"ros2t_{what}_{os.getpid()}_{next(_ids)}"


def wait_until(cond, timeout=TIMEOUT, what="condition"):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        v = cond()
        if v:
            return v
        time.sleep(0.01)
    raise AssertionError(f"timed out after {timeout} s waiting for {what}")


def one_case_per_type():
    seen, out = set(), []
    for c in cases():
        if c[1] not in seen:
            seen.add(c[1])
            out.append(c)
    return out


TYPE_CASES = one_case_per_type()


class Sub:
    """peer_cdds.py sub: a ROS 2 subscriber in its own process."""

    def __init__(self, type_name, topic, count, tmp_path):
        self.out = tmp_path / f"sub_{next(_ids)}.json"
        self.p = subprocess.Popen(
            [sys.executable, PEER, "sub", type_name, topic, str(self.out), str(count)],
            stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
        line = self.p.stdout.readline()
        assert line.strip() == "ready", (line, self.p.stderr.read())

    def matched(self):
        """Wait until the peer's reader matched our writer (its side of the match)."""
        line = self.p.stdout.readline()
        assert line.strip() == "matched", (line, self.p.stderr.read())

    def result(self):
        rc = self.p.wait(timeout=TIMEOUT + 10)
        err = self.p.stderr.read()
        assert rc == 0, f"peer sub exit {rc}: {err}"
        return [bytes.fromhex(h) for h in json.loads(self.out.read_text())["cdr"]]

    def kill(self):
        if self.p.poll() is None:
            self.p.kill()
            self.p.wait()


def peer_pub(type_name, topic, payloads, tmp_path, bridge, raw=False):
    """peer_cdds.py pub: sends once both sides matched (the peer's writer
    saw our reader, and ``bridge`` (a ROSTensorConsumer) saw the writer),
    then waits for acknowledgements."""
    spec = tmp_path / f"pub_{next(_ids)}.json"
    go = tmp_path / f"go_{next(_ids)}"
    spec.write_text(json.dumps({"cdr": [bytes(p).hex() for p in payloads], "raw": raw}))
    p = subprocess.Popen([sys.executable, PEER, "pub", type_name, topic, str(spec), str(go)],
                         stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    try:
        line = p.stdout.readline()
        assert line.strip() == "matched", (line, p.stderr.read())
        wait_until(lambda: bridge.stats["matched"] >= 1, what="our reader to match the peer")
        go.touch()
        out, err = p.communicate(timeout=TIMEOUT + 10)
        assert p.returncode == 0 and out.strip() == "done", f"peer pub exit {p.returncode}: {err}"
    finally:
        if p.poll() is None:
            p.kill()
            p.wait()


def cdr(msg, type_name):
    return bytes(TYPESTORE.serialize_cdr(msg, type_name))


def _has_header(type_name):
    kind = type_name.split("/")[-1]
    return kind in ("Image", "JointState", "Imu", "PointCloud2", "OccupancyGrid")


# ------------------------------------------------------------------ export


def test_export_sends_nothing_without_a_reader_and_a_late_reader_gets_frames(tmp_path):
    md = PoolMetadata(uniq("cam"), (4, 5, 3), "uint8", "numpy", 4)
    topic = uniq("camera")
    prod = ROSTensorProducer(md, None, topic, "sensor_msgs/msg/Image", frame_id="cam")
    try:
        assert prod.ros_type == "sensor_msgs/msg/Image"
        for k in range(3):
            prod.put(np.full((4, 5, 3), k, np.uint8))
        s = prod.stats
        assert (s["frames"], s["bytes"], s["matched"], s["skipped"]) == (0, 0, 0, 3), s
        sub = Sub("sensor_msgs/msg/Image", topic, 3, tmp_path)
        try:
            wait_until(lambda: prod.stats["matched"] == 1, what="the peer's reader to match")
            sub.matched()
            frames, spans = [], []
            for k in range(3):
                f = (np.arange(60, dtype=np.uint8).reshape(4, 5, 3) * (k + 2)).astype(np.uint8)
                t0 = time.time_ns()
                prod.put(f)
                spans.append((t0, time.time_ns()))
                frames.append(f)
            got = sub.result()
        finally:
            sub.kill()
        assert len(got) == 3
        for data, f, (t0, t1) in zip(got, frames, spans):
            msg = TYPESTORE.deserialize_cdr(data, "sensor_msgs/msg/Image")
            ns = msg.header.stamp.sec * 10**9 + msg.header.stamp.nanosec
            assert t0 <= ns <= t1, (t0, ns, t1)
            assert_same(msg, expected("sensor_msgs/msg/Image", f, ns, "cam", "rgb8"))
        s = prod.stats
        assert s["frames"] == 3 and s["skipped"] == 3 and s["bytes"] >= sum(map(len, got)) - 12
    finally:
        prod.cleanup()


@pytest.mark.parametrize("cid,type_name,arr,opts", TYPE_CASES, ids=[c[0] for c in TYPE_CASES])
def test_export_every_type_to_the_cyclonedds_peer(cid, type_name, arr, opts, tmp_path):
    md = PoolMetadata(uniq("x"), arr.shape, arr.dtype.name, "numpy", 2)
    topic = uniq("t")
    prod = ROSTensorProducer(md, None, topic, type_name, frame_id="f1", **opts)
    try:
        sub = Sub(type_name, topic, 1, tmp_path)
        try:
            wait_until(lambda: prod.stats["matched"] == 1, what="the peer's reader to match")
            sub.matched()
            prod.put(arr)
            (data,) = sub.result()
        finally:
            sub.kill()
        msg = TYPESTORE.deserialize_cdr(data, type_name)
        ns = 0
        if _has_header(type_name):
            ns = msg.header.stamp.sec * 10**9 + msg.header.stamp.nanosec
            assert abs(ns - time.time_ns()) < 60 * 10**9
        assert_same(msg, expected(type_name, arr, ns, "f1" if ns else "",
                                  opts.get("encoding", ""), opts.get("joint_names")))
    finally:
        prod.cleanup()


def test_export_refuses_a_pool_the_type_cannot_carry_and_leaves_no_pool():
    md = PoolMetadata(uniq("bad"), (5,), "float32", "numpy", 1)
    with pytest.raises((MismatchError, UnsupportedError)) as e:
        ROSTensorProducer(md, None, uniq("t"), "sensor_msgs/msg/Imu")
    assert md.name in str(e.value) or "Imu" in str(e.value)
    assert not os.path.exists("/dev/shm/" + md.shm_name.lstrip("/"))


# ------------------------------------------------------------------ import


@pytest.mark.parametrize("cid,type_name,arr,opts", TYPE_CASES, ids=[c[0] for c in TYPE_CASES])
def test_import_every_type_from_the_cyclonedds_peer(cid, type_name, arr, opts, tmp_path):
    want = arr.reshape(6) if type_name.endswith("/Twist") else arr
    md = PoolMetadata(uniq("in"), want.shape, want.dtype.name, "numpy", 4)
    topic = uniq("t")
    stamp = 1_650_000_000_123_456_789 if _has_header(type_name) else 0
    msg = expected(type_name, arr, stamp, "peer", opts.get("encoding", ""),
                   opts.get("joint_names"))
    cons = ROSTensorConsumer(md, None, topic, type_name)
    try:
        peer_pub(type_name, topic, [cdr(msg, type_name)], tmp_path, cons)
        assert cons.wait(TIMEOUT), cons.stats
        got = cons.get(as_numpy=True)
        assert got.dtype == want.dtype and got.tobytes() == want.tobytes()
        # (the bridge counts a frame just after committing it)
        wait_until(lambda: cons.stats["frames"] == 1, what="the frame counted")
        if stamp:
            assert cons.tensor_consumer.last_timestamp_ns == stamp
        s = cons.stats
        assert (s["frames"], s["rejected"], s["malformed"]) == (1, 0, 0), s
    finally:
        cons.cleanup()


def test_import_pool_shaped_by_the_first_message(tmp_path):
    name, topic = uniq("auto"), uniq("t")
    arr = np.arange(24, dtype=np.uint16).reshape(3, 8) * 1000
    cons = ROSTensorConsumer(name, None, topic, "sensor_msgs/Image", history_len=3)
    try:
        assert cons.pool_metadata is None and cons.get() is None
        peer_pub("sensor_msgs/msg/Image", topic,
                 [cdr(expected("sensor_msgs/msg/Image", arr, 5, "", "mono16"),
                      "sensor_msgs/msg/Image")], tmp_path, cons)
        assert cons.wait(TIMEOUT)
        md = cons.pool_metadata
        assert (md.name, tuple(md.shape), md.dtype_str, md.history_len) == (
            name, (3, 8), "uint16", 3)
        assert cons.get(as_numpy=True).tobytes() == arr.tobytes()
    finally:
        cons.cleanup()


def _js(pos, ns, n=None):
    pos = np.asarray(pos, np.float64)
    return cdr(expected("sensor_msgs/msg/JointState", pos, ns), "sensor_msgs/msg/JointState")


def test_import_rejects_and_counts_a_wrong_shape_message(tmp_path):
    md = PoolMetadata(uniq("js"), (7,), "float64", "numpy", 4)
    topic = uniq("joints")
    cons = ROSTensorConsumer(md, None, topic, "sensor_msgs/msg/JointState")
    try:
        good = np.arange(7) * 0.25
        peer_pub("sensor_msgs/msg/JointState", topic,
                 [_js(np.arange(5.0), 10), _js(good, 20)], tmp_path, cons)
        assert cons.wait(TIMEOUT)
        wait_until(lambda: cons.stats["frames"] + cons.stats["rejected"] == 2, what="both counted")
        s = cons.stats
        assert (s["frames"], s["rejected"], s["malformed"]) == (1, 1, 0), s
        assert "5" in s["last_problem"] and "7" in s["last_problem"], s["last_problem"]
        # only the good one was written: it is frame 0
        assert cons.tensor_consumer.latest_index() == 0
        assert cons.get(as_numpy=True).tolist() == good.tolist()
    finally:
        cons.cleanup()


def _image_cdr(frame_id="cam", n=12):
    arr = np.arange(n, dtype=np.uint8).reshape(2, n // 6, 3)
    return cdr(expected("sensor_msgs/msg/Image", arr, 7, frame_id, "rgb8"),
               "sensor_msgs/msg/Image"), arr


def malformed_payloads():
    good, _ = _image_cdr()
    bad = {}
    bad["truncated"] = good[: len(good) - 7]
    seq = bytearray(good)
    at = len(good) - 12 - 4  # the data sequence's length, before its 12 bytes
    seq[at:at + 4] = (1 << 28).to_bytes(4, "little")
    bad["sequence_longer_than_sample"] = bytes(seq)
    s = bytearray(good)
    assert s[16:20] == b"cam\0"
    s[19] = ord("x")
    bad["unterminated_string"] = bytes(s)
    s = bytearray(good)
    s[12:16] = (10_000).to_bytes(4, "little")  # frame_id length past the end
    bad["string_longer_than_sample"] = bytes(s)
    bad["header_only"] = good[:4]
    return bad


def test_import_cdr_that_cyclone_cannot_read_is_dropped_and_the_bridge_goes_on(tmp_path):
    # Raw payloads under the right type: Cyclone DDS validates each against
    # the type (dds_stream_normalize) before any reader sees it, so none of
    # these reaches the bridge (Cyclone logs "deserialization ... failed"):
    # nothing counted, nothing written, the next good message arrives.
    md = PoolMetadata(uniq("img"), (2, 2, 3), "uint8", "numpy", 4)
    topic = uniq("camera")
    cons = ROSTensorConsumer(md, None, topic, "sensor_msgs/msg/Image")
    try:
        peer_pub("sensor_msgs/msg/Image", topic, list(malformed_payloads().values()), tmp_path,
                 cons, raw=True)
        good, arr = _image_cdr()
        peer_pub("sensor_msgs/msg/Image", topic, [good], tmp_path, cons, raw=True)
        assert cons.wait(TIMEOUT), cons.stats
        wait_until(lambda: cons.stats["frames"] == 1, what="the frame counted")
        s = cons.stats
        assert (s["frames"], s["rejected"], s["malformed"]) == (1, 0, 0), s
        assert cons.tensor_consumer.latest_index() == 0
        assert cons.get(as_numpy=True).tobytes() == arr.tobytes()
    finally:
        cons.cleanup()


def test_import_counts_messages_that_do_not_decode_and_writes_none(tmp_path):
    # Well-formed CDR whose fields disagree: these reach the bridge, which
    # counts them as malformed (with the reason) and writes nothing.
    from ros2_oracle import image

    arr = np.arange(12, dtype=np.uint8).reshape(2, 2, 3)
    bad = []
    m = image(arr, 7, "cam", "rgb8")
    m.height = 3  # rows past the data
    bad.append(m)
    m = image(arr, 7, "cam", "rgb8")
    m.step = 5  # shorter than a row
    bad.append(m)
    m = image(arr, 7, "cam", "rgb8")
    m.width, m.step = 3, 9  # a row past the data
    bad.append(m)
    bad.append(image(arr, 7, "cam", "yuv422"))  # no array form
    md = PoolMetadata(uniq("img"), (2, 2, 3), "uint8", "numpy", 4)
    topic = uniq("camera")
    cons = ROSTensorConsumer(md, None, topic, "sensor_msgs/msg/Image")
    try:
        peer_pub("sensor_msgs/msg/Image", topic,
                 [cdr(b, "sensor_msgs/msg/Image") for b in bad], tmp_path, cons)
        wait_until(lambda: cons.stats["malformed"] == 4, what="4 malformed counted")
        s = cons.stats
        assert (s["frames"], s["rejected"]) == (0, 0), s
        assert "yuv422" in s["last_problem"] and topic in s["last_problem"], s
        assert cons.get() is None and cons.tensor_consumer.latest_index() is None
        good, arr = _image_cdr()
        peer_pub("sensor_msgs/msg/Image", topic, [good], tmp_path, cons)
        assert cons.wait(TIMEOUT), cons.stats
        wait_until(lambda: cons.stats["frames"] == 1, what="the frame counted")
        assert cons.tensor_consumer.latest_index() == 0
        assert cons.get(as_numpy=True).tobytes() == arr.tobytes()
    finally:
        cons.cleanup()


def test_import_feeds_c_python_and_lua_consumers_in_other_processes(tmp_path):
    name, topic = uniq("shared"), uniq("joints")
    md = PoolMetadata(name, (7,), "float64", "numpy", 8)
    frames = [np.arange(7) * 0.5 + k for k in range(3)]
    cons = ROSTensorConsumer(md, None, topic, "sensor_msgs/msg/JointState")
    try:
        peer_pub("sensor_msgs/msg/JointState", topic,
                 [_js(f, 1_000_000_000 * (k + 1)) for k, f in enumerate(frames)], tmp_path, cons)
        wait_until(lambda: cons.stats["frames"] == 3, what="3 frames imported")
        want = [f.tolist() for f in frames]

        py = subprocess.run([sys.executable, os.path.join(HERE, "consumer_peer.py"), name, "7",
                             "float64", "8", "3"], capture_output=True, text=True, timeout=60)
        assert py.returncode == 0, py.stderr
        out = json.loads(py.stdout)
        assert out["frames"] == want and out["stamp"] == 3_000_000_000

        lua, lua_dir = os.environ.get("TIPC_LUA54"), os.environ.get("TIPC_LUA_DIR")
        if lua and lua_dir:
            env = dict(os.environ, LUA_CPATH=f"{lua_dir}/?.so;;", LUA_PATH=f"{lua_dir}/?.lua;;")
            r = subprocess.run([lua, os.path.join(HERE, "consumer_peer.lua"), name, "7",
                                "float64", "8", "3"], capture_output=True, text=True,
                               timeout=60, env=env)
            assert r.returncode == 0, r.stderr
            lines = r.stdout.split("\n")
            assert lines[3] == "done"
            assert [[float(v) for v in ln.split()] for ln in lines[:3]] == want
        else:
            pytest.fail("TIPC_LUA54/TIPC_LUA_DIR not set: the Lua consumer cannot run")

        cli = os.environ.get("TIPC_CLI")
        if not cli:
            pytest.fail("TIPC_CLI not set: the C consumer cannot run")
        r = subprocess.run([cli, "echo", name, "--count", "1", "--wait", "10"],
                           capture_output=True, text=True, timeout=60)
        assert r.returncode == 0, r.stderr
        assert "frame: 2 " in r.stdout and "shape: (7)" in r.stdout.replace("(7,)", "(7)")
        assert "values: [2, 2.5, 3, 3.5, 4, 4.5, 5]" in r.stdout, r.stdout
    finally:
        cons.cleanup()
