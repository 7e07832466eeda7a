"""Gelu: the ONNX opset-20 op (``approximate`` "none" for erf, or "tanh"), provided for
older opsets."""

from __future__ import annotations

from onnx.reference.op_run import OpRun

from ..compile.shape_rules.core import same_as_input
from ..ir.graph import FUSED_DOMAIN, Node
from .activation import gelu
from .builder import Builder
from .schema import FusedSchema


class Gelu(OpRun):
    """GELU, ``approximate`` "none" (erf) or "tanh"; the ONNX opset-20 op for older opsets."""

    op_domain = FUSED_DOMAIN

    def _run(self, x, approximate="none"):
        return (gelu(x, approximate),)


def expand(b: Builder, n: Node) -> None:
    b.gelu(n.inputs[0], n.attrs.get("approximate", "none"), n.outputs[0])


SCHEMA = FusedSchema(
    name="Gelu", reference=Gelu, expand=expand, shape_rule=same_as_input, standard=True
)
