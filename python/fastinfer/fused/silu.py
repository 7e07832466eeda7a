"""Silu (swish): ``x * sigmoid(x)``, the activation of EfficientNet, YOLO and LLaMA-style
MLPs, which exporters write as ``Mul(x, Sigmoid(x))``. One pass over the tensor instead of
two, with the bits of the unfused pair (the kernel multiplies x by the same sigmoid)."""

from __future__ import annotations

import numpy as np
from onnx.reference.op_run import OpRun

from ..compile.shape_rules.core import same_as_input
from ..ir.graph import FUSED_DOMAIN, Node
from .builder import Builder
from .schema import FusedSchema


class Silu(OpRun):
    """x * sigmoid(x), in x's dtype."""

    op_domain = FUSED_DOMAIN

    def _run(self, x):
        with np.errstate(over="ignore"):
            return ((x * (1.0 / (1.0 + np.exp(-x)))).astype(x.dtype),)


def expand(b: Builder, n: Node) -> None:
    x = n.inputs[0]
    b.op("Mul", [x, b.op("Sigmoid", [x])], n.outputs[0])


SCHEMA = FusedSchema(name="Silu", reference=Silu, expand=expand, shape_rule=same_as_input)
