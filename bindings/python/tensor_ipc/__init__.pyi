# Type stub of the public tensor_ipc package (hand-written; the runtime is
# __init__.py, errors.py and the C extension tensor_ipc._capi).
#
# Arrays: numpy pools give numpy.ndarray; torch and torch_cuda pools give
# torch.Tensor. torch is an optional dependency, so values that may be either
# are typed Any; get(as_numpy=True) gives numpy arrays whatever the backend.

from types import TracebackType
from typing import (
    Any,
    Callable,
    ContextManager,
    Dict,
    List,
    Literal,
    Optional,
    Sequence,
    Tuple,
    Type,
    TypeVar,
    final,
    overload,
)

import numpy.typing as npt

from .errors import BackendMismatchError as BackendMismatchError
from .errors import BusyError as BusyError
from .errors import ClosedError as ClosedError
from .errors import CorruptError as CorruptError
from .errors import DtypeMismatchError as DtypeMismatchError
from .errors import ExistsError as ExistsError
from .errors import InvalidArgumentError as InvalidArgumentError
from .errors import LimitError as LimitError
from .errors import MismatchError as MismatchError
from .errors import NoDataError as NoDataError
from .errors import NoSpaceError as NoSpaceError
from .errors import NotConnectedError as NotConnectedError
from .errors import PermissionError as PermissionError
from .errors import ShapeMismatchError as ShapeMismatchError
from .errors import TensorIPCError as TensorIPCError
from .errors import TimeoutError as TimeoutError
from .errors import UnsupportedError as UnsupportedError
from .errors import exception_for as exception_for

__all__ = [
    "PoolMetadata",
    "MetadataCreator",
    "TensorProducer",
    "TensorConsumer",
    "Frame",
    "Shape",
    "version",
    "BackendMismatchError",
    "BusyError",
    "ClosedError",
    "CorruptError",
    "DtypeMismatchError",
    "ExistsError",
    "InvalidArgumentError",
    "LimitError",
    "MismatchError",
    "NoDataError",
    "NoSpaceError",
    "NotConnectedError",
    "PermissionError",
    "ShapeMismatchError",
    "TensorIPCError",
    "TimeoutError",
    "UnsupportedError",
]

__version__: str

_Backend = Literal["numpy", "torch", "torch_cuda"]
# A dtype given by name ("float32", "torch.float32"), numpy dtype or scalar
# type (np.float32), or torch dtype (torch.float32).
_DTypeLike = Any
# A frame: numpy.ndarray for numpy pools, torch.Tensor for torch pools.
_Tensor = Any
_NDArray = npt.NDArray[Any]
_Self = TypeVar("_Self")

def version() -> str:
    """Version of the loaded C library, e.g. "0.1.0"."""

# ----------------------------------------------------------------- metadata

class Shape(List[int]):
    """A pool's shape: a list, as in the original tensor-ipc, that also equals
    (and hashes like) the tuple and adds to tuples; not changeable in place."""

    def __add__(self, other: Any) -> Any: ...  # type: ignore[override]
    def __radd__(self, other: Any) -> Any: ...

class PoolMetadata:
    """Description of a pool; two metadata match when every field but
    ``creator_pid`` and ``payload`` is equal. Assigning a field is checked at
    once (InvalidArgumentError, nothing changed) and used by the pools made
    afterwards; a producer's or consumer's own copy cannot change."""

    name: str
    shape: Shape
    dtype_str: str
    """Canonical numpy-style dtype name, e.g. "float32", "bfloat16"."""
    backend_type: str
    """"numpy", "torch" or "torch_cuda"."""
    history_len: int
    device: str
    """"cpu" or "cuda:N"."""
    element_size: int
    total_size: int
    """Bytes of all ``history_len`` frames."""
    shm_name: str
    creator_pid: int
    payload: Optional[bytes]
    @property
    def payload_json(self) -> str:
        """``payload`` as the original's string field ("" when none)."""
    def __init__(
        self,
        name: str,
        shape: Sequence[int],
        dtype_str: _DTypeLike,
        backend_type: _Backend = "numpy",
        history_len: int = 1,
        device: Optional[str] = None,
        element_size: Optional[int] = None,
        total_size: Optional[int] = None,
        shm_name: Optional[str] = None,
        creator_pid: Optional[int] = None,
        payload: Optional[bytes] = None,
    ) -> None: ...
    @property
    def frame_size(self) -> int:
        """Bytes of one frame."""
    def check_matches(self, other: PoolMetadata) -> None:
        """Raise MismatchError naming every field where ``other`` differs."""
    def __eq__(self, other: object) -> bool: ...
    def __hash__(self) -> int: ...
    def to_dict(self) -> Dict[str, Any]: ...

