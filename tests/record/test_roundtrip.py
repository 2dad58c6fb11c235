"""Round trips: pools of every dtype and several shapes are recorded, read back
by our reader and by code that is not ours (the mcap package's reader with
rosbags' CDR deserializer), and played back into pools that a consumer made
from the recorded metadata reads, with exact values and stamps."""

from __future__ import annotations


import numpy as np
import pytest
from mcap.reader import make_reader
from mcap.stream_reader import StreamReader
from rosbags.highlevel import AnyReader
from rosbags.typesys import Stores, get_types_from_msg, get_typestore

import tensor_ipc as tipc
from tensor_ipc import play, record
from tensor_ipc.record import _layout
from conftest import wait_until

DTYPES = ["bool", "int8", "int16", "int32", "int64", "uint8", "uint16", "uint32", "uint64",
          "float16", "bfloat16", "float32", "float64", "complex64", "complex128"]
SHAPES = [(), (7,), (3, 4), (2, 3, 5)]
FRAMES = 4


def sample(dtype: str, shape: tuple, k: int, rng) -> np.ndarray:
    nd = tipc._backends.numpy_dtype(dtype)
    if dtype == "bfloat16":  # its bits (uint16), finite values only
        return (rng.standard_normal(shape).astype(np.float32).view(np.uint32) >> 16).astype(np.uint16)
    if dtype == "bool":
        return rng.integers(0, 2, shape).astype(bool)
    if nd.kind in "iu":
        info = np.iinfo(nd)
        return rng.integers(info.min, info.max, shape, dtype=nd, endpoint=True)
    if nd.kind == "c":
        return ((rng.standard_normal(shape) + 1j * rng.standard_normal(shape)) * (k + 1)).astype(nd)
    return (rng.standard_normal(shape) * (k + 1)).astype(nd)


def ros_array_bytes(m, msg_type: str, md) -> bytes:
    """The frame a message deserialised by rosbags carries, as C-order bytes
    (ROS 2's own field layout of each type, nothing of ours)."""
    if msg_type == _layout.TENSOR_TYPE:
        assert m.dtype == md.dtype_str and tuple(m.shape) == tuple(md.shape)
        return m.data.tobytes()
    if msg_type == "sensor_msgs/msg/Image":
        h, w = md.shape[:2]
        assert (m.height, m.width) == (h, w) and m.step == m.data.size // h
        assert m.encoding == {"uint8": "mono8" if len(md.shape) == 2 else "rgb8",
                              "uint16": "mono16"}[md.dtype_str]
        return m.data.tobytes()
    if msg_type == "nav_msgs/msg/OccupancyGrid":
        assert (m.info.height, m.info.width) == tuple(md.shape)
        return m.data.tobytes()
    if msg_type == "sensor_msgs/msg/PointCloud2":
        assert m.height * m.width == md.shape[0] and m.point_step == 4 * md.shape[1]
        assert [f.name for f in m.fields] == ["x", "y", "z", "intensity"][:md.shape[1]]
        return m.data.tobytes()
    if msg_type == "sensor_msgs/msg/JointState":
        return np.asarray(m.position, np.float64).tobytes()
    if msg_type == "sensor_msgs/msg/Imu":
        o, w, a = m.orientation, m.angular_velocity, m.linear_acceleration
        return np.array([o.x, o.y, o.z, o.w, w.x, w.y, w.z, a.x, a.y, a.z]).tobytes()
    raise AssertionError(f"no check for {msg_type}")


def record_all(tmp_path, prefix, pools, frames=FRAMES, types=None, chunk_bytes=4 << 20):
    """Records ``pools`` (name -> PoolMetadata) while putting ``frames`` frames
    each; returns the file and {name: [(index, stamp, array)]}."""
    rng = np.random.default_rng(7)
    prods = {n: tipc.TensorProducer(md) for n, md in pools.items()}
    cons = {n: tipc.TensorConsumer(md) for n, md in pools.items()}
    path = tmp_path / "rt.mcap"
    rec = record.Recorder(path, list(pools.values()), ros2_types=types or True,
                          chunk_bytes=chunk_bytes)
    expected = {n: [] for n in pools}
    try:
        for k in range(frames):
            for n, md in pools.items():
                arr = sample(md.dtype_str, tuple(md.shape), k, rng)
                with prods[n].loan(as_numpy=True) as frame:  # bfloat16 as its uint16 bits
                    frame.reshape(-1).view(np.uint8)[:] = np.frombuffer(arr.tobytes(), np.uint8)
                index = prods[n].frames_written - 1
                assert cons[n].get() is not None  # the frame just put: its stamp
                assert cons[n].last_index == index
                expected[n].append((index, cons[n].last_timestamp_ns, arr))
            # the next frame may overwrite this one (history 1): once it is recorded
            wait_until(lambda: all(c.frames > k for c in rec.counts.values()), 30,
                       f"frame {k} of every pool recorded")
    finally:
        err = rec.stop()
        for c in cons.values():
            c.cleanup()
        for p in prods.values():
            p.cleanup()
    assert err is None, err
    assert all(c.dropped == 0 for c in rec.counts.values())
    return path, expected


