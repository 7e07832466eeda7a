"""Value rules: ops evaluated at compile time on small tensors whose elements are known:
constants, and the shape computations of exported graphs (Shape -> Gather -> Unsqueeze ->
Concat -> Reshape). Elements may be symbolic dims, so arrays here are numpy object arrays
of ints and SymInts; comparisons on them record guards like any other shape decision.

A rule returns the node's output values, or raises NotStatic when it cannot evaluate them
(the node then runs as a step of the plan instead).
"""

from __future__ import annotations

from collections.abc import Callable

import numpy as np

from .symbolic import NotStatic, SymInt, concrete

# A value with more elements than this is computed at run time, not carried symbolically.
MAX_VALUE_ELEMENTS = 4096

VALUE_RULES: dict[str, Callable] = {}


def value_rule(*ops: str) -> Callable:
    def register(fn: Callable) -> Callable:
        for op in ops:
            VALUE_RULES[op] = fn
        return fn

    return register


def is_symbolic(a: np.ndarray) -> bool:
    return a.dtype == object and any(isinstance(v, SymInt) for v in a.flat)


def typed(a: np.ndarray, dtype: np.dtype) -> np.ndarray:
    """`a` in `dtype`, kept as an object array while it holds symbolic elements."""
    a = np.asarray(a)
    if a.dtype == object and is_symbolic(a):
        if np.dtype(dtype).kind not in "iu":
            raise NotStatic("a symbolic dim converted to a non-integer type")
        return a
    if a.dtype == object:
        return np.array(a.tolist(), dtype=dtype).reshape(a.shape)
    return a.astype(dtype, copy=False)


def ints(a: np.ndarray) -> list[int]:
    return [concrete(v) for v in np.asarray(a).ravel().tolist()]


@value_rule("Identity")
def _identity(node, vals, out_dtypes):
    return [vals[0]]


@value_rule("Cast")
def _cast(node, vals, out_dtypes):
    return [typed(vals[0], out_dtypes[0])]


@value_rule("Gather")
def _gather(node, vals, out_dtypes):
    data, idx = vals
    axis = int(node.attrs.get("axis", 0))
    idx_c = np.array(ints(idx), dtype=np.int64).reshape(np.shape(idx))
    return [np.take(data, idx_c, axis=axis)]


@value_rule("Concat")
def _concat(node, vals, out_dtypes):
    axis = int(node.attrs.get("axis", 0))
    parts = [np.asarray(v, dtype=object) for v in vals]
    return [typed(np.concatenate(parts, axis=axis), out_dtypes[0])]


def _axes(node, vals, pos):
    if len(vals) > pos and vals[pos] is not None:
        return ints(vals[pos])
    axes = node.attrs.get("axes")
    return None if axes is None else [int(a) for a in axes]


@value_rule("Unsqueeze")
def _unsqueeze(node, vals, out_dtypes):
    x = np.asarray(vals[0])
    axes = _axes(node, vals, 1) or []
    rank = x.ndim + len(axes)
    return [np.expand_dims(x, tuple(a % rank for a in axes))]


@value_rule("Squeeze")
def _squeeze(node, vals, out_dtypes):
    x = np.asarray(vals[0])
    axes = _axes(node, vals, 1)
    return [np.squeeze(x) if axes is None else np.squeeze(x, tuple(a % x.ndim for a in axes))]


@value_rule("Slice")
def _slice(node, vals, out_dtypes):
    x = np.asarray(vals[0])
    starts, ends = ints(vals[1]), ints(vals[2])
    axes = ints(vals[3]) if len(vals) > 3 and vals[3] is not None else list(range(len(starts)))
    steps = ints(vals[4]) if len(vals) > 4 and vals[4] is not None else [1] * len(starts)
    index = [slice(None)] * x.ndim
    for st, en, ax, sp in zip(starts, ends, axes, steps):
        index[ax % x.ndim] = slice(st, en, sp)
    return [x[tuple(index)]]


def _trunc_div(a, b):
    if isinstance(a, SymInt) or isinstance(b, SymInt):
        # Shape arithmetic divides non-negative dims; the guards pin that down.
        if a < 0 or b <= 0:
            raise NotStatic("symbolic division of a negative value")
        return a // b
    if b == 0:
        raise NotStatic("integer division by zero at compile time")
    q = abs(a) // abs(b)
    return q if (a < 0) == (b < 0) else -q


