"""tensor_ipc: share fixed-shape tensors between processes without copies.

One producer ``put``s frames into a named pool (a ring of ``history_len``
frames in shared memory); any number of consumers, in any process and
language, ``get`` the latest frame or the last N frames. Backends: ``numpy``
and ``torch`` (CPU) in shared memory, ``torch_cuda`` in GPU memory shared with
CUDA IPC (where the NVIDIA driver is present).

The names and arguments follow the original tensor-ipc, so code written for
it runs unchanged::

    producer = TensorProducer.from_sample("cam", np.zeros((480, 640, 3), np.uint8), history_len=4)
    consumer = TensorConsumer.from_sample("cam", np.zeros((480, 640, 3), np.uint8), history_len=4)
    producer.put(frame)
    latest = consumer.get()                 # None until the producer is there
    last4 = consumer.get(history_len=4)     # shape (4, 480, 640, 3), latest first
"""

from __future__ import annotations

import math
import os
import threading
import time
import warnings
from typing import Any, Callable, Optional, Sequence

import numpy as np

from . import _backends as _b
from . import capi as _tipc
from ._capi import Frame
from .errors import *  # noqa: F401,F403 - the exception classes are public API
from .errors import (
    BackendMismatchError,
    ClosedError,
    InvalidArgumentError,
    NoDataError,
    NotConnectedError,
    TimeoutError,
)

__all__ = [
    "PoolMetadata",
    "MetadataCreator",
    "TensorProducer",
    "TensorConsumer",
    "Frame",
    "Shape",
    "version",
] + [n for n in dir() if n.endswith("Error")]

__version__ = _tipc.version_string()



def version() -> str:
    """Version of the loaded C library."""
    return _tipc.version_string()


def _shape_tuple(name: str, shape: Any) -> tuple:
    """The shape as a tuple of ints (a conversion: the library checks the values)."""
    import operator

    try:
        return tuple(operator.index(d) for d in shape)
    except TypeError:
        raise InvalidArgumentError(
            f"pool '{name}': shape {shape!r} must be a sequence of integers"
        ) from None


def _check_history(md: "PoolMetadata", history_len: Any) -> None:
    if isinstance(history_len, bool) or not isinstance(history_len, int) or not (
        1 <= history_len <= md.history_len
    ):
        raise InvalidArgumentError(
            f"pool '{md.name}': cannot read {history_len!r} frames from a history of "
            f"{md.history_len}"
        )


_NS_MAX = (1 << 63) - 1


def _keep_last(pool: str, keep_last: Any) -> int:
    """The original's DDS history depth of its notification topics. It is
    checked and kept (``.keep_last``) but changes nothing here: progress is
    read from the shared segment, which is always current (docs/migration.md)."""
    if isinstance(keep_last, bool) or not isinstance(keep_last, int) or keep_last < 1:
        raise InvalidArgumentError(
            f"pool '{pool}': keep_last {keep_last!r} must be a positive integer"
        )
    return keep_last


def _timeout_ns(pool: str, what: str, timeout: Any) -> int:
    """Seconds (None: forever) as the C library's nanoseconds. Only the
    conversion lives here: which values are valid is the library's rule, so a
    negative number goes on as a negative number of ns (never as -1, which is
    TIMEOUT_INFINITE) and the library's sentence refuses it."""
    if timeout is None:
        return _tipc.TIMEOUT_INFINITE
    if (timeout.__class__ is float or timeout.__class__ is int) and 0 <= timeout < 9e9:
        return int(timeout * 1e9)  # the common case (NaN fails the comparison)
    try:
        if isinstance(timeout, (bool, str, bytes)):
            raise TypeError
        seconds = float(timeout)  # int, float, numpy scalars, Fraction, Decimal ...
    except (TypeError, ValueError, OverflowError):
        raise InvalidArgumentError(
            f"pool '{pool}': {what} {timeout!r} is not a number of seconds (None: forever)"
        ) from None
    if not math.isfinite(seconds):
        raise InvalidArgumentError(
            f"pool '{pool}': {what} {timeout!r} is not a finite number of seconds "
            "(None waits forever)"
        )
    ns = seconds * 1e9
    if ns >= _NS_MAX:
        raise InvalidArgumentError(
            f"pool '{pool}': {what} {timeout!r} s is longer than a 64-bit count of ns "
            "(None waits forever)"
        )
    if seconds < 0:  # negative stays negative, and never -1 (TIMEOUT_INFINITE)
        return -_NS_MAX - 1 if ns <= -_NS_MAX else min(math.floor(ns), -2)
    return math.floor(ns)


class Shape(list):
    """A pool's shape: a list, as the original tensor-ipc gives it
    (``md.shape == [2, 3]``), that also equals the tuple (``== (2, 3)``) and
    hashes like it. It cannot be changed in place: assign ``md.shape``."""

    __slots__ = ()

    def __eq__(self, other: object) -> bool:
        if isinstance(other, tuple):
            return tuple(self) == other
        return list.__eq__(self, other)

    def __ne__(self, other: object) -> bool:
        return not self.__eq__(other)

    def __hash__(self) -> int:  # type: ignore[override]
        return hash(tuple(self))

    def __add__(self, other: Any) -> Any:
        if isinstance(other, tuple):
            return tuple(self) + other
        return list.__add__(self, other)

    def __radd__(self, other: Any) -> Any:
        if isinstance(other, tuple):  # (n,) + md.shape, as with the tuple it was
            return other + tuple(self)
        if isinstance(other, list):
            return other + list(self)
        return NotImplemented

    def _immutable(self, *args: Any, **kwargs: Any) -> None:
        raise TypeError("a pool's shape cannot change in place; assign PoolMetadata.shape")

    __setitem__ = __delitem__ = __iadd__ = __imul__ = _immutable  # type: ignore[assignment]
    append = extend = insert = pop = remove = clear = sort = reverse = _immutable  # type: ignore[assignment]


