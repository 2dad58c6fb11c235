"""ROSTensorConsumer: a ROS 2 topic written into a pool, read like a consumer."""

from __future__ import annotations

import time
from typing import Any, Callable, Optional

from .. import PoolMetadata, TensorConsumer, TensorProducer, _Closable
from .. import capi as _tipc
from ..errors import InvalidArgumentError
from . import _bridge
from .ros_utils import numpify


class ROSTensorConsumer(_Closable):
    """Each message of the ROS 2 topic ``ros_topic`` goes into the pool of
    ``pool_metadata``; ``get()`` reads it as TensorConsumer.get does.

    With ``node=None`` (or no rclpy) the C library's import bridge receives
    the messages over DDS on a library thread and writes them into the pool
    (header.stamp becomes the frame stamp); messages of another shape or
    dtype are counted (``stats['rejected']``), never written. Other
    processes read the pool like any other. ``pool_metadata`` may also be a
    pool name (a str): the pool then takes its shape from the first message
    (``history_len`` frames). With an rclpy ``node``, an rclpy subscription
    puts ``numpify(msg)`` into the pool, as the original did.
    """

    def __init__(
        self,
        pool_metadata: Any,
        node: Any,
        ros_topic: str,
        ros_msg_type: Any,
        qos: Any = 10,
        keep_last: int = 10,
        dds_participant: Any = None,
        on_new_data_callback: Optional[Callable[[Any], None]] = None,
        *,
        encoding: Optional[str] = None,
        domain_id: Optional[int] = None,
        history_len: int = 8,
    ) -> None:
        if not isinstance(pool_metadata, (PoolMetadata, str)):
            raise InvalidArgumentError(
                "ROSTensorConsumer needs a PoolMetadata (or a pool name for a pool shaped "
                "by the first message)"
            )
        self.node = node
        self.ros_topic = ros_topic
        self.ros_msg_type = ros_msg_type
        self._keep_last = keep_last
        self._participant = dds_participant
        self._callback = on_new_data_callback
        self._sub = None
        self._bridge = None
        self.tensor_producer = None
        self.tensor_consumer = None
        if _bridge.uses_rclpy(node):
            if not isinstance(pool_metadata, PoolMetadata):
                raise InvalidArgumentError("with an rclpy node, pool_metadata must be a PoolMetadata")
            self.tensor_producer = TensorProducer(
                pool_metadata=pool_metadata, keep_last=keep_last, dds_participant=dds_participant
            )
            self._consumer_for(pool_metadata)
            self._sub = node.create_subscription(
                _bridge.message_class(ros_msg_type), ros_topic, self._on_new_data, qos_profile=qos
            )
            return
        if ros_msg_type is None:
            raise InvalidArgumentError("ROSTensorConsumer needs ros_msg_type (a name or class)")
        md = pool_metadata if isinstance(pool_metadata, PoolMetadata) else None
        self._bridge = _bridge.Bridge(
            _tipc.ROS2_IMPORT, ros_topic, None if md is None else md._c,
            pool_metadata if md is None else md.name, ros_msg_type, encoding=encoding,
            domain_id=domain_id, qos=qos,
            history_len=history_len if md is None else md.history_len,
        )
        if md is not None:
            self._consumer_for(md)

    def _consumer_for(self, md: PoolMetadata) -> None:
        self.tensor_consumer = TensorConsumer(
            pool_metadata=md, keep_last=self._keep_last, dds_participant=self._participant,
            on_new_data_callback=self._callback,
        )

    def _consumer(self) -> Optional[TensorConsumer]:
        if self.tensor_consumer is None and self._bridge is not None:
            c = self._bridge.handle.metadata()  # the pool, once the first message made it
            if c is not None:
                md = PoolMetadata(
                    c.name(), [c.dim(i) for i in range(c.ndim())], c.dtype(), c.backend(),
                    c.history_len(),
                )
                self._consumer_for(md)
        return self.tensor_consumer

    @property
    def pool_metadata(self) -> Optional[PoolMetadata]:
        """The pool's metadata; None before the first message made it (name-only pools)."""
        c = self._consumer()
        return None if c is None else c.pool_metadata

    def _on_new_data(self, msg: Any) -> None:
        data = numpify(msg)
        data = self.tensor_producer.backend.mixin.from_numpy(data)
        self.tensor_producer.put(data)

    def get(self, history_len: int = 1, as_numpy: bool = False, latest_first: bool = True):
        """The latest frame (or the last ``history_len`` stacked), or None
        before the first message (TensorConsumer.get)."""
        c = self._consumer()
        if c is None:
            return None
        return c.get(history_len=history_len, as_numpy=as_numpy, latest_first=latest_first)

    def wait(self, timeout: Optional[float] = None) -> bool:
        """Wait for a frame newer than the last one read; False on timeout."""
        deadline = None if timeout is None else time.monotonic() + timeout
        while True:
            c = self._consumer()
            if c is not None:
                left = None if deadline is None else max(deadline - time.monotonic(), 0.0)
                return c.wait(left)
            if deadline is not None and time.monotonic() >= deadline:
                return False
            time.sleep(0.01)  # the pool appears with the first message

    @property
    def stats(self) -> Optional[dict]:
        """The import bridge's counters (frames, rejected, malformed, matched,
        last_problem, ...); None on the rclpy path."""
        return None if self._bridge is None else self._bridge.stats()

    def cleanup(self) -> None:
        if self.tensor_consumer is not None:
            self.tensor_consumer.cleanup()
        if self._bridge is not None:
            self._bridge.close()
            self._bridge = None
        if self.tensor_producer is not None:
            self.tensor_producer.cleanup()
        if self._sub is not None:
            self.node.destroy_subscription(self._sub)
            self._sub = None
