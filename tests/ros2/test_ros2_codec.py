"""The ROS 2 wire format of tensor_ipc's codec, checked by rosbags (pure-Python
ROS 2 message definitions and CDR, not ours): every supported type, both
ways, exact values. Runs in the peer venv (run_ros2_tests.sh)."""

from __future__ import annotations

import struct

import numpy as np
import pytest
from ros2_oracle import ENCODINGS, assert_same, cases, expected, image
from ros2_peer_types import TYPESTORE

import tensor_ipc
from tensor_ipc import rosext
from tensor_ipc.errors import CorruptError, InvalidArgumentError, MismatchError, UnsupportedError

CASES = cases()
STAMP = 1_700_000_123_456_789_012
HEADERLESS = ("Twist", "Pose", "Point", "Vector3", "Quaternion")


def _has_header(type_name):
    return not (type_name.split("/")[-1] in HEADERLESS or type_name.endswith("MultiArray"))


def _decoded_form(type_name, arr):
    """The array a message decodes to: the form that was encoded, with
    Twist's (2,3) read back as (6,) (both forms write the same message)."""
    return arr.reshape(6) if type_name.endswith("/Twist") else arr


def test_type_table_is_every_tested_type_and_matches_rosbags():
    names = {t.name for t in rosext.ros_types()}
    assert names == {c[1] for c in CASES}
    for t in rosext.ros_types():
        pkg, kind, short = t.name.split("/")
        assert t.dds_name == f"{pkg}::{kind}::dds_::{short}_"
        assert t.name in TYPESTORE.fielddefs, t.name
        # the definition's own fields are rosbags' (names and types, in order)
        own = [ln.split()[1] for ln in t.definition.split("\n=")[0].splitlines()
               if ln.strip() and "=" not in ln]
        assert own == [f for f, _ in TYPESTORE.fielddefs[t.name][1]], t.name
        assert rosext.ros_type_name(t.dds_name) == t.name
        assert rosext.ros_type_name(f"{pkg}/{short}") == t.name


@pytest.mark.parametrize("cid,type_name,arr,opts", CASES, ids=[c[0] for c in CASES])
def test_encode_is_what_rosbags_reads(cid, type_name, arr, opts):
    data = rosext.to_ros_bytes(arr, type_name, stamp_ns=STAMP, frame_id="base_link", **opts)
    want = expected(type_name, arr, STAMP if _has_header(type_name) else 0,
                    "base_link" if _has_header(type_name) else "", opts.get("encoding", ""),
                    opts.get("joint_names"))
    if type_name.endswith("/JointState") and not opts.get("joint_names"):
        want.name = [f"joint_{i}" for i in range(arr.shape[-1])]
    assert_same(TYPESTORE.deserialize_cdr(data, type_name), want)
    ref = bytes(TYPESTORE.serialize_cdr(want, type_name))
    # byte for byte what rosbags writes (a writer may pad the end to 4 bytes)
    assert data[: len(ref)] == ref and set(data[len(ref):]) <= {0} and len(data) - len(ref) < 4


@pytest.mark.parametrize("little", [True, False], ids=["le", "be"])
@pytest.mark.parametrize("cid,type_name,arr,opts", CASES, ids=[c[0] for c in CASES])
def test_decode_reads_rosbags(cid, type_name, arr, opts, little):
    msg = expected(type_name, arr, STAMP if _has_header(type_name) else 0, "cam",
                   opts.get("encoding", ""), opts.get("joint_names"))
    data = bytes(TYPESTORE.serialize_cdr(msg, type_name, little_endian=little))
    got, stamp = rosext.from_ros_bytes(data, type_name, with_stamp=True)
    want = _decoded_form(type_name, arr)
    assert got.dtype == want.dtype and got.shape == want.shape
    assert got.tobytes() == want.tobytes()
    assert stamp == (STAMP if _has_header(type_name) else 0)
    # into a caller's array: the same bytes, no other allocation
    out = np.zeros_like(want)
    assert rosext.from_ros_bytes(data, type_name, out=out) is out
    assert out.tobytes() == want.tobytes()


