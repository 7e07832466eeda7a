"""Shape rules of the core ops: elementwise, movement, reductions, linear algebra, conv,
pooling and normalization. See registry.py for the protocol; the rules of fastinfer's fused
ops (LayerNormalization and Gelu included) are in their schemas (fastinfer/fused)."""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np

from ..symbolic import Dim, NotStatic, concrete
from .registry import shape_rule

BOOL = np.dtype(np.bool_)
INT64 = np.dtype(np.int64)


def broadcast(*shapes: Sequence[Dim]) -> tuple[Dim, ...]:
    """numpy broadcasting of shapes whose dims may be symbolic."""
    rank = max((len(s) for s in shapes), default=0)
    out: list[Dim] = []
    for axis in range(rank):
        dim: Dim = 1
        for s in shapes:
            d = s[axis - rank + len(s)] if axis - rank + len(s) >= 0 else 1
            if d == 1:
                continue
            if dim == 1:
                dim = d
            elif d != dim:
                dims = " and ".join("(" + ", ".join(map(str, s)) + ")" for s in shapes)
                raise ValueError(f"shapes {dims} do not broadcast")
        out.append(dim)
    return tuple(out)


def norm_axis(axis: int, rank: int) -> int:
    if not -max(rank, 1) <= axis < max(rank, 1):
        raise ValueError(f"axis {axis} is out of range for rank {rank}")
    return axis % max(rank, 1)


@shape_rule(
    "Abs", "Neg", "Relu", "Sigmoid", "Tanh", "Exp", "Log", "Sqrt", "Reciprocal", "Erf",
    "Softmax", "LogSoftmax", "Identity", "BatchNormalization", "Copy",
)  # fmt: skip
def same_as_input(ctx):
    return [(ctx.dtype(0), ctx.shape(0))]


@shape_rule("Dropout")
def dropout(ctx):
    out = [(ctx.dtype(0), ctx.shape(0))]
    if len(ctx.node.outputs) > 1:
        out.append((BOOL, ctx.shape(0)))
    return out


@shape_rule("Add", "Sub", "Mul", "Div", "Pow", "Max", "Min")
def arithmetic(ctx):
    shapes = [ctx.shape(i) for i in range(ctx.n_inputs) if ctx.has(i)]
    return [(ctx.dtype(0), broadcast(*shapes))]


@shape_rule("Equal", "Less", "Greater", "LessOrEqual", "GreaterOrEqual", "And", "Or", "Xor")
def compare(ctx):
    return [(BOOL, broadcast(ctx.shape(0), ctx.shape(1)))]


@shape_rule("Not")
def logical_not(ctx):
    return [(BOOL, ctx.shape(0))]


@shape_rule("Where")
def where(ctx):
    return [(ctx.dtype(1), broadcast(ctx.shape(0), ctx.shape(1), ctx.shape(2)))]


@shape_rule("Cast")
def cast(ctx):
    from onnx import helper

    return [(np.dtype(helper.tensor_dtype_to_np_dtype(int(ctx.attr("to", 1)))), ctx.shape(0))]


# -- movement ------------------------------------------------------------------------------
def reshape_target(in_shape: Sequence[Dim], target: Sequence[Dim], allowzero: bool):
    out: list[Dim] = []
    infer = -1
    for i, d in enumerate(target):
        if isinstance(d, int) and d == -1:
            if infer >= 0:
                raise ValueError("Reshape target has more than one -1")
            infer = i
            out.append(1)
        elif isinstance(d, int) and d == 0 and not allowzero:
            if i >= len(in_shape):
                raise ValueError("Reshape target copies a dim the input lacks")
            out.append(in_shape[i])
        else:
            out.append(d)
    if infer >= 0:
        total: Dim = 1
        for d in in_shape:
            total = total * d
        known: Dim = 1
        for d in out:
            known = known * d
        out[infer] = total // known
    return tuple(out)


@shape_rule("Reshape")
def reshape(ctx):
    target = ctx.ints(1)
    return [(ctx.dtype(0), reshape_target(ctx.shape(0), target, bool(ctx.attr("allowzero", 0))))]


@shape_rule("Flatten")
def flatten(ctx):
    s = ctx.shape(0)
    axis = int(ctx.attr("axis", 1))
    axis = axis % len(s) if axis < 0 else axis
    a: Dim = 1
    for d in s[:axis]:
        a = a * d
    b: Dim = 1
    for d in s[axis:]:
        b = b * d
    return [(ctx.dtype(0), (a, b))]


def _axes(ctx, input_pos: int) -> list[int] | None:
    if ctx.has(input_pos):
        return [concrete(a) for a in ctx.ints(input_pos)]
    axes = ctx.attr("axes", None)
    return None if axes is None else [int(a) for a in axes]


@shape_rule("Squeeze")
def squeeze(ctx):
    s = ctx.shape(0)
    axes = _axes(ctx, 1)
    if axes is None:
        keep = [d for d in s if d != 1]
    else:
        drop = {norm_axis(a, len(s)) for a in axes}
        keep = [d for i, d in enumerate(s) if i not in drop]
    return [(ctx.dtype(0), tuple(keep))]


