"""The original tensor-ipc's backend classes, as thin adapters over a
TensorProducer / TensorConsumer of this package (one pool, no second
implementation).

A producer backend ``write``s a frame and returns its ring slot (the frame
index modulo history_len, as the original's backends did); a consumer
backend ``read``s ring slots by index (``read([4, 3])``, ``read(slice(None))``):
a slot not written yet reads as zeros (``history_pad_strategy="fill"``: as the
oldest frame there is). Slot ``i % history_len`` holds frame ``i``.
"""

from __future__ import annotations

from typing import Any, Literal, Optional

import numpy as np

from .. import TensorConsumer, TensorProducer, PoolMetadata, _backends as _b
from ..errors import InvalidArgumentError

__all__ = [
    "HistoryPadStrategy",
    "TensorBackendMixin",
    "TensorProducerBackend",
    "TensorConsumerBackend",
]

HistoryPadStrategy = Literal["zero", "fill"]


def _check_pad(strategy: Any) -> str:
    if strategy not in ("zero", "fill"):
        raise InvalidArgumentError(
            f"history_pad_strategy {strategy!r} must be 'zero' or 'fill'"
        )
    return strategy


def _check_kind(cls: type, md: Any) -> None:
    if not isinstance(md, PoolMetadata):
        raise InvalidArgumentError(f"{cls.__name__} needs a PoolMetadata, got {type(md).__name__}")
    if cls.backend_type is not None and md.backend_type != cls.backend_type:
        raise InvalidArgumentError(
            f"pool '{md.name}': {cls.__name__} serves {cls.backend_type} pools, "
            f"the metadata says {md.backend_type}"
        )


class TensorBackendMixin:
    """Conversions between a backend's tensors and numpy arrays."""

    @classmethod
    def to_numpy(cls, data: Any) -> np.ndarray:
        if _b.is_torch_tensor(data):
            return data.detach().cpu().numpy()
        return np.asarray(data)

    @classmethod
    def from_numpy(cls, data: Any) -> Any:
        return np.asarray(data)


class TensorProducerBackend:
    """Writes frames into a pool (a TensorProducer underneath: ``.producer``).

    ``force`` is accepted for the original's signature: a pool left by a dead
    producer is always reclaimed, and a live producer of the name is never
    displaced (ExistsError).
    """

    backend_type: Optional[str] = None
    mixin = TensorBackendMixin

    def __init__(
        self,
        pool_metadata: PoolMetadata,
        history_pad_strategy: HistoryPadStrategy = "zero",
        force: bool = False,
        **producer_options: Any,
    ) -> None:
        _check_kind(type(self), pool_metadata)
        self._history_pad_strategy = _check_pad(history_pad_strategy)
        self.producer = TensorProducer(pool_metadata, **producer_options)
        self._owner = True

    @classmethod
    def _of(cls, producer: TensorProducer) -> "TensorProducerBackend":
        """The backend view of an existing producer (``producer.backend``)."""
        self = cls.__new__(cls)
        self._history_pad_strategy = "zero"
        self.producer = producer
        self._owner = False
        return self

    def write(self, data: Any) -> int:
        """put() the frame; returns its ring slot (index % history_len)."""
        return self.producer.put(data) % self.producer.pool_metadata.history_len

    @property
    def metadata(self) -> PoolMetadata:
        return self.producer.pool_metadata

    @property
    def current_frame_index(self) -> int:
        """Ring slot of the last frame written (-1 before the first)."""
        p = self.producer
        if p._p is None:
            return -1
        n = p.frames_written
        return -1 if n == 0 else (n - 1) % p.pool_metadata.history_len

    @property
    def max_history_len(self) -> int:
        return self.producer.pool_metadata.history_len

    def cleanup(self) -> None:
        """Close the pool (the producer's cleanup(); idempotent)."""
        self.producer.cleanup()