@pytest.mark.parametrize("enc", ["rgb8", "mono16", "32FC3", "8UC1", "64FC1"])
def test_decode_drops_row_padding(enc):
    dt, c = ENCODINGS[enc]
    arr = (np.arange(4 * 5 * c) * 3 + 1).astype(dt).reshape((4, 5) if c == 1 else (4, 5, c))
    row = 5 * c * np.dtype(dt).itemsize
    msg = image(arr, 5, "", enc, step=row + 13, pad_value=0xAB)
    got = rosext.from_ros_bytes(bytes(TYPESTORE.serialize_cdr(msg, "sensor_msgs/msg/Image")),
                                "sensor_msgs/msg/Image")
    assert got.shape == arr.shape and got.tobytes() == arr.tobytes()


@pytest.mark.parametrize("enc", ["mono16", "16SC2", "32FC1", "64FC3", "32SC4", "rgb16"])
def test_decode_converts_big_endian_image_data(enc):
    dt, c = ENCODINGS[enc]
    arr = ((np.arange(3 * 4 * c) - 5) * 1001).astype(dt).reshape((3, 4) if c == 1 else (3, 4, c))
    for step_pad in (0, 6):
        msg = image(arr, 0, "", enc, step=4 * c * arr.itemsize + step_pad, big=True)
        got = rosext.from_ros_bytes(bytes(TYPESTORE.serialize_cdr(msg, "sensor_msgs/msg/Image")),
                                    "sensor_msgs/msg/Image")
        assert got.dtype == arr.dtype and got.tobytes() == arr.tobytes(), (enc, step_pad)


def test_decode_image_with_step_shorter_than_a_row_is_corrupt():
    arr = np.zeros((2, 3, 3), np.uint8)
    msg = image(arr, 0, "", "rgb8")
    msg.step = 8  # < width * 3
    data = bytes(TYPESTORE.serialize_cdr(msg, "sensor_msgs/msg/Image"))
    with pytest.raises(CorruptError, match="step"):
        rosext.from_ros_bytes(data, "sensor_msgs/msg/Image")


def _image_bytes(n=12):
    return bytes(TYPESTORE.serialize_cdr(image(np.arange(n, dtype=np.uint8).reshape(2, 2, 3), 0,
                                                "cam", "rgb8"), "sensor_msgs/msg/Image"))


def test_decode_rejects_truncated_messages_at_every_length():
    data = _image_bytes()
    for cut in range(0, len(data) - 1):
        with pytest.raises((CorruptError, InvalidArgumentError)):
            rosext.from_ros_bytes(data[:cut], "sensor_msgs/msg/Image")


def test_decode_rejects_sequence_longer_than_the_sample():
    data = bytearray(_image_bytes())
    # the data sequence's length is the 4 bytes before its 12 bytes
    at = len(data) - 12 - 4
    assert struct.unpack_from("<I", data, at)[0] == 12
    struct.pack_into("<I", data, at, 1 << 30)
    with pytest.raises(CorruptError):
        rosext.from_ros_bytes(bytes(data), "sensor_msgs/msg/Image")


def test_decode_rejects_unterminated_string():
    data = bytearray(_image_bytes())
    # header.frame_id "cam": length 4 at offset 4 (encapsulation) + 8 (stamp)
    assert struct.unpack_from("<I", data, 12)[0] == 4 and data[16:20] == b"cam\0"
    data[19] = ord("x")
    with pytest.raises(CorruptError):
        rosext.from_ros_bytes(bytes(data), "sensor_msgs/msg/Image")


def test_decode_rejects_size_mismatch_between_fields_and_data():
    msg = image(np.zeros((2, 2, 3), np.uint8), 0, "", "rgb8")
    msg.height = 3  # data holds 2 rows
    with pytest.raises(CorruptError):
        rosext.from_ros_bytes(bytes(TYPESTORE.serialize_cdr(msg, "sensor_msgs/msg/Image")),
                              "sensor_msgs/msg/Image")


def test_decode_unknown_encoding_is_unsupported():
    msg = image(np.zeros((2, 2, 2), np.uint8), 0, "", "yuv422")
    with pytest.raises(UnsupportedError):
        rosext.from_ros_bytes(bytes(TYPESTORE.serialize_cdr(msg, "sensor_msgs/msg/Image")),
                              "sensor_msgs/msg/Image")