class _Closable:
    """close() as cleanup(), the context-manager protocol, and cleanup at
    garbage collection, for producers and consumers."""

    def cleanup(self) -> None:  # pragma: no cover - overridden
        raise NotImplementedError

    def close(self) -> None:
        self.cleanup()

    def __enter__(self):
        return self

    def __exit__(self, *exc: Any) -> None:
        self.cleanup()

    def __del__(self) -> None:
        try:
            self.cleanup()
        except Exception:
            pass


# ----------------------------------------------------------------- metadata


_MD_FIELDS = (
    "name",
    "shape",
    "dtype_str",
    "backend_type",
    "history_len",
    "device",
    "element_size",
    "total_size",
    "shm_name",
    "creator_pid",
    "payload",
)


class PoolMetadata:
    """Description of a pool. Two metadata match when every field but
    ``creator_pid`` and ``payload`` is equal; the backend counts only for
    torch_cuda (numpy and torch describe the same host pool, read as
    different array types).

    Fields: name, shape, dtype_str, backend_type, history_len, device,
    element_size, total_size (bytes of all frames), shm_name, creator_pid,
    payload. Assign any of the first six (``md.history_len = 4``): the value
    is checked by the C library at once (InvalidArgumentError, and nothing
    changes, when it is refused) and used by every pool made from the
    metadata afterwards. ``device=None`` follows the backend (``cpu``, or
    ``cuda:0`` for torch_cuda). The derived fields (element_size,
    total_size, shm_name) are computed; values given for them must agree.
    The ``pool_metadata`` of a producer or consumer is its own copy, fixed
    while the pool exists.
    """

    __slots__ = (
        "_name",
        "_shape",
        "_dtype_str",
        "_backend_type",
        "_history_len",
        "_device",
        "_device_arg",
        "_element_size",
        "_total_size",
        "_shm_name",
        "_creator_pid",
        "_payload",
        "_c",
        "_owner",
    )

    def __init__(
        self,
        name: str,
        shape: Sequence[int],
        dtype_str: Any,
        backend_type: str = "numpy",
        history_len: int = 1,
        device: Optional[str] = None,
        element_size: Optional[int] = None,
        total_size: Optional[int] = None,
        shm_name: Optional[str] = None,
        creator_pid: Optional[int] = None,
        payload: Optional[bytes] = None,
    ) -> None:
        object.__setattr__(self, "_owner", None)
        self._build(name, shape, dtype_str, backend_type, history_len, device)
        for field, given in (
            ("element_size", element_size),
            ("total_size", total_size),
            ("shm_name", shm_name),
        ):
            if given is not None:
                self._check_derived(field, given)
        self._set_plain("creator_pid", self._c.creator_pid() if creator_pid is None else creator_pid)
        self._set_plain("payload", payload)

    # -- construction and assignment

    def _build(self, name, shape, dtype_str, backend_type, history_len, device) -> None:
        """Check and convert every field, let the C library validate them
        together, then store them all (or raise and store nothing)."""
        if not isinstance(name, str) or "\x00" in name:
            raise InvalidArgumentError(
                f"pool name {name!r} must be a string without NUL bytes"
            )
        try:
            dtype = _b.normalize_dtype(dtype_str)
        except InvalidArgumentError as e:
            raise InvalidArgumentError(f"pool '{name}': {e}") from None
        if backend_type not in _b.BACKENDS:
            raise InvalidArgumentError(
                f"pool '{name}': backend {backend_type!r} is not one of {', '.join(_b.BACKENDS)}"
            )
        shape = _shape_tuple(name, shape)
        if isinstance(history_len, bool) or not isinstance(history_len, int):
            raise InvalidArgumentError(f"pool '{name}': history_len {history_len!r} is not an integer")
        if not 0 <= history_len <= 0xFFFFFFFF:  # a C uint32; the library checks the range
            raise InvalidArgumentError(f"pool '{name}': history_len {history_len} is out of range")
        if device is not None and (not isinstance(device, str) or "\x00" in device):
            raise InvalidArgumentError(
                f"pool '{name}': device {device!r} must be a string like 'cpu' or 'cuda:0', or None"
            )
        c = _tipc.Metadata(name, dtype, shape, backend_type, history_len, device)
        put = object.__setattr__
        put(self, "_c", c)
        put(self, "_name", c.name())
        put(self, "_shape", shape)
        put(self, "_dtype_str", dtype)
        put(self, "_backend_type", backend_type)
        put(self, "_history_len", history_len)
        put(self, "_device_arg", device)
        put(self, "_device", c.device())
        put(self, "_element_size", c.element_size())
        put(self, "_total_size", c.total_bytes())
        put(self, "_shm_name", c.shm_name())

    def _check_derived(self, field: str, given: Any) -> None:
        actual = getattr(self, field)
        if given != actual:
            raise InvalidArgumentError(
                f"pool '{self._name}': {field} {given!r} disagrees with the computed {actual!r} "
                "(it follows from the other fields)"
            )

    def _set_plain(self, field: str, value: Any) -> None:
        if field == "creator_pid" and (
            isinstance(value, bool) or not isinstance(value, int) or value < 0
        ):
            raise InvalidArgumentError(
                f"pool '{self._name}': creator_pid {value!r} is not a process id"
            )
        if field == "payload" and value is not None:
            try:
                value = bytes(memoryview(value))
            except TypeError:
                raise InvalidArgumentError(
                    f"pool '{self._name}': payload {value!r} is not bytes or None"
                ) from None
        object.__setattr__(self, "_" + field, value)

    def __setattr__(self, field: str, value: Any) -> None:
        if field not in _MD_FIELDS:
            raise AttributeError(f"PoolMetadata has no field {field!r} (fields: {', '.join(_MD_FIELDS)})")
        if self._owner is not None:
            raise InvalidArgumentError(
                f"pool '{self._name}': the metadata of a live {self._owner} cannot change; "
                "build a new PoolMetadata (and a new pool) instead"
            )
        if field in ("element_size", "total_size", "shm_name"):
            self._check_derived(field, value)
        elif field in ("creator_pid", "payload"):
            self._set_plain(field, value)
        else:
            fields = {
                "name": self._name,
                "shape": self._shape,
                "dtype_str": self._dtype_str,
                "backend_type": self._backend_type,
                "history_len": self._history_len,
                "device": self._device_arg,
            }
            fields[field] = value
            self._build(**fields)

    def __delattr__(self, field: str) -> None:
        raise AttributeError(f"PoolMetadata fields cannot be deleted ({field!r})")

    def _bound(self, owner: str) -> "PoolMetadata":
        """A copy for a producer or consumer (``owner``), fixed while it lives."""
        cp = object.__new__(PoolMetadata)
        for slot in PoolMetadata.__slots__:
            object.__setattr__(cp, slot, getattr(self, slot))
        object.__setattr__(cp, "_owner", owner)
        return cp

    # -- fields

    name = property(lambda self: self._name, doc="Pool name.")
    shape = property(
        lambda self: Shape(self._shape),
        doc="Shape of one frame: a list as in the original (equal to the tuple too).",
    )

    @property
    def payload_json(self) -> str:
        """The backend payload as the original's string field ("" when none)."""
        p = self._payload
        try:
            return "" if not p else p.decode("utf-8")
        except UnicodeDecodeError:  # a binary payload (our torch_cuda handle)
            return ""
    dtype_str = property(lambda self: self._dtype_str, doc="Element type, numpy-style name.")
    backend_type = property(lambda self: self._backend_type, doc="numpy, torch or torch_cuda.")
    history_len = property(lambda self: self._history_len, doc="Frames in the ring.")
    device = property(lambda self: self._device, doc="cpu or cuda:N.")
    element_size = property(lambda self: self._element_size, doc="Bytes per element (derived).")
    total_size = property(lambda self: self._total_size, doc="Bytes of all frames (derived).")
    shm_name = property(lambda self: self._shm_name, doc="POSIX shared-memory name (derived).")
    creator_pid = property(lambda self: self._creator_pid, doc="Producer's pid (0: none yet).")
    payload = property(lambda self: self._payload, doc="Backend payload (bytes) or None.")

    @property
    def frame_size(self) -> int:
        """Bytes of one frame."""
        return self._c.frame_bytes()

    def check_matches(self, other: "PoolMetadata") -> None:
        """Raise MismatchError naming every field where ``other`` differs."""
        self._c.check_matches(other._c)

    def __eq__(self, other: object) -> bool:
        if not isinstance(other, PoolMetadata):
            return NotImplemented
        try:
            self.check_matches(other)
        except Exception:
            return False
        return True

    def __hash__(self) -> int:
        # Equal metadata hash alike: host backends (numpy, torch) compare equal.
        return hash((self._name, self._shape, self._dtype_str, self._backend_type == "torch_cuda",
                     self._history_len))

    def to_dict(self) -> dict:
        return {f: getattr(self, f) for f in _MD_FIELDS}

    def __repr__(self) -> str:
        return (
            f"PoolMetadata(name={self.name!r}, shape={self._shape}, dtype_str={self.dtype_str!r}, "
            f"backend_type={self.backend_type!r}, history_len={self.history_len}, "
            f"device={self.device!r}, total_size={self.total_size})"
        )


