"""FusedConv: ONNX Conv, plus an optional residual input R, then ReLU, ReLU6 or nothing."""

from __future__ import annotations

import numpy as np
from onnx.reference.ops.op_conv import Conv as _OnnxConv

from ..compile.shape_rules.core import conv as conv_shape
from ..ir.graph import FUSED_DOMAIN, Node
from .activation import activate
from .builder import Builder
from .schema import FusedSchema, ShapeOf


class FusedConv(_OnnxConv):
    """ONNX Conv, plus an optional residual input R, then an activation (``activation``
    "relu", "relu6" (Clip(0, 6), as MobileNetV2 exports it) or "")."""

    op_domain = FUSED_DOMAIN

    def _run(  # noqa: N803 (ONNX input names)
        self,
        X,
        W,
        B=None,
        R=None,
        auto_pad=None,
        dilations=None,
        group=None,
        kernel_shape=None,
        pads=None,
        strides=None,
        activation="",
    ):
        (y,) = super()._run(
            X,
            W,
            B,
            auto_pad=auto_pad,
            dilations=dilations,
            group=1 if group is None else group,
            kernel_shape=kernel_shape,
            pads=pads,
            strides=strides,
        )
        if R is not None:
            y = (y + R).astype(y.dtype)
        return (activate(y, activation),)


def expand(b: Builder, n: Node) -> None:
    out = n.outputs[0]
    attrs = {k: v for k, v in n.attrs.items() if k != "activation"}
    act = n.attrs.get("activation", "")
    conv_in = list(n.inputs[:3])
    while conv_in and not conv_in[-1]:
        conv_in.pop()
    residual = n.inputs[3] if len(n.inputs) > 3 else ""
    y = b.op("Conv", conv_in, None if act or residual else out, **attrs)
    b.add_activate(y, residual, act, out)


def conv_flops(shape_of: ShapeOf, node: Node) -> int:
    """2 x multiply-adds of a convolution (Conv too): 2 |Y| (C/group x kernel size)."""
    w, out = shape_of(node.inputs[1]), shape_of(node.outputs[0])
    if w is None or out is None:
        return 0
    return int(2 * np.prod(out) * np.prod(w[1:]))


SCHEMA = FusedSchema(
    name="FusedConv",
    reference=FusedConv,
    expand=expand,
    shape_rule=conv_shape,
    flops=conv_flops,
    # the weights and bias: the kernel packs them when the plan is built
    constant_inputs=(1, 2),
)