@pytest.fixture
def pools(prefix):
    out = {}
    for dt in DTYPES:
        for i, shape in enumerate(SHAPES):
            name = f"{prefix}/{dt}_{i}"
            out[name] = tipc.PoolMetadata(name, shape, dt, "numpy", 1 + i)
    # more shapes of ROS 2 types: a colour image, and (type given) joints and an IMU
    for name, shape, dt in [("rgb", (4, 5, 3), "uint8"), ("joints", (7,), "float64"),
                            ("imu", (10,), "float64")]:
        out[f"{prefix}/{name}"] = tipc.PoolMetadata(f"{prefix}/{name}", shape, dt, "numpy", 2)
    return out


def types_of(prefix):
    return {f"{prefix}/joints": "sensor_msgs/msg/JointState",
            f"{prefix}/imu": "sensor_msgs/msg/Imu"}


# chunk_bytes 1: every message is at least a chunk's size, so each is written
# as a chunk of its own (the path of camera frames: headers, then the
# message's bytes by os.writev)
@pytest.mark.parametrize("chunk_bytes", [4 << 20, 1], ids=["shared_chunks", "chunk_per_message"])
def test_every_dtype_and_shape_round_trips(tmp_path, prefix, pools, chunk_bytes):
    path, expected = record_all(tmp_path, prefix, pools, types=types_of(prefix),
                                chunk_bytes=chunk_bytes)
    total = FRAMES * len(pools)

    # 0. the container: every CRC (chunks, summary) right, as many chunks as
    #    the layout says, and rosbags' own MCAP reader finds every message
    with open(path, "rb") as f:
        assert sum(1 for _ in StreamReader(f, validate_crcs=True).records) > total
        f.seek(0)
        chunks = make_reader(f, validate_crcs=True).get_summary().chunk_indexes
    assert len(chunks) == total if chunk_bytes == 1 else len(chunks) < total
    with AnyReader([path]) as bag:
        assert sum(c.msgcount for c in bag.connections) == total
        assert sum(1 for _ in bag.messages()) == total

    # 1. our reader: frames and stamps exact
    for name, frames in expected.items():
        stamps, arrs = record.read(path, name)
        assert list(stamps) == [s for _, s, _ in frames], name
        want = np.stack([a for _, _, a in frames]).view(arrs.dtype)
        assert arrs.shape == (FRAMES,) + tuple(pools[name].shape), name
        assert arrs.tobytes() == want.tobytes(), name

    # 2. not our code: the mcap reader finds the summary, channels and stamps;
    #    rosbags' deserializer decodes each message from the embedded schema
    with open(path, "rb") as f:
        reader = make_reader(f)
        summary = reader.get_summary()
        assert summary is not None and summary.statistics.message_count == total
        by_topic = {}
        for schema, channel, msg in reader.iter_messages():
            assert schema.encoding == "ros2msg" and channel.message_encoding == "cdr"
            by_topic.setdefault(channel.topic, []).append((schema, channel, msg))
    store = get_typestore(Stores.EMPTY)
    typed = set()
    for name, frames in expected.items():
        msgs = by_topic[f"/{name}"]
        assert len(msgs) == FRAMES
        schema, channel, _ = msgs[0]
        md = pools[name]
        assert channel.metadata["tensor_ipc.pool"] == name
        assert channel.metadata["tensor_ipc.dtype"] == md.dtype_str
        assert channel.metadata["tensor_ipc.history_len"] == str(md.history_len)
        if schema.name not in store.fielddefs:
            store.register(get_types_from_msg(schema.data.decode(), schema.name))
        for (index, stamp, arr), (_, _, msg) in zip(frames, msgs):
            assert msg.log_time == stamp and msg.publish_time == stamp
            assert msg.sequence == index
            m = store.deserialize_cdr(msg.data, schema.name)
            t = m.stamp if schema.name == _layout.TENSOR_TYPE else m.header.stamp
            assert t.sec * 10**9 + t.nanosec == stamp
            assert ros_array_bytes(m, schema.name, md) == np.ascontiguousarray(arr).tobytes(), name
            typed.add(schema.name)
    # the pools that map to ROS 2 types were written as those types
    assert {"sensor_msgs/msg/Image", "sensor_msgs/msg/PointCloud2", "nav_msgs/msg/OccupancyGrid",
            "sensor_msgs/msg/JointState", "sensor_msgs/msg/Imu", _layout.TENSOR_TYPE} <= typed

    # 3. replay, frame by frame: a consumer built from the recorded metadata
    #    reads each frame as it is put, with its recorded stamp
    cons = {n: tipc.TensorConsumer(md) for n, md in pools.items()}
    seen = {n: 0 for n in pools}
    with play.Player(path, keep_stamps=True) as player:
        player.open()
        while (step := player.step()) is not None:
            name, stamp = step
            index, want_stamp, arr = expected[name][seen[name]]
            got = cons[name].get()
            assert got is not None, name
            assert cons[name].last_index == seen[name]  # a new producer's indices: 0, 1, ...
            assert cons[name].last_timestamp_ns == want_stamp == stamp
            assert np.ascontiguousarray(got).tobytes() == np.ascontiguousarray(arr).tobytes(), name
            seen[name] += 1
        assert not player.problems
    for c in cons.values():
        c.cleanup()
    assert seen == {n: FRAMES for n in pools}