class MetadataCreator:
    """Builds PoolMetadata from a sample tensor."""

    @staticmethod
    def from_sample(
        name: str, data: Any, history_len: int = 1, backend: Optional[str] = None
    ) -> PoolMetadata:
        """Metadata for frames shaped like ``data``; backend inferred when None."""
        inferred = _b.backend_of(data)
        backend = backend or inferred
        if backend == "numpy" and _b.is_torch_tensor(data):
            raise BackendMismatchError(f"pool '{name}': backend numpy needs a numpy sample")
        if backend in ("torch", "torch_cuda") and not _b.is_torch_tensor(data):
            raise BackendMismatchError(
                f"pool '{name}': backend {backend} needs a torch sample, got {type(data).__name__}"
            )
        if backend == "torch_cuda" and inferred != "torch_cuda":
            raise BackendMismatchError(f"pool '{name}': backend torch_cuda needs a CUDA tensor")
        if not hasattr(data, "shape"):
            import numpy as np

            data = np.asarray(data)
        device = _b.device_of(data)
        return PoolMetadata(
            name,
            tuple(data.shape),
            _b.dtype_name_of(data),
            backend,
            history_len,
            # a host sample's device follows the backend, so assigning
            # backend_type later moves it along
            None if device == "cpu" else device,
        )

    @staticmethod
    def from_numpy_sample(name: str, sample_data: Any, history_len: int = 1) -> PoolMetadata:
        return MetadataCreator.from_sample(name, sample_data, history_len, "numpy")

    @staticmethod
    def from_torch_sample(name: str, sample_data: Any, history_len: int = 1) -> PoolMetadata:
        return MetadataCreator.from_sample(name, sample_data, history_len, "torch")

    @staticmethod
    def from_torch_cuda_sample(
        name: str, sample_data: Any, history_len: int = 1, tensor_pool: Any = None
    ) -> PoolMetadata:
        """``tensor_pool`` (the original's way to describe an existing CUDA
        allocation) is accepted only as None: the library allocates the ring
        and fills the payload itself."""
        if tensor_pool is not None:
            raise UnsupportedError(
                f"pool '{name}': tensor_pool is not supported; the producer allocates "
                "the GPU ring and sets the payload (docs/migration.md)"
            )
        return MetadataCreator.from_sample(name, sample_data, history_len, "torch_cuda")

    _CUDA_PAYLOAD_KEYS = {
        "tensor_size": list, "tensor_stride": list, "tensor_offset": int,
        "storage_device": int, "storage_handle": str, "storage_size_bytes": int,
        "storage_offset_bytes": int, "ref_counter_handle": str,
        "ref_counter_offset": int, "event_handle": str, "event_sync_required": bool,
    }

    @staticmethod
    def payload_from_torch_cuda_storage(tensor: Any) -> str:
        """The original's JSON description of a CUDA tensor's storage (torch's
        own CUDA IPC handles). Our pools do not use it (the C library shares
        its GPU ring with a CUDA IPC handle of its own, in ``payload``); it
        is kept for code that builds or inspects such payloads."""
        import json

        if not _b.is_torch_tensor(tensor):
            raise InvalidArgumentError(
                f"payload_from_torch_cuda_storage needs a torch.Tensor, got {type(tensor).__name__}"
            )
        if not tensor.is_cuda:
            raise UnsupportedError(
                "payload_from_torch_cuda_storage needs a CUDA tensor (CUDA IPC handles "
                "exist only for GPU memory)"
            )
        storage = tensor.untyped_storage() if hasattr(tensor, "untyped_storage") else tensor.storage()._untyped()
        (dev, handle, size, off, ref, ref_off, evt, evt_sync) = storage._share_cuda_()
        return json.dumps({
            "tensor_size": list(tensor.size()), "tensor_stride": list(tensor.stride()),
            "tensor_offset": tensor.storage_offset(), "storage_device": dev,
            "storage_handle": handle.hex(), "storage_size_bytes": size,
            "storage_offset_bytes": off, "ref_counter_handle": ref.hex(),
            "ref_counter_offset": ref_off, "event_handle": evt.hex(),
            "event_sync_required": evt_sync,
        })

    @staticmethod
    def verify_torch_cuda_payload(metadata: "PoolMetadata") -> bool:
        """True when ``metadata.payload_json`` is a complete payload of
        payload_from_torch_cuda_storage(); False otherwise (no output)."""
        import json

        try:
            payload = json.loads(metadata.payload_json)
            for key, kind in MetadataCreator._CUDA_PAYLOAD_KEYS.items():
                value = payload[key]
                if not isinstance(value, kind) or (kind is int and isinstance(value, bool)):
                    return False
                if kind is list and not value:
                    return False
                if kind is str:
                    bytes.fromhex(value)
            return True
        except (ValueError, KeyError, TypeError, AttributeError):
            return False


