"""The expected ROS 2 message of each array form, written from the ROS 2
message definitions and the forms docs/ros2.md states (ros2_numpy's where it
has one), as rosbags message objects; and the cases every supported type is
tested with. Nothing here calls tensor_ipc.

    msg = expected(type, array, stamp_ns, frame_id, encoding, joint_names)
    assert_same(rosbags_message, msg)
"""

from __future__ import annotations

from typing import Any, List, Tuple

import math

import numpy as np
from ros2_peer_types import TYPESTORE

T = TYPESTORE.types

# Image encodings: name -> (numpy dtype, channels). From sensor_msgs/image_encodings.
ENCODINGS = {
    "mono8": (np.uint8, 1), "mono16": (np.uint16, 1),
    "rgb8": (np.uint8, 3), "bgr8": (np.uint8, 3), "rgba8": (np.uint8, 4), "bgra8": (np.uint8, 4),
    "rgb16": (np.uint16, 3), "bgr16": (np.uint16, 3), "rgba16": (np.uint16, 4),
    "bgra16": (np.uint16, 4),
}
for _p in ("rggb", "bggr", "gbrg", "grbg"):
    ENCODINGS[f"bayer_{_p}8"] = (np.uint8, 1)
    ENCODINGS[f"bayer_{_p}16"] = (np.uint16, 1)
for _bits, _t, _dt in ((8, "U", np.uint8), (8, "S", np.int8), (16, "U", np.uint16),
                       (16, "S", np.int16), (32, "S", np.int32), (32, "F", np.float32),
                       (64, "F", np.float64)):
    for _c in range(1, 5):
        ENCODINGS[f"{_bits}{_t}C{_c}"] = (_dt, _c)