def test_compressed_recordings_read_back(tmp_path, prefix):
    md = tipc.PoolMetadata(f"{prefix}/z", (64, 64), "float32", "numpy", 32)  # holds all 20
    for comp in ("zstd", "lz4"):
        p = tipc.TensorProducer(md)
        path = tmp_path / f"{comp}.mcap"
        rec = record.Recorder(path, [md], compression=comp)
        c = tipc.TensorConsumer(md)
        want = []
        try:
            for k in range(20):
                p.put(np.full((64, 64), k, np.float32))
                c.get()
                want.append(c.last_timestamp_ns)
            wait_until(lambda: rec.counts[md.name].frames == 20, 20, "20 frames recorded")
        finally:
            assert rec.stop() is None
            c.cleanup()
            p.cleanup()
        stamps, frames = record.read(path, md.name)
        assert list(stamps) == want
        assert [int(f[0, 0]) for f in frames] == list(range(20))
        with open(path, "rb") as f:
            chunks = make_reader(f).get_summary().chunk_indexes
        assert chunks and all(ci.compression == comp for ci in chunks)


@pytest.mark.parametrize("crcs", [True, False])
def test_a_chunk_written_uncopied_is_byte_for_byte_mcaps_own(tmp_path, crcs):
    """The chunk of one large message (headers, then the payload by writev)
    is what the mcap package serialises for the same chunk, and its message
    index, chunk index and statistics are read back by the mcap reader."""
    import os
    import zlib

    from mcap.data_stream import RecordBuilder
    from mcap.records import Chunk, Message
    from tensor_ipc.record._mcapfile import McapFile

    payload = np.arange(70_000, dtype=np.uint32).view(np.uint8)
    path = tmp_path / "one.mcap"
    fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o644)
    try:
        f = McapFile(fd, crcs=crcs)
        f.start("ros2", "test")
        sid = f.add_schema("a/msg/B", "ros2msg", b"uint8[] data")
        ch = f.add_channel("/b", "cdr", sid, {"k": "v"})
        start = f.pos
        f.add_message_alone(ch, 123_456_789_012, 123_456_789_013, 7, payload)
        end = f.pos
        f.finish()
    finally:
        os.close(fd)
    rb = RecordBuilder()
    Message(channel_id=ch, log_time=123_456_789_012, data=payload.tobytes(),
            publish_time=123_456_789_013, sequence=7).write(rb)
    records = rb.end()
    rb = RecordBuilder()
    Chunk(compression="", data=records, message_start_time=123_456_789_012,
          message_end_time=123_456_789_012, uncompressed_crc=zlib.crc32(records) if crcs else 0,
          uncompressed_size=len(records)).write(rb)
    want = rb.end()
    got = path.read_bytes()
    assert got[start:start + len(want)] == want
    assert end > start + len(want)  # then its message index
    with open(path, "rb") as fh:
        reader = make_reader(fh, validate_crcs=True)
        summary = reader.get_summary()
        assert summary.statistics.message_count == 1
        assert [(c.chunk_start_offset, c.chunk_length) for c in summary.chunk_indexes] == \
            [(start, len(want))]
        [(_, channel, msg)] = list(reader.iter_messages())
    assert channel.topic == "/b" and msg.data == payload.tobytes() and msg.sequence == 7
