"""MaxPool and AveragePool on every kernel path (kernels/pool's separable passes, and the
generic loop for dilation, Indices and NaN) against a float64 numpy reference over every
row width a vector tail can take, against onnxruntime on a ResNet stem, and NaN the way
torch and numpy treat it: a window holding NaN gives NaN."""

from __future__ import annotations

import math

import numpy as np
import pytest
from numpy.lib.stride_tricks import sliding_window_view

from nn_helpers import I64, ort_reference, run_node


def pool_reference(x, op, kernel, strides, pads, ceil_mode=0, count_include_pad=0):
    """float64 pooling of NCHW x with explicit pads [top, left, bottom, right]: windows past
    the input are -inf (max) or left out of the mean (unless count_include_pad, which counts
    the pads but not ceil_mode's overhang)."""
    (kh, kw), (sh, sw) = kernel, strides
    pt, pl, pb, pr = pads
    n, c, h, w = x.shape

    def out_len(size, k, s, before, after):
        span = size + before + after - k
        return (math.ceil(span / s) if ceil_mode else span // s) + 1

    oh, ow = out_len(h, kh, sh, pt, pb), out_len(w, kw, sw, pl, pr)
    # Extra end rows/columns for ceil_mode's overhang: never counted.
    eh = max(0, (oh - 1) * sh + kh - (h + pt + pb))
    ew = max(0, (ow - 1) * sw + kw - (w + pl + pr))
    big = np.full((n, c, pt + h + pb + eh, pl + w + pr + ew), np.nan)
    big[:, :, pt : pt + h, pl : pl + w] = x
    inside = np.zeros(big.shape[2:], bool)
    inside[pt : pt + h, pl : pl + w] = True
    padded = np.zeros(big.shape[2:], bool)
    padded[: pt + h + pb, : pl + w + pr] = True
    win = sliding_window_view(big, (kh, kw), axis=(2, 3))[:, :, ::sh, ::sw][:, :, :oh, :ow]
    cnt_in = sliding_window_view(inside, (kh, kw))[::sh, ::sw][:oh, :ow].sum(axis=(2, 3))
    cnt_pad = sliding_window_view(padded, (kh, kw))[::sh, ::sw][:oh, :ow].sum(axis=(2, 3))
    real = sliding_window_view(inside, (kh, kw))[::sh, ::sw][:oh, :ow]
    if op == "MaxPool":
        vals = np.where(real, win, -np.inf)
        return vals.max(axis=(4, 5))  # np.max propagates NaN
    total = np.where(real, win, 0.0).sum(axis=(4, 5))
    return total / (cnt_pad if count_include_pad else cnt_in)


def run_pool(op, x, kernel, strides, pads, ceil_mode=0, count_include_pad=0):
    attrs = {"kernel_shape": list(kernel), "strides": list(strides), "pads": list(pads)}
    if ceil_mode:
        attrs["ceil_mode"] = 1
    if op == "AveragePool":
        attrs["count_include_pad"] = count_include_pad
    want = pool_reference(x.astype(np.float64), op, kernel, strides, pads, ceil_mode,
                          count_include_pad)  # fmt: skip
    (got,) = run_node(op, [(x, False)], [want.shape], attrs)
    return got, want


# Kernels and strides of real models (2x2/2, 3x3/2 pad 1, 3x3/1 pad 1) and odd ones; widths
# 1..40 cover full vectors of 8 and 16 and every tail length on both vector paths.
WINDOWS = [
    ((2, 2), (2, 2), (0, 0, 0, 0)),
    ((3, 3), (2, 2), (1, 1, 1, 1)),
    ((3, 3), (1, 1), (1, 1, 1, 1)),
    ((5, 5), (1, 1), (2, 2, 2, 2)),
    ((1, 1), (2, 2), (0, 0, 0, 0)),
    ((3, 2), (3, 3), (1, 0, 2, 1)),
    ((2, 4), (1, 2), (0, 3, 1, 0)),
]


@pytest.mark.parametrize("op", ["MaxPool", "AveragePool"])
@pytest.mark.parametrize(("kernel", "strides", "pads"), WINDOWS)
def test_every_width_against_numpy(isa, rng, op, kernel, strides, pads):
    for width in range(1, 41):
        x = rng.standard_normal((1, 2, 7, width)).astype(np.float32)
        if width + pads[1] + pads[3] < kernel[1]:
            continue  # no output column
        got, want = run_pool(op, x, kernel, strides, pads)
        if op == "MaxPool":  # a max is one of its inputs: exact
            np.testing.assert_array_equal(got, want.astype(np.float32), err_msg=f"w={width}")
        else:
            np.testing.assert_allclose(got, want, rtol=1e-6, atol=1e-6, err_msg=f"w={width}")


@pytest.mark.parametrize("count_include_pad", [0, 1])
@pytest.mark.parametrize("ceil_mode", [0, 1])
def test_average_counts(isa, rng, ceil_mode, count_include_pad):
    x = rng.standard_normal((2, 3, 10, 19)).astype(np.float32)
    got, want = run_pool("AveragePool", x, (3, 3), (2, 2), (1, 1, 1, 1), ceil_mode,
                         count_include_pad)  # fmt: skip
    np.testing.assert_allclose(got, want, rtol=1e-6, atol=1e-6)


@pytest.mark.parametrize("op", ["MaxPool", "AveragePool"])
def test_window_wider_than_the_input(isa, rng, op):
    """EfficientNet's pooler as exported: a 320 x 320 ceil_mode window, stride 320, over a
    7 x 7 map, i.e. the plane's mean (or max)."""
    x = rng.standard_normal((2, 5, 7, 7)).astype(np.float32)
    got, want = run_pool(op, x, (320, 320), (320, 320), (0, 0, 0, 0), ceil_mode=1,
                         count_include_pad=1)  # fmt: skip
    np.testing.assert_allclose(got, want, rtol=1e-6, atol=1e-6)
    np.testing.assert_allclose(got[..., 0, 0], getattr(x, "max" if op == "MaxPool" else "mean")(
        axis=(2, 3)), rtol=1e-6, atol=1e-6)  # fmt: skip


@pytest.mark.parametrize("op", ["MaxPool", "AveragePool"])
def test_resnet_stem_against_onnxruntime(isa, rng, op):
    x = rng.standard_normal((1, 16, 112, 112)).astype(np.float32)
    attrs = {"kernel_shape": [3, 3], "strides": [2, 2], "pads": [1, 1, 1, 1]}
    (want,) = ort_reference(op, [x], **attrs)
    (got,) = run_node(op, [(x, False)], [want.shape], attrs)
    if op == "MaxPool":
        np.testing.assert_array_equal(got, want)
    else:
        np.testing.assert_allclose(got, want, rtol=1e-6, atol=1e-6)


@pytest.mark.parametrize(("kernel", "strides", "pads"), WINDOWS[:3])
def test_max_pool_nan_and_infinities(isa, rng, kernel, strides, pads):
    x = rng.standard_normal((2, 3, 9, 21)).astype(np.float32)
    flat = x.reshape(-1)
    picks = rng.choice(flat.size, size=40, replace=False)
    flat[picks[:10]] = np.nan
    flat[picks[10:25]] = -np.inf
    flat[picks[25:]] = np.inf
    x[1, 2] = -np.inf  # a plane of -inf: its max is -inf, not a pad value
    x[1, 1] = 7.0  # and a plane without NaN beside planes with it
    got, want = run_pool("MaxPool", x, kernel, strides, pads)
    assert np.isnan(want).any() and not np.isnan(want[1, 1]).any()
    np.testing.assert_array_equal(got, want.astype(np.float32))


def test_max_pool_indices_point_at_nan(rng):
    x = rng.standard_normal((1, 1, 4, 4)).astype(np.float32)
    x[0, 0, 1, 1] = np.nan
    attrs = {"kernel_shape": [2, 2], "strides": [2, 2]}
    y, idx = run_node("MaxPool", [(x, False)], [(1, 1, 2, 2)] * 2, attrs, out_dtypes=[1, I64])
    assert np.isnan(y[0, 0, 0, 0]) and int(idx[0, 0, 0, 0]) == 5
    finite = ~np.isnan(y)
    np.testing.assert_array_equal(y[finite], x.reshape(2, 2, 2, 2).max(axis=(1, 3))[finite[0, 0]])


def test_global_max_pool_propagates_nan(rng):
    x = rng.standard_normal((2, 3, 5, 7)).astype(np.float32)
    x[0, 1, 4, 6] = np.nan  # the last element of its plane
    x[1, 2, 0, 0] = np.nan  # the first
    (got,) = run_node("GlobalMaxPool", [(x, False)], [(2, 3, 1, 1)])
    np.testing.assert_array_equal(got, x.max(axis=(2, 3), keepdims=True))
