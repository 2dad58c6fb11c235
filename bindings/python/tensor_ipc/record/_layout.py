"""The layout of a tensor-ipc recording: what each pool becomes in an MCAP file.

Every pool is one channel, topic ``/<pool>``, message encoding ``cdr``,
schema encoding ``ros2msg``, so that ROS 2 tools (``ros2 bag``, rosbags,
Foxglove) open every channel of the file:

* A pool whose shape maps to a standard ROS 2 type (``tipc_ros2_infer``:
  an image, a joint state, ...) is written as that type, serialised by the C
  library's codec (``tipc_ros2_encode``), the schema is the type's definition.
* Any other pool is a ``tensor_ipc/msg/Tensor`` (TENSOR_DEFINITION below):
  the frame stamp, the dtype name, the shape and the frame's C-order,
  little-endian bytes.

The channel metadata holds the pool's metadata (CHANNEL_KEYS), so a replay
recreates the pool exactly; log_time and publish_time are the frame stamp
(CLOCK_REALTIME ns), sequence the frame index (modulo 2**32).
"""

from __future__ import annotations

import json
import struct
from typing import Dict, Optional, Tuple

import numpy as np

from .. import PoolMetadata
from .. import capi as _capi
from ..errors import TensorIPCError

FORMAT_VERSION = "1"
PROFILE = "ros2"
MESSAGE_ENCODING = "cdr"
SCHEMA_ENCODING = "ros2msg"
TENSOR_TYPE = "tensor_ipc/msg/Tensor"
TENSOR_DEFINITION = (
    "# A tensor-ipc frame of a pool that maps to no standard ROS 2 type.\n"
    "# data: the frame's bytes, C order, little-endian elements of dtype\n"
    "# (numpy names: uint8, float32, bfloat16, complex64, ...), shaped as shape.\n"
    "builtin_interfaces/Time stamp\n"
    "string dtype\n"
    "uint32[] shape\n"
    "uint8[] data\n"
    "================================================================================\n"
    "MSG: builtin_interfaces/Time\n"
    "int32 sec\n"
    "uint32 nanosec\n"
)

# Channel metadata keys (all values are strings, as MCAP requires).
K_POOL = "tensor_ipc.pool"
K_DTYPE = "tensor_ipc.dtype"
K_SHAPE = "tensor_ipc.shape"  # JSON list
K_HISTORY = "tensor_ipc.history_len"
K_BACKEND = "tensor_ipc.backend"
K_DEVICE = "tensor_ipc.device"
K_FRAME_BYTES = "tensor_ipc.frame_bytes"
K_ROS2_TYPE = "tensor_ipc.ros2_type"
K_ROS2_ENCODING = "tensor_ipc.ros2_encoding"  # sensor_msgs/Image encoding, or ""
K_VERSION = "tensor_ipc.format"
CHANNEL_KEYS = (K_POOL, K_DTYPE, K_SHAPE, K_HISTORY, K_BACKEND, K_DEVICE, K_FRAME_BYTES,
                K_ROS2_TYPE, K_ROS2_ENCODING, K_VERSION)


class FormatError(ValueError):
    """A recording that is not what tensor-ipc writes (or is damaged)."""


def topic_of(pool: str) -> str:
    return "/" + pool.lstrip("/")


# ------------------------------------------------------------ ROS 2 codec


def ros2_codec_available() -> bool:
    """The C library's ROS 2 message codec is in this build's binding."""
    return all(hasattr(_capi, f) for f in ("ros2_infer_type", "ros2_encode", "ros2_decode_into"))


def ros2_type_of(md: PoolMetadata, requested: Optional[str] = None
                 ) -> Tuple[Optional[str], Optional[str]]:
    """(ROS 2 type, Image encoding) the pool maps to, or (None, None): a
    Tensor. Inferred, only for an unambiguous shape; a ``requested`` type is
    checked against the pool (the library's sentence when it cannot carry it)."""
    if not ros2_codec_available():
        if requested:
            raise FormatError(f"pool '{md.name}': a ROS 2 type needs the binding's ROS 2 codec, "
                              "which this build lacks")
        return None, None
    if requested:
        return (_capi.ros2_infer_type(md._c, requested),
                _capi.ros2_infer_encoding(md._c, requested))
    try:
        t = _capi.ros2_infer_type(md._c, None)
        enc = _capi.ros2_infer_encoding(md._c, None)
    except TensorIPCError:  # no type fits, or several: the pool stays a Tensor
        return None, None
    return t, enc


def ros2_definition(msg_type: str) -> str:
    return _capi.ros2_type_find(msg_type).definition


# ------------------------------------------------------------ channels


def channel_metadata(md: PoolMetadata, ros2_type: Optional[str], encoding: Optional[str]) -> Dict[str, str]:
    return {
        K_POOL: md.name,
        K_DTYPE: md.dtype_str,
        K_SHAPE: json.dumps(list(md.shape)),
        K_HISTORY: str(md.history_len),
        K_BACKEND: md.backend_type,
        K_DEVICE: md.device,
        K_FRAME_BYTES: str(md.frame_size),
        K_ROS2_TYPE: ros2_type or TENSOR_TYPE,
        K_ROS2_ENCODING: encoding or "",
        K_VERSION: FORMAT_VERSION,
    }


