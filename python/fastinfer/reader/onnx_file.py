"""Reading an ONNX file without holding its weights twice.

``onnx.load`` parses the whole file into one protobuf message, whose memory (an arena) is
freed only with the message; converting its initializers to numpy arrays then holds every
weight twice for a while. Here the file is walked at the protobuf wire level instead: the
model without its large initializers is parsed as usual, and each large initializer is read
and parsed on its own when the graph converts it, then freed.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from typing import BinaryIO

import onnx

MODEL_GRAPH_FIELD = 7  # ModelProto.graph
GRAPH_INITIALIZER_FIELD = 5  # GraphProto.initializer
LEN = 2  # wire type of length-delimited fields
STREAM_OVER = 1 << 16  # initializers larger than this (bytes on disk) are read lazily


def _varint(data: bytes | memoryview, pos: int) -> tuple[int, int]:
    result = shift = 0
    while True:
        if pos >= len(data):
            raise ValueError("truncated varint")
        b = data[pos]
        pos += 1
        result |= (b & 0x7F) << shift
        if not b & 0x80:
            return result, pos
        shift += 7
        if shift > 63:
            raise ValueError("varint too long")


def _encode_varint(value: int) -> bytes:
    out = bytearray()
    while True:
        b = value & 0x7F
        value >>= 7
        if value:
            out.append(b | 0x80)
        else:
            out.append(b)
            return bytes(out)


def _fields(data: memoryview, start: int, end: int) -> Iterator[tuple[int, int, int, int, int]]:
    """(field number, wire type, field start, payload start, field end) of each field."""
    pos = start
    while pos < end:
        field_start = pos
        key, pos = _varint(data, pos)
        number, wire = key >> 3, key & 7
        if wire == 0:
            _, pos = _varint(data, pos)
            payload = field_start
        elif wire == 1:
            payload, pos = pos, pos + 8
        elif wire == 5:
            payload, pos = pos, pos + 4
        elif wire == LEN:
            length, payload = _varint(data, pos)
            pos = payload + length
        else:
            raise ValueError(f"unsupported protobuf wire type {wire}")
        if pos > end:
            raise ValueError("field runs past the end of its message")
        yield number, wire, field_start, payload, pos


@dataclass
class LazyInitializer:
    """Where a large initializer's TensorProto lies in the file."""

    offset: int
    length: int

    def read(self, f: BinaryIO) -> onnx.TensorProto:
        f.seek(self.offset)
        return onnx.TensorProto.FromString(f.read(self.length))


def read_split(path: str) -> tuple[onnx.ModelProto, list[LazyInitializer]]:
    """The model with its large initializers left out, and where those lie in the file.

    Only the file's structure is held in memory: initializers are skipped by offset.
    Raises ValueError for a file that is not valid protobuf wire data.
    """
    with open(path, "rb") as f:
        data = f.read()
    view = memoryview(data)
    head = bytearray()
    lazy: list[LazyInitializer] = []
    graph_body = bytearray()
    for number, wire, field_start, payload, end in _fields(view, 0, len(view)):
        if number != MODEL_GRAPH_FIELD or wire != LEN:
            head += view[field_start:end]
            continue
        for g_number, g_wire, g_start, g_payload, g_end in _fields(view, payload, end):
            if (
                g_number == GRAPH_INITIALIZER_FIELD
                and g_wire == LEN
                and g_end - g_payload > STREAM_OVER
            ):
                lazy.append(LazyInitializer(g_payload, g_end - g_payload))
            else:
                graph_body += view[g_start:g_end]
    del view
    del data
    head += _encode_varint((MODEL_GRAPH_FIELD << 3) | LEN) + _encode_varint(len(graph_body))
    head += graph_body
    return onnx.ModelProto.FromString(bytes(head)), lazy