class MetadataCreator:
    """Builds PoolMetadata from a sample tensor."""

    @staticmethod
    def from_sample(name: str, data: Any, history_len: int = 1, backend: Optional[_Backend] = None) -> PoolMetadata:
        """Metadata for frames shaped like ``data`` (numpy array, torch tensor,
        or anything numpy.asarray takes); backend inferred when None."""
    @staticmethod
    def from_numpy_sample(name: str, sample_data: Any, history_len: int = 1) -> PoolMetadata: ...
    @staticmethod
    def from_torch_sample(name: str, sample_data: Any, history_len: int = 1) -> PoolMetadata: ...
    @staticmethod
    def from_torch_cuda_sample(
        name: str, sample_data: Any, history_len: int = 1, tensor_pool: None = None
    ) -> PoolMetadata: ...
    @staticmethod
    def payload_from_torch_cuda_storage(tensor: Any) -> str:
        """The original's JSON description of a CUDA tensor's storage
        (UnsupportedError for a CPU tensor)."""
    @staticmethod
    def verify_torch_cuda_payload(metadata: PoolMetadata) -> bool: ...

# ----------------------------------------------------------------- frames

@final
class Frame:
    """A zero-copy frame of a pool (buffer protocol, ``__array_interface__``,
    DLPack). Made by the library (TensorConsumer.acquire, producer loans),
    never by users; the memory stays mapped while the frame or an array made
    from it lives."""

    @property
    def shape(self) -> Tuple[int, ...]: ...
    @property
    def dtype(self) -> str:
        """numpy-style dtype name (bfloat16 frames export uint16 buffers)."""
    @property
    def __array_interface__(self) -> Dict[str, Any]:
        """numpy array interface (version 3) of a host frame; AttributeError
        for a GPU frame."""
    @property
    def __cuda_array_interface__(self) -> Dict[str, Any]:
        """CUDA array interface of a GPU (torch_cuda) frame; AttributeError
        for a host frame."""
    @property
    def device(self) -> int:
        """CUDA device ordinal of a GPU frame, -1 for host memory."""
    @property
    def index(self) -> int:
        """Frame index (0 for a loan)."""
    @property
    def timestamp_ns(self) -> int:
        """CLOCK_REALTIME of the commit, ns (0 for a loan)."""
    @property
    def nbytes(self) -> int: ...
    @property
    def readonly(self) -> int:
        """1 for frames read by a consumer, 0 for a producer's loan."""
    def __dlpack__(
        self,
        *,
        stream: Optional[int] = None,
        max_version: Optional[Tuple[int, int]] = None,
        dl_device: Optional[Tuple[int, int]] = None,
        copy: Optional[bool] = None,
    ) -> Any:
        """A DLPack capsule ("dltensor", or "dltensor_versioned" when
        max_version >= (1, 0))."""
    def __dlpack_device__(self) -> Tuple[int, int]:
        """(kDLCPU, 0) = (1, 0) for host frames, (kDLCUDA, ordinal) = (2, N)
        for GPU frames."""
    def release(self) -> None:
        """Let the producer reuse this frame (and the others of the same
        acquire); arrays made from it stay readable but may change."""
    # The buffer protocol (PEP 688; host frames only, GPU frames refuse it).
    # Declared for every Python version, as typeshed does for bytes, so
    # memoryview(frame), numpy.frombuffer(frame) and torch.frombuffer(frame)
    # type-check; the method itself exists at runtime from Python 3.12 on.
    def __buffer__(self, flags: int, /) -> memoryview: ...

