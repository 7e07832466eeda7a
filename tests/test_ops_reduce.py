"""Reductions, Softmax/LogSoftmax and LayerNormalization through one-node plans."""

from __future__ import annotations

import numpy as np
import pytest

from op_harness import error1, run1, run_node

REDUCE = {"ReduceSum": np.sum, "ReduceMean": np.mean, "ReduceMax": np.max, "ReduceMin": np.min}

AXES = [None, (-1,), (0,), (1,), (1, 2), (0, 2), (0, 1, 2, 3), (3, 1)]


def expected_shape(shape, axes, keepdims):
    axes = range(len(shape)) if axes is None else [a % len(shape) for a in axes]
    if keepdims:
        return tuple(1 if d in axes else n for d, n in enumerate(shape))
    return tuple(n for d, n in enumerate(shape) if d not in axes)


@pytest.mark.parametrize("op", sorted(REDUCE))
@pytest.mark.parametrize("axes", AXES)
@pytest.mark.parametrize("keepdims", [0, 1])
@pytest.mark.parametrize("as_input", [False, True])
def test_reduce_float32(op, axes, keepdims, as_input, rng):
    x = rng.standard_normal((3, 4, 5, 37)).astype(np.float32)
    want = REDUCE[op](x.astype(np.float64), axis=axes, keepdims=bool(keepdims))
    shape = expected_shape(x.shape, axes, keepdims)
    attrs = {"keepdims": keepdims}
    inputs, consts = [x], []
    if axes is not None:
        if as_input:  # opset 18 (ReduceSum: 13)
            inputs, consts = [x, np.array(axes, np.int64)], [1]
        else:
            attrs["axes"] = list(axes)
    got = run1(op, inputs, np.float32, shape, attrs, consts)
    np.testing.assert_allclose(got, want, rtol=1e-5, atol=1e-5)


@pytest.mark.parametrize("op", ["ReduceSum", "ReduceMax", "ReduceMin"])
@pytest.mark.parametrize("dtype", [np.int32, np.int64])
def test_reduce_int(op, dtype, rng):
    x = rng.integers(-100, 100, (4, 6, 5)).astype(dtype)
    for axes in [(2,), (1,), (0, 2)]:
        want = REDUCE[op](x, axis=axes, keepdims=True).astype(dtype)
        got = run1(op, [x], dtype, want.shape, {"axes": list(axes)})
        np.testing.assert_array_equal(got, want)


def test_reduce_last_axis_long_rows(rng):
    x = rng.standard_normal((64, 4099)).astype(np.float32)
    got = run1("ReduceMean", [x], np.float32, (64, 1), {"axes": [-1]})
    np.testing.assert_allclose(got, x.astype(np.float64).mean(-1, keepdims=True), atol=1e-6)


def test_reduce_noop_with_empty_axes(rng):
    x = rng.standard_normal((2, 3)).astype(np.float32)
    got = run1("ReduceSum", [x], np.float32, (2, 3), {"noop_with_empty_axes": 1})
    np.testing.assert_array_equal(got, x)
    got = run1("ReduceSum", [x, np.zeros(0, np.int64)], np.float32, (1, 1), constants=[1])
    np.testing.assert_allclose(got, x.sum(keepdims=True), rtol=1e-6)


def test_reduce_empty_and_nan():
    x = np.zeros((2, 0), np.float32)
    np.testing.assert_array_equal(run1("ReduceSum", [x], np.float32, (2, 1), {"axes": [1]}), 0)
    assert np.isnan(run1("ReduceMean", [x], np.float32, (2, 1), {"axes": [1]})).all()
    assert np.isneginf(run1("ReduceMax", [x], np.float32, (2, 1), {"axes": [1]})).all()
    y = np.array([[1.0, np.nan, 3.0]], np.float32)
    assert np.isnan(run1("ReduceMax", [y], np.float32, (1, 1), {"axes": [1]})).all()
    s = run1("ReduceSum", [np.float32(4)], np.float32, ())
    assert s == 4


def softmax_ref(x, axis):
    x = x.astype(np.float64)
    e = np.exp(x - x.max(axis, keepdims=True))
    return e / e.sum(axis, keepdims=True)


@pytest.mark.parametrize(
    "shape,axis",
    [
        ((3, 7), -1),
        ((2, 4, 5), 1),
        ((2, 4, 5), 0),
        ((2, 12, 33, 33), -1),
        ((5,), 0),
        ((2, 0, 3), -1),
        ((64, 1000), 1),
    ],
)
def test_softmax(shape, axis, rng, isa):
    x = (rng.standard_normal(shape) * 5).astype(np.float32)
    want = softmax_ref(x, axis)
    got = run1("Softmax", [x], np.float32, shape, {"axis": axis})
    np.testing.assert_allclose(got, want, rtol=1e-5, atol=1e-7)
    got = run1("LogSoftmax", [x], np.float32, shape, {"axis": axis})
    np.testing.assert_allclose(got, np.log(want), rtol=1e-5, atol=1e-5)


def test_softmax_default_axis_and_stability(isa):
    x = np.array([[1000.0, 1001.0, -np.inf], [-1e30, 0.0, 1e30]], np.float32)
    got = run1("Softmax", [x], np.float32, x.shape)
    np.testing.assert_allclose(got[0], [1 / (1 + np.e), np.e / (1 + np.e), 0.0], rtol=1e-6)
    np.testing.assert_array_equal(got[1], [0.0, 0.0, 1.0])
    nan_row = np.array([[1.0, np.nan]], np.float32)
    assert np.isnan(run1("Softmax", [nan_row], np.float32, (1, 2))).all()


