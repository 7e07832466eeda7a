"""Normalisation kernels through one-node plans, against float64 numpy: InstanceNormalization,
GroupNormalization (per-channel and per-group scale), LpNormalization,
MeanVarianceNormalization, LRN and RMSNormalization. float32 results within 1e-5
(relative and absolute)."""

from __future__ import annotations

import numpy as np
import pytest

from op_harness import error1, run1

TOL = {"rtol": 1e-5, "atol": 1e-5}


def group_norm_ref(x, groups, scale, bias, eps):
    n, c = x.shape[:2]
    g = x.astype(np.float64).reshape(n, groups, -1)
    norm = (g - g.mean(-1, keepdims=True)) / np.sqrt(g.var(-1, keepdims=True) + eps)
    shape = (1, c) + (1,) * (x.ndim - 2)
    return norm.reshape(x.shape) * scale.reshape(shape) + bias.reshape(shape)


@pytest.mark.parametrize("shape", [(2, 3, 5, 4), (3, 4, 7), (2, 3)])
def test_instance_norm(shape, rng):
    x = (rng.standard_normal(shape) * 3 + 1).astype(np.float32)
    c = shape[1]
    scale, bias = rng.standard_normal((2, c)).astype(np.float32)
    want = group_norm_ref(x, c, scale, bias, 1e-3)
    attrs = {"epsilon": 1e-3}
    got = run1("InstanceNormalization", [x, scale, bias], np.float32, shape, attrs)
    np.testing.assert_allclose(got, want, **TOL)


@pytest.mark.parametrize("groups", [1, 2, 6])
@pytest.mark.parametrize("per_group", [False, True])
def test_group_norm(groups, per_group, rng):
    x = rng.standard_normal((2, 6, 5, 3)).astype(np.float32)
    n_params = groups if per_group else 6  # opset 18 scale/bias per group, opset 21 per channel
    scale, bias = rng.standard_normal((2, n_params)).astype(np.float32)
    channel_scale = np.repeat(scale, 6 // groups) if per_group else scale
    channel_bias = np.repeat(bias, 6 // groups) if per_group else bias
    want = group_norm_ref(x, groups, channel_scale, channel_bias, 1e-5)
    attrs = {"num_groups": groups}
    got = run1("GroupNormalization", [x, scale, bias], np.float32, x.shape, attrs)
    np.testing.assert_allclose(got, want, **TOL)


@pytest.mark.parametrize("p", [1, 2])
@pytest.mark.parametrize("axis", [-1, 0, 1, 2])
def test_lp_norm(p, axis, rng):
    x = rng.standard_normal((3, 4, 300)).astype(np.float32)
    x[1, 2] = 0  # a zero norm along the last axis gives 0, not NaN
    x64 = x.astype(np.float64)
    norm = np.sum(np.abs(x64) ** p, axis=axis, keepdims=True) ** (1 / p)
    want = np.where(norm == 0, 0, x64 / np.where(norm == 0, 1, norm))
    got = run1("LpNormalization", [x], np.float32, x.shape, {"p": p, "axis": axis})
    np.testing.assert_allclose(got, want, **TOL)


@pytest.mark.parametrize("axes", [None, (0, 2, 3), (1,), (-1,), (0, 1, 2, 3), (1, 3)])
def test_mean_variance(axes, rng):
    x = (rng.standard_normal((2, 3, 4, 5)) * 2 + 3).astype(np.float32)
    ax = (0, 2, 3) if axes is None else axes
    x64 = x.astype(np.float64)
    want = (x64 - x64.mean(ax, keepdims=True)) / (np.sqrt(x64.var(ax, keepdims=True)) + 1e-9)
    attrs = {} if axes is None else {"axes": list(axes)}
    got = run1("MeanVarianceNormalization", [x], np.float32, x.shape, attrs)
    np.testing.assert_allclose(got, want, **TOL)


@pytest.mark.parametrize("size", [1, 2, 3, 4, 5])
@pytest.mark.parametrize("shape", [(2, 6, 4, 3), (1, 5, 7)])
def test_lrn(size, shape, rng):
    x = rng.standard_normal(shape).astype(np.float32)
    alpha, beta, bias = 2e-2, 0.75, 1.5
    c = shape[1]
    x64 = x.astype(np.float64)
    sq = np.zeros_like(x64)
    for i in range(c):
        lo, hi = max(0, i - (size - 1) // 2), min(c, i + size // 2 + 1)
        sq[:, i] = (x64[:, lo:hi] ** 2).sum(1)
    want = x64 / (bias + alpha / size * sq) ** beta
    attrs = {"size": size, "alpha": alpha, "beta": beta, "bias": bias}
    np.testing.assert_allclose(run1("LRN", [x], np.float32, shape, attrs), want, **TOL)


@pytest.mark.parametrize(
    "axis,scale_shape",
    [(-1, (40,)), (-1, (1, 40)), (1, (3, 40)), (1, (40,)), (0, (2, 3, 40)), (2, ())],
)
def test_rms_norm(isa, axis, scale_shape, rng):
    x = (rng.standard_normal((2, 3, 40)) * 3).astype(np.float32)
    scale = rng.standard_normal(scale_shape).astype(np.float32)
    x64 = x.astype(np.float64)
    axes = tuple(range(axis % 3, 3))
    want = x64 / np.sqrt((x64**2).mean(axes, keepdims=True) + 1e-3) * scale
    got = run1("RMSNormalization", [x, scale], np.float32, x.shape, {"axis": axis, "epsilon": 1e-3})
    np.testing.assert_allclose(got, want, **TOL)


def test_errors(rng):
    F32 = np.float32
    x = np.zeros((2, 6, 3), np.float32)
    s = np.ones(6, np.float32)
    assert "num_groups 4 must divide the channels (6)" in error1(
        "GroupNormalization", [x, s, s], F32, x.shape, {"num_groups": 4}
    )
    assert "scale float32[4] must have one entry per channel (6) or per group" in error1(
        "GroupNormalization", [x, s[:4], s[:4]], F32, x.shape, {"num_groups": 3}
    )
    assert "bias float32[5] must have the shape of scale float32[6]" in error1(
        "InstanceNormalization", [x, s, s[:5]], F32, x.shape
    )
    assert "float64 input 0 is not supported (float32)" in error1(
        "InstanceNormalization", [x.astype(np.float64), s, s], F32, x.shape
    )
    assert "p must be 1 or 2, got 3" in error1("LpNormalization", [x], F32, x.shape, {"p": 3})
    assert "axis 3 is out of range for rank 3" in error1(
        "MeanVarianceNormalization", [x], F32, x.shape, {"axes": [0, 3]}
    )
    assert "size must be positive, got 0" in error1("LRN", [x], F32, x.shape)
    assert "input 1 (float32[6, 1]) must be a suffix of the normalised shape [6, 3]" in error1(
        "RMSNormalization", [x, s.reshape(6, 1)], F32, x.shape, {"axis": 1}
    )
    assert "stash_type other than 1" in error1(
        "RMSNormalization", [x, s[:3]], F32, x.shape, {"stash_type": 11}
    )
