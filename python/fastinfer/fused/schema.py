"""What fastinfer knows of one fused op, in one place: its numpy definition, its expansion
into standard ONNX, its FLOPs, its shape rule and the inputs its kernel needs as constants.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

from onnx.reference.op_run import OpRun

from ..ir.graph import Node
from .builder import Builder

# Static shape of a value by name, or None when it is not known.
ShapeOf = Callable[[str], tuple[int, ...] | None]


@dataclass(frozen=True)
class FusedSchema:
    """One fused op of the domain ``ai.fastinfer``.

    name             the op type
    reference        the numpy OpRun for ``onnx.reference.ReferenceEvaluator``: the op's
                     definition, written the simple way
    expand           ``expand(builder, node)`` emits standard ONNX nodes computing the node
                     (for export_onnx and ONNX shape inference), writing its output name
    shape_rule       the rule of compile/shape_rules (protocol in registry.py)
    flops            ``flops(shape_of, node)``: 2 x multiply-adds, for Model.summary; None
                     for ops that are not matrix products (they do not dominate)
    constant_inputs  input positions the kernel needs as constants at plan build
    standard         True when the name is also the standard ONNX op of the same meaning
                     (LayerNormalization from opset 17, Gelu from opset 20): fastinfer only
                     provides it for older opsets. False for fastinfer-only ops, whose name
                     in the standard domain means something else or nothing (ONNX's
                     opset-23 Attention has other inputs)
    """

    name: str
    reference: type[OpRun]
    expand: Callable[[Builder, Node], None]
    shape_rule: Callable
    flops: Callable[[ShapeOf, Node], int] | None = None
    constant_inputs: tuple[int, ...] = ()
    standard: bool = False
