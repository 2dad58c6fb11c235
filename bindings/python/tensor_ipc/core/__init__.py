"""The original tensor-ipc's module layout: ``tensor_ipc.core.producer``,
``tensor_ipc.core.consumer`` and ``tensor_ipc.core.metadata`` name the same
classes as ``tensor_ipc`` itself (no second implementation)."""

from .consumer import TensorConsumer
from .metadata import MetadataCreator, PoolMetadata, PoolProgressMessage
from .producer import TensorProducer

__all__ = [
    "TensorConsumer",
    "TensorProducer",
    "PoolMetadata",
    "MetadataCreator",
    "PoolProgressMessage",
]
