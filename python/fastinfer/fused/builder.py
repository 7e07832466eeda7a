"""Emitting standard ONNX nodes in place of one fused node (the schemas' ``expand``)."""

from __future__ import annotations

import math

import numpy as np

from ..ir.graph import Graph, Node


class Builder:
    """Emits replacement nodes for one fused node, with fresh value names."""

    def __init__(self, graph: Graph, fused: Node) -> None:
        self.g, self.fused, self.nodes = graph, fused, []

    def const(self, base: str, value: np.ndarray) -> str:
        return self.g.add_constant(f"{self.fused.name}/{base}", np.asarray(value))

    def op(self, op_type: str, inputs: list[str], out: str | None = None, **attrs) -> str:
        out = out or self.g.unique_name(f"{self.fused.name}/{op_type.lower()}")
        # reserve the name before the next unique_name() call
        self.g.values.setdefault(out, self.g.value(out))
        # Node names must be unique in ONNX: number the nodes of one expansion.
        name = f"{self.fused.name}/{op_type}_{len(self.nodes)}"
        self.nodes.append(Node(op_type, inputs, [out], attrs, name))
        return out

    def gelu(self, x: str, approximate: str, out: str) -> str:
        if approximate == "tanh":
            cube = self.op("Pow", [x, self.const("three", np.float32(3.0))])
            inner = self.op(
                "Add", [x, self.op("Mul", [cube, self.const("c", np.float32(0.044715))])]
            )
            scaled = self.op("Mul", [inner, self.const("k", np.float32(math.sqrt(2 / math.pi)))])
            core = self.op("Tanh", [scaled])
        else:
            core = self.op(
                "Erf", [self.op("Mul", [x, self.const("rsqrt2", np.float32(1 / math.sqrt(2)))])]
            )
        one_plus = self.op("Add", [core, self.const("one", np.float32(1.0))])
        half_x = self.op("Mul", [x, self.const("half", np.float32(0.5))])
        return self.op("Mul", [half_x, one_plus], out)

    def add_activate(self, y: str, addend: str, activation: str, out: str) -> None:
        """``activation(y + addend)`` into `out`; an empty `addend` or `activation` is left
        out. With neither, `y` must already be `out`."""
        if addend:
            y = self.op("Add", [y, addend], None if activation else out)
        if activation:
            self.activation(y, activation, out)

    def activation(self, x: str, activation: str, out: str) -> str:
        if activation == "relu":
            return self.op("Relu", [x], out)
        if activation == "relu6":
            lo, hi = self.const("zero", np.float32(0.0)), self.const("six", np.float32(6.0))
            return self.op("Clip", [x, lo, hi], out)
        if activation in ("gelu", "gelu_tanh"):
            return self.gelu(x, "tanh" if activation == "gelu_tanh" else "none", out)
        if activation:
            raise ValueError(f"node '{self.fused.name}': unknown activation {activation!r}")
        return self.op("Identity", [x], out)