def layernorm_ref(x, scale, bias, axis, eps):
    x = x.astype(np.float64)
    axes = tuple(range(axis % x.ndim, x.ndim))
    mean = x.mean(axes, keepdims=True)
    var = ((x - mean) ** 2).mean(axes, keepdims=True)
    inv = 1.0 / np.sqrt(var + eps)
    y = (x - mean) * inv * scale
    return (y if bias is None else y + bias), mean, inv


@pytest.mark.parametrize(
    "shape,axis",
    [((2, 5, 768), -1), ((3, 4, 6), 1), ((7, 33), -1), ((4, 3), 0), ((2, 3, 4, 5), -2)],
)
@pytest.mark.parametrize("with_bias", [True, False])
@pytest.mark.parametrize("n_outputs", [1, 3])
def test_layer_norm(isa, shape, axis, with_bias, n_outputs, rng):
    x = (rng.standard_normal(shape) * 3 + 1).astype(np.float32)
    norm = shape[axis % len(shape) :]
    scale = rng.standard_normal(norm).astype(np.float32)
    bias = rng.standard_normal(norm).astype(np.float32) if with_bias else None
    y, mean, inv = layernorm_ref(x, scale, bias, axis, 1e-5)
    outs = [(np.float32, shape)] + [(np.float32, mean.shape)] * (n_outputs - 1)
    got = run_node(
        "LayerNormalization",
        [x, scale, bias],
        outs,
        {"axis": axis, "epsilon": 1e-5},
        constants=[1, 2],
    )
    np.testing.assert_allclose(got[0], y, rtol=1e-5, atol=2e-5)
    if n_outputs == 3:
        np.testing.assert_allclose(got[1], mean, rtol=1e-5, atol=1e-6)
        np.testing.assert_allclose(got[2], inv, rtol=1e-5)


def test_layer_norm_every_row_width(isa, rng):
    """Rows of 1..70 floats (every vector tail on both vector paths) away from zero: the
    variance as the mean of squared deviations keeps its digits where E[x^2] - E[x]^2 would
    lose three (mean 100, deviation 1: E[x^2] ~ 1e4 rounds at 1e-3)."""
    for n in range(1, 71):
        x = (100.0 + rng.standard_normal((3, n))).astype(np.float32)
        scale = rng.standard_normal(n).astype(np.float32)
        bias = rng.standard_normal(n).astype(np.float32)
        y, mean, inv = layernorm_ref(x, scale, bias, -1, 1e-12)
        got = run_node(
            "LayerNormalization",
            [x, scale, bias],
            [(np.float32, x.shape), (np.float32, mean.shape), (np.float32, inv.shape)],
            {"axis": -1, "epsilon": 1e-12},
            constants=[1, 2],
        )
        # The float32 mean is off by up to ~n ulp(100) / n: (x - mean) to ~1e-5.
        np.testing.assert_allclose(got[0], y, rtol=1e-4, atol=1e-4, err_msg=f"n={n}")
        np.testing.assert_allclose(got[1], mean, rtol=1e-6, err_msg=f"n={n}")
        if n > 1:
            np.testing.assert_allclose(got[2], inv, rtol=1e-4, err_msg=f"n={n}")


def test_layer_norm_constant_row_and_gamma_vector(rng):
    x = np.full((2, 8), 3.0, np.float32)
    g = np.ones((1, 8), np.float32)  # broadcastable to [8] with the same size
    got = run1("LayerNormalization", [x, g], np.float32, x.shape, {"epsilon": 1e-5})
    np.testing.assert_array_equal(got, 0.0)


# --- errors --------------------------------------------------------------------------


def test_errors():
    x = np.zeros((2, 3), np.float32)
    assert "int32 input 0 is not supported (float32, float64)" in error1(
        "ReduceMean", [x.astype(np.int32)], np.int32, (1, 1)
    )
    assert "axis 2 is out of range for rank 2" in error1(
        "ReduceSum", [x], np.float32, (2, 3), {"axes": [2]}
    )
    assert "repeated" in error1("ReduceSum", [x], np.float32, (2, 1), {"axes": [1, -1]})
    assert "must be a constant" in error1("ReduceSum", [x, np.array([1])], np.float32, (2, 1))
    assert "out of range" in error1("Softmax", [x], np.float32, (2, 3), {"axis": 2})
    assert "int64 input 0" in error1("Softmax", [x.astype(np.int64)], np.int64, (2, 3))
    assert "normalised shape [3]" in error1(
        "LayerNormalization", [x, np.ones(2, np.float32)], np.float32, (2, 3)
    )
    assert "stash_type" in error1(
        "LayerNormalization", [x, np.ones(3, np.float32)], np.float32, (2, 3), {"stash_type": 11}
    )


def test_reduce_sum_int_wraps():
    x = np.array([[2**31 - 1, 1]], np.int32)
    assert run1("ReduceSum", [x], np.int32, (1, 1))[0, 0] == -(2**31)


@pytest.mark.parametrize("op,ref", [("ReduceMax", np.any), ("ReduceMin", np.all)])
def test_reduce_bool(op, ref, rng):
    x = rng.random((3, 4, 5)) < 0.3
    for axes in [(2,), (0, 2), (1,)]:
        want = ref(x, axis=axes, keepdims=True)
        got = run1(op, [x], np.bool_, want.shape, {"axes": list(axes)})
        np.testing.assert_array_equal(got, want)
    empty = np.zeros((2, 0), np.bool_)
    got = run1(op, [empty], np.bool_, (2, 1), {"axes": [1]})
    np.testing.assert_array_equal(got, ref(empty, axis=1, keepdims=True))