_ELEMENTWISE = {
    "Add": lambda a, b: a + b,
    "Sub": lambda a, b: a - b,
    "Mul": lambda a, b: a * b,
    "Max": lambda a, b: max(a, b),
    "Min": lambda a, b: min(a, b),
    "Equal": lambda a, b: a == b,
    "Less": lambda a, b: a < b,
    "Greater": lambda a, b: a > b,
    "LessOrEqual": lambda a, b: a <= b,
    "GreaterOrEqual": lambda a, b: a >= b,
    "And": lambda a, b: bool(a) and bool(b),
    "Or": lambda a, b: bool(a) or bool(b),
}


@value_rule(*_ELEMENTWISE, "Div", "Mod")
def _binary(node, vals, out_dtypes):
    a, b = (np.asarray(v) for v in vals)
    if node.op_type in ("Div", "Mod") and not (is_symbolic(a) or is_symbolic(b)):
        if a.dtype.kind == "f" or b.dtype.kind == "f":
            fn = np.divide if node.op_type == "Div" else np.fmod
            return [typed(fn(a.astype(np.float64), b.astype(np.float64)), out_dtypes[0])]
    if node.op_type == "Div":
        fn = _trunc_div
    elif node.op_type == "Mod":
        if node.attrs.get("fmod", 0):
            raise NotStatic("fmod on shape values")
        fn = lambda x, y: x % y  # noqa: E731 (numpy-style modulo: ONNX fmod=0)
    else:
        fn = _ELEMENTWISE[node.op_type]
    ab, bb = np.broadcast_arrays(a.astype(object), b.astype(object))
    flat = [fn(x, y) for x, y in zip(ab.ravel().tolist(), bb.ravel().tolist())]
    out = np.empty(len(flat), dtype=object)
    out[:] = flat
    return [typed(out.reshape(ab.shape), out_dtypes[0])]


@value_rule("Neg", "Abs", "Not")
def _unary(node, vals, out_dtypes):
    fn = {"Neg": lambda x: -x, "Abs": lambda x: x if x >= 0 else -x, "Not": lambda x: not x}
    a = np.asarray(vals[0]).astype(object)
    out = np.empty(a.size, dtype=object)
    out[:] = [fn[node.op_type](x) for x in a.ravel().tolist()]
    return [typed(out.reshape(a.shape), out_dtypes[0])]


@value_rule("Where")
def _where(node, vals, out_dtypes):
    cond = np.asarray(vals[0]).astype(object)
    cond = np.array([bool(c) for c in cond.ravel().tolist()], dtype=bool).reshape(cond.shape)
    x, y = (np.asarray(v).astype(object) for v in vals[1:])
    return [typed(np.where(cond, x, y), out_dtypes[0])]


@value_rule("Range")
def _range(node, vals, out_dtypes):
    start, limit, delta = (np.asarray(v).reshape(()).item() for v in vals)
    if any(isinstance(v, SymInt) for v in (start, limit, delta)):
        raise NotStatic("Range with symbolic bounds runs as a step")
    n = max(int(np.ceil((limit - start) / delta)), 0)
    if n > MAX_VALUE_ELEMENTS:
        raise NotStatic("large Range runs as a step")
    return [(start + np.arange(n) * delta).astype(out_dtypes[0])]


@value_rule("ConstantOfShape")
def _constant_of_shape(node, vals, out_dtypes):
    shape = np.asarray(vals[0])
    if is_symbolic(shape):
        raise NotStatic("ConstantOfShape of a symbolic shape runs as a step")
    dims = [int(d) for d in shape.ravel()]
    if int(np.prod(dims)) > MAX_VALUE_ELEMENTS:
        raise NotStatic("large ConstantOfShape runs as a step")
    value = node.attrs.get("value")
    fill = np.zeros(1, np.float32) if value is None else np.asarray(value).ravel()
    return [np.full(dims, fill[0], dtype=out_dtypes[0])]


@value_rule("Expand")
def _expand(node, vals, out_dtypes):
    x = np.asarray(vals[0])
    shape = ints(vals[1])
    return [np.broadcast_to(x, np.broadcast_shapes(x.shape, tuple(shape))).copy()]


@value_rule("ReduceProd", "ReduceSum", "ReduceMax", "ReduceMin")
def _reduce(node, vals, out_dtypes):
    x = np.asarray(vals[0]).astype(object)
    axes = _axes(node, vals, 1)
    keep = bool(node.attrs.get("keepdims", 1))
    axis = None if not axes else tuple(a % x.ndim for a in axes)
    fn = {"ReduceProd": np.prod, "ReduceSum": np.sum, "ReduceMax": np.max, "ReduceMin": np.min}
    return [typed(np.asarray(fn[node.op_type](x, axis=axis, keepdims=keep)), out_dtypes[0])]
