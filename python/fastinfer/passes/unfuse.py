"""Expand fastinfer's fused ops back into standard ONNX ops (for Model.export_onnx), so any
ONNX runtime can run an optimized model. Folded constants and removed nodes stay as they
are: the export keeps the passes' gains that are expressible in standard ONNX."""

from __future__ import annotations

import math

import numpy as np

from ..ir.graph import FUSED_DOMAIN, Graph, Node


class _Builder:
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

    def activation(self, x: str, activation: str, out: str) -> str:
        if activation == "relu":
            return self.op("Relu", [x], out)
        if activation in ("gelu", "gelu_tanh"):
            return self.gelu(x, "tanh" if activation == "gelu_tanh" else "none", out)
        if activation:
            raise ValueError(f"node '{self.fused.name}': unknown activation {activation!r}")
        return self.op("Identity", [x], out)


def _expand(g: Graph, n: Node) -> list[Node]:
    b = _Builder(g, n)
    out = n.outputs[0]
    if n.op_type == "FusedLinear":
        x, w = n.inputs[0], n.inputs[1]
        bias = n.inputs[2] if len(n.inputs) > 2 else ""
        act = n.attrs.get("activation", "")
        y = b.op("MatMul", [x, w], None if (bias or act) else out)
        if bias:
            y = b.op("Add", [y, bias], None if act else out)
        if act:
            b.activation(y, act, out)
    elif n.op_type == "FusedConv":
        attrs = {k: v for k, v in n.attrs.items() if k != "activation"}
        act = n.attrs.get("activation", "")
        conv_in = list(n.inputs[:3])
        while conv_in and not conv_in[-1]:
            conv_in.pop()
        residual = n.inputs[3] if len(n.inputs) > 3 else ""
        y = b.op("Conv", conv_in, None if act or residual else out, **attrs)
        if residual:
            y = b.op("Add", [y, residual], None if act else out)
        if act:
            b.activation(y, act, out)
    elif n.op_type == "Attention":
        q, kt, v = n.inputs[:3]
        mask = n.inputs[3] if len(n.inputs) > 3 else ""
        scores = b.op(
            "Mul",
            [b.op("MatMul", [q, kt]), b.const("scale", np.float32(n.attrs.get("scale", 1.0)))],
        )
        if mask:
            scores = b.op("Add", [scores, mask])
        b.op("MatMul", [b.op("Softmax", [scores], axis=-1), v], out)
    elif n.op_type == "LayerNormalization":
        x, gamma = n.inputs[0], n.inputs[1]
        beta = n.inputs[2] if len(n.inputs) > 2 else ""
        rank = len(g.value(x).shape or ())
        axis = int(n.attrs.get("axis", -1))
        axes = list(range(axis % rank if rank else 0, rank)) if rank else [-1]
        mean = b.op("ReduceMean", [x], axes=axes, keepdims=1)
        d = b.op("Sub", [x, mean])
        var = b.op("ReduceMean", [b.op("Mul", [d, d])], axes=axes, keepdims=1)
        eps = b.const("eps", np.float32(n.attrs.get("epsilon", 1e-5)))
        norm = b.op("Div", [d, b.op("Sqrt", [b.op("Add", [var, eps])])])
        b.op("Add", [b.op("Mul", [norm, gamma]), beta], out) if beta else b.op(
            "Mul", [norm, gamma], out
        )
    elif n.op_type == "Gelu":
        b.gelu(n.inputs[0], n.attrs.get("approximate", "none"), out)
    else:
        raise ValueError(f"no standard expansion for fused op {n.op_type} ('{n.name}')")
    return b.nodes


def unfuse(graph: Graph) -> Graph:
    """Replaces every node of the ``ai.fastinfer`` domain by standard ONNX nodes, in place."""
    nodes: list[Node] = []
    for n in graph.nodes:
        # By domain only: ONNX has an "Attention" op of its own (opset 23), which is left
        # as it is (onnxruntime runs it).
        nodes.extend(_expand(graph, n) if n.domain == FUSED_DOMAIN else [n])
    graph.nodes = nodes
    return graph