@shape_rule("Unsqueeze")
def unsqueeze(ctx):
    s = list(ctx.shape(0))
    axes = _axes(ctx, 1) or []
    rank = len(s) + len(axes)
    for a in sorted(norm_axis(a, rank) for a in axes):
        s.insert(a, 1)
    return [(ctx.dtype(0), tuple(s))]


@shape_rule("Transpose")
def transpose(ctx):
    s = ctx.shape(0)
    perm = ctx.attr("perm", None)
    perm = list(range(len(s)))[::-1] if perm is None else [int(p) for p in perm]
    return [(ctx.dtype(0), tuple(s[p] for p in perm))]


@shape_rule("Concat")
def concat(ctx):
    shapes = [ctx.shape(i) for i in range(ctx.n_inputs)]
    rank = len(shapes[0])
    axis = norm_axis(int(ctx.attr("axis", 0)), rank)
    total: Dim = 0
    for s in shapes:
        total = total + s[axis]
    out = list(shapes[0])
    out[axis] = total
    return [(ctx.dtype(0), tuple(out))]


@shape_rule("Split")
def split(ctx):
    s = ctx.shape(0)
    axis = norm_axis(int(ctx.attr("axis", 0)), len(s))
    n = len(ctx.node.outputs)
    if ctx.has(1):
        sizes = ctx.ints(1)
    elif ctx.attr("split", None) is not None:
        sizes = [int(v) for v in ctx.attr("split", None)]
    else:
        parts = int(ctx.attr("num_outputs", n))
        chunk = (s[axis] + parts - 1) // parts
        sizes = [chunk] * (parts - 1)
        sizes.append(s[axis] - chunk * (parts - 1))
    out = []
    for size in sizes:
        shape = list(s)
        shape[axis] = size
        out.append((ctx.dtype(0), tuple(shape)))
    return out


