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
from typing import Any, Callable, Optional, Sequence

import numpy as np

from . import _backends as _b
from . import core as _tipc
from ._core import Frame
from .errors import *  # noqa: F401,F403 - the exception classes are public API
from .errors import (
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
    "version",
] + [n for n in dir() if n.endswith("Error")]

__version__ = _tipc.version_string()



def version() -> str:
    """Version of the loaded C library."""
    return _tipc.version_string()


def _shape_tuple(name: str, shape: Any) -> tuple:
    """The shape as a tuple of ints; InvalidArgumentError for anything else."""
    import operator

    try:
        dims = tuple(operator.index(d) for d in shape)
    except TypeError:
        raise InvalidArgumentError(
            f"pool '{name}': shape {shape!r} must be a sequence of integers"
        ) from None
    if len(dims) > 8:
        raise InvalidArgumentError(f"pool '{name}': {len(dims)} dimensions, at most 8 allowed")
    return dims


def _check_history(md: "PoolMetadata", history_len: Any) -> None:
    if isinstance(history_len, bool) or not isinstance(history_len, int) or not (
        1 <= history_len <= md.history_len
    ):
        raise InvalidArgumentError(
            f"pool '{md.name}': cannot read {history_len!r} frames from a history of "
            f"{md.history_len}"
        )


_NS_MAX = (1 << 63) - 1


def _timeout_ns(pool: str, what: str, timeout: Any) -> int:
    """Seconds (None: forever) as the C library's nanoseconds. Only the
    conversion lives here: which values are valid is the library's rule, so a
    negative number goes on as a negative number of ns (never as -1, which is
    TIMEOUT_INFINITE) and the library's sentence refuses it."""
    if timeout is None:
        return _tipc.TIMEOUT_INFINITE
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