# ----------------------------------------------------------------- producer

class _Loan:
    """``with producer.loan() as frame:`` fill ``frame`` in place; it is
    published when the block ends, discarded if the block raises."""

    index: Optional[int]
    """Index of the committed frame once the block ended without error."""
    def __init__(self, producer: TensorProducer, as_numpy: bool) -> None: ...
    def __enter__(self) -> _Tensor: ...
    def __exit__(
        self,
        exc_type: Optional[Type[BaseException]],
        exc: Optional[BaseException],
        tb: Optional[TracebackType],
    ) -> None: ...

class TensorProducer:
    """The single writer of a pool."""

    pool_metadata: PoolMetadata
    def __init__(
        self,
        pool_metadata: PoolMetadata,
        dds_participant: Any = None,
        keep_last: int = 10,
        *,
        mode: int = 0o600,
        put_timeout: Optional[float] = 1.0,
        control_plane: bool = True,
        publish_progress: bool = True,
    ) -> None:
        """``dds_participant`` is accepted for compatibility and ignored (one
        participant per process). ``put_timeout``: seconds (default 1.0, the
        C library's default); None waits forever; NaN, infinities and
        negatives raise InvalidArgumentError."""
    @classmethod
    def from_sample(
        cls: Type[_Self],
        pool_name: str,
        sample: Any,
        history_len: int = 1,
        dds_participant: Any = None,
        keep_last: int = 10,
        *,
        backend: Optional[_Backend] = None,
        mode: int = 0o600,
        put_timeout: Optional[float] = 1.0,
        control_plane: bool = True,
        publish_progress: bool = True,
    ) -> _Self: ...
    def put(self, data: Any) -> int:
        """Copy ``data`` (the pool's shape, dtype and backend; any strides) into
        the next frame and publish it. Returns the frame index."""
    def loan(self, as_numpy: bool = False) -> _Loan:
        """``with producer.loan() as frame:`` a writable zero-copy array of the
        next frame, published when the block ends."""
    @property
    def frames_written(self) -> int: ...
    keep_last: int
    """The original's DDS history depth: checked and kept, changes nothing."""
    @property
    def backend(self) -> Any:
        """The original's backend object (tensor_ipc.backends) over this producer."""
    def cleanup(self) -> None:
        """Close the pool (idempotent); consumers learn it is gone."""
    def close(self) -> None:
        """Same as cleanup()."""
    def __enter__(self: _Self) -> _Self: ...
    def __exit__(self, *exc: Any) -> None: ...
    def __del__(self) -> None: ...

# ----------------------------------------------------------------- consumer