def stamp(ns: int):
    return T["builtin_interfaces/msg/Time"](sec=ns // 10**9, nanosec=ns % 10**9)


def header(ns: int, frame_id: str):
    return T["std_msgs/msg/Header"](stamp=stamp(ns), frame_id=frame_id)


def _v3(name, a):
    return T[f"geometry_msgs/msg/{name}"](x=float(a[0]), y=float(a[1]), z=float(a[2]))


def _quat_of(r):
    """The unit quaternion x,y,z,w (w >= 0) of a rotation matrix, by the
    copysign formulas (not the library's method); exact for the half turns
    the cases use."""
    w = math.sqrt(max(0.0, 1 + r[0, 0] + r[1, 1] + r[2, 2])) / 2
    x = math.copysign(math.sqrt(max(0.0, 1 + r[0, 0] - r[1, 1] - r[2, 2])) / 2, r[2, 1] - r[1, 2])
    y = math.copysign(math.sqrt(max(0.0, 1 - r[0, 0] + r[1, 1] - r[2, 2])) / 2, r[0, 2] - r[2, 0])
    z = math.copysign(math.sqrt(max(0.0, 1 - r[0, 0] - r[1, 1] + r[2, 2])) / 2, r[1, 0] - r[0, 1])
    return [x, y, z, w]


def _quat(a):
    return T["geometry_msgs/msg/Quaternion"](x=float(a[0]), y=float(a[1]), z=float(a[2]),
                                            w=float(a[3]))


def image(arr, ns, frame_id, encoding, step=None, big=False, pad_value=0):
    """An Image; step > width*channels*size pads each row with pad_value bytes."""
    h, w = arr.shape[:2]
    row = arr.reshape(h, -1)
    be = row.astype(row.dtype.newbyteorder(">")) if big else row
    raw = np.frombuffer(np.ascontiguousarray(be).tobytes(), np.uint8).reshape(h, -1)
    step = raw.shape[1] if step is None else step
    data = np.full((h, step), pad_value, np.uint8)
    data[:, : raw.shape[1]] = raw
    return T["sensor_msgs/msg/Image"](header=header(ns, frame_id), height=h, width=w,
                                      encoding=encoding, is_bigendian=int(big), step=step,
                                      data=data.reshape(-1))


def expected(type_name: str, arr: np.ndarray, ns: int = 0, frame_id: str = "",
             encoding: str = "", joint_names: Any = None):
    kind = type_name.split("/")[-1]
    f64 = np.float64
    if kind == "Image":
        return image(arr, ns, frame_id, encoding)
    if kind == "JointState":
        n = arr.shape[-1]
        names = list(joint_names) if joint_names else [f"joint_{i}" for i in range(n)]
        rows = arr.reshape(-1, n).astype(f64)
        empty = np.zeros(0, f64)
        return T["sensor_msgs/msg/JointState"](
            header=header(ns, frame_id), name=names, position=rows[0],
            velocity=rows[1] if len(rows) > 1 else empty,
            effort=rows[2] if len(rows) > 2 else empty)
    if kind == "Imu":
        zeros = np.zeros(9, f64)
        return T["sensor_msgs/msg/Imu"](
            header=header(ns, frame_id), orientation=_quat(arr[0:4]), orientation_covariance=zeros,
            angular_velocity=_v3("Vector3", arr[4:7]), angular_velocity_covariance=zeros,
            linear_acceleration=_v3("Vector3", arr[7:10]), linear_acceleration_covariance=zeros)
    if kind == "PointCloud2":
        n, c = arr.shape
        names = ["x", "y", "z", "intensity"][:c]
        fields = [T["sensor_msgs/msg/PointField"](name=nm, offset=4 * i, datatype=7, count=1)
                  for i, nm in enumerate(names)]
        return T["sensor_msgs/msg/PointCloud2"](
            header=header(ns, frame_id), height=1, width=n, fields=fields, is_bigendian=False,
            point_step=4 * c, row_step=4 * c * n,
            data=np.frombuffer(arr.astype(np.float32).tobytes(), np.uint8),
            is_dense=bool(np.isfinite(arr).all()))
    if kind == "OccupancyGrid":
        h, w = arr.shape
        origin = T["geometry_msgs/msg/Pose"](
            position=T["geometry_msgs/msg/Point"](x=0.0, y=0.0, z=0.0),
            orientation=T["geometry_msgs/msg/Quaternion"](x=0.0, y=0.0, z=0.0, w=1.0))
        info = T["nav_msgs/msg/MapMetaData"](map_load_time=stamp(ns), resolution=1.0, width=w,
                                            height=h, origin=origin)
        return T["nav_msgs/msg/OccupancyGrid"](header=header(ns, frame_id), info=info,
                                               data=arr.reshape(-1).astype(np.int8))
    if kind == "Twist":
        a = arr.reshape(-1)
        return T["geometry_msgs/msg/Twist"](linear=_v3("Vector3", a[0:3]),
                                            angular=_v3("Vector3", a[3:6]))
    if kind == "Pose":  # the 4x4 homogeneous transform, as ros2_numpy
        return T["geometry_msgs/msg/Pose"](position=_v3("Point", arr[0:3, 3]),
                                           orientation=_quat(_quat_of(arr[:3, :3])))
    if kind in ("Point", "Vector3"):
        return _v3(kind, arr)
    if kind == "Quaternion":
        return _quat(arr)
    if kind.endswith("MultiArray"):
        dims, stride = [], int(arr.size)
        for i, s in enumerate(arr.shape):
            dims.append(T["std_msgs/msg/MultiArrayDimension"](label=f"dim{i}", size=s,
                                                              stride=stride))
            stride //= max(s, 1)
        layout = T["std_msgs/msg/MultiArrayLayout"](dim=dims, data_offset=0)
        return T[type_name](layout=layout, data=arr.reshape(-1).copy())
    raise KeyError(type_name)


MULTI = {
    "Float32MultiArray": np.float32, "Float64MultiArray": np.float64, "Int8MultiArray": np.int8,
    "UInt8MultiArray": np.uint8, "Int16MultiArray": np.int16, "UInt16MultiArray": np.uint16,
    "Int32MultiArray": np.int32, "UInt32MultiArray": np.uint32, "Int64MultiArray": np.int64,
    "UInt64MultiArray": np.uint64, "ByteMultiArray": np.uint8,
}


def _values(shape, dtype, seed):
    """Distinct values using the dtype's range (negatives, fractions, extremes)."""
    rng = np.random.default_rng(seed)
    dt = np.dtype(dtype)
    if dt.kind == "f":
        a = rng.normal(0, 1e3, shape).astype(dt)
        flat = a.reshape(-1)
        if flat.size > 2:
            flat[0], flat[1] = np.finfo(dt).max, -np.finfo(dt).tiny
        return a
    info = np.iinfo(dt)
    a = rng.integers(info.min, info.max, shape, dtype=dt, endpoint=True)
    flat = a.reshape(-1)
    if flat.size > 2:
        flat[0], flat[1] = info.min, info.max
    return a


# Rigid transforms whose quaternions are exact: a half turn about x then a
# translation, and a pure translation.
POSE_HALF_TURN_X = np.array([[1, 0, 0, 1.5], [0, -1, 0, -2], [0, 0, -1, 0.25], [0, 0, 0, 1]],
                            np.float64)
POSE_IDENTITY = np.array([[1, 0, 0, -3.5], [0, 1, 0, 7], [0, 0, 1, 1e-3], [0, 0, 0, 1]],
                         np.float64)


def cases() -> List[Tuple[str, str, np.ndarray, dict]]:
    """(id, type, array, options) covering every supported type and form."""
    out = []
    seed = 1
    for enc, (dt, c) in ENCODINGS.items():
        shape = (3, 5) if c == 1 else (3, 5, c)  # one channel: (H,W), as ros2_numpy
        out.append((f"Image-{enc}", "sensor_msgs/msg/Image", _values(shape, dt, seed),
                    {"encoding": enc}))
        seed += 1
    out += [
        ("JointState-N", "sensor_msgs/msg/JointState", _values((7,), np.float64, 2),
         {"joint_names": [f"j{i}" for i in range(7)]}),
        ("JointState-N-default-names", "sensor_msgs/msg/JointState",
         _values((4,), np.float64, 3), {}),
        ("JointState-3N", "sensor_msgs/msg/JointState", _values((3, 6), np.float64, 4),
         {"joint_names": ["a", "b", "c", "d", "e", "f"]}),
        ("Imu", "sensor_msgs/msg/Imu", _values((10,), np.float64, 5), {}),
        ("PointCloud2-xyz", "sensor_msgs/msg/PointCloud2", _values((9, 3), np.float32, 6), {}),
        ("PointCloud2-xyzi", "sensor_msgs/msg/PointCloud2", _values((9, 4), np.float32, 7), {}),
        ("OccupancyGrid", "nav_msgs/msg/OccupancyGrid", _values((4, 6), np.int8, 8), {}),
        ("Twist-6", "geometry_msgs/msg/Twist", _values((6,), np.float64, 9), {}),
        ("Twist-2x3", "geometry_msgs/msg/Twist", _values((2, 3), np.float64, 10), {}),
        ("Pose", "geometry_msgs/msg/Pose", POSE_HALF_TURN_X, {}),
        ("Pose-identity", "geometry_msgs/msg/Pose", POSE_IDENTITY, {}),
        ("Point", "geometry_msgs/msg/Point", _values((3,), np.float64, 12), {}),
        ("Vector3", "geometry_msgs/msg/Vector3", _values((3,), np.float64, 13), {}),
        ("Quaternion", "geometry_msgs/msg/Quaternion", _values((4,), np.float64, 14), {}),
    ]
    seed = 20
    for name, dt in MULTI.items():
        for shape in ((5,), (2, 3, 4)):
            out.append((f"{name}-{len(shape)}d", f"std_msgs/msg/{name}", _values(shape, dt, seed),
                        {}))
            seed += 1
    return out


def assert_same(got: Any, want: Any, path: str = "msg") -> None:
    """Field by field, exact (arrays by value and dtype kind, floats bit-exact)."""
    if hasattr(want, "__dataclass_fields__"):
        assert type(got).__name__ == type(want).__name__, f"{path}: {type(got)} != {type(want)}"
        for f in want.__dataclass_fields__:
            if f == "__msgtype__":
                continue
            assert_same(getattr(got, f), getattr(want, f), f"{path}.{f}")
        return
    if isinstance(want, (list, tuple)) and not isinstance(want, str):
        assert len(got) == len(want), f"{path}: length {len(got)} != {len(want)}"
        for i, (g, w) in enumerate(zip(got, want)):
            assert_same(g, w, f"{path}[{i}]")
        return
    if isinstance(want, np.ndarray) or isinstance(got, np.ndarray):
        g, w = np.asarray(got), np.asarray(want)
        assert g.shape == w.shape, f"{path}: shape {g.shape} != {w.shape}"
        assert g.tobytes() == w.astype(g.dtype).tobytes() if g.size else True, (
            f"{path}: {g!r} != {w!r}")
        return
    if isinstance(want, float):
        assert np.float64(got).tobytes() == np.float64(want).tobytes(), f"{path}: {got!r} != {want!r}"
        return
    assert got == want, f"{path}: {got!r} != {want!r}"