class ChannelInfo:
    """A recorded pool: its metadata and how its messages decode."""

    __slots__ = ("topic", "metadata", "msg_type", "encoding", "dtype", "shape", "frame_bytes")

    def __init__(self, topic: str, meta: Dict[str, str], schema_name: str) -> None:
        missing = [k for k in (K_POOL, K_DTYPE, K_SHAPE, K_HISTORY, K_BACKEND) if k not in meta]
        if missing:
            raise FormatError(
                f"channel '{topic}' was not written by tensor-ipc's recorder "
                f"(its metadata lacks {', '.join(missing)})"
            )
        try:
            shape = tuple(int(d) for d in json.loads(meta[K_SHAPE]))
            history = int(meta[K_HISTORY])
        except (ValueError, TypeError) as e:
            raise FormatError(f"channel '{topic}': unreadable pool metadata ({e})") from None
        device = meta.get(K_DEVICE) or None
        self.metadata = PoolMetadata(meta[K_POOL], shape, meta[K_DTYPE], meta[K_BACKEND],
                                     history, None if device == "cpu" else device)
        self.topic = topic
        self.msg_type = meta.get(K_ROS2_TYPE) or schema_name
        self.encoding = meta.get(K_ROS2_ENCODING) or None
        self.dtype = np.dtype(_numpy_dtype(self.metadata.dtype_str))
        self.shape = shape
        self.frame_bytes = self.metadata.frame_size

    @property
    def name(self) -> str:
        return self.metadata.name

    def decode_into(self, dst, data) -> int:
        """Put the frame of message ``data`` into ``dst`` (a writable buffer of
        frame_bytes); returns the stamp the message carries (ns)."""
        if self.msg_type == TENSOR_TYPE:
            stamp, payload = decode_tensor(data, self)
            memoryview(dst).cast("B")[:] = payload
            return stamp
        if not ros2_codec_available():
            raise FormatError(
                f"pool '{self.name}' is recorded as {self.msg_type}; decoding it needs "
                "the ROS 2 codec of the tensor_ipc binding, which this build lacks"
            )
        dtype, shape, nbytes, stamp = _capi.ros2_decode_info(self.msg_type, data, self.encoding)
        if dtype != self.metadata.dtype_str or nbytes != self.frame_bytes:
            raise FormatError(
                f"pool '{self.name}': a {self.msg_type} message decodes to {dtype}{list(shape)}, "
                f"not the recorded pool's {self.metadata.dtype_str}{list(self.shape)}"
            )
        _capi.ros2_decode_into(dst, self.msg_type, data, self.encoding)
        return stamp

    def decode(self, data) -> Tuple[int, np.ndarray]:
        """(stamp, frame) of one message; the frame is a read-only view of
        ``data`` for Tensor messages (no copy), a new array otherwise."""
        if self.msg_type == TENSOR_TYPE:
            stamp, payload = decode_tensor(data, self)
            arr = np.frombuffer(payload, self.dtype).reshape(self.shape)
            return stamp, arr
        out = np.empty(self.shape, self.dtype)
        stamp = self.decode_into(out, data)
        return stamp, out


def _numpy_dtype(name: str):
    from .. import _backends as _b

    return _b.numpy_dtype(name)


# ------------------------------------------------------------ Tensor CDR


def _pad4(n: int) -> int:
    return (n + 3) & ~3


def tensor_header(md: PoolMetadata, stamp_ns: int) -> bytes:
    """The bytes of a Tensor message before the frame's bytes: XCDR1
    little-endian encapsulation, stamp, dtype, shape and the data length.
    Every field is 4-aligned, so the frame follows without padding."""
    dtype = md.dtype_str.encode() + b"\0"
    shape = tuple(md.shape)
    sec, nsec = divmod(int(stamp_ns), 1_000_000_000)
    parts = [
        b"\x00\x01\x00\x00",
        struct.pack("<iII", sec, nsec, len(dtype)),
        dtype.ljust(_pad4(len(dtype)), b"\0"),
        struct.pack(f"<I{len(shape)}I", len(shape), *shape),
        struct.pack("<I", md.frame_size),
    ]
    return b"".join(parts)


def decode_tensor(data, ch: ChannelInfo) -> Tuple[int, memoryview]:
    """(stamp ns, frame bytes as a view of ``data``) of a Tensor message,
    checked against the recorded pool."""
    mv = memoryview(data).cast("B")
    try:
        if bytes(mv[:2]) != b"\x00\x01":
            raise FormatError("not little-endian XCDR1")
        sec, nsec, n = struct.unpack_from("<iII", mv, 4)
        off = 16
        dtype = bytes(mv[off:off + n - 1]).decode()
        off += _pad4(n)
        (ndim,) = struct.unpack_from("<I", mv, off)
        shape = struct.unpack_from(f"<{ndim}I", mv, off + 4)
        off += 4 + 4 * ndim
        (size,) = struct.unpack_from("<I", mv, off)
        off += 4
    except (struct.error, UnicodeDecodeError, FormatError) as e:
        raise FormatError(f"pool '{ch.name}': a malformed {TENSOR_TYPE} message ({e})") from None
    if dtype != ch.metadata.dtype_str or tuple(shape) != ch.shape or size != ch.frame_bytes \
            or off + size > len(mv):
        raise FormatError(
            f"pool '{ch.name}': a {TENSOR_TYPE} message of {dtype}{list(shape)} ({size} bytes, "
            f"{len(mv) - off} present) where the channel says "
            f"{ch.metadata.dtype_str}{list(ch.shape)}"
        )
    return sec * 1_000_000_000 + nsec, mv[off:off + size]
