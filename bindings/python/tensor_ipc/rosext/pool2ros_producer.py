"""ROSTensorProducer: put frames into a pool and publish them on a ROS 2 topic."""

from __future__ import annotations

from typing import Any, Optional

from .. import PoolMetadata, TensorProducer, _Closable
from .. import capi as _tipc
from ..errors import ClosedError, InvalidArgumentError
from . import _bridge
from .ros_utils import msgify


class ROSTensorProducer(_Closable):
    """A producer whose frames also go to the ROS 2 topic ``ros_topic``.

    With ``node=None`` (or no rclpy) the C library's export bridge publishes
    each frame as a ROS 2 message over DDS, with no ROS install: after every
    ``put`` (default), or from a library thread (``threaded=True``).
    ``ros_msg_type``: a type name ("sensor_msgs/msg/Image",
    "sensor_msgs/Image") or an rclpy message class; None infers it from the
    pool (uint8 (H,W,3) -> Image rgb8, ...). ``qos``: a keep-last depth or an
    rclpy QoSProfile. Messages are sent only while a ROS 2 subscriber is
    matched. With an rclpy ``node``, an rclpy publisher sends
    ``msgify(ros_msg_type, frame, **kwargs)`` as the original did.
    """

    def __init__(
        self,
        pool_metadata: PoolMetadata,
        node: Any,
        ros_topic: str,
        ros_msg_type: Any,
        qos: Any = 10,
        keep_last: int = 10,
        dds_participant: Any = None,
        *,
        encoding: Optional[str] = None,
        frame_id: Optional[str] = None,
        joint_names: Any = None,
        domain_id: Optional[int] = None,
        threaded: bool = False,
    ) -> None:
        if not isinstance(pool_metadata, PoolMetadata):
            raise InvalidArgumentError("ROSTensorProducer needs a PoolMetadata")
        self.node = node
        self.ros_topic = ros_topic
        self.ros_msg_type = ros_msg_type
        self._pub = None
        self._bridge = None
        rclpy_path = _bridge.uses_rclpy(node)
        self.tensor_producer = TensorProducer(
            pool_metadata=pool_metadata, keep_last=keep_last, dds_participant=dds_participant
        )
        try:
            if rclpy_path:
                self._msg_class = _bridge.message_class(ros_msg_type)
                self._pub = node.create_publisher(self._msg_class, ros_topic, qos_profile=qos)
            else:
                self._bridge = _bridge.Bridge(
                    _tipc.ROS2_EXPORT, ros_topic, self.tensor_producer.pool_metadata._c, None,
                    ros_msg_type, encoding=encoding, frame_id=frame_id, joint_names=joint_names,
                    domain_id=domain_id, qos=qos,
                    history_len=self.tensor_producer.pool_metadata.history_len,
                    manual=not threaded,
                )
        except BaseException:
            self.tensor_producer.cleanup()
            raise

    @property
    def pool_metadata(self) -> PoolMetadata:
        return self.tensor_producer.pool_metadata

    @property
    def ros_type(self) -> str:
        """The ROS 2 type name carried ("sensor_msgs/msg/Image")."""
        if self._bridge is not None:
            return self._bridge.handle.type()
        from .ros_utils import ros_type_name  # noqa: PLC0415

        return ros_type_name(self.ros_msg_type)

    def put(self, data: Any, *args: Any, **kwargs: Any) -> int:
        """Put ``data`` into the pool and publish it on the ROS 2 topic;
        returns the frame index. Keywords (the original's msgify arguments):
        ``encoding``, ``frame_id`` for the C bridge; anything msgify takes on
        the rclpy path."""
        if self._bridge is None and self._pub is None:
            raise ClosedError(f"pool '{self.pool_metadata.name}': the producer was cleaned up")
        if self._pub is not None:
            index = self.tensor_producer.put(data)
            arr = self.tensor_producer.backend.mixin.to_numpy(data)
            self._pub.publish(msgify(self._msg_class, arr, *args, **kwargs))
            return index
        if args or set(kwargs) - {"encoding", "frame_id"}:
            raise InvalidArgumentError(
                f"pool '{self.pool_metadata.name}': without rclpy, put takes encoding= and "
                f"frame_id= only (got {list(args) + sorted(kwargs)})"
            )
        if kwargs:
            self._bridge.reconfigure(**{k: v for k, v in kwargs.items() if v is not None})
        index = self.tensor_producer.put(data)
        if self._bridge.manual:
            self._bridge.handle.poll(0)
        return index

    @property
    def stats(self) -> Optional[dict]:
        """The C bridge's counters (frames, bytes, skipped, matched, ...); None on the rclpy path."""
        return None if self._bridge is None else self._bridge.stats()

    def cleanup(self) -> None:
        if self._bridge is not None:
            self._bridge.close()
            self._bridge = None
        self.tensor_producer.cleanup()
        if self._pub is not None:
            self.node.destroy_publisher(self._pub)
            self._pub = None
