"""ROS 2 message conversions: the type table, CDR bytes <-> arrays, and
msgify/numpify on rclpy messages with user-registered conversions.

The byte-level helpers need no ROS install: ``to_ros_bytes(array, type)``
serialises one array as the ROS 2 message (CDR with its 4-byte header, as
it travels on ``rt/`` topics and as rosbag2/MCAP store it) and
``from_ros_bytes(data, type)`` decodes one into a numpy array, both with the
C library's codec (the array forms of ``tipc ros2 types``). Message objects
(``msgify``/``numpify``) need rclpy's message classes; a conversion registered
with ``register_conversion`` is used before ros2_numpy's.
"""

from __future__ import annotations

import threading
from typing import Any, Callable, Dict, List, NamedTuple, Optional, Tuple

import numpy as np

from .. import _backends as _b
from .. import capi as _tipc
from ..errors import InvalidArgumentError

__all__ = [
    "ROSConversionError",
    "RosType",
    "ros_types",
    "ros_type_name",
    "to_ros_bytes",
    "from_ros_bytes",
    "register_conversion",
    "unregister_conversion",
    "msgify",
    "numpify",
    "validate_ros_msgify",
    "validate_ros_numpify",
]


class ROSConversionError(Exception):
    """Raised when a ROS message conversion fails (the original's name)."""


class RosType(NamedTuple):
    """One supported ROS 2 message type (``tipc ros2 types``)."""

    name: str  # "sensor_msgs/msg/Image"
    dds_name: str  # "sensor_msgs::msg::dds_::Image_"
    shapes: str  # the pool shapes and dtypes it maps to, in words
    definition: str  # its .msg text with dependencies


def ros_types() -> List[RosType]:
    """Every message type the C library carries, in its order."""
    out = []
    for i in range(_tipc.ros2_type_count()):
        t = _tipc.ros2_type_at(i)
        out.append(RosType(t.name, t.dds_name, t.shapes, t.definition))
    return out


def ros_type_name(msg_type: Any) -> str:
    """The ROS 2 name ("pkg/msg/Name") of a type given as a string in any
    spelling ("sensor_msgs/msg/Image", "sensor_msgs/Image", the DDS name), an
    rclpy message class or a message. Names the C library lacks are kept
    as written (in "pkg/msg/Name" form) for registered conversions."""
    if isinstance(msg_type, str):
        name = msg_type
    else:
        cls = msg_type if isinstance(msg_type, type) else type(msg_type)
        module = getattr(cls, "__module__", "") or ""
        pkg = module.split(".")[0]
        if not pkg or ".msg" not in module:
            raise InvalidArgumentError(
                f"ros_msg_type {msg_type!r} is neither a type name nor a ROS 2 message class"
            )
        name = f"{pkg}/msg/{cls.__name__}"
    try:
        return _tipc.ros2_type_find(name).name
    except InvalidArgumentError:
        pass
    if "::" in name:  # pkg::msg::dds_::Name_
        parts = [p for p in name.split("::") if p not in ("dds_",)]
        if len(parts) == 3 and parts[2].endswith("_"):
            name = f"{parts[0]}/{parts[1]}/{parts[2][:-1]}"
    parts = name.strip("/").split("/")
    if len(parts) == 2:
        parts = [parts[0], "msg", parts[1]]
    if len(parts) != 3 or not all(parts):
        raise InvalidArgumentError(f"ROS 2 type name {msg_type!r} is not 'pkg/msg/Name'")
    return "/".join(parts)


def _supported(name: str) -> bool:
    try:
        _tipc.ros2_type_find(name)
        return True
    except InvalidArgumentError:
        return False


# Metadata of the arrays encoded, by (dtype, shape): a tiny cache, because
# one process usually encodes one shape over and over.
_md_cache: Dict[Tuple[str, tuple], Any] = {}
_md_lock = threading.Lock()


def _metadata_for(dtype: str, shape: tuple):
    key = (dtype, shape)
    md = _md_cache.get(key)
    if md is None:
        md = _tipc.Metadata("ros2_encode", dtype, shape, "numpy", 1, None)
        with _md_lock:
            if len(_md_cache) > 64:
                _md_cache.clear()
            _md_cache[key] = md
    return md


def _opt_str(what: str, value: Any) -> Optional[str]:
    if value is None or isinstance(value, str):
        return value
    raise InvalidArgumentError(f"{what} {value!r} must be a string or None")


def _joint_names(value: Any) -> Optional[str]:
    if value is None or isinstance(value, str):
        return value
    names = list(value)
    if not all(isinstance(n, str) and "," not in n for n in names):
        raise InvalidArgumentError(f"joint_names {value!r} must be strings without commas")
    return ",".join(names)


def to_ros_bytes(
    array: Any,
    msg_type: Any = None,
    *,
    stamp_ns: int = 0,
    encoding: Optional[str] = None,
    frame_id: Optional[str] = None,
    joint_names: Any = None,
) -> bytes:
    """One array as a serialised ROS 2 message (encapsulation header and
    CDR body, little-endian): what a ROS 2 publisher of ``msg_type`` sends.
    ``msg_type`` None infers it (uint8 (H,W,3) -> Image rgb8, ...). numpy
    arrays and CPU torch tensors are read in place (one serialisation, no
    intermediate copy) when C-contiguous."""
    if _b.is_torch_tensor(array):
        array = array.detach().cpu().numpy()
    arr = np.ascontiguousarray(array)
    dtype = _b.normalize_dtype(arr.dtype)
    md = _metadata_for(dtype, tuple(int(d) for d in arr.shape))
    name = None if msg_type is None else ros_type_name(msg_type)
    return _tipc.ros2_encode(
        md,
        arr,
        int(stamp_ns),
        name,
        _opt_str("encoding", encoding),
        _opt_str("frame_id", frame_id),
        _joint_names(joint_names),
    )


