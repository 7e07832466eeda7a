"""FusedLinear: ``activation(x @ W + b)``, W (K, N) constant, b (N,) or omitted."""

from __future__ import annotations

import numpy as np
from onnx.reference.op_run import OpRun

from ..ir.graph import FUSED_DOMAIN, Node
from .activation import activate
from .builder import Builder
from .schema import FusedSchema, ShapeOf


class FusedLinear(OpRun):
    """``activation(x @ W + b)``; W is (K, N), b is (N,) or omitted."""

    op_domain = FUSED_DOMAIN

    def _run(self, x, W, b=None, activation=""):  # noqa: N803 (ONNX input names)
        y = np.matmul(x, W)
        if b is not None:
            y = y + b
        return (activate(y.astype(x.dtype), activation),)


def expand(b: Builder, n: Node) -> None:
    out = n.outputs[0]
    bias = n.inputs[2] if len(n.inputs) > 2 else ""
    act = n.attrs.get("activation", "")
    y = b.op("MatMul", n.inputs[:2], None if (bias or act) else out)
    b.add_activate(y, bias, act, out)


def shape_rule(ctx):
    return [(ctx.dtype(0), tuple(ctx.shape(0)[:-1]) + (ctx.shape(1)[1],))]


def matmul_flops(shape_of: ShapeOf, node: Node) -> int:
    """2 x multiply-adds of a matrix product ``Y = A @ B``: 2 |Y| K. Shared by MatMul,
    Gemm (transA read) and MatMulInteger."""
    a, b = shape_of(node.inputs[0]), shape_of(node.inputs[1])
    out = shape_of(node.outputs[0])
    if a is None or b is None or out is None or len(a) == 0:
        return 0
    k = a[0] if node.op_type == "Gemm" and node.attrs.get("transA", 0) else a[-1]
    return int(2 * np.prod(out) * k)


SCHEMA = FusedSchema(
    name="FusedLinear",
    reference=FusedLinear,
    expand=expand,
    shape_rule=shape_rule,
    flops=matmul_flops,
)
