"""Attention: ``softmax(q @ k_t * scale + mask) @ v``, fastinfer's fused scaled-dot-product
attention (not ONNX's opset-23 Attention, which has other inputs)."""

from __future__ import annotations

import numpy as np
from onnx.reference.op_run import OpRun

from ..ir.graph import FUSED_DOMAIN, Node
from .builder import Builder
from .schema import FusedSchema, ShapeOf


class Attention(OpRun):
    """``softmax(q @ k_t * scale + mask, axis=-1) @ v``; mask omitted means no mask.

    ``nan_to_zero=1``: NaN probabilities become 0 before the product with v, as torch's
    exported SDPA does (``Where(IsNaN(p), 0, p)``), so a row masked out entirely (all
    ``-inf``) gives zeros instead of NaN.

    The evaluator fills in the defaults of the ONNX op of the same name (opset 23), whose
    attributes this op does not have: they are accepted and ignored.
    """

    op_domain = FUSED_DOMAIN

    def _run(self, q, k_t, v, mask=None, scale=1.0, nan_to_zero=0, **_onnx_defaults):
        s = np.matmul(q, k_t).astype(np.float64) * scale
        if mask is not None:
            s = s + mask
        with np.errstate(invalid="ignore"):  # -inf - -inf in fully masked rows: NaN
            s = s - s.max(axis=-1, keepdims=True)
            p = np.exp(s)
            p /= p.sum(axis=-1, keepdims=True)
        if nan_to_zero:
            p = np.where(np.isnan(p), 0.0, p)
        return (np.matmul(p, v.astype(np.float64)).astype(q.dtype),)


def expand(b: Builder, n: Node) -> None:
    q, kt, v = n.inputs[:3]
    mask = n.inputs[3] if len(n.inputs) > 3 else ""
    scores = b.op(
        "Mul",
        [b.op("MatMul", [q, kt]), b.const("scale", np.float32(n.attrs.get("scale", 1.0)))],
    )
    if mask:
        scores = b.op("Add", [scores, mask])
    p = b.op("Softmax", [scores], axis=-1)
    if n.attrs.get("nan_to_zero", 0):
        p = b.op("Where", [b.op("IsNaN", [p]), b.const("zero", np.float32(0.0)), p])
    b.op("MatMul", [p, v], n.outputs[0])


def shape_rule(ctx):
    q, v = ctx.shape(0), ctx.shape(2)
    return [(ctx.dtype(0), tuple(q[:-1]) + (v[-1],))]


def flops(shape_of: ShapeOf, node: Node) -> int:
    """The two products: q @ k_t and p @ v, each |q| / d x keys x d multiply-adds."""
    q, kt = shape_of(node.inputs[0]), shape_of(node.inputs[1])
    if q is None or kt is None:
        return 0
    return int(4 * np.prod(q[:-1]) * kt[-1] * q[-1])


SCHEMA = FusedSchema(
    name="Attention", reference=Attention, expand=expand, shape_rule=shape_rule, flops=flops
)
