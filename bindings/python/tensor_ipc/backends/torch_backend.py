"""TorchProducerBackend / TorchConsumerBackend (torch CPU pools in host shared
memory; reads give torch tensors, ``as_numpy=True`` numpy arrays). Importing
this module does not import torch; using the classes needs it."""

from __future__ import annotations

from typing import Any

from .. import _backends as _b
from .base_backend import (
    HistoryPadStrategy,
    TensorBackendMixin,
    TensorConsumerBackend,
    TensorProducerBackend,
)

__all__ = ["TorchBackendMixin", "TorchProducerBackend", "TorchConsumerBackend", "HistoryPadStrategy"]


class TorchBackendMixin(TensorBackendMixin):
    @classmethod
    def from_numpy(cls, data: Any):
        return _b.torch_module().from_numpy(data)


class TorchProducerBackend(TensorProducerBackend):
    backend_type = "torch"
    mixin = TorchBackendMixin


class TorchConsumerBackend(TensorConsumerBackend):
    backend_type = "torch"
    mixin = TorchBackendMixin

    def __init__(self, pool_metadata, **consumer_options: Any) -> None:
        super().__init__(pool_metadata, **consumer_options)
