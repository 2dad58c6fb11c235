"""``from tensor_ipc.core.metadata import PoolMetadata, MetadataCreator``, as
in the original, and its progress message type."""

from __future__ import annotations

from dataclasses import dataclass

from .. import MetadataCreator, PoolMetadata, Shape

__all__ = ["PoolMetadata", "MetadataCreator", "PoolProgressMessage", "Shape"]


@dataclass
class PoolProgressMessage:
    """The original's progress notification: the pool's name and its latest
    frame. Ours travels on the C library's ``tensoripc_{pool}_progress``
    topic (with a timestamp); this class is a plain record for code that
    builds or reads such messages itself (it is not a DDS type here)."""

    pool_name: str
    latest_frame: int = 0
