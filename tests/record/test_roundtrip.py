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
# as a chunk of its own (the path of camera frames: laid out in a loaned
# buffer, page-aligned after a padding record, direct I/O)
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


def _staged_file(path, payloads, direct: bool, crcs: bool = True):
    """An MCAP file of one small message, then ``payloads`` each laid out in
    a Staged buffer; returns (the small message's end, [chunk start of each
    staged one], McapFile)."""
    import os

    from tensor_ipc.record._mcapfile import McapFile, Staged

    fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o644)
    dfd = os.open(path, os.O_WRONLY | os.O_DIRECT) if direct else None
    try:
        f = McapFile(fd, crcs=crcs, direct_fd=dfd)
        f.start("ros2", "test")
        sid = f.add_schema("a/msg/B", "ros2msg", b"uint8[] data")
        ch = f.add_channel("/b", "cdr", sid, {})
        f.add_message(ch, 5, 5, 0, b"small")  # the file's end is now off a page boundary
        starts = []
        for k, p in enumerate(payloads):
            st = Staged(len(p))
            st.payload[:len(p)] = p
            st.seal(ch, 1000 + k, 1000 + k, 1 + k, len(p), crcs)
            starts.append(f.pos)
            f.add_staged(st)
            st.close()
        f.finish()
    finally:
        os.close(fd)
        if dfd is not None:
            os.close(dfd)
    return ch, f


@pytest.mark.parametrize("crcs", [True, False], ids=["crcs", "no_crcs"])
@pytest.mark.parametrize("direct", [True, False], ids=["direct_io", "page_cache"])
def test_staged_messages_are_mcaps_own_chunks_page_aligned_for_direct_io(tmp_path, direct, crcs):
    """A message laid out in a loaned buffer is written as the chunk mcap
    serialises for it; with direct I/O each such chunk starts on a page,
    after a private padding record that mcap's readers and rosbags skip."""
    import zlib

    from mcap.data_stream import RecordBuilder
    from mcap.records import Chunk, Message
    from tensor_ipc.record._mcapfile import PAD_OPCODE, PAGE

    rng = np.random.default_rng(5)
    # sizes around page multiples: a whole number of pages, one byte over, under one page
    sizes = [3 * PAGE - 111, 3 * PAGE - 110, 70_000, 100, 2 * PAGE + 1]
    payloads = [rng.integers(0, 255, n, dtype=np.uint8).tobytes() for n in sizes]
    path = tmp_path / "staged.mcap"
    ch, f = _staged_file(path, payloads, direct, crcs)
    assert f.direct is direct  # the direct path was taken, not fallen back from
    data = path.read_bytes()
    with open(path, "rb") as fh:
        summary = make_reader(fh, validate_crcs=True).get_summary()
        fh.seek(0)
        msgs = list(make_reader(fh, validate_crcs=True).iter_messages())
    staged = summary.chunk_indexes[1:]  # after the small message's chunk
    assert len(staged) == len(payloads)
    assert summary.statistics.message_count == 1 + len(payloads)
    assert summary.statistics.chunk_count == 1 + len(payloads)
    pads = 0
    for k, (ci, p) in enumerate(zip(staged, payloads)):
        rb = RecordBuilder()
        Message(channel_id=ch, log_time=1000 + k, data=p, publish_time=1000 + k,
                sequence=1 + k).write(rb)
        records = rb.end()
        rb = RecordBuilder()
        Chunk(compression="", data=records, message_start_time=1000 + k,
              message_end_time=1000 + k, uncompressed_crc=zlib.crc32(records) if crcs else 0,
              uncompressed_size=len(records)).write(rb)
        want = rb.end()
        assert data[ci.chunk_start_offset:ci.chunk_start_offset + len(want)] == want
        assert ci.chunk_length == len(want)
        if direct:
            assert ci.chunk_start_offset % PAGE == 0
            prev = staged[k - 1] if k else summary.chunk_indexes[0]
            gap_at = prev.chunk_start_offset + prev.chunk_length + prev.message_index_length
            if gap_at != ci.chunk_start_offset:
                assert data[gap_at] == PAD_OPCODE
                assert gap_at + 9 + int.from_bytes(data[gap_at + 1:gap_at + 9], "little") == \
                    ci.chunk_start_offset
                pads += 1
        else:
            prev = staged[k - 1] if k else summary.chunk_indexes[0]
            assert ci.chunk_start_offset == \
                prev.chunk_start_offset + prev.chunk_length + prev.message_index_length
    assert pads >= (3 if direct else 0)
    assert [m.data for _, _, m in msgs] == [b"small"] + payloads
    assert [m.sequence for _, _, m in msgs] == [0] + [1 + k for k in range(len(payloads))]
    # read front to back, without the summary: the padding is skipped, every CRC checked
    with open(path, "rb") as fh:
        got = [r.data for r in StreamReader(fh, validate_crcs=True).records
               if isinstance(r, Message)]
    assert got == [b"small"] + payloads