# ----------------------------------------------------------------- producer


class _Loan:
    """``with producer.loan() as frame:`` fill ``frame`` in place; it is
    published when the block ends, and discarded if the block raises."""

    def __init__(self, producer: "TensorProducer", as_numpy: bool) -> None:
        self._producer = producer
        self._as_numpy = as_numpy
        self._frame = self._array = None
        self.index: Optional[int] = None

    def __enter__(self):
        p = self._producer
        md = p.pool_metadata
        frame = self._frame = p._handle().loan(p)
        self._array = _b.frame_array(frame, md.backend_type, self._as_numpy, md.dtype_str, md._shape)
        return self._array

    def __exit__(self, exc_type, exc, tb) -> None:
        try:
            h = self._producer._handle()
            if exc_type is None:
                self.index = h.commit()
            else:
                h.discard()
        finally:
            self._end()

    def _end(self) -> None:
        """After commit or discard the slot belongs to the pool again: the
        array given out can no longer write it (numpy: read-only; torch: the
        tensor lets go of the memory), nor can its Frame export it again."""
        frame, arr = self._frame, self._array
        self._frame = self._array = None
        if frame is not None:
            frame._end_loan()
        if isinstance(arr, np.ndarray):
            arr.flags.writeable = False
        elif arr is not None:
            arr.set_()  # an empty tensor: indexing it raises, and it holds no pool memory

    def __repr__(self) -> str:
        md = self._producer.pool_metadata
        state = "open" if self.index is None else f"committed as frame {self.index}"
        return f"<tensor_ipc loan pool={md.name!r} {md.dtype_str}{list(md.shape)} {state}>"