def ros_array_info(data: Any, msg_type: Any, *, encoding: Optional[str] = None):
    """(dtype name, shape, nbytes, stamp_ns) of the array a serialised message decodes to."""
    return _tipc.ros2_decode_info(ros_type_name(msg_type), data, _opt_str("encoding", encoding))


def from_ros_bytes(
    data: Any,
    msg_type: Any,
    *,
    out: Optional[np.ndarray] = None,
    with_stamp: bool = False,
    encoding: Optional[str] = None,
):
    """The array form of one serialised ROS 2 message (``data``: bytes,
    bytearray, memoryview; either CDR byte order). Decoded straight into a
    new numpy array, or into ``out`` (C-contiguous, of the right dtype and
    shape). Image rows lose their padding; big-endian data is converted.
    ``with_stamp``: returns (array, header.stamp in ns, 0 without header).
    Raises CorruptError for bytes that are not a valid message of that type."""
    name = ros_type_name(msg_type)
    enc = _opt_str("encoding", encoding)
    dtype, shape, nbytes, _ = _tipc.ros2_decode_info(name, data, enc)
    want = _b.numpy_dtype(dtype)
    if out is None:
        out = np.empty(shape, want)
    elif (
        not isinstance(out, np.ndarray)
        or out.dtype != want
        or tuple(out.shape) != tuple(shape)
        or not out.flags.c_contiguous
    ):
        raise InvalidArgumentError(
            f"{name}: out must be a C-contiguous {dtype} array of shape {tuple(shape)}"
        )
    _, _, _, stamp = _tipc.ros2_decode_into(out, name, data, enc)
    return (out, stamp) if with_stamp else out


# ------------------------------------------------------- registered conversions

_conversions: Dict[str, Tuple[Optional[Callable], Optional[Callable]]] = {}


def register_conversion(
    msg_type: Any,
    numpify: Optional[Callable[[Any], Any]] = None,
    msgify: Optional[Callable[..., Any]] = None,
) -> None:
    """Register how messages of ``msg_type`` become arrays and back, as
    ros2_numpy's ``@converts_to_numpy``/``@converts_from_numpy`` do:
    ``numpify(msg) -> array`` and ``msgify(msg_class, array, **kwargs) -> msg``.
    Used by :func:`numpify`/:func:`msgify` and so by the rclpy path of
    ROSTensorProducer/ROSTensorConsumer, before ros2_numpy. (The C bridge,
    used without rclpy, carries the types of :func:`ros_types` in their
    table forms only.)"""
    if numpify is None and msgify is None:
        raise InvalidArgumentError("register_conversion needs numpify, msgify or both")
    for what, fn in (("numpify", numpify), ("msgify", msgify)):
        if fn is not None and not callable(fn):
            raise InvalidArgumentError(f"register_conversion: {what} must be callable")
    _conversions[ros_type_name(msg_type)] = (numpify, msgify)


def unregister_conversion(msg_type: Any) -> None:
    _conversions.pop(ros_type_name(msg_type), None)


def _ros2_numpy():
    try:
        import ros2_numpy  # noqa: PLC0415 - optional, with a ROS install
    except ImportError:
        return None
    return ros2_numpy


def numpify(msg: Any, **kwargs: Any):
    """A ROS 2 message object as an array: a registered conversion, else
    ros2_numpy's numpify, else the C codec over ``rclpy.serialization``."""
    name = ros_type_name(type(msg))
    fn = _conversions.get(name, (None, None))[0]
    if fn is not None:
        return fn(msg, **kwargs)
    r2n = _ros2_numpy()
    if r2n is not None:
        return r2n.numpify(msg, **kwargs)
    if _supported(name):
        from rclpy.serialization import serialize_message  # noqa: PLC0415

        return from_ros_bytes(serialize_message(msg), name)
    raise ROSConversionError(f"no conversion registered for {name} (and no ros2_numpy)")


def msgify(msg_type: Any, array: Any, *args: Any, **kwargs: Any):
    """An array as a ROS 2 message object of class ``msg_type``: a
    registered conversion, else ros2_numpy's msgify, else the C codec over
    ``rclpy.serialization``."""
    name = ros_type_name(msg_type)
    fn = _conversions.get(name, (None, None))[1]
    if fn is not None:
        return fn(msg_type, array, *args, **kwargs)
    r2n = _ros2_numpy()
    if r2n is not None:
        return r2n.msgify(msg_type, array, *args, **kwargs)
    if _supported(name) and isinstance(msg_type, type):
        from rclpy.serialization import deserialize_message  # noqa: PLC0415

        return deserialize_message(to_ros_bytes(array, name, **kwargs), msg_type)
    raise ROSConversionError(f"no conversion registered for {name} (and no ros2_numpy)")


def validate_ros_msgify(ros_msg_type: Any, sample_data: Any) -> bool:
    """True when ``sample_data`` converts to a ``ros_msg_type`` message (the original's helper)."""
    try:
        msgify(ros_msg_type, sample_data)
        return True
    except Exception:
        return False


def validate_ros_numpify(ros_msg: Any) -> bool:
    """True when ``ros_msg`` converts to an array (the original's helper)."""
    try:
        numpify(ros_msg)
        return True
    except Exception:
        return False
