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

    ``causal=1`` hides key j from query i where j > i (the top-left triangle, ONNX's
    ``is_causal`` without a cache); ``nan_probs_to_zero=1`` replaces NaN probabilities (a
    row whose every key is masked with -inf) by 0, as torch's exporter writes
    ``Where(IsNaN(p), 0, p)`` after the softmax.

    The evaluator fills in the defaults of the ONNX op of the same name (opset 23), whose
    attributes this op does not have: they are accepted and ignored.
    """

    op_domain = FUSED_DOMAIN

    def _run(
        self, q, k_t, v, mask=None, scale=1.0, causal=0, nan_probs_to_zero=0, **_onnx_defaults
    ):
        s = np.matmul(q, k_t).astype(np.float64) * scale
        if mask is not None:
            s = s + mask
        if causal:
            rows, keys = s.shape[-2:]
            s = np.where(np.arange(keys) <= np.arange(rows)[:, None], s, -np.inf)
        with np.errstate(invalid="ignore"):
            s = s - s.max(axis=-1, keepdims=True)
            p = np.exp(s)
            p /= p.sum(axis=-1, keepdims=True)
        if nan_probs_to_zero:
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
    if n.attrs.get("causal", 0):
        scores = _causal(b, scores)
    p = b.op("Softmax", [scores], axis=-1)
    if n.attrs.get("nan_probs_to_zero", 0):
        p = b.op("Where", [b.op("IsNaN", [p]), b.const("zero", np.float32(0.0)), p])
    b.op("MatMul", [p, v], n.outputs[0])


def _causal(b: Builder, scores: str) -> str:
    """Where(j <= i, scores, -inf) over the last two axes, from the scores' own shape."""
    shape = b.op("Shape", [scores])
    one = b.const("one", np.array([1], np.int64))

    def positions(axis: int) -> str:
        size = b.op("Gather", [shape, b.const(f"axis{axis}", np.array(axis, np.int64))])
        return b.op(
            "Range",
            [b.const("start", np.array(0, np.int64)), size, b.const("step", np.array(1, np.int64))],
        )

    rows = b.op("Unsqueeze", [positions(-2), one])  # (Sq, 1)
    visible = b.op("LessOrEqual", [positions(-1), rows])  # (Sq, Sk)
    return b.op("Where", [visible, scores, b.const("minus_inf", np.float32(-np.inf))])


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
