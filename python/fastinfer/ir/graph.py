"""A small graph IR: values with dtype and shape, nodes in topological order, constants.

Deliberately close to ONNX (op types, attribute names, input order) so that ONNX models map
onto it one to one and passes read like the ONNX spec; fused ops that fastinfer adds live
in the domain ``FUSED_DOMAIN``. Shapes hold ints for static dims and strings (or None) for
dynamic ones ("batch", "seq"); a plan is compiled only once every dim is an int.
"""

from __future__ import annotations

import copy
from collections.abc import Iterable
from dataclasses import dataclass, field
from typing import Any, Optional, Union

import numpy as np

Dim = Union[int, str, None]
Shape = Optional[tuple[Dim, ...]]  # None: rank unknown

FUSED_DOMAIN = "ai.fastinfer"
ALIGNMENT = 64


def aligned(array: np.ndarray) -> np.ndarray:
    """`array` as a C-contiguous array whose data starts on a 64-byte boundary (a copy only
    when needed). Native plans then use constants in place instead of copying them."""
    if array.flags.c_contiguous and array.ctypes.data % ALIGNMENT == 0:
        return array
    buf = np.empty(array.nbytes + ALIGNMENT, dtype=np.uint8)
    start = (-buf.ctypes.data) % ALIGNMENT
    out = buf[start : start + array.nbytes].view(array.dtype).reshape(array.shape)
    out[...] = array
    return out


def aligned_empty(shape: tuple[int, ...], dtype: np.dtype) -> np.ndarray:
    """An uninitialised C-contiguous array whose data starts on a 64-byte boundary."""
    dtype = np.dtype(dtype)
    nbytes = int(np.prod(shape, dtype=np.int64)) * dtype.itemsize
    buf = np.empty(nbytes + ALIGNMENT, dtype=np.uint8)
    start = (-buf.ctypes.data) % ALIGNMENT
    return buf[start : start + nbytes].view(dtype).reshape(shape)


@dataclass
class Value:
    """A tensor flowing through the graph."""

    name: str
    dtype: np.dtype | None = None  # None: unknown
    shape: Shape = None

    @property
    def is_static(self) -> bool:
        return self.shape is not None and all(isinstance(d, int) for d in self.shape)

    def __repr__(self) -> str:
        dims = "?" if self.shape is None else ", ".join(str(d) for d in self.shape)
        dt = "?" if self.dtype is None else np.dtype(self.dtype).name
        return f"{self.name}: {dt}[{dims}]"


@dataclass
class Node:
    """One operation. ``inputs`` may hold "" for an omitted optional input."""

    op_type: str
    inputs: list[str]
    outputs: list[str]
    attrs: dict[str, Any] = field(default_factory=dict)
    name: str = ""
    domain: str = ""  # "" (ONNX) or FUSED_DOMAIN

    def __repr__(self) -> str:
        op = self.op_type if not self.domain else f"{self.domain}.{self.op_type}"
        return f"{self.outputs} = {op}({', '.join(self.inputs)}) '{self.name}'"


@dataclass
class Graph:
    """Nodes in topological order over named values; constants are numpy arrays."""

    nodes: list[Node] = field(default_factory=list)
    inputs: list[Value] = field(default_factory=list)
    outputs: list[Value] = field(default_factory=list)
    constants: dict[str, np.ndarray] = field(default_factory=dict)
    values: dict[str, Value] = field(default_factory=dict)  # known dtype/shape of any value
    opset: int = 17
    name: str = "graph"

    # -- queries ---------------------------------------------------------------------------
    def producers(self) -> dict[str, Node]:
        return {out: n for n in self.nodes for out in n.outputs if out}

    def consumers(self) -> dict[str, list[Node]]:
        users: dict[str, list[Node]] = {}
        for n in self.nodes:
            for i in n.inputs:
                if i:
                    users.setdefault(i, []).append(n)
        return users

    def value(self, name: str) -> Value:
        """The known description of `name` (a placeholder with nothing known if absent)."""
        if name in self.values:
            return self.values[name]
        if name in self.constants:
            c = self.constants[name]
            return Value(name, c.dtype, tuple(c.shape))
        return Value(name)

    def is_constant(self, name: str) -> bool:
        return name in self.constants

    @property
    def input_names(self) -> list[str]:
        return [v.name for v in self.inputs]

    @property
    def output_names(self) -> list[str]:
        return [v.name for v in self.outputs]

    def op_counts(self) -> dict[str, int]:
        counts: dict[str, int] = {}
        for n in self.nodes:
            counts[n.op_type] = counts.get(n.op_type, 0) + 1
        return dict(sorted(counts.items()))

    def copy(self) -> Graph:
        """A copy whose nodes and values can be edited freely. Constant arrays are shared,
        not copied (weights can be hundreds of MiB): passes replace constants, never write
        into them."""
        constants, self.constants = self.constants, {}
        try:
            clone = copy.deepcopy(self)
        finally:
            self.constants = constants
        clone.constants = dict(constants)
        return clone

    # -- edits -----------------------------------------------------------------------------
    def unique_name(self, base: str) -> str:
        taken = set(self.values) | set(self.constants) | {o for n in self.nodes for o in n.outputs}
        taken |= set(self.input_names)
        if base not in taken:
            return base
        i = 1
        while f"{base}_{i}" in taken:
            i += 1
        return f"{base}_{i}"

    def add_constant(self, base: str, array: np.ndarray) -> str:
        name = self.unique_name(base)
        self.constants[name] = aligned(np.asarray(array))
        self.values[name] = Value(name, array.dtype, tuple(array.shape))
        return name

    def replace_uses(self, old: str, new: str) -> None:
        """Points every use of value `old` (node inputs, graph outputs) at `new`."""
        for n in self.nodes:
            n.inputs = [new if i == old else i for i in n.inputs]
        for v in self.outputs:
            if v.name == old:
                raise ValueError(f"cannot rename graph output '{old}'; insert an Identity instead")

    def toposort(self) -> None:
        """Orders nodes so that every input is produced before use; raises on a cycle."""
        available = set(self.input_names) | set(self.constants) | {""}
        pending = list(self.nodes)
        ordered: list[Node] = []
        while pending:
            ready = [n for n in pending if all(i in available for i in n.inputs)]
            if not ready:
                missing = sorted({i for n in pending for i in n.inputs if i not in available})
                raise ValueError(f"graph has a cycle or undefined values: {missing[:10]}")
            for n in ready:
                ordered.append(n)
                available.update(n.outputs)
            ids = {id(n) for n in ready}
            pending = [n for n in pending if id(n) not in ids]
        self.nodes = ordered

    def remove_nodes(self, dead: Iterable[Node]) -> None:
        ids = {id(n) for n in dead}
        self.nodes = [n for n in self.nodes if id(n) not in ids]

    def __repr__(self) -> str:
        ops = ", ".join(f"{k}x{v}" for k, v in self.op_counts().items())
        ins = ", ".join(repr(self.value(v.name)) for v in self.inputs)
        outs = ", ".join(repr(self.value(v.name)) for v in self.outputs)
        return (
            f"Graph '{self.name}' (opset {self.opset}): inputs [{ins}] -> outputs [{outs}]; "
            f"{len(self.nodes)} nodes ({ops}); {len(self.constants)} constants"
        )
