"""``from tensor_ipc.core.producer import TensorProducer``, as in the original."""

from .. import TensorProducer
from .metadata import MetadataCreator, PoolMetadata, PoolProgressMessage

__all__ = ["TensorProducer", "PoolMetadata", "MetadataCreator", "PoolProgressMessage"]
