"""Shape rules of the elementwise ops (protocol: registry.py)."""

from __future__ import annotations

import numpy as np

from ...errors import InvalidModelError
from .registry import shape_rule


def broadcast_shapes(*shapes: tuple) -> tuple:
    """numpy broadcasting: shapes align at the right; per dim, 1s stretch to the others'
    size, which must then all be equal."""
    rank = max((len(s) for s in shapes), default=0)
    padded = [(1,) * (rank - len(s)) + tuple(s) for s in shapes]
    out = []
    for dims in zip(*padded):
        sized = [d for d in dims if d != 1]
        dim = max(sized) if sized else 1
        if any(d != dim for d in sized):
            raise InvalidModelError(f"shapes {', '.join(map(str, shapes))} do not broadcast")
        out.append(dim)
    return tuple(out)


@shape_rule(
    "Sin", "Cos", "Tan", "Asin", "Acos", "Atan", "Sinh", "Cosh", "Asinh", "Acosh", "Atanh",
    "Ceil", "Floor", "Round", "Sign", "Elu", "Selu", "Celu", "LeakyRelu", "ThresholdedRelu",
    "HardSigmoid", "HardSwish", "Softplus", "Softsign", "Mish", "Shrink", "BitwiseNot",
    "Hardmax",
    # Clip's bounds and PRelu's slope broadcast to X, never beyond it.
    "Clip", "PRelu",
)  # fmt: skip
def same_as_input(ctx):
    return [(ctx.dtype(0), ctx.shape(0))]


@shape_rule("IsNaN", "IsInf")
def to_bool(ctx):
    return [(np.dtype(np.bool_), ctx.shape(0))]


@shape_rule("Mod", "BitShift", "BitwiseAnd", "BitwiseOr", "BitwiseXor", "Sum", "Mean")
def broadcast(ctx):
    n = len(ctx.node.inputs)
    return [(ctx.dtype(0), broadcast_shapes(*(ctx.shape(i) for i in range(n))))]


@shape_rule("CastLike")
def cast_like(ctx):
    return [(ctx.dtype(1), ctx.shape(0))]
