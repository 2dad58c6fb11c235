"""NumpyProducerBackend / NumpyConsumerBackend (numpy pools in host shared memory)."""

from __future__ import annotations

from typing import Any

import numpy as np

from .base_backend import (
    HistoryPadStrategy,
    TensorBackendMixin,
    TensorConsumerBackend,
    TensorProducerBackend,
)

__all__ = ["NumpyBackendMixin", "NumpyProducerBackend", "NumpyConsumerBackend", "HistoryPadStrategy"]


class NumpyBackendMixin(TensorBackendMixin):
    @classmethod
    def from_numpy(cls, data: Any) -> np.ndarray:
        return np.asarray(data)


class NumpyProducerBackend(TensorProducerBackend):
    backend_type = "numpy"
    mixin = NumpyBackendMixin


class NumpyConsumerBackend(TensorConsumerBackend):
    backend_type = "numpy"
    mixin = NumpyBackendMixin

    def __init__(self, pool_metadata, **consumer_options: Any) -> None:
        super().__init__(pool_metadata, **consumer_options)