class TensorConsumer:
    """A reader of a pool, created before or after its producer. Reads return
    None while no producer is connected."""

    pool_metadata: PoolMetadata
    last_index: Optional[int]
    """Index of the newest frame the last get()/view() returned."""
    last_timestamp_ns: Optional[int]
    missed_frames: int
    """Frames the on_new_data_callback could not be given: overwritten before
    its turn (a RuntimeWarning is issued the first time)."""
    keep_last: int
    """The original's DDS history depth: checked and kept, changes nothing."""
    @property
    def backend(self) -> Any:
        """The original's backend object (tensor_ipc.backends) over this consumer."""
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
        """``on_new_data_callback(data)`` is called from a library thread with
        each new frame, as get() returns it. Only segments of this user or root
        are read; ``trusted_owner=uid`` also accepts that user's."""
    @classmethod
    def from_sample(
        cls: Type[_Self],
        pool_name: str,
        sample: Any,
        dds_participant: Any = None,
        history_len: int = 1,
        keep_last: int = 10,
        callback: Optional[Callable[[Any], None]] = None,
        *,
        backend: Optional[_Backend] = None,
        control_plane: bool = True,
        trusted_owner: Optional[int] = None,
        remote: bool = False,
        delivery: str = "latest",
    ) -> _Self: ...
    @classmethod
    def from_pool(
        cls: Type[_Self],
        pool_name: str,
        timeout: Optional[float] = 5.0,
        keep_last: int = 10,
        callback: Optional[Callable[[Any], None]] = None,
        *,
        backend: Optional[_Backend] = None,
        control_plane: bool = True,
        trusted_owner: Optional[int] = None,
    ) -> _Self:
        """Attach by name: shape, dtype, history and device come from the
        producer (segment here, else DDS announcement), waiting up to
        ``timeout`` s (None: forever). ``backend`` None follows the producer;
        numpy and torch both read host pools. NotConnectedError if none
        appears; warns once when a close name exists ("did you mean")."""
    def set_callback(self, fn: Optional[Callable[[Any], None]]) -> None:
        """Call ``fn(frame)`` for each new frame from a library thread (None stops)."""
    @overload
    def get(
        self,
        history_len: int = 1,
        *,
        as_numpy: Literal[True],
        latest_first: bool = True,
        block: bool = False,
        timeout: Optional[float] = None,
        pad: Literal["zero", "fill"] = "zero",
    ) -> Optional[_NDArray]: ...
    @overload
    def get(
        self,
        history_len: int,
        as_numpy: Literal[True],
        latest_first: bool = True,
        *,
        block: bool = False,
        timeout: Optional[float] = None,
        pad: Literal["zero", "fill"] = "zero",
    ) -> Optional[_NDArray]: ...
    @overload
    def get(
        self,
        history_len: int = 1,
        as_numpy: bool = False,
        latest_first: bool = True,
        *,
        block: bool = False,
        timeout: Optional[float] = None,
        pad: Literal["zero", "fill"] = "zero",
    ) -> Optional[_Tensor]:
        """A copy of the latest frame, or of the last ``history_len`` frames
        stacked on a new leading axis (latest first unless ``latest_first`` is
        False). None while not connected (with ``block=True``: also when no
        newer frame came within ``timeout`` seconds)."""
    def view(
        self, history_len: int = 1, as_numpy: bool = False, latest_first: bool = True
    ) -> ContextManager[Optional[List[Optional[_Tensor]]]]:
        """``with consumer.view() as frames:`` zero-copy arrays of the latest
        ``history_len`` frames (latest first; None for frames not written
        yet), held until the block ends; None while not connected. numpy
        arrays for numpy pools or with as_numpy=True, torch tensors for torch
        pools; always CUDA tensors for torch_cuda pools (no zero-copy numpy
        array of GPU memory exists)."""
    def acquire(self, history_len: int = 1, latest_first: bool = True) -> Optional[List[Optional[Frame]]]:
        """The raw Frame objects of the latest frames, held until ``release()``
        of any of them; None while not connected."""
    def wait(self, timeout: Optional[float] = None) -> bool:
        """Wait for a frame newer than the last one returned; False on timeout
        or while no producer is there. None waits forever (Ctrl-C interrupts
        it); NaN, infinities and negatives raise InvalidArgumentError."""
    def latest_index(self) -> Optional[int]:
        """Index of the newest published frame, without reading it; None while
        not connected or before the first frame."""
    @property
    def connected(self) -> bool:
        """True while connected to a live producer (tries to connect)."""
    def cleanup(self) -> None:
        """Disconnect (idempotent). Views already taken stay readable."""
    def close(self) -> None:
        """Same as cleanup()."""
    def __enter__(self: _Self) -> _Self: ...
    def __exit__(self, *exc: Any) -> None: ...
    def __del__(self) -> None: ...