class PoolMetadata:
    """Description of a pool. Two metadata match when every field but
    ``creator_pid`` and ``payload`` is equal.

    Fields: name, shape, dtype_str, backend_type, history_len, device,
    element_size, total_size (bytes of all frames), shm_name, creator_pid,
    payload. The derived fields are computed by the C library; values passed
    for them are checked against it.
    """

    __slots__ = (
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
        "_c",
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
        if not isinstance(name, str) or "\x00" in name:
            raise InvalidArgumentError(f"pool name {name!r} must be a string without NUL bytes")
        dtype = _b.normalize_dtype(dtype_str)
        if backend_type not in _b.BACKENDS:
            raise InvalidArgumentError(
                f"pool '{name}': backend '{backend_type}' is not one of {', '.join(_b.BACKENDS)}"
            )
        shape = _shape_tuple(name, shape)
        if not isinstance(history_len, int) or history_len < 1:
            raise InvalidArgumentError(f"pool '{name}': history_len {history_len!r} is not >= 1")
        if history_len > 0xFFFFFFFF:
            raise InvalidArgumentError(f"pool '{name}': history_len {history_len} is too large")
        c = _tipc.Metadata(name, dtype, shape, backend_type, history_len, device)
        self._c = c
        self.name = c.name()
        self.shape = shape
        self.dtype_str = dtype
        self.backend_type = backend_type
        self.history_len = history_len
        self.device = c.device()
        self.element_size = c.element_size()
        self.total_size = c.total_bytes()
        self.shm_name = c.shm_name()
        self.creator_pid = creator_pid if creator_pid is not None else c.creator_pid()
        self.payload = payload
        for field, given, actual in (
            ("element_size", element_size, self.element_size),
            ("total_size", total_size, self.total_size),
            ("shm_name", shm_name, self.shm_name),
        ):
            if given is not None and given != actual:
                raise InvalidArgumentError(
                    f"pool '{name}': {field} {given!r} disagrees with the computed {actual!r}"
                )

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
        return hash((self.name, self.shape, self.dtype_str, self.backend_type, self.history_len))

    def to_dict(self) -> dict:
        return {f: getattr(self, f) for f in self.__slots__ if f != "_c"}

    def __repr__(self) -> str:
        return (
            f"PoolMetadata(name={self.name!r}, shape={self.shape}, dtype_str={self.dtype_str!r}, "
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
            raise InvalidArgumentError(f"pool '{name}': backend numpy needs a numpy sample")
        if backend in ("torch", "torch_cuda") and not _b.is_torch_tensor(data):
            raise InvalidArgumentError(
                f"pool '{name}': backend {backend} needs a torch sample, got {type(data).__name__}"
            )
        if backend == "torch_cuda" and inferred != "torch_cuda":
            raise InvalidArgumentError(f"pool '{name}': backend torch_cuda needs a CUDA tensor")
        if not hasattr(data, "shape"):
            import numpy as np

            data = np.asarray(data)
        return PoolMetadata(
            name,
            tuple(data.shape),
            _b.dtype_name_of(data),
            backend,
            history_len,
            _b.device_of(data),
        )

    @staticmethod
    def from_numpy_sample(name: str, data: Any, history_len: int = 1) -> PoolMetadata:
        return MetadataCreator.from_sample(name, data, history_len, "numpy")

    @staticmethod
    def from_torch_sample(name: str, data: Any, history_len: int = 1) -> PoolMetadata:
        return MetadataCreator.from_sample(name, data, history_len, "torch")

    @staticmethod
    def from_torch_cuda_sample(name: str, data: Any, history_len: int = 1) -> PoolMetadata:
        return MetadataCreator.from_sample(name, data, history_len, "torch_cuda")


# ----------------------------------------------------------------- producer


class _Loan:
    """``with producer.loan() as frame:`` fill ``frame`` in place; it is
    published when the block ends, and discarded if the block raises."""

    def __init__(self, producer: "TensorProducer", as_numpy: bool) -> None:
        self._producer = producer
        self._as_numpy = as_numpy
        self.index: Optional[int] = None

    def __enter__(self):
        p = self._producer
        md = p.pool_metadata
        frame = p._handle().loan(p)
        return _b.frame_array(frame, md.backend_type, self._as_numpy, md.dtype_str, md.shape)

    def __exit__(self, exc_type, exc, tb) -> None:
        h = self._producer._handle()
        if exc_type is None:
            self.index = h.commit()
        else:
            h.discard()

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
        *,
        mode: int = 0o600,
        put_timeout: Optional[float] = _tipc.PUT_TIMEOUT_DEFAULT_NS / 1e9,
        control_plane: bool = True,
        publish_progress: bool = True,
    ) -> None:
        if not isinstance(pool_metadata, PoolMetadata):
            raise InvalidArgumentError("TensorProducer needs a PoolMetadata")
        self.pool_metadata = pool_metadata
        self._p = _tipc.Producer(
            pool_metadata._c,
            mode,
            _timeout_ns(pool_metadata.name, "put_timeout", put_timeout),
            int(control_plane),
            int(publish_progress),
        )
        self.pool_metadata.creator_pid = os.getpid()
        # put()'s fast path: a numpy array of exactly the pool's dtype and shape.
        self._np_dtype = (
            _b.numpy_dtype(pool_metadata.dtype_str)
            if pool_metadata.backend_type == "numpy" and pool_metadata.dtype_str != "bfloat16"
            else None
        )

    @classmethod
    def from_sample(
        cls,
        pool_name: str,
        sample: Any,
        history_len: int = 1,
        backend: Optional[str] = None,
        **kwargs: Any,
    ) -> "TensorProducer":
        """A producer for frames shaped like ``sample``."""
        return cls(MetadataCreator.from_sample(pool_name, sample, history_len, backend), **kwargs)

    def _handle(self):
        if self._p is None:
            raise ClosedError(f"pool '{self.pool_metadata.name}': the producer was cleaned up")
        return self._p

    def put(self, data: Any) -> int:
        """Copy ``data`` (right shape, dtype and backend; any strides) into the
        next frame and publish it. Returns the frame index."""
        md = self.pool_metadata
        if (
            type(data) is np.ndarray
            and data.dtype == self._np_dtype
            and data.shape == md.shape
            and data.flags.c_contiguous
        ):
            return self._handle().put(data)
        if md.backend_type == "torch_cuda":
            address, nbytes, _keep = _b.cuda_source(data, md.name, md.device, md.shape, md.dtype_str)
            return self._handle().put_ptr(address, nbytes)
        buf = _b.host_buffer(data, md.name, md.backend_type, md.shape, md.dtype_str)
        return self._handle().put(buf)

    def loan(self, as_numpy: bool = False) -> _Loan:
        """Context manager giving a writable zero-copy array of the next frame."""
        return _Loan(self, as_numpy)

    @property
    def frames_written(self) -> int:
        return self._handle().frames_written()

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
        md = c.pool_metadata
        flags = 0 if self._latest_first else _tipc.READ_OLDEST_FIRST
        try:
            frames = self._frames = c._handle().acquire(self._count, flags)
        except (NotConnectedError, NoDataError, ClosedError):
            return None
        newest = frames[0] if self._latest_first else frames[-1]
        c.last_index, c.last_timestamp_ns = newest.index, newest.timestamp_ns
        backend, as_numpy, dtype, shape = md.backend_type, self._as_numpy, md.dtype_str, md.shape
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
    """

    def __init__(
        self,
        pool_metadata: PoolMetadata,
        dds_participant: Any = None,
        on_new_data_callback: Optional[Callable[[Any], None]] = None,
        *,
        control_plane: bool = True,
    ) -> None:
        if not isinstance(pool_metadata, PoolMetadata):
            raise InvalidArgumentError("TensorConsumer needs a PoolMetadata")
        self.pool_metadata = pool_metadata
        self._c = _tipc.Consumer(pool_metadata._c, int(control_plane))
        self._callback_owner = None
        self._lock = threading.Lock()
        self.last_index: Optional[int] = None
        self.last_timestamp_ns: Optional[int] = None
        if on_new_data_callback is not None:
            self.set_callback(on_new_data_callback)

    @classmethod
    def from_sample(
        cls,
        pool_name: str,
        sample: Any,
        history_len: int = 1,
        backend: Optional[str] = None,
        callback: Optional[Callable[[Any], None]] = None,
        **kwargs: Any,
    ) -> "TensorConsumer":
        """A consumer for frames shaped like ``sample``."""
        md = MetadataCreator.from_sample(pool_name, sample, history_len, backend)
        return cls(md, on_new_data_callback=callback, **kwargs)

    def _handle(self):
        if self._c is None:
            raise ClosedError(f"pool '{self.pool_metadata.name}': the consumer was cleaned up")
        return self._c

    def set_callback(self, fn: Optional[Callable[[Any], None]]) -> None:
        """Call ``fn(frame)`` for each new frame from a library thread (None stops)."""
        if fn is None:
            self._callback_owner = self._handle().set_callback(None)
            return

        def on_index(_index: int) -> None:
            # NO_MARK: the callback's reads leave get(block=True)/wait() of
            # the application's own thread unaffected.
            data = self._read(1, False, True, "zero", _tipc.READ_NO_MARK)
            if data is not None:
                fn(data)

        self._callback_owner = self._handle().set_callback(on_index)

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
        if block:
            ns = _timeout_ns(self.pool_metadata.name, "timeout", timeout)
            try:
                self._handle().wait(ns)
            except (TimeoutError, NotConnectedError, ClosedError):
                return None
        return self._read(history_len, as_numpy, latest_first, pad, 0)

    def _read(self, history_len, as_numpy, latest_first, pad, extra_flags):
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
        shape = md.shape if history_len == 1 else (history_len,) + md.shape
        if md.backend_type == "torch_cuda":
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
        try:
            newest = c.get_into(out, history_len, flags)
        except (NotConnectedError, NoDataError, ClosedError):
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
        try:
            self._handle().wait(ns)
            return True
        except (TimeoutError, NotConnectedError, ClosedError):
            return False

    def latest_index(self) -> Optional[int]:
        """Index of the newest published frame, without reading it; None while
        not connected or before the first frame."""
        try:
            return self._handle().latest_index()
        except (NotConnectedError, NoDataError, ClosedError):
            return None

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
