"""Cyclone DDS Python classes of the ROS 2 messages, built from rosbags'
message definitions (ROS 2 Humble): neither comes from this project. Each
class is an IdlStruct with the DDS type name ROS 2 uses on the wire
("sensor_msgs::msg::dds_::Image_").

    classes = ros2_classes()            # {"sensor_msgs/msg/Image": class, ...}
    sample = classes[name].deserialize(cdr_bytes)   # CDR from rosbags, or the wire
"""

from __future__ import annotations

import types as pytypes
from dataclasses import dataclass
from typing import Any, Dict

import cyclonedds.idl as idl
import cyclonedds.idl.types as t
from rosbags.typesys import Stores, get_typestore

TYPESTORE = get_typestore(Stores.ROS2_HUMBLE)

_BASE = {
    "bool": bool,
    "byte": t.uint8,  # octet: TK_BYTE, as uint8 in this binding
    "char": t.uint8,
    "int8": t.int8,
    "uint8": t.uint8,
    "int16": t.int16,
    "uint16": t.uint16,
    "int32": t.int32,
    "uint32": t.uint32,
    "int64": t.int64,
    "uint64": t.uint64,
    "float32": t.float32,
    "float64": t.float64,
}


def dds_name(ros_name: str) -> str:
    pkg, kind, name = ros_name.split("/")
    return f"{pkg}::{kind}::dds_::{name}_"


def _field_type(node: Any, made: Dict[str, type]) -> Any:
    kind, detail = node
    kind = int(kind)
    if kind == 1:  # BASE
        name, bound = detail
        if name == "string":
            return t.bounded_str[bound] if bound else str
        return _BASE[name]
    if kind == 2:  # NAME
        return _make(detail, made)
    inner, length = detail
    if kind == 3:  # ARRAY
        return t.array[_field_type(inner, made), length]
    if kind == 4:  # SEQUENCE
        sub = _field_type(inner, made)
        return t.sequence[sub, length] if length else t.sequence[sub]
    raise ValueError(f"unknown node type {kind}")


def _make(ros_name: str, made: Dict[str, type]) -> type:
    if ros_name in made:
        return made[ros_name]
    _, fields = TYPESTORE.fielddefs[ros_name]
    annotations = {f: _field_type(node, made) for f, node in fields}
    short = ros_name.split("/")[-1]

    def body(ns: dict) -> None:
        ns["__annotations__"] = annotations
        ns["__module__"] = __name__

    cls = pytypes.new_class(short, (idl.IdlStruct,), {"typename": dds_name(ros_name)}, body)
    cls = dataclass(cls)
    made[ros_name] = cls
    return cls


_cache: Dict[str, type] = {}


def ros2_class(ros_name: str) -> type:
    """The Cyclone DDS class of one ROS 2 message type."""
    return _make(ros_name, _cache)
