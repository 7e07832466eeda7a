"""LayerNormalization: the ONNX opset-17 op (Y output only), provided for older opsets."""

from __future__ import annotations

import numpy as np
from onnx.reference.op_run import OpRun

from ..compile.shape_rules.core import norm_axis
from ..ir.graph import FUSED_DOMAIN, Node
from .builder import Builder
from .schema import FusedSchema


class LayerNormalization(OpRun):
    """The ONNX opset-17 LayerNormalization (Y output only) for graphs of older opsets."""

    op_domain = FUSED_DOMAIN

    def _run(self, x, scale, bias=None, axis=-1, epsilon=1e-5, stash_type=1):
        axis = axis % x.ndim
        axes = tuple(range(axis, x.ndim))
        x64 = x.astype(np.float64)
        mean = x64.mean(axis=axes, keepdims=True)
        var = ((x64 - mean) ** 2).mean(axis=axes, keepdims=True)
        y = (x64 - mean) / np.sqrt(var + epsilon) * scale
        if bias is not None:
            y = y + bias
        return (y.astype(x.dtype),)


def expand(b: Builder, n: Node) -> None:
    out = n.outputs[0]
    x, gamma = n.inputs[0], n.inputs[1]
    beta = n.inputs[2] if len(n.inputs) > 2 else ""
    rank = len(b.g.value(x).shape or ())
    axis = int(n.attrs.get("axis", -1))
    axes = list(range(axis % rank if rank else 0, rank)) if rank else [-1]
    mean = b.op("ReduceMean", [x], axes=axes, keepdims=1)
    d = b.op("Sub", [x, mean])
    var = b.op("ReduceMean", [b.op("Mul", [d, d])], axes=axes, keepdims=1)
    eps = b.const("eps", np.float32(n.attrs.get("epsilon", 1e-5)))
    norm = b.op("Div", [d, b.op("Sqrt", [b.op("Add", [var, eps])])])
    if beta:
        b.op("Add", [b.op("Mul", [norm, gamma]), beta], out)
    else:
        b.op("Mul", [norm, gamma], out)


def shape_rule(ctx):
    """Y, and the Mean and InvStdDev outputs of the standard op when a node has them."""
    x = ctx.shape(0)
    out = [(ctx.dtype(0), x)]
    axis = norm_axis(int(ctx.attr("axis", -1)), len(x))
    stats = tuple(x[:axis]) + (1,) * (len(x) - axis)
    out += [(np.dtype(np.float32), stats)] * (len(ctx.node.outputs) - 1)
    return out


SCHEMA = FusedSchema(
    name="LayerNormalization",
    reference=LayerNormalization,
    expand=expand,
    shape_rule=shape_rule,
    standard=True,
)