def test_encode_infers_the_obvious_types():
    img = np.zeros((4, 6, 3), np.uint8)
    m = TYPESTORE.deserialize_cdr(rosext.to_ros_bytes(img), "sensor_msgs/msg/Image")
    assert (m.encoding, m.height, m.width, m.step) == ("rgb8", 4, 6, 18)
    pts = np.ones((5, 3), np.float32)
    m = TYPESTORE.deserialize_cdr(rosext.to_ros_bytes(pts), "sensor_msgs/msg/PointCloud2")
    assert m.width == 5 and [f.name for f in m.fields] == ["x", "y", "z"]


def test_encode_refuses_a_pool_the_type_cannot_carry():
    with pytest.raises((MismatchError, UnsupportedError)):
        rosext.to_ros_bytes(np.zeros((5,), np.float32), "sensor_msgs/msg/Imu")
    with pytest.raises((MismatchError, UnsupportedError, InvalidArgumentError)):
        rosext.to_ros_bytes(np.zeros((3,), np.float64), "sensor_msgs/msg/JointState",
                            joint_names=["only_one"])
    with pytest.raises(InvalidArgumentError):
        rosext.to_ros_bytes(np.zeros((3,), np.float64), "no_such_msgs/msg/Thing")


def test_msg_type_forms_and_rclpy_like_classes():
    class Image:  # what rclpy generates: sensor_msgs.msg._image.Image
        __module__ = "sensor_msgs.msg._image"

    for form in ("sensor_msgs/msg/Image", "sensor_msgs/Image", "sensor_msgs::msg::dds_::Image_",
                 Image, Image()):
        assert rosext.ros_type_name(form) == "sensor_msgs/msg/Image"


def test_registered_conversions_are_used_by_msgify_and_numpify():
    class Reading:  # a message class of a type the C library does not carry
        __module__ = "my_msgs.msg._reading"

        def __init__(self, values=()):
            self.values = list(values)

    rosext.register_conversion(
        Reading,
        numpify=lambda msg: np.asarray(msg.values, np.float32),
        msgify=lambda cls, arr: cls(arr.tolist()),
    )
    try:
        msg = rosext.msgify(Reading, np.array([1.5, 2.5], np.float32))
        assert isinstance(msg, Reading) and msg.values == [1.5, 2.5]
        assert rosext.numpify(msg).tolist() == [1.5, 2.5]
        assert rosext.validate_ros_numpify(msg) and rosext.validate_ros_msgify(Reading, np.ones(2))
    finally:
        rosext.unregister_conversion("my_msgs/msg/Reading")
    with pytest.raises(rosext.ROSConversionError):
        rosext.numpify(Reading())
    assert not rosext.validate_ros_numpify(Reading())


def test_version_is_the_build_trees():
    assert tensor_ipc.__file__.startswith(__import__("os").environ["TIPC_EXPECT_PKG"])


def test_docs_list_exactly_the_type_table():
    import os
    import re

    page = os.path.join(os.path.dirname(__file__), "..", "..", "docs", "ros2.md")
    text = open(page, encoding="utf-8").read()
    rows = dict(re.findall(r"^\| `([a-z_]+/msg/\w+)` \| (.*) \|$", text, flags=re.M))
    table = {t.name: t.shapes for t in rosext.ros_types()}
    assert {k: v.replace("\\|", "|") for k, v in rows.items()} == table


def test_tipc_ros2_types_prints_the_same_table():
    import os
    import subprocess

    cli = os.environ.get("TIPC_CLI")
    if not cli:
        pytest.fail("TIPC_CLI is not set (CTest sets it to the build's tipc)")
    out = subprocess.run([cli, "ros2", "types"], capture_output=True, text=True, timeout=30,
                         check=True).stdout
    rows = {}
    for line in out.splitlines()[1:]:
        name, _, shapes = line.partition(" ")
        rows[name] = shapes.strip()
    assert rows == {t.name: t.shapes for t in rosext.ros_types()}


def test_encode_with_fields_larger_than_the_frame():
    # joint names longer than the frame itself (the Python wrapper's first
    # buffer guess is too small: it encodes again at the exact size)
    names = [c * 3000 for c in "abc"]
    pos = np.array([1.0, -2.0, 3.5])
    data = rosext.to_ros_bytes(pos, "sensor_msgs/msg/JointState", joint_names=names,
                               frame_id="f" * 5000)
    msg = TYPESTORE.deserialize_cdr(data, "sensor_msgs/msg/JointState")
    assert msg.name == names and msg.header.frame_id == "f" * 5000
    assert msg.position.tolist() == pos.tolist()
