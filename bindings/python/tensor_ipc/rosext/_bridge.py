"""What the ROS 2 classes share: the rclpy check, message classes from type
names, QoS and domain arguments, and the C bridge wrapper."""

from __future__ import annotations

import importlib
from typing import Any, Optional

from .. import capi as _tipc
from ..errors import InvalidArgumentError
from .ros_utils import _joint_names, _opt_str, ros_type_name


def rclpy_node_class():
    """rclpy's Node class, or None without a usable ROS 2 install."""
    try:
        from rclpy.node import Node  # noqa: PLC0415 - optional
    except Exception:  # ImportError, or a ROS install that fails to load
        return None
    return Node


def uses_rclpy(node: Any) -> bool:
    """True when ``node`` is an rclpy Node (then the rclpy path is taken)."""
    if node is None:
        return False
    Node = rclpy_node_class()
    if Node is None or not isinstance(node, Node):
        raise InvalidArgumentError(
            f"node {node!r} must be an rclpy Node, or None to bridge without ROS"
            + ("" if Node is not None else " (rclpy is not importable here)")
        )
    return True


def message_class(msg_type: Any):
    """The rclpy message class for a type name or class."""
    if isinstance(msg_type, type):
        return msg_type
    pkg, _, name = ros_type_name(msg_type).split("/")
    return getattr(importlib.import_module(f"{pkg}.msg"), name)


def qos_depth_reliable(qos: Any) -> tuple:
    """(keep-last depth, reliable) from an int depth or an rclpy QoSProfile."""
    if isinstance(qos, bool):
        raise InvalidArgumentError(f"qos {qos!r} must be a depth (int) or a QoSProfile")
    if isinstance(qos, int):
        if not 1 <= qos <= 0xFFFFFFFF:
            raise InvalidArgumentError(f"qos depth {qos} must be a positive integer")
        return qos, 1
    depth = getattr(qos, "depth", None)
    if not isinstance(depth, int):
        raise InvalidArgumentError(f"qos {qos!r} must be a depth (int) or a QoSProfile")
    reliability = str(getattr(qos, "reliability", "RELIABLE")).upper()
    return max(depth, 1), 0 if "BEST_EFFORT" in reliability else 1


def domain_arg(domain_id: Optional[int]) -> int:
    if domain_id is None:
        return -1  # ROS_DOMAIN_ID from the environment, else 0
    if isinstance(domain_id, bool) or not isinstance(domain_id, int) or not 0 <= domain_id <= 232:
        raise InvalidArgumentError(f"domain_id {domain_id!r} must be 0..232 or None")
    return domain_id


class Bridge:
    """A C bridge (export or import) with its arguments kept for rebuilding."""

    def __init__(self, direction: int, topic: str, c_md: Any, pool_name: Optional[str],
                 msg_type: Optional[str], *, encoding=None, frame_id=None, joint_names=None,
                 domain_id=None, qos: Any = 10, history_len: int = 8, manual: bool = False):
        if not isinstance(topic, str) or not topic.strip("/"):
            raise InvalidArgumentError(f"ros_topic {topic!r} must be a non-empty string")
        depth, reliable = qos_depth_reliable(qos)
        self.topic = topic
        self.manual = manual
        self.args = dict(
            direction=direction, topic=topic, c_md=c_md, pool_name=pool_name,
            msg_type=None if msg_type is None else ros_type_name(msg_type),
            encoding=_opt_str("encoding", encoding), frame_id=_opt_str("frame_id", frame_id),
            joint_names=_joint_names(joint_names), domain=domain_arg(domain_id),
            depth=depth, reliable=reliable, history_len=history_len,
        )
        self.handle = self._make()

    def _make(self):
        a = self.args
        return _tipc.Ros2Bridge(
            a["direction"], a["topic"], a["c_md"], a["pool_name"], a["msg_type"], a["encoding"],
            a["frame_id"], a["joint_names"], a["domain"], a["depth"], a["reliable"],
            a["history_len"], int(self.manual),
        )

    def reconfigure(self, **changes: Any) -> None:
        """Rebuild with other encoding/frame_id (the original took them per put)."""
        new = dict(self.args)
        new.update(changes)
        if new == self.args:
            return
        old_args, self.args = self.args, new
        old, self.handle = self.handle, None
        del old
        try:
            self.handle = self._make()
        except Exception:
            self.args = old_args
            self.handle = self._make()
            raise

    def stats(self) -> dict:
        s = self.handle.stats()
        return {
            "frames": s.frames, "bytes": s.bytes, "skipped": s.skipped,
            "rejected": s.rejected, "malformed": s.malformed, "matched": s.matched,
            "last_problem": s.last_problem,
        }

    def close(self) -> None:
        h, self.handle = self.handle, None
        del h