class TensorProducer(_Closable):
    """The single writer of a pool.

    ``put(data)`` copies a frame in and returns its index; ``loan()`` lets you
    fill the next frame in place. Use as a context manager, or call
    ``cleanup()``: consumers then learn the pool is gone.
    """

    def __init__(
        self,
        pool_metadata: PoolMetadata,
        dds_participant: Any = None,
        keep_last: int = 10,
        *,
        mode: int = 0o600,
        put_timeout: Optional[float] = _tipc.PUT_TIMEOUT_DEFAULT_NS / 1e9,
        control_plane: bool = True,
        publish_progress: bool = True,
    ) -> None:
        if not isinstance(pool_metadata, PoolMetadata):
            raise InvalidArgumentError("TensorProducer needs a PoolMetadata")
        self._p = None
        self.keep_last = _keep_last(pool_metadata.name, keep_last)
        timeout_ns = _timeout_ns(pool_metadata.name, "put_timeout", put_timeout)
        # Its own copy: later assignments to the caller's object make other pools.
        md = self.pool_metadata = pool_metadata._bound("producer")
        self._p = _tipc.Producer(md._c, mode, timeout_ns, int(control_plane), int(publish_progress))
        object.__setattr__(md, "_creator_pid", os.getpid())
        # put()'s fast path: a numpy array of exactly the pool's dtype and shape.
        self._shape = md._shape
        self._np_dtype = (
            _b.numpy_dtype(md.dtype_str)
            if md.backend_type == "numpy" and md.dtype_str != "bfloat16"
            else None
        )

    @classmethod
    def from_sample(
        cls,
        pool_name: str,
        sample: Any,
        history_len: int = 1,
        dds_participant: Any = None,
        keep_last: int = 10,
        *,
        backend: Optional[str] = None,
        **kwargs: Any,
    ) -> "TensorProducer":
        """A producer for frames shaped like ``sample`` (the original's
        positional order; ``backend`` and our options are keywords)."""
        return cls(
            MetadataCreator.from_sample(pool_name, sample, history_len, backend),
            dds_participant,
            keep_last,
            **kwargs,
        )

    def _handle(self):
        if self._p is None:
            raise ClosedError(f"pool '{self.pool_metadata.name}': the producer was cleaned up")
        return self._p

    def put(self, data: Any) -> int:
        """Copy ``data`` (right shape, dtype and backend; any strides) into the
        next frame and publish it. Returns the frame index."""
        want = self._np_dtype  # None unless a numpy pool (np.dtype == None is float64!)
        if type(data) is np.ndarray and want is not None and self._p is not None:
            dt = data.dtype
            if (
                (dt is want or dt == want)
                and data.shape == self._shape
                and data.flags.c_contiguous
            ):
                return self._p.put(data)
        md = self.pool_metadata
        if md.backend_type == "torch_cuda":
            address, nbytes, _keep = _b.cuda_source(data, md.name, md.device, md._shape, md.dtype_str)
            return self._handle().put_ptr(address, nbytes)
        buf = _b.host_buffer(data, md.name, md.backend_type, md._shape, md.dtype_str)
        return self._handle().put(buf)

    def loan(self, as_numpy: bool = False) -> _Loan:
        """Context manager giving a writable zero-copy array of the next frame."""
        return _Loan(self, as_numpy)

    @property
    def frames_written(self) -> int:
        return self._handle().frames_written()

    @property
    def backend(self):
        """The original's backend object over this producer
        (``tensor_ipc.backends``: ``.write(data)`` returns the ring slot)."""
        from .backends import _producer_view

        return _producer_view(self)

    def cleanup(self) -> None:
        """Close the pool (idempotent)."""
        p, self._p = self._p, None
        if p is not None:
            del p


    def __repr__(self) -> str:
        md = self.pool_metadata
        state = "closed" if self._p is None else f"{self._p.frames_written()} frames written"
        return (
            f"<TensorProducer pool={md.name!r} {md.dtype_str}{list(md.shape)} "
            f"{md.backend_type} history={md.history_len} {state}>"
        )


# ----------------------------------------------------------------- consumer


class _View:
    """The context manager of TensorConsumer.view() (a class: it costs less
    per call than a generator-based one)."""

    __slots__ = ("_consumer", "_count", "_as_numpy", "_latest_first", "_frames")

    def __init__(self, consumer, count, as_numpy, latest_first):
        self._consumer, self._count = consumer, count
        self._as_numpy, self._latest_first = as_numpy, latest_first
        self._frames = None

    def __enter__(self):
        c = self._consumer
        flags = 0 if self._latest_first else _tipc.READ_OLDEST_FIRST
        try:
            frames = self._frames = c._handle().acquire(self._count, flags)
        except (NotConnectedError, NoDataError, ClosedError):
            return None
        newest = frames[0] if self._latest_first else frames[-1]
        c.last_index, c.last_timestamp_ns = newest.index, newest.timestamp_ns
        if c._numpy_out or (self._as_numpy and c._host_dtype is not None):
            asarray = np.asarray  # host frames as numpy arrays, the common case
            return [None if f is None else asarray(f) for f in frames]
        md = c.pool_metadata
        backend, as_numpy, dtype, shape = md.backend_type, self._as_numpy, md.dtype_str, md._shape
        return [
            None if f is None else _b.frame_array(f, backend, as_numpy, dtype, shape)
            for f in frames
        ]

    def __exit__(self, *exc: Any) -> None:
        frames, self._frames = self._frames, None
        for f in frames or ():
            if f is not None:
                f.release()  # gives back every frame of the view
                break

    def __repr__(self) -> str:
        md = self._consumer.pool_metadata
        state = "held" if self._frames is not None else "not held"
        return f"<tensor_ipc view pool={md.name!r} history_len={self._count} {state}>"



