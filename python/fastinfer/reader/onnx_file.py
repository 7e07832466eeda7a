"""Reading an ONNX file without holding its weights twice.

``onnx.load`` parses the whole file into one protobuf message, whose memory (an arena) is
freed only with the message; converting its initializers to numpy arrays then holds every
weight twice for a while. Here the file is walked at the protobuf wire level instead: the
model without its large initializers is parsed as usual, and each large initializer is read
and parsed on its own when the graph converts it, then freed.
"""

from __future__ import annotations

import mmap
from collections.abc import Iterator
from dataclasses import dataclass, field
from typing import BinaryIO

import numpy as np
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
            payload = pos  # the varint value
            _, pos = _varint(data, pos)
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


# TensorProto fields read at the wire level.
TENSOR_DIMS, TENSOR_DATA_TYPE, TENSOR_NAME, TENSOR_RAW_DATA = 1, 2, 8, 9


@dataclass
class LazyInitializer:
    """Where a large initializer's TensorProto lies in the file, and, for the usual kind
    (dims, data type, name and raw little-endian data only), its header and where its raw
    bytes are: those are read straight into an array, with no protobuf parsing or copy."""

    offset: int
    length: int
    name: str = ""
    data_type: int = 0
    dims: list[int] = field(default_factory=list)
    raw_offset: int = -1  # -1: not the simple kind; parse the TensorProto
    raw_length: int = 0

    def read(self, f: BinaryIO) -> onnx.TensorProto:
        f.seek(self.offset)
        return onnx.TensorProto.FromString(f.read(self.length))

    def read_array(self, f: BinaryIO, empty) -> np.ndarray | None:
        """The tensor as an array made by ``empty(shape, dtype)``, filled from the file;
        None when it is not the simple kind (then use :meth:`read`)."""
        if self.raw_offset < 0:
            return None
        dtype = np.dtype(onnx.helper.tensor_dtype_to_np_dtype(self.data_type)).newbyteorder("<")
        array = empty(tuple(self.dims), dtype)
        if array.nbytes != self.raw_length:
            raise ValueError(
                f"raw data of '{self.name}' has {self.raw_length} bytes, its dims "
                f"{self.dims} need {array.nbytes}"
            )
        f.seek(self.raw_offset)
        view = memoryview(array.reshape(-1).view(np.uint8))
        if f.readinto(view) != self.raw_length:
            raise ValueError(f"initializer '{self.name}' is truncated")
        return array


def _describe(view: memoryview, start: int, end: int) -> LazyInitializer:
    """A lazy initializer with its header parsed when it is the simple kind."""
    lazy = LazyInitializer(start, end - start)
    simple_fields = {TENSOR_DIMS, TENSOR_DATA_TYPE, TENSOR_NAME, TENSOR_RAW_DATA}
    raw = None
    for number, wire, _, payload, f_end in _fields(view, start, end):
        if number not in simple_fields:
            return LazyInitializer(start, end - start)
        if number == TENSOR_DIMS and wire == 0:
            lazy.dims.append(_varint(view, payload)[0])
        elif number == TENSOR_DIMS and wire == LEN:  # packed
            pos = payload
            while pos < f_end:
                d, pos = _varint(view, pos)
                lazy.dims.append(d)
        elif number == TENSOR_DATA_TYPE and wire == 0:
            lazy.data_type = _varint(view, payload)[0]
        elif number == TENSOR_NAME and wire == LEN:
            lazy.name = bytes(view[payload:f_end]).decode("utf-8")
        elif number == TENSOR_RAW_DATA and wire == LEN:
            raw = (payload, f_end - payload)
        else:
            return LazyInitializer(start, end - start)
    try:
        itemsize = np.dtype(onnx.helper.tensor_dtype_to_np_dtype(lazy.data_type)).itemsize
    except (KeyError, ValueError, TypeError):
        return LazyInitializer(start, end - start)
    if raw is None or lazy.data_type == onnx.TensorProto.STRING or itemsize == 0:
        return LazyInitializer(start, end - start)
    lazy.raw_offset, lazy.raw_length = raw
    return lazy


def _size(f: BinaryIO) -> int:
    f.seek(0, 2)
    size = f.tell()
    f.seek(0)
    return size


def read_split(path: str) -> tuple[onnx.ModelProto, list[LazyInitializer]]:
    """The model with its large initializers left out, and where those lie in the file.

    Only the file's structure is held in memory: initializers are skipped by offset.
    Raises ValueError for a file that is not valid protobuf wire data.
    """
    with open(path, "rb") as f:
        # Mapped, not read: only the structure is touched here, the weights stay on disk
        # (in the page cache) until each is read into its array.
        data = mmap.mmap(f.fileno(), 0, access=mmap.ACCESS_READ) if _size(f) else b""
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
                lazy.append(_describe(view, g_payload, g_end))
            else:
                graph_body += view[g_start:g_end]
    del view
    if isinstance(data, mmap.mmap):
        data.close()
    head += _encode_varint((MODEL_GRAPH_FIELD << 3) | LEN) + _encode_varint(len(graph_body))
    head += graph_body
    return onnx.ModelProto.FromString(bytes(head)), lazy