def slice_len(dim: Dim, start: Dim, end: Dim, step: int) -> tuple[Dim, Dim]:
    """ONNX Slice on one axis: (clamped start, length)."""
    if step > 0:
        start = start + dim if start < 0 else start
        start = max(0, min(start, dim))
        end = end + dim if end < 0 else end
        end = max(0, min(end, dim))
        length = max(0, (end - start + step - 1) // step)
    else:
        start = start + dim if start < 0 else start
        start = max(-1, min(start, dim - 1))
        end = end + dim if end < 0 else end
        end = max(-1, min(end, dim - 1))
        length = max(0, (start - end + (-step) - 1) // (-step))
    return start, length


@shape_rule("Slice")
def slice_(ctx):
    s = list(ctx.shape(0))
    starts, ends = ctx.ints(1), ctx.ints(2)
    axes = [concrete(a) for a in ctx.ints(3)] if ctx.has(3) else list(range(len(starts)))
    steps = [concrete(a) for a in ctx.ints(4)] if ctx.has(4) else [1] * len(starts)
    for st, en, ax, sp in zip(starts, ends, axes, steps):
        if sp == 0:
            raise ValueError("Slice step must not be 0")
        ax = norm_axis(ax, len(s))
        # INT64 max/min ends mean "to the end"; clamping handles them.
        s[ax] = slice_len(s[ax], st, en, sp)[1]
    return [(ctx.dtype(0), tuple(s))]


@shape_rule("Gather")
def gather(ctx):
    s = ctx.shape(0)
    axis = norm_axis(int(ctx.attr("axis", 0)), len(s))
    return [(ctx.dtype(0), tuple(s[:axis]) + tuple(ctx.shape(1)) + tuple(s[axis + 1 :]))]


@shape_rule("Expand")
def expand(ctx):
    return [(ctx.dtype(0), broadcast(ctx.shape(0), tuple(ctx.ints(1))))]


@shape_rule("Tile")
def tile(ctx):
    reps = ctx.ints(1)
    return [(ctx.dtype(0), tuple(d * r for d, r in zip(ctx.shape(0), reps)))]


@shape_rule("Shape")
def shape_of(ctx):
    rank = len(ctx.shape(0))
    start = int(ctx.attr("start", 0))
    end = ctx.attr("end", None)
    n = len(range(rank)[slice(start, None if end is None else int(end))])
    return [(INT64, (n,))]


@shape_rule("Size")
def size_of(ctx):
    return [(INT64, ())]


# -- reductions ----------------------------------------------------------------------------
@shape_rule(
    "ReduceMean", "ReduceSum", "ReduceMax", "ReduceMin", "ReduceL1", "ReduceL2",
    "ReduceLogSum", "ReduceLogSumExp", "ReduceProd", "ReduceSumSquare",
)  # fmt: skip
def reduce(ctx):
    s = ctx.shape(0)
    keep = bool(ctx.attr("keepdims", 1))
    axes = _axes(ctx, 1)
    if not axes:  # absent or empty: all axes, unless noop_with_empty_axes
        if ctx.attr("noop_with_empty_axes", 0):
            return [(ctx.dtype(0), tuple(s))]
        axes = list(range(len(s)))
    red = {norm_axis(a, len(s)) for a in axes}
    out = [1 if i in red else d for i, d in enumerate(s) if keep or i not in red]
    return [(ctx.dtype(0), tuple(out))]


# -- linear algebra ------------------------------------------------------------------------
@shape_rule("MatMul")
def matmul(ctx):
    a, b = ctx.shape(0), ctx.shape(1)
    if len(a) == 0 or len(b) == 0:
        raise ValueError("MatMul inputs must have rank >= 1")
    a2 = (1,) + tuple(a) if len(a) == 1 else tuple(a)
    b2 = tuple(b) + (1,) if len(b) == 1 else tuple(b)
    if a2[-1] != b2[-2]:
        raise ValueError(f"MatMul K differs: {a2[-1]} vs {b2[-2]}")
    out = broadcast(a2[:-2], b2[:-2]) + (a2[-2], b2[-1])
    if len(a) == 1:
        out = out[:-2] + out[-1:]
    if len(b) == 1:
        out = out[:-1]
    return [(ctx.dtype(0), out)]


@shape_rule("Gemm")
def gemm(ctx):
    a, b = ctx.shape(0), ctx.shape(1)
    m = a[1] if ctx.attr("transA", 0) else a[0]
    n = b[0] if ctx.attr("transB", 0) else b[1]
    return [(ctx.dtype(0), (m, n))]


# -- convolution and pooling ---------------------------------------------------------------
def _spatial(ctx, x: Sequence[Dim], kernel: Sequence[int], ceil: bool = False):
    n = len(kernel)
    strides = [int(v) for v in ctx.attr("strides", [1] * n)]
    dil = [int(v) for v in ctx.attr("dilations", [1] * n)]
    pads = [int(v) for v in ctx.attr("pads", [0] * (2 * n))]
    auto = ctx.attr("auto_pad", "NOTSET")
    auto = auto.decode() if isinstance(auto, bytes) else auto
    out: list[Dim] = []
    for i in range(n):
        d = x[2 + i]
        if auto in ("SAME_UPPER", "SAME_LOWER"):
            out.append((d + strides[i] - 1) // strides[i])
            continue
        eff = dil[i] * (kernel[i] - 1) + 1
        if auto == "VALID":
            out.append((d - eff) // strides[i] + 1)
            continue
        span = d + pads[i] + pads[i + n] - eff
        if ceil:
            o = (span + strides[i] - 1) // strides[i] + 1
            # The last window must start inside the input or its left padding.
            if (o - 1) * strides[i] >= d + pads[i]:
                o = o - 1
        else:
            o = span // strides[i] + 1
        out.append(o)
    return out


@shape_rule("Conv")
def conv(ctx):
    x, w = ctx.shape(0), ctx.shape(1)
    kernel = ctx.attr("kernel_shape", None)
    kernel = [concrete(d) for d in w[2:]] if kernel is None else [int(k) for k in kernel]
    return [(ctx.dtype(0), (x[0], w[0], *_spatial(ctx, x, kernel)))]


@shape_rule("MaxPool", "AveragePool")
def pool(ctx):
    x = ctx.shape(0)
    kernel = [int(k) for k in ctx.attr("kernel_shape", [])]
    if not kernel:
        raise NotStatic("pooling without kernel_shape")
    out = (x[0], x[1], *_spatial(ctx, x, kernel, ceil=bool(ctx.attr("ceil_mode", 0))))
    res = [(ctx.dtype(0), out)]
    if len(ctx.node.outputs) > 1:
        res.append((INT64, out))
    return res


@shape_rule("GlobalAveragePool", "GlobalMaxPool")
def global_pool(ctx):
    x = ctx.shape(0)
    return [(ctx.dtype(0), (x[0], x[1]) + (1,) * (len(x) - 2))]


# -- generators ----------------------------------------------------------------------------
@shape_rule("Range")
def range_(ctx):
    start, limit, delta = (ctx.ints(i)[0] for i in range(3))
    if isinstance(delta, float) or isinstance(start, float) or isinstance(limit, float):
        import math

        n = max(math.ceil((concrete_f(limit) - concrete_f(start)) / concrete_f(delta)), 0)
        return [(ctx.dtype(0), (n,))]
    delta = concrete(delta)
    if delta == 0:
        raise ValueError("Range delta must not be 0")
    if delta > 0:
        n = max((limit - start + delta - 1) // delta, 0)
    else:
        n = max((start - limit - delta - 1) // (-delta), 0)
    return [(ctx.dtype(0), (n,))]


def concrete_f(v) -> float:
    return float(v) if isinstance(v, float) else float(concrete(v))


@shape_rule("ConstantOfShape")
def constant_of_shape(ctx):
    value = ctx.attr("value", None)
    dtype = np.dtype(np.float32) if value is None else np.asarray(value).dtype
    return [(dtype, tuple(ctx.ints(0)))]
