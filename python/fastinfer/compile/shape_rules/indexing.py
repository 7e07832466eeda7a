"""Shape rules of the indexing, normalization and elementwise ops that keep a shape:
their output has the shape of one input (see registry.py for the protocol)."""

from __future__ import annotations

import numpy as np

from .core import broadcast, norm_axis
from .registry import shape_rule

BOOL = np.dtype(np.bool_)
INT64 = np.dtype(np.int64)


@shape_rule(
    "CumSum", "Trilu", "ScatterElements", "ScatterND", "ReverseSequence", "Clip",
    "InstanceNormalization", "LpNormalization", "MeanVarianceNormalization", "LRN",
    "GroupNormalization", "Hardmax", "Sign", "Ceil", "Floor", "Round", "Sin", "Cos", "Tan",
    "Asin", "Acos", "Atan", "Sinh", "Cosh", "Asinh", "Acosh", "Atanh", "Softplus", "Softsign",
    "HardSigmoid", "HardSwish", "Elu", "Selu", "Celu", "LeakyRelu", "ThresholdedRelu", "Mish",
    "Shrink", "BitwiseNot", "EyeLike",
)  # fmt: skip
def same_shape(ctx):
    if ctx.node.op_type == "EyeLike" and ctx.attr("dtype", None) is not None:
        from onnx import helper

        return [(np.dtype(helper.tensor_dtype_to_np_dtype(int(ctx.attr("dtype")))), ctx.shape(0))]
    return [(ctx.dtype(0), ctx.shape(0))]


@shape_rule("IsNaN", "IsInf")
def is_special(ctx):
    return [(BOOL, ctx.shape(0))]


@shape_rule("GatherElements")
def gather_elements(ctx):
    return [(ctx.dtype(0), ctx.shape(1))]


@shape_rule("PRelu", "Mod", "BitShift", "BitwiseAnd", "BitwiseOr", "BitwiseXor")
def broadcast_pair(ctx):
    return [(ctx.dtype(0), broadcast(ctx.shape(0), ctx.shape(1)))]


@shape_rule("CastLike")
def cast_like(ctx):
    return [(ctx.dtype(1), ctx.shape(0))]


@shape_rule("ArgMax", "ArgMin")
def arg_reduce(ctx):
    s = ctx.shape(0)
    axis = norm_axis(int(ctx.attr("axis", 0)), len(s))
    keep = bool(ctx.attr("keepdims", 1))
    out = [1 if i == axis else d for i, d in enumerate(s) if keep or i != axis]
    return [(INT64, tuple(out))]


@shape_rule("TopK")
def top_k(ctx):
    s = list(ctx.shape(0))
    axis = norm_axis(int(ctx.attr("axis", -1)), len(s))
    s[axis] = ctx.ints(1)[0]
    return [(ctx.dtype(0), tuple(s)), (INT64, tuple(s))]


@shape_rule("OneHot")
def one_hot(ctx):
    s = list(ctx.shape(0))
    axis = int(ctx.attr("axis", -1))
    rank = len(s) + 1
    axis = axis % rank
    s.insert(axis, ctx.ints(1)[0])
    return [(ctx.dtype(2), tuple(s))]


@shape_rule("GatherND")
def gather_nd(ctx):
    data, idx = ctx.shape(0), ctx.shape(1)
    b = int(ctx.attr("batch_dims", 0))
    last = ctx.concrete(idx[-1])
    return [(ctx.dtype(0), tuple(idx[:-1]) + tuple(data[b + last :]))]


@shape_rule("DepthToSpace")
def depth_to_space(ctx):
    n, c, h, w = ctx.shape(0)
    k = int(ctx.attr("blocksize"))
    return [(ctx.dtype(0), (n, c // (k * k), h * k, w * k))]


@shape_rule("SpaceToDepth")
def space_to_depth(ctx):
    n, c, h, w = ctx.shape(0)
    k = int(ctx.attr("blocksize"))
    return [(ctx.dtype(0), (n, c * k * k, h // k, w // k))]


@shape_rule("Pad")
def pad(ctx):
    s = list(ctx.shape(0))
    pads = ctx.ints(1)
    axes = [norm_axis(ctx.concrete(a), len(s)) for a in ctx.ints(3)] if ctx.has(3) else None
    axes = list(range(len(s))) if axes is None else axes
    n = len(axes)
    for k, ax in enumerate(axes):
        s[ax] = s[ax] + pads[k] + pads[k + n]
    return [(ctx.dtype(0), tuple(s))]
