"""ReduceL1/L2/LogSum/LogSumExp/Prod/SumSquare, ArgMax/ArgMin and CumSum through one-node
plans, against numpy (float32 within 1e-5 relative of a float64 reference; integers exact)."""

from __future__ import annotations

import numpy as np
import pytest

from op_harness import error1, run1


def _logsumexp(x, axis, keepdims):  # for finite, non-empty x
    m = np.max(x, axis=axis, keepdims=True)
    s = np.log(np.sum(np.exp(x - m), axis=axis, keepdims=True)) + m
    return s if keepdims else np.squeeze(s, axis=axis)


REDUCE = {
    "ReduceL1": lambda x, axis, keepdims: np.sum(np.abs(x), axis=axis, keepdims=keepdims),
    "ReduceL2": lambda x, axis, keepdims: np.sqrt(np.sum(x * x, axis=axis, keepdims=keepdims)),
    "ReduceLogSum": lambda x, axis, keepdims: np.log(np.sum(x, axis=axis, keepdims=keepdims)),
    "ReduceLogSumExp": _logsumexp,
    "ReduceProd": lambda x, axis, keepdims: np.prod(x, axis=axis, keepdims=keepdims),
    "ReduceSumSquare": lambda x, axis, keepdims: np.sum(x * x, axis=axis, keepdims=keepdims),
}

# Every layout path: last axes, middle axes, all, and a non-adjacent (general) pattern.
AXES = [None, (-1,), (0,), (1,), (1, 2), (0, 2), (0, 1, 2, 3), (3, 1)]


def reduced_shape(shape, axes, keepdims):
    axes = range(len(shape)) if axes is None else [a % len(shape) for a in axes]
    if keepdims:
        return tuple(1 if d in axes else n for d, n in enumerate(shape))
    return tuple(n for d, n in enumerate(shape) if d not in axes)


def operand(op, rng, shape, dtype=np.float32):
    if op == "ReduceLogSum":  # positive sums
        return rng.uniform(0.1, 2.0, shape).astype(dtype)
    if op == "ReduceProd":  # products near 1, so long rows neither vanish nor overflow
        return rng.uniform(0.9, 1.1, shape).astype(dtype)
    return rng.standard_normal(shape).astype(dtype)


@pytest.mark.parametrize("op", sorted(REDUCE))
@pytest.mark.parametrize("axes", AXES)
@pytest.mark.parametrize("keepdims", [0, 1])
@pytest.mark.parametrize("as_input", [False, True])
def test_reduce_float32(op, axes, keepdims, as_input, rng):
    x = operand(op, rng, (3, 4, 5, 37))
    want = REDUCE[op](x.astype(np.float64), axes, bool(keepdims))
    attrs, inputs, consts = {"keepdims": keepdims}, [x], []
    if axes is not None:
        if as_input:  # opset 18
            inputs, consts = [x, np.array(axes, np.int64)], [1]
        else:
            attrs["axes"] = list(axes)
    got = run1(op, inputs, np.float32, reduced_shape(x.shape, axes, keepdims), attrs, consts)
    np.testing.assert_allclose(got, want, rtol=1e-5, atol=1e-6)


@pytest.mark.parametrize("op", sorted(REDUCE))
def test_reduce_float64(op, rng):
    x = operand(op, rng, (4, 6, 5), np.float64)
    want = REDUCE[op](x, (0, 2), True)
    got = run1(op, [x], np.float64, want.shape, {"axes": [0, 2]})
    np.testing.assert_allclose(got, want, rtol=1e-12)


@pytest.mark.parametrize("op", ["ReduceL1", "ReduceProd", "ReduceSumSquare"])
@pytest.mark.parametrize("dtype", [np.int32, np.int64])
def test_reduce_int(op, dtype, rng):
    x = rng.integers(-4, 5, (4, 6, 5)).astype(dtype)
    for axes in [(2,), (1,), (0, 2)]:
        want = REDUCE[op](x, axes, True).astype(dtype)
        got = run1(op, [x], dtype, want.shape, {"axes": list(axes)})
        np.testing.assert_array_equal(got, want)


