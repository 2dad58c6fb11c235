"""TorchCUDAProducerBackend / TorchCUDAConsumerBackend (torch_cuda pools: the
ring in GPU memory, shared with a CUDA IPC handle). Without CUDA, creating
one raises UnsupportedError (from the C library)."""

from __future__ import annotations

from typing import Any

from .base_backend import HistoryPadStrategy, TensorConsumerBackend, TensorProducerBackend
from .torch_backend import TorchBackendMixin

__all__ = ["TorchCUDAProducerBackend", "TorchCUDAConsumerBackend", "HistoryPadStrategy"]


class TorchCUDAProducerBackend(TensorProducerBackend):
    backend_type = "torch_cuda"
    mixin = TorchBackendMixin


class TorchCUDAConsumerBackend(TensorConsumerBackend):
    backend_type = "torch_cuda"
    mixin = TorchBackendMixin

    def __init__(self, pool_metadata, **consumer_options: Any) -> None:
        super().__init__(pool_metadata, **consumer_options)
