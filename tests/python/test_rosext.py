"""tensor_ipc.rosext without a ROS install and without the peer venv: the
classes, the codec round trip of every type, and export -> import between
our own bridges in one process. (The wire format is checked against
independent peers by tests/ros2, label ros2.) ROS_DOMAIN_ID is set here when
unset, apart from other tests' DDS traffic."""

from __future__ import annotations

import os
import time

import numpy as np
import pytest

os.environ.setdefault(
    "ROS_DOMAIN_ID", str((int(os.environ.get("TIPC_DOMAIN_ID") or 0) + 117) % 233))

from tensor_ipc import MetadataCreator, PoolMetadata  # noqa: E402
from tensor_ipc import rosext  # noqa: E402
from tensor_ipc.errors import (  # noqa: E402
    ClosedError,
    CorruptError,
    InvalidArgumentError,
    MismatchError,
    UnsupportedError,
)
from tensor_ipc.rosext import ROSTensorConsumer, ROSTensorProducer  # noqa: E402

_n = [0]


def topic():
    _n[0] += 1
    return f"pyros_{os.getpid()}_{_n[0]}"


def matched(*bridges, timeout=10.0):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if all(b.stats["matched"] for b in bridges):
            return
        time.sleep(0.005)
    raise AssertionError(f"bridges not matched: {[b.stats for b in bridges]}")


def sample_of(t):
    """An array the type carries, from the first form its description names."""
    rng = np.random.default_rng(len(t.name))
    name = t.name.split("/")[-1]
    shapes = {"Image": ((3, 4, 3), np.uint8), "JointState": ((5,), np.float64),
              "Imu": ((10,), np.float64), "PointCloud2": ((6, 4), np.float32),
              "OccupancyGrid": ((3, 5), np.int8), "Twist": ((6,), np.float64),
              "Point": ((3,), np.float64),
              "Vector3": ((3,), np.float64), "Quaternion": ((4,), np.float64)}
    if name == "Pose":  # a rigid transform (a half turn about x): exact both ways
        return np.array([[1, 0, 0, 1.5], [0, -1, 0, -2], [0, 0, -1, 0.25], [0, 0, 0, 1]])
    if name in shapes:
        shape, dt = shapes[name]
    else:  # *MultiArray
        shape, dt = (2, 3), np.dtype(t.shapes.split()[0])
    if np.dtype(dt).kind == "f":
        return rng.normal(size=shape).astype(dt)
    info = np.iinfo(dt)
    return rng.integers(info.min, info.max, shape, dtype=dt, endpoint=True)


@pytest.mark.parametrize("t", rosext.ros_types(), ids=lambda t: t.name.split("/")[-1])
def test_every_type_round_trips_through_the_codec(t):
    arr = sample_of(t)
    data = rosext.to_ros_bytes(arr, t.name, stamp_ns=123_000_000_456)
    assert data[:4] == b"\x00\x01\x00\x00"  # CDR, little-endian
    back, stamp = rosext.from_ros_bytes(data, t.name, with_stamp=True)
    assert back.dtype == arr.dtype and back.tobytes() == arr.tobytes()
    assert stamp in (0, 123_000_000_456)
    assert rosext.ros_array_info(data, t.dds_name)[:3] == (arr.dtype.name, arr.shape, arr.nbytes)


def test_codec_refuses_bad_input_with_the_library_sentence():
    data = rosext.to_ros_bytes(np.zeros((2, 2, 3), np.uint8))
    with pytest.raises(CorruptError, match="Image"):
        rosext.from_ros_bytes(data[:-5], "sensor_msgs/Image")
    with pytest.raises(InvalidArgumentError):
        rosext.from_ros_bytes(data, "sensor_msgs/Image", out=np.zeros((2, 2, 3), np.float32))
    with pytest.raises((MismatchError, UnsupportedError)):
        rosext.to_ros_bytes(np.zeros((4,), np.float32), "geometry_msgs/msg/Pose")
    with pytest.raises(UnsupportedError):
        rosext.to_ros_bytes(np.zeros((4,), np.complex64))


