"""Shape rules of the indexing, layout, normalization and generator ops: ArgMax/ArgMin,
Hardmax, CumSum/CumProd, GatherElements, GatherND, ScatterElements, ScatterND, OneHot, TopK,
Trilu, Pad, CenterCropPad, DepthToSpace, SpaceToDepth, ReverseSequence, EyeLike, the
window functions, and the normalizations other than LayerNormalization. See registry.py
for the protocol."""

from __future__ import annotations

import numpy as np

from ..symbolic import concrete
from .core import INT64, norm_axis, same_as_input
from .registry import shape_rule

# Output 0 has input 0's dtype and shape (scale, bias, indices and updates only address it).
shape_rule(
    "CumSum", "CumProd", "Hardmax", "Trilu", "ScatterElements", "ScatterND",
    "ReverseSequence", "InstanceNormalization", "GroupNormalization", "LpNormalization",
    "MeanVarianceNormalization", "LRN", "RMSNormalization",
)(same_as_input)  # fmt: skip


@shape_rule("ArgMax", "ArgMin")
def arg_reduce(ctx):
    s = list(ctx.shape(0))
    axis = norm_axis(int(ctx.attr("axis", 0)), len(s))
    if ctx.attr("keepdims", 1):
        s[axis] = 1
    else:
        del s[axis]
    return [(INT64, tuple(s))]


@shape_rule("GatherElements")
def gather_elements(ctx):
    return [(ctx.dtype(0), tuple(ctx.shape(1)))]


@shape_rule("GatherND")
def gather_nd(ctx):
    data, indices = ctx.shape(0), ctx.shape(1)
    b = int(ctx.attr("batch_dims", 0))
    m = concrete(indices[-1])  # how many data axes a tuple indexes fixes the output rank
    return [(ctx.dtype(0), tuple(indices[:-1]) + tuple(data[b + m :]))]


@shape_rule("OneHot")
def one_hot(ctx):
    depth = ctx.ints(1)[0]
    if isinstance(depth, float):  # a float depth is cast to int64, as the spec says
        depth = int(depth)
    s = list(ctx.shape(0))
    s.insert(norm_axis(int(ctx.attr("axis", -1)), len(s) + 1), depth)
    return [(ctx.dtype(2), tuple(s))]


@shape_rule("TopK")
def top_k(ctx):
    s = list(ctx.shape(0))
    s[norm_axis(int(ctx.attr("axis", -1)), len(s))] = ctx.ints(1)[0]
    return [(ctx.dtype(0), tuple(s)), (INT64, tuple(s))]


@shape_rule("Pad")
def pad(ctx):
    s = list(ctx.shape(0))
    pads = ctx.ints(1)
    axes = [concrete(a) for a in ctx.ints(3)] if ctx.has(3) else list(range(len(s)))
    for i, a in enumerate(axes):
        a = norm_axis(a, len(s))
        s[a] = s[a] + pads[i] + pads[len(axes) + i]
    return [(ctx.dtype(0), tuple(s))]


@shape_rule("CenterCropPad")
def center_crop_pad(ctx):
    s = list(ctx.shape(0))
    axes = ctx.attr("axes", None)
    axes = range(len(s)) if axes is None else [norm_axis(int(a), len(s)) for a in axes]
    for a, d in zip(axes, ctx.ints(1)):
        s[a] = d
    return [(ctx.dtype(0), tuple(s))]


@shape_rule("DepthToSpace")
def depth_to_space(ctx):
    n, c, h, w = ctx.shape(0)
    b = int(ctx.attr("blocksize", 1))
    return [(ctx.dtype(0), (n, c // (b * b), h * b, w * b))]


@shape_rule("SpaceToDepth")
def space_to_depth(ctx):
    n, c, h, w = ctx.shape(0)
    b = int(ctx.attr("blocksize", 1))
    return [(ctx.dtype(0), (n, c * b * b, h // b, w // b))]


def _dtype_attr(ctx, name: str, default: np.dtype) -> np.dtype:
    from onnx import helper

    code = ctx.attr(name, None)
    return np.dtype(default if code is None else helper.tensor_dtype_to_np_dtype(int(code)))


@shape_rule("EyeLike")
def eye_like(ctx):
    return [(_dtype_attr(ctx, "dtype", ctx.dtype(0)), tuple(ctx.shape(0)))]


@shape_rule("HannWindow", "HammingWindow", "BlackmanWindow")
def window(ctx):
    return [(_dtype_attr(ctx, "output_datatype", np.float32), (ctx.ints(0)[0],))]