def test_a_file_system_refusing_direct_io_gets_the_page_cache(tmp_path, monkeypatch):
    """EINVAL from a direct write (a file system that opens O_DIRECT but will
    not do it) turns direct I/O off for the file: nothing is lost or doubled."""
    import errno
    import fcntl
    import os

    real = os.pwrite
    refused = []

    def pwrite(fd, data, offset):
        if fcntl.fcntl(fd, fcntl.F_GETFL) & os.O_DIRECT:
            refused.append(offset)
            raise OSError(errno.EINVAL, "Invalid argument")
        return real(fd, data, offset)

    monkeypatch.setattr(os, "pwrite", pwrite)
    payloads = [bytes([k]) * 50_000 for k in range(3)]
    path = tmp_path / "refused.mcap"
    _, f = _staged_file(path, payloads, direct=True)
    assert len(refused) == 1 and not f.direct
    with open(path, "rb") as fh:
        msgs = [m.data for _, _, m in make_reader(fh, validate_crcs=True).iter_messages()]
    assert msgs == [b"small"] + payloads


@pytest.mark.parametrize("tensor_only", [False, True], ids=["ros2_image", "tensor"])
def test_large_frames_recorded_with_direct_io_read_back_exactly(tmp_path, prefix, tensor_only):
    """Frames of a chunk's size or more go through loaned buffers and direct
    I/O; mcap's reader, rosbags and our reader get every frame exactly."""
    name = f"{prefix}/big"
    md = tipc.PoolMetadata(name, (120, 160, 3), "uint8", "numpy", 8)
    prod = tipc.TensorProducer(md)
    path = tmp_path / "big.mcap"
    rec = record.Recorder(path, [md], chunk_bytes=16384, ros2_types=not tensor_only)
    rng = np.random.default_rng(11)
    frames = []
    try:
        assert rec._sink.direct_io  # this test is about the direct path
        for k in range(12):
            a = rng.integers(0, 255, md.shape, dtype=np.uint8)
            prod.put(a)
            frames.append(a)
            wait_until(lambda: rec.counts[name].frames > k, 20, f"frame {k} recorded")
    finally:
        err = rec.stop()
        prod.cleanup()
    assert err is None, err
    assert rec._sink.direct_io  # still: no write was refused
    stamps, got = record.read(path, name)
    assert got.tobytes() == np.stack(frames).tobytes()
    with open(path, "rb") as f:
        summary = make_reader(f, validate_crcs=True).get_summary()
    assert len(summary.chunk_indexes) == 12
    assert all(ci.chunk_start_offset % 4096 == 0 for ci in summary.chunk_indexes)
    with AnyReader([path]) as bag:
        msgs = list(bag.messages())
        assert len(msgs) == 12
        for (conn, t, raw), a, s in zip(msgs, frames, stamps):
            m = bag.deserialize(raw, conn.msgtype)
            assert t == s
            if tensor_only:
                assert conn.msgtype == _layout.TENSOR_TYPE
                assert bytes(m.data) == a.tobytes()
            else:
                assert conn.msgtype == "sensor_msgs/msg/Image" and m.encoding == "rgb8"
                assert (m.height, m.width, m.step) == (120, 160, 480)
                assert bytes(m.data) == a.tobytes()