def test_reduce_int_wraps():
    x = np.array([[-(2**31), 1]], np.int32)  # |INT_MIN| wraps to itself, as numpy's abs does
    assert run1("ReduceL1", [x], np.int32, (1, 1))[0, 0] == np.abs(x).sum(dtype=np.int32)
    y = np.array([[2**16, 2**16]], np.int32)
    assert run1("ReduceProd", [y], np.int32, (1, 1))[0, 0] == 0


def test_reduce_empty_set():
    x = np.zeros((2, 0, 4), np.float32)
    want = {"ReduceL1": 0, "ReduceL2": 0, "ReduceSumSquare": 0, "ReduceProd": 1}
    for op, value in want.items():
        got = run1(op, [x, np.array([1], np.int64)], np.float32, (2, 1, 4), constants=[1])
        np.testing.assert_array_equal(got, value)
    for op in ["ReduceLogSum", "ReduceLogSumExp"]:
        got = run1(op, [x], np.float32, (2, 1, 4), {"axes": [1]})
        assert np.isneginf(got).all()


def test_reduce_log_sum_exp_is_stable():
    x = np.array(
        [[1000.0, 1000.0, -np.inf], [-np.inf, -np.inf, -np.inf], [np.inf, 1, 2]], np.float32
    )
    got = run1("ReduceLogSumExp", [x], np.float32, (3, 1), {"axes": [1]})
    np.testing.assert_allclose(got[:, 0], [1000 + np.log(2), -np.inf, np.inf], rtol=1e-6)
    nan = np.array([[1.0, np.nan, 2.0]], np.float32)
    assert np.isnan(run1("ReduceLogSumExp", [nan], np.float32, (1, 1)))


def test_reduce_noop_with_empty_axes(rng):
    x = rng.standard_normal((2, 3)).astype(np.float32)
    got = run1("ReduceL2", [x], np.float32, (2, 3), {"noop_with_empty_axes": 1})
    np.testing.assert_array_equal(got, x)


@pytest.mark.parametrize("op,ref", [("ArgMax", np.argmax), ("ArgMin", np.argmin)])
@pytest.mark.parametrize("axis", [0, 1, 2, -1])
@pytest.mark.parametrize("keepdims", [0, 1])
@pytest.mark.parametrize("dtype", [np.float32, np.float64, np.int32, np.int64, np.int8, np.uint8])
def test_arg_reduce(op, ref, axis, keepdims, dtype, rng):
    x = rng.integers(0, 6, (4, 5, 33)).astype(dtype)  # many ties
    want = ref(x, axis=axis, keepdims=bool(keepdims))
    attrs = {"axis": axis, "keepdims": keepdims}
    np.testing.assert_array_equal(run1(op, [x], np.int64, want.shape, attrs), want)
    # select_last_index: the first index of the reversed axis, counted from the end.
    last = x.shape[axis] - 1 - ref(np.flip(x, axis), axis=axis, keepdims=bool(keepdims))
    attrs["select_last_index"] = 1
    np.testing.assert_array_equal(run1(op, [x], np.int64, want.shape, attrs), last)


def test_arg_reduce_nan():
    x = np.array([[1.0, np.nan, 5.0, np.nan]], np.float32)
    for op in ["ArgMax", "ArgMin"]:
        assert run1(op, [x], np.int64, (1, 1), {"axis": 1})[0, 0] == 1  # numpy: first NaN
        last = run1(op, [x], np.int64, (1, 1), {"axis": 1, "select_last_index": 1})
        assert last[0, 0] == 3


CUMULATIVE = {"CumSum": (np.cumsum, np.subtract), "CumProd": (np.cumprod, np.divide)}


