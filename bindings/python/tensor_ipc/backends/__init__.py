"""The original tensor-ipc's backend layer: which backends this machine has,
which one a piece of data needs, and backend objects over our pools (see
base_backend). ``producer.backend`` / ``consumer.backend`` give the backend
view of an existing producer or consumer."""

from __future__ import annotations

import importlib.util
from typing import Any

import numpy as np

from .. import PoolMetadata, _backends as _b
from ..errors import InvalidArgumentError
from .base_backend import (
    HistoryPadStrategy,
    TensorBackendMixin,
    TensorConsumerBackend,
    TensorProducerBackend,
)
from .numpy_backend import NumpyConsumerBackend, NumpyProducerBackend
from .torch_backend import TorchConsumerBackend, TorchProducerBackend
from .torch_cuda_backend import TorchCUDAConsumerBackend, TorchCUDAProducerBackend

__all__ = [
    "HistoryPadStrategy",
    "TensorBackendMixin",
    "TensorProducerBackend",
    "TensorConsumerBackend",
    "NumpyProducerBackend",
    "NumpyConsumerBackend",
    "TorchProducerBackend",
    "TorchConsumerBackend",
    "TorchCUDAProducerBackend",
    "TorchCUDAConsumerBackend",
    "create_producer_backend",
    "create_consumer_backend",
    "get_available_backends",
    "is_backend_available",
    "detect_backend_from_data",
]

_CLASSES = {
    "numpy": (NumpyProducerBackend, NumpyConsumerBackend),
    "torch": (TorchProducerBackend, TorchConsumerBackend),
    "torch_cuda": (TorchCUDAProducerBackend, TorchCUDAConsumerBackend),
}


def get_available_backends() -> list:
    """The backends usable here: numpy always, torch when PyTorch is
    installed, torch_cuda when PyTorch sees a CUDA device."""
    found = ["numpy"]
    if importlib.util.find_spec("torch") is not None:
        found.append("torch")
        try:
            if _b.torch_module().cuda.is_available():
                found.append("torch_cuda")
        except Exception:
            pass
    return found


def is_backend_available(backend_type: str) -> bool:
    return backend_type in get_available_backends()


def detect_backend_from_data(data: Any) -> str:
    """numpy, torch or torch_cuda for a numpy array or torch tensor; a
    ValueError (InvalidArgumentError) for anything else."""
    if isinstance(data, np.ndarray):
        return "numpy"
    if _b.is_torch_tensor(data):
        return "torch_cuda" if data.is_cuda else "torch"
    raise InvalidArgumentError(f"no backend for data of type {type(data).__name__}")


def _classes(md: Any) -> tuple:
    if not isinstance(md, PoolMetadata):
        raise InvalidArgumentError(f"a backend needs a PoolMetadata, got {type(md).__name__}")
    if not is_backend_available(md.backend_type):
        raise InvalidArgumentError(
            f"pool '{md.name}': backend {md.backend_type!r} is not available here "
            f"(available: {', '.join(get_available_backends())})"
        )
    return _CLASSES[md.backend_type]


def create_producer_backend(
    pool_metadata: PoolMetadata,
    history_pad_strategy: HistoryPadStrategy = "zero",
    force: bool = False,
) -> TensorProducerBackend:
    """A producer backend (and its pool) for ``pool_metadata``."""
    return _classes(pool_metadata)[0](
        pool_metadata, history_pad_strategy=history_pad_strategy, force=force
    )


def create_consumer_backend(pool_metadata: PoolMetadata) -> TensorConsumerBackend:
    """A consumer backend for ``pool_metadata``."""
    return _classes(pool_metadata)[1](pool_metadata)


def _producer_view(producer: Any) -> TensorProducerBackend:
    return _CLASSES[producer.pool_metadata.backend_type][0]._of(producer)


def _consumer_view(consumer: Any) -> TensorConsumerBackend:
    return _CLASSES[consumer.pool_metadata.backend_type][1]._of(consumer)
