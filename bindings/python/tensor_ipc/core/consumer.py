"""``from tensor_ipc.core.consumer import TensorConsumer``, as in the original."""

from .. import TensorConsumer
from .metadata import MetadataCreator, PoolMetadata

__all__ = ["TensorConsumer", "PoolMetadata", "MetadataCreator"]