@pytest.mark.parametrize("op", sorted(CUMULATIVE))
@pytest.mark.parametrize("axis", [0, 1, 2, -1, -3])
@pytest.mark.parametrize("exclusive", [0, 1])
@pytest.mark.parametrize("reverse", [0, 1])
@pytest.mark.parametrize("dtype", [np.float32, np.float64, np.int32, np.int64])
def test_cumulative(op, axis, exclusive, reverse, dtype, rng):
    scan, undo = CUMULATIVE[op]
    # Small nonzero integers: every sum and product (at most 3^9) is exact in each dtype.
    x = rng.choice([-3, -2, -1, 1, 2, 3], (3, 4, 9)).astype(dtype)
    v = np.flip(x, axis) if reverse else x
    want = scan(v, axis=axis, dtype=dtype)
    if exclusive:  # the scan without the element itself
        want = undo(want, v).astype(dtype)
    if reverse:
        want = np.flip(want, axis)
    attrs = {"exclusive": exclusive, "reverse": reverse}
    for axis_dtype in [np.int64, np.int32]:
        got = run1(op, [x, np.array(axis, axis_dtype)], dtype, x.shape, attrs, [1])
        np.testing.assert_array_equal(got, want)


def test_cumsum_float_and_empty(rng):
    x = rng.standard_normal((2, 1000)).astype(np.float32)
    got = run1("CumSum", [x, np.array([1], np.int64)], np.float32, x.shape, constants=[1])
    np.testing.assert_allclose(got, np.cumsum(x.astype(np.float64), axis=1), rtol=1e-4, atol=1e-4)
    empty = np.zeros((0, 3), np.float32)
    got = run1("CumSum", [empty, np.array(0, np.int64)], np.float32, (0, 3), constants=[1])
    assert got.shape == (0, 3)


@pytest.mark.parametrize("axis", [0, 1, -1])
@pytest.mark.parametrize("dtype", [np.float32, np.float64])
def test_hardmax(axis, dtype, rng):
    x = rng.integers(0, 4, (3, 5, 6)).astype(dtype)  # ties: the first maximum wins
    first = np.argmax(x, axis=axis)
    want = (np.arange(x.shape[axis]).reshape([-1 if a == axis % 3 else 1 for a in range(3)])
            == np.expand_dims(first, axis)).astype(dtype)  # fmt: skip
    np.testing.assert_array_equal(run1("Hardmax", [x], dtype, x.shape, {"axis": axis}), want)
    got = run1("Hardmax", [np.zeros((2, 0), dtype)], dtype, (2, 0), {"axis": 1})
    assert got.shape == (2, 0)


def test_errors():
    x = np.zeros((2, 3), np.float32)
    assert "int32 input 0 is not supported (float32, float64)" in error1(
        "ReduceL2", [x.astype(np.int32)], np.int32, (1, 1)
    )
    assert "int8 input 0 is not supported (float32, float64, int32, int64)" in error1(
        "ReduceProd", [x.astype(np.int8)], np.int8, (1, 1)
    )
    assert "axis 2 is out of range for rank 2" in error1(
        "ReduceSumSquare", [x], np.float32, (2, 3), {"axes": [2]}
    )
    assert "axes (input 1) must be a constant" in error1(
        "ReduceL1", [x, np.array([1])], np.float32, (2, 1)
    )
    assert "output 0 is described as float32[2] but the op gives int64[2]" in error1(
        "ArgMax", [x], np.float32, (2,), {"axis": 1, "keepdims": 0}
    )
    assert "cannot reduce an empty axis" in error1(
        "ArgMin", [np.zeros((2, 0), np.float32)], np.int64, (2, 1), {"axis": 1}
    )
    assert "axis must hold one value, got [0, 1]" in error1(
        "CumSum", [x, np.array([0, 1])], np.float32, (2, 3), constants=[1]
    )
    assert "axis (input 1) must be a constant" in error1(
        "CumSum", [x, np.array(0)], np.float32, (2, 3)
    )
    assert "axis -3 is out of range for rank 2" in error1(
        "CumSum", [x, np.array(-3)], np.float32, (2, 3), constants=[1]
    )