class TensorConsumerBackend:
    """Reads ring slots of a pool (a TensorConsumer underneath: ``.consumer``)."""

    backend_type: Optional[str] = None
    mixin = TensorBackendMixin

    def __init__(self, metadata: PoolMetadata, **consumer_options: Any) -> None:
        _check_kind(type(self), metadata)
        self._history_pad_strategy = "zero"
        self.consumer = TensorConsumer(metadata, **consumer_options)
        self._latest_data_frame_index = -1

    @classmethod
    def _of(cls, consumer: TensorConsumer) -> "TensorConsumerBackend":
        """The backend view of an existing consumer (``consumer.backend``)."""
        self = cls.__new__(cls)
        self._history_pad_strategy = "zero"
        self.consumer = consumer
        self._latest_data_frame_index = -1
        return self

    def connect(self, pool_metadata: Optional[PoolMetadata] = None) -> bool:
        """Connect now if the producer is there; True when connected.
        ``pool_metadata``, when given, must match the consumer's."""
        if pool_metadata is not None:
            self.consumer.pool_metadata.check_matches(pool_metadata)
        return self.consumer.connected

    @property
    def is_connected(self) -> bool:
        return self.consumer.connected

    def read(self, indices: Any, as_numpy: bool = False) -> Any:
        """Copies of the frames in ring slots ``indices`` (anything that
        indexes an array of history_len: an int, a slice, a list or array of
        ints), stacked as numpy indexing would; None while not connected."""
        c = self.consumer
        md = c.pool_metadata
        h = md.history_len
        if _b.is_torch_tensor(indices):
            indices = indices.detach().cpu().numpy()
        try:
            slots = np.arange(h)[indices]
        except (IndexError, TypeError, ValueError) as e:
            raise InvalidArgumentError(f"pool '{md.name}': ring slots {indices!r}: {e}") from None
        frames = c.acquire(h)
        if frames is None:
            if not c.connected:
                return None
            frames = []  # connected, nothing written yet: all padding
        try:
            return self._gather(frames, slots, md, as_numpy)
        finally:
            for f in frames:
                if f is not None:
                    f.release()  # gives back every frame of the acquire
                    break

    def _gather(self, frames: list, slots: np.ndarray, md: PoolMetadata, as_numpy: bool) -> Any:
        h, shape = md.history_len, tuple(md.shape)
        by_slot = {f.index % h: f for f in frames if f is not None}
        pad = None
        if self._history_pad_strategy == "fill" and by_slot:
            pad = min((f for f in by_slot.values()), key=lambda f: f.index)
        if md.backend_type == "torch_cuda":
            torch = _b.torch_module()
            out = torch.zeros(slots.shape + shape, dtype=_b.torch_dtype(md.dtype_str), device=md.device)
            for pos in np.ndindex(*slots.shape):
                f = by_slot.get(int(slots[pos]), pad)
                if f is not None:
                    out[pos] = torch.from_dlpack(f)
            return out.cpu().numpy() if as_numpy else out
        out = np.zeros(slots.shape + shape, dtype=_b.numpy_dtype(md.dtype_str))
        for pos in np.ndindex(*slots.shape):
            f = by_slot.get(int(slots[pos]), pad)
            if f is not None:
                out[pos] = np.asarray(f)
        return _b.to_backend(out, md.backend_type, as_numpy, md.dtype_str)

    def update_frame_index(self, latest_index: int) -> None:
        """Kept for the original's API: reads find the latest frame in the
        shared segment, so this only sets ``current_latest_index``."""
        self._latest_data_frame_index = latest_index

    @property
    def metadata(self) -> PoolMetadata:
        return self.consumer.pool_metadata

    @property
    def max_history_len(self) -> int:
        return self.consumer.pool_metadata.history_len

    @property
    def current_latest_index(self) -> int:
        """Ring slot of the newest frame (-1 before the first)."""
        i = self.consumer.latest_index()
        if i is None:
            return self._latest_data_frame_index
        return i % self.consumer.pool_metadata.history_len

    def disconnect(self) -> None:
        self.cleanup()

    def cleanup(self) -> None:
        """Disconnect (the consumer's cleanup(); idempotent)."""
        self.consumer.cleanup()