def test_export_to_import_in_one_process_manual_and_threaded(pool_name):
    for threaded in (False, True):
        name = topic()
        cons = ROSTensorConsumer(PoolMetadata(pool_name("in"), (2, 3), "float32", "numpy", 4),
                                 None, name, "std_msgs/msg/Float32MultiArray")
        prod = ROSTensorProducer(
            MetadataCreator.from_sample(pool_name("out"), np.zeros((2, 3), np.float32), 4),
            None, "/" + name, "std_msgs/Float32MultiArray", threaded=threaded)
        try:
            matched(prod, cons)
            frames = [(np.arange(6).reshape(2, 3) + k).astype(np.float32) for k in range(3)]
            for f in frames:
                prod.put(f)
                assert cons.wait(10), (prod.stats, cons.stats)
                assert (cons.get(as_numpy=True) == f).all()
            # (a bridge counts a frame just after sending / committing it)
            deadline = time.monotonic() + 10
            while (prod.stats["frames"] < 3 or cons.stats["frames"] < 3) and (
                    time.monotonic() < deadline):
                time.sleep(0.005)
            assert prod.stats["frames"] == 3 and cons.stats["frames"] == 3
            # the import stamped each frame with the export's frame stamp
            assert cons.tensor_consumer.last_timestamp_ns > 0
        finally:
            prod.cleanup()
            cons.cleanup()


def test_consumer_callback_and_history(pool_name):
    name = topic()
    got = []
    cons = ROSTensorConsumer(PoolMetadata(pool_name("cb"), (3,), "float64", "numpy", 4), None,
                             name, "geometry_msgs/msg/Vector3",
                             on_new_data_callback=lambda a: got.append(np.array(a)))
    prod = ROSTensorProducer(PoolMetadata(pool_name("src"), (3,), "float64", "numpy", 4), None,
                             name, "geometry_msgs/msg/Vector3")
    try:
        matched(prod, cons)
        for k in range(3):
            prod.put(np.array([k, k + 0.5, -k], np.float64))
        deadline = time.monotonic() + 10
        while len(got) < 3 and time.monotonic() < deadline:
            time.sleep(0.005)
        assert [g.tolist() for g in got] == [[k, k + 0.5, -k] for k in range(3)]
        hist = cons.get(history_len=3, as_numpy=True, latest_first=False)
        assert hist.tolist() == [[k, k + 0.5, -k] for k in range(3)]
    finally:
        prod.cleanup()
        cons.cleanup()


def test_pool_named_by_a_string_takes_the_first_message_shape(pool_name):
    name, pool = topic(), pool_name("auto")
    cons = ROSTensorConsumer(pool, None, name, "sensor_msgs/msg/Image", history_len=2)
    prod = ROSTensorProducer(PoolMetadata(pool_name("cam"), (4, 6), "uint16", "numpy", 2), None,
                             name, None)
    try:
        assert prod.ros_type == "sensor_msgs/msg/Image"
        assert cons.get() is None and cons.pool_metadata is None
        matched(prod, cons)
        img = (np.arange(24, dtype=np.uint16) * 1000).reshape(4, 6)
        prod.put(img)
        assert cons.wait(10)
        md = cons.pool_metadata
        assert (md.name, tuple(md.shape), md.dtype_str, md.history_len) == (pool, (4, 6),
                                                                            "uint16", 2)
        assert (cons.get(as_numpy=True) == img).all()
    finally:
        prod.cleanup()
        cons.cleanup()


def test_arguments_are_checked_and_cleanup_closes(pool_name):
    md = PoolMetadata(pool_name("a"), (3,), "float64", "numpy", 1)
    with pytest.raises(InvalidArgumentError, match="rclpy Node"):
        ROSTensorProducer(md, object(), "t", "geometry_msgs/msg/Point")
    with pytest.raises(InvalidArgumentError):
        ROSTensorProducer("not metadata", None, "t", "geometry_msgs/msg/Point")
    with pytest.raises(InvalidArgumentError, match="qos"):
        ROSTensorProducer(md, None, "t", "geometry_msgs/msg/Point", qos=0)
    with pytest.raises(InvalidArgumentError, match="domain_id"):
        ROSTensorConsumer(md, None, "t", "geometry_msgs/msg/Point", domain_id=999)
    with pytest.raises((MismatchError, UnsupportedError)):
        ROSTensorProducer(md, None, "t", "sensor_msgs/msg/Imu")
    p = ROSTensorProducer(md, None, topic(), "geometry_msgs/msg/Point")
    with pytest.raises(InvalidArgumentError, match="encoding"):
        p.put(np.zeros(3), header_frame="x")
    p.cleanup()
    p.cleanup()  # idempotent
    with pytest.raises(ClosedError):
        p.put(np.zeros(3))


def test_qos_profiles_and_message_classes_are_accepted():
    from tensor_ipc.rosext._bridge import qos_depth_reliable

    class QoSProfile:  # rclpy's attribute names
        depth = 5
        reliability = "ReliabilityPolicy.BEST_EFFORT"

    assert qos_depth_reliable(QoSProfile()) == (5, 0)
    assert qos_depth_reliable(3) == (3, 1)

    class Imu:
        __module__ = "sensor_msgs.msg._imu"

    assert rosext.ros_type_name(Imu) == "sensor_msgs/msg/Imu"
    assert isinstance(rosext.ROS_AVAILABLE, bool)
