"""tensor_ipc.rosext: pools to and from ROS 2 topics, with or without a ROS install.

``ROSTensorProducer`` puts frames into a pool and publishes them on a ROS 2
topic; ``ROSTensorConsumer`` writes a topic's messages into a pool and
``get()``s them. With ``node=None`` (or where rclpy is not importable) the C
library's bridges speak ROS 2's DDS wire format themselves; with an rclpy
Node they use rclpy as the original tensor-ipc did. See docs/ros2.md.
"""

from ._bridge import rclpy_node_class as _rclpy_node_class
from .pool2ros_producer import ROSTensorProducer
from .ros2pool_consumer import ROSTensorConsumer
from .ros_utils import (
    ROSConversionError,
    RosType,
    from_ros_bytes,
    msgify,
    numpify,
    register_conversion,
    ros_array_info,
    ros_type_name,
    ros_types,
    to_ros_bytes,
    unregister_conversion,
    validate_ros_msgify,
    validate_ros_numpify,
)

#: True when rclpy is importable (the original exported its classes only then;
#: ours are always there, bridging without ROS when node is None).
ROS_AVAILABLE = _rclpy_node_class() is not None

__all__ = [
    "ROSTensorProducer",
    "ROSTensorConsumer",
    "ROS_AVAILABLE",
    "ROSConversionError",
    "RosType",
    "ros_types",
    "ros_type_name",
    "to_ros_bytes",
    "from_ros_bytes",
    "ros_array_info",
    "register_conversion",
    "unregister_conversion",
    "msgify",
    "numpify",
    "validate_ros_msgify",
    "validate_ros_numpify",
]