class TensorConsumer(_Closable):
    """A reader of a pool, created before or after its producer.

    ``get()`` returns a copy of the latest frame (or the last N stacked), or
    None while no producer is connected. ``view()`` gives zero-copy arrays.
    ``on_new_data_callback(data)``, when given, is called from a library thread
    with each new frame (as ``get()`` would return it).

    Only a pool whose segment belongs to this user or root is read (anyone can
    create a file under a pool's name first); ``trusted_owner=uid`` also
    accepts that user's pools, for pools shared across users on purpose.

    ``remote=True`` (or ``TIPC_REMOTE=1`` in the environment) reads a pool whose
    producer is on another host over DDS; ``delivery`` is ``"latest"`` (best
    effort, the default) or ``"every"`` (reliable, bounded by history). See
    docs/remote.md.
    """

    def __init__(
        self,
        pool_metadata: PoolMetadata,
        keep_last: int = 10,
        dds_participant: Any = None,
        on_new_data_callback: Optional[Callable[[Any], None]] = None,
        *,
        control_plane: bool = True,
        trusted_owner: Optional[int] = None,
        remote: bool = False,
        delivery: str = "latest",
    ) -> None:
        if not isinstance(pool_metadata, PoolMetadata):
            raise InvalidArgumentError("TensorConsumer needs a PoolMetadata")
        self._c = None
        if isinstance(keep_last, PoolMetadata) or callable(keep_last):
            # A PoolMetadata or a callable where keep_last stands: a call
            # written for the old order (pool_metadata, dds_participant,
            # on_new_data_callback). Refused rather than misread.
            raise InvalidArgumentError(
                f"pool '{pool_metadata.name}': TensorConsumer(pool_metadata, keep_last=10, "
                "dds_participant=None, on_new_data_callback=None): pass the callback as "
                "on_new_data_callback="
            )
        self.keep_last = _keep_last(pool_metadata.name, keep_last)
        md = self.pool_metadata = pool_metadata._bound("consumer")
        if trusted_owner is not None and (
            isinstance(trusted_owner, bool) or not isinstance(trusted_owner, int)
        ):
            raise InvalidArgumentError(
                f"pool '{md.name}': trusted_owner must be a uid (int) or None, "
                f"not {trusted_owner!r}"
            )
        if delivery not in ("latest", "every"):
            raise InvalidArgumentError(
                f"pool '{md.name}': delivery must be 'latest' or 'every', not {delivery!r}"
            )
        self._c = _tipc.Consumer(
            md._c,
            int(control_plane),
            -1 if trusted_owner is None else trusted_owner,
            int(bool(remote)),
            1 if delivery == "every" else 0,
        )
        # get()'s fast path: host pools copy into a numpy array of this dtype.
        self._shape = md._shape
        self._host_dtype = None if md.backend_type == "torch_cuda" else _b.numpy_dtype(md.dtype_str)
        self._numpy_out = md.backend_type == "numpy"
        self._callback_owner = None
        self._lock = threading.Lock()
        self.last_index: Optional[int] = None
        self.missed_frames = 0  # frames the callback could not be given (lapped)
        self._foreign_noted = False
        self._callback_last: Optional[int] = None
        self.last_timestamp_ns: Optional[int] = None
        if on_new_data_callback is not None:
            self.set_callback(on_new_data_callback)

    @classmethod
    def from_sample(
        cls,
        pool_name: str,
        sample: Any,
        dds_participant: Any = None,
        history_len: int = 1,
        keep_last: int = 10,
        callback: Optional[Callable[[Any], None]] = None,
        *,
        backend: Optional[str] = None,
        **kwargs: Any,
    ) -> "TensorConsumer":
        """A consumer for frames shaped like ``sample`` (the original's
        positional order: dds_participant before history_len; ``backend``
        and our options are keywords)."""
        if isinstance(dds_participant, int) and not isinstance(dds_participant, bool):
            # from_sample(name, sample, 4): history_len in dds_participant's
            # place (a participant is never an int). Refused, not misread.
            raise InvalidArgumentError(
                f"pool '{pool_name}': TensorConsumer.from_sample(pool_name, sample, "
                "dds_participant=None, history_len=1, ...): pass history_len= by keyword"
            )
        md = MetadataCreator.from_sample(pool_name, sample, history_len, backend)
        return cls(md, keep_last, dds_participant, on_new_data_callback=callback, **kwargs)

    @classmethod
    def from_pool(
        cls,
        pool_name: str,
        timeout: Optional[float] = 5.0,
        keep_last: int = 10,
        callback: Optional[Callable[[Any], None]] = None,
        *,
        backend: Optional[str] = None,
        control_plane: bool = True,
        trusted_owner: Optional[int] = None,
    ) -> "TensorConsumer":
        """A consumer of ``pool_name`` whose shape, dtype, history and device
        come from the producer (its segment on this host, else its DDS
        announcement), waiting up to ``timeout`` seconds (None: forever) for
        it to appear.

        ``backend`` picks the array type: None follows the producer; a host
        pool (numpy or torch) can be read with either, so ``backend="numpy"``
        gets numpy arrays from a torch pool. A torch_cuda pool is read as
        torch_cuda only.

        Raises NotConnectedError when no producer appears in time. While it
        waits on a name nobody produces and a close name exists, it warns
        once (RuntimeWarning: "no producer of 'camrea' ...; did you mean
        'camera'?").
        """
        if not isinstance(pool_name, str) or "\x00" in pool_name:
            raise InvalidArgumentError(f"pool name {pool_name!r} must be a string without NUL bytes")
        if backend is not None and backend not in _b.BACKENDS:
            raise InvalidArgumentError(
                f"pool '{pool_name}': backend {backend!r} is not one of {', '.join(_b.BACKENDS)}"
            )
        if trusted_owner is not None and (
            isinstance(trusted_owner, bool) or not isinstance(trusted_owner, int)
        ):
            raise InvalidArgumentError(
                f"pool '{pool_name}': trusted_owner must be a uid (int) or None, not {trusted_owner!r}"
            )
        wait_ns = _timeout_ns(pool_name, "timeout", timeout)
        uid = -1 if trusted_owner is None else trusted_owner
        # In slices: a hint ("did you mean") is worth saying while still
        # waiting, once, and Ctrl-C gets a chance between slices.
        slice_ns = 1_000_000_000
        deadline = None if wait_ns == _tipc.TIMEOUT_INFINITE else time.monotonic_ns() + max(wait_ns, 0)
        warned = False
        start = time.monotonic_ns()
        while True:
            left = slice_ns if deadline is None else max(0, min(slice_ns, deadline - time.monotonic_ns()))
            if wait_ns < 0 and wait_ns != _tipc.TIMEOUT_INFINITE:
                left = wait_ns  # the library's sentence refuses it
            try:
                handle = _tipc.Consumer.open(pool_name, left, int(control_plane), uid)
                break
            except NotConnectedError as e:
                if "did you mean" in str(e) and not warned:
                    warned = True
                    warnings.warn(str(e), RuntimeWarning, stacklevel=2)
                if deadline is not None and time.monotonic_ns() >= deadline:
                    # The library's sentence counts the last slice only.
                    hint = str(e).partition("; did you mean")
                    waited = (time.monotonic_ns() - start) / 1e9
                    raise NotConnectedError(
                        f"no producer of '{pool_name}' (waited {waited:.2f} s)"
                        + (hint[1] + hint[2] if hint[1] else "")
                    ) from None
        found = handle.metadata()
        del handle
        pool_backend = found.backend()
        if backend is None:
            backend = pool_backend
        elif (backend == "torch_cuda") != (pool_backend == "torch_cuda"):
            raise BackendMismatchError(
                f"pool '{pool_name}': a {pool_backend} pool cannot be read as {backend} "
                "(numpy and torch read host pools; torch_cuda reads device pools)"
            )
        shape = tuple(found.dim(i) for i in range(found.ndim()))
        md = PoolMetadata(
            found.name(), shape, found.dtype(), backend, found.history_len(),
            found.device() if backend == "torch_cuda" else None,
            creator_pid=found.creator_pid(),
        )
        return cls(
            md, keep_last, None, on_new_data_callback=callback,
            control_plane=control_plane, trusted_owner=trusted_owner,
        )

    def _handle(self):
        if self._c is None:
            raise ClosedError(f"pool '{self.pool_metadata.name}': the consumer was cleaned up")
        return self._c

    def set_callback(self, fn: Optional[Callable[[Any], None]]) -> None:
        """Call ``fn(frame)`` for each new frame from a library thread (None stops)."""
        if fn is None:
            self._callback_owner = self._handle().set_callback(None)
            return

        def on_index(index: int) -> None:
            # One call per frame, with that very frame (read by index, which
            # leaves get(block=True)/wait() of the application's thread alone).
            last = self._callback_last
            self._callback_last = index
            missed = 0
            if last is not None and index > last + 1:
                missed = index - last - 1  # lapped before the library thread got to them
            data = self._read_index(index)
            if data is None:
                missed += 1  # overwritten while it waited for its turn
            if missed:
                self._note_missed(missed)
            if data is not None:
                fn(data)

        self._callback_last = None
        self._callback_owner = self._handle().set_callback(on_index)

    def _note_foreign_producer(self) -> None:
        # "Not connected" is None, not an error: but when the library sees
        # another program's writer on the pool's DDS topic (the original
        # pure-Python tensor-ipc uses the same topic names), say so once
        # instead of waiting in silence.
        if self._foreign_noted:
            return
        why = _tipc.last_error()
        if "another program announces this pool" in why:
            self._foreign_noted = True
            warnings.warn(why, RuntimeWarning, stacklevel=3)

    def _note_missed(self, n: int) -> None:
        first = self.missed_frames == 0
        self.missed_frames += n
        if first:
            warnings.warn(
                f"pool '{self.pool_metadata.name}': the on_new_data_callback fell behind the "
                f"producer by more than history_len={self.pool_metadata.history_len} frames and "
                f"missed {n} (consumer.missed_frames counts them all); make the callback "
                "faster or raise history_len",
                RuntimeWarning,
                stacklevel=2,
            )

    def _read_index(self, index: int):
        md = self.pool_metadata
        c = self._handle()
        if md.backend_type == "torch_cuda":
            torch = _b.torch_module()
            out = torch.empty(md._shape, dtype=_b.torch_dtype(md.dtype_str), device=md.device)
            got = c.get_frame_into_ptr(out.data_ptr(), out.numel() * out.element_size(), index)
            return None if got is None else out
        out = _b.empty(md._shape, md.dtype_str)
        if c.get_frame_into(out, index) is None:
            return None
        return _b.to_backend(out, md.backend_type, False, md.dtype_str)

    def get(
        self,
        history_len: int = 1,
        as_numpy: bool = False,
        latest_first: bool = True,
        *,
        block: bool = False,
        timeout: Optional[float] = None,
        pad: str = "zero",
    ):
        """A copy of the latest frame, or of the last ``history_len`` frames
        stacked on a new leading axis (latest first unless ``latest_first`` is
        False). Frames not written yet are zeros (``pad="fill"``: the oldest
        frame). Returns None while not connected (or, with ``block=True``, when
        no newer frame arrived within ``timeout`` seconds)."""
        c = self._c
        if (
            c is not None
            and history_len.__class__ is int
            and history_len == 1
            and latest_first is True
            and pad == "zero"
            and self._host_dtype is not None
        ):
            # The common call in as few steps as possible: one C call waits
            # (block) and copies the frame.
            out = np.empty(self._shape, self._host_dtype)
            newest = c.read_into(
                out,
                1,
                0,
                block,
                -1 if timeout is None or not block
                else _timeout_ns(self.pool_metadata.name, "timeout", timeout),
            )
            if newest is None:
                self._note_foreign_producer()
                return None
            self.last_index, self.last_timestamp_ns = newest
            if self._numpy_out or as_numpy:
                return out
            return _b.to_backend(out, "torch", False, self.pool_metadata.dtype_str)
        ns = _timeout_ns(self.pool_metadata.name, "timeout", timeout) if block else 0
        return self._read(history_len, as_numpy, latest_first, pad, 0, block, ns)

    def _read(self, history_len, as_numpy, latest_first, pad, extra_flags, block=False, ns=0):
        md = self.pool_metadata
        c = self._handle()
        if pad not in ("zero", "fill"):
            raise InvalidArgumentError(f"pool '{md.name}': pad must be 'zero' or 'fill'")
        flags = (
            (0 if latest_first else _tipc.READ_OLDEST_FIRST)
            | (_tipc.READ_PAD_FILL if pad == "fill" else 0)
            | extra_flags
        )
        _check_history(md, history_len)
        shape = md._shape if history_len == 1 else (history_len,) + md._shape
        if md.backend_type == "torch_cuda":
            if block and not c.wait(ns):
                return None
            torch = _b.torch_module()
            out = torch.empty(shape, dtype=_b.torch_dtype(md.dtype_str), device=md.device)
            try:
                newest = c.get_into_ptr(
                    out.data_ptr(), out.numel() * out.element_size(), history_len, flags
                )
            except (NotConnectedError, NoDataError, ClosedError):
                return None
            if not extra_flags & _tipc.READ_NO_MARK:
                self.last_index, self.last_timestamp_ns = newest
            return out.cpu().numpy() if as_numpy else out
        out = _b.empty(shape, md.dtype_str)
        newest = c.read_into(out, history_len, flags, block, ns)
        if newest is None:
            self._note_foreign_producer()
            return None
        if not extra_flags & _tipc.READ_NO_MARK:
            self.last_index, self.last_timestamp_ns = newest
        return _b.to_backend(out, md.backend_type, as_numpy, md.dtype_str)

    def view(
        self, history_len: int = 1, as_numpy: bool = False, latest_first: bool = True
    ) -> "_View":
        """``with consumer.view(history_len=N) as frames:`` zero-copy arrays of
        the latest N frames (a list, latest first; None for frames not written
        yet), held until the block ends; ``frames`` is None while not
        connected. The arrays stay readable after the block, but the producer
        may then overwrite them. GPU pools give CUDA tensors (``as_numpy``
        cannot apply without a copy: use ``get(as_numpy=True)``)."""
        md = self.pool_metadata
        _check_history(md, history_len)
        if as_numpy and md.backend_type == "torch_cuda":
            raise InvalidArgumentError(
                f"pool '{md.name}': GPU frames cannot be numpy arrays without a copy; "
                "use get(as_numpy=True)"
            )
        return _View(self, history_len, as_numpy, latest_first)

    def acquire(self, history_len: int = 1, latest_first: bool = True) -> Optional[list]:
        """The raw Frame objects (buffer protocol, DLPack) of the latest frames,
        held until each frame's ``release()``; None while not connected."""
        _check_history(self.pool_metadata, history_len)
        flags = 0 if latest_first else _tipc.READ_OLDEST_FIRST
        try:
            return self._handle().acquire(history_len, flags)
        except (NotConnectedError, NoDataError, ClosedError):
            return None

    def wait(self, timeout: Optional[float] = None) -> bool:
        """Wait for a frame newer than the last one returned; False on timeout
        or while no producer is there. ``timeout`` in seconds, None waits
        forever; Ctrl-C interrupts the wait (KeyboardInterrupt)."""
        ns = _timeout_ns(self.pool_metadata.name, "timeout", timeout)
        c = self._c
        if c is None:
            return False
        return c.wait(ns)

    def latest_index(self) -> Optional[int]:
        """Index of the newest published frame, without reading it; None while
        not connected or before the first frame."""
        try:
            return self._handle().latest_index()
        except (NotConnectedError, NoDataError, ClosedError):
            return None

    @property
    def backend(self):
        """The original's backend object over this consumer
        (``tensor_ipc.backends``: ``.read(ring_slots, as_numpy)``)."""
        from .backends import _consumer_view

        return _consumer_view(self)

    @property
    def connected(self) -> bool:
        """True while connected to a live producer (tries to connect)."""
        try:
            self._handle().connect()
            return True
        except (NotConnectedError, ClosedError):
            return False

    def cleanup(self) -> None:
        """Disconnect (idempotent). Views already taken stay readable."""
        c, self._c = self._c, None
        if c is not None:
            c.set_callback(None)
            del c
        self._callback_owner = None


    def __repr__(self) -> str:
        md = self.pool_metadata
        if self._c is None:
            state = "closed"
        else:
            state = "connected" if self._c.is_connected() else "not connected"
        return (
            f"<TensorConsumer pool={md.name!r} {md.dtype_str}{list(md.shape)} "
            f"{md.backend_type} history={md.history_len} {state}>"
        )
