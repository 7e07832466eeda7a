"""fastinfer's fused ops (domain ``ai.fastinfer``), one module and one schema each.

``FUSED_SCHEMAS`` is what the rest of the package reads: the reference interpreter
(ir/reference.py), the export to standard ONNX (passes/unfuse.py), Model.summary's FLOPs,
the lowering's constant inputs and the shape rules. Importing this package registers the
schemas' shape rules in ``compile.shape_rules.SHAPE_RULES``.
"""

from __future__ import annotations

from ..compile.shape_rules import shape_rule
from . import attention, conv, gelu, layer_norm, linear, silu
from .schema import FusedSchema

FUSED_SCHEMAS: dict[str, FusedSchema] = {
    m.SCHEMA.name: m.SCHEMA for m in (linear, conv, attention, layer_norm, gelu, silu)
}

# Op types that exist only as fastinfer ops: the native backend runs them in the fastinfer
# domain only, and does not claim them as ONNX ops (ONNX's opset-23 Attention shares the
# name, not the meaning).
FUSED_ONLY_OPS = frozenset(name for name, s in FUSED_SCHEMAS.items() if not s.standard)

for _schema in FUSED_SCHEMAS.values():
    shape_rule(_schema.name)(_schema.shape_rule)

__all__ = ["FUSED_ONLY_OPS", "FUSED_SCHEMAS", "FusedSchema"]
