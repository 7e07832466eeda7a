"""Conv / FusedConv on every kernel path (the `isa` fixture) against a float64 reference:
the direct kernels (flat positions and whole 8-pixel row runs), the phase-split padding of
strided convs, im2col for stride 1, the small-output path and the depthwise kernels, at
edge shapes: output widths 1..17 (every tail of 8 and 16 lanes), odd channel counts, pads
on every side, dilation, stride 2 with odd sizes, groups, channel multipliers, the fused
activations (Relu, Relu6) and residual, and NaN through them.

Tolerance: float32 sums of up to a few hundred products against the exact sum, so
rtol 1e-4 and atol 1e-4 x the largest output (the sums cancel, so a relative bound alone
would fail on outputs near 0)."""

from __future__ import annotations

import numpy as np
import pytest

from nn_helpers import run_node

RTOL = 1e-4


def conv_ref(x, w, b=None, strides=(1, 1), pads=(0, 0, 0, 0), dilations=(1, 1), group=1):
    """ONNX Conv in float64 (2-D, NCHW): pads are (top, left, bottom, right)."""
    x64, w64 = x.astype(np.float64), w.astype(np.float64)
    n, c, _, _ = x.shape
    m, cg, kh, kw = w.shape
    (sh, sw), (dh, dw) = strides, dilations
    xp = np.pad(x64, ((0, 0), (0, 0), (pads[0], pads[2]), (pads[1], pads[3])))
    oh = (xp.shape[2] - dh * (kh - 1) - 1) // sh + 1
    ow = (xp.shape[3] - dw * (kw - 1) - 1) // sw + 1
    xg = xp.reshape(n, group, cg, *xp.shape[2:])
    wg = w64.reshape(group, m // group, cg, kh, kw)
    out = np.zeros((n, group, m // group, oh, ow))
    for ky in range(kh):
        for kx in range(kw):
            patch = xg[
                :,
                :,
                :,
                ky * dh : ky * dh + sh * (oh - 1) + 1 : sh,
                kx * dw : kx * dw + sw * (ow - 1) + 1 : sw,
            ]
            out += np.einsum("ngchw,gmc->ngmhw", patch, wg[:, :, :, ky, kx])
    out = out.reshape(n, m, oh, ow)
    if b is not None:
        out += b.astype(np.float64).reshape(1, m, 1, 1)
    return out


ACTS = {
    "": lambda v: v,
    "relu": lambda v: np.maximum(v, 0),  # np.maximum keeps NaN, as onnxruntime's Relu
    "relu6": lambda v: np.clip(v, 0, 6),
}


def check(got, want):
    scale = max(float(np.nanmax(np.abs(want))), 1e-30) if want.size else 1.0
    np.testing.assert_allclose(got, want, rtol=RTOL, atol=RTOL * scale)


def run_conv(x, w, b, attrs, act, shape, res=None):
    inputs = [(x, False), (w, True), (b, True) if b is not None else None]
    op = "Conv" if not act and res is None else "FusedConv"
    if res is not None:
        inputs.append((res, False))
    elif b is None:
        inputs.pop()
    full = dict(attrs)
    if op == "FusedConv":
        full["activation"] = act
    (got,) = run_node(op, inputs, [shape], full)
    return got


def conv_attrs(strides, pads, dilations, group):
    return {
        "strides": list(strides),
        "pads": list(pads),
        "dilations": list(dilations),
        "group": group,
    }


def case(rng, x_shape, m, kernel, strides=(1, 1), pads=(0, 0, 0, 0), dilations=(1, 1), group=1):
    x = rng.standard_normal(x_shape).astype(np.float32)
    w = rng.standard_normal((m, x_shape[1] // group, *kernel)).astype(np.float32)
    b = rng.standard_normal(m).astype(np.float32)
    return x, w, b, conv_attrs(strides, pads, dilations, group)


@pytest.mark.parametrize("out_w", range(1, 18))
def test_direct_every_width(isa, rng, out_w):
    # 3x3 stride 1, pad 1: width out_w; 8-multiples take the row-run kernel. 13 output
    # channels: two AVX2 tiles of 6 and a remainder, one AVX-512 tile of 12 and a remainder.
    x, w, b, attrs = case(rng, (2, 5, 3, out_w), 13, (3, 3), pads=(1, 1, 1, 1))
    want = conv_ref(x, w, b, pads=(1, 1, 1, 1))
    for act, f in ACTS.items():
        check(run_conv(x, w, b, attrs, act, want.shape), f(want))


@pytest.mark.parametrize("in_w", [2, 3, 5, 8, 9, 15, 16, 17, 33])
def test_strided_odd_sizes(isa, rng, in_w):
    # stride 2 with odd and even sizes and pads on one side only: the phase split (pair
    # kernel for column stride 2) and its partial last chunk
    pads = (0, 1, 1, 0)
    x, w, b, attrs = case(rng, (1, 7, 5, in_w), 9, (3, 3), strides=(2, 2), pads=pads)
    want = conv_ref(x, w, b, strides=(2, 2), pads=pads)
    check(run_conv(x, w, b, attrs, "relu", want.shape), np.maximum(want, 0))


@pytest.mark.parametrize(
    ("x_shape", "m", "kernel", "strides", "pads", "dilations", "group"),
    [
        ((1, 3, 7, 9), 5, (3, 3), (1, 1), (2, 0, 1, 3), (1, 1), 1),  # pads on every side
        ((2, 6, 11, 13), 4, (3, 3), (1, 1), (2, 2, 2, 2), (2, 2), 1),  # dilation: im2col
        ((1, 6, 10, 7), 9, (3, 3), (2, 2), (1, 1, 1, 1), (1, 1), 3),  # groups of 2 in
        ((2, 4, 9, 9), 6, (3, 3), (1, 1), (1, 1, 1, 1), (1, 1), 2),
        ((1, 5, 12, 11), 7, (5, 5), (2, 1), (2, 2, 2, 2), (1, 1), 1),  # mixed strides
        ((1, 3, 13, 13), 8, (7, 7), (2, 2), (3, 3, 3, 3), (1, 1), 1),  # a stem
        ((1, 4, 9, 10), 6, (1, 1), (3, 3), (0, 0, 0, 0), (1, 1), 1),  # stride 3: gather
        ((3, 9, 3, 3), 11, (3, 3), (1, 1), (1, 1, 1, 1), (1, 1), 1),  # small output, batch
        ((1, 9, 3, 5), 11, (3, 3), (2, 2), (1, 1, 1, 1), (1, 1), 1),  # small output, batch 1
        ((1, 17, 1, 1), 23, (1, 1), (1, 1), (0, 0, 0, 0), (1, 1), 1),  # 1x1 plane
    ],
)
def test_conv_shapes(isa, rng, x_shape, m, kernel, strides, pads, dilations, group):
    x, w, b, attrs = case(rng, x_shape, m, kernel, strides, pads, dilations, group)
    want = conv_ref(x, w, b, strides, pads, dilations, group)
    r = rng.standard_normal(want.shape).astype(np.float32)
    for act, f in ACTS.items():
        check(run_conv(x, w, b, attrs, act, want.shape), f(want))
        check(run_conv(x, w, b, attrs, act, want.shape, res=r), f(want + r))


DW_CASES = [
    # (x shape, multiplier, kernel, strides, pads, dilations)
    ((1, 5, 9, 9), 1, (3, 3), (1, 1), (1, 1, 1, 1), (1, 1)),
    ((2, 3, 8, 8), 1, (3, 3), (2, 2), (0, 0, 1, 1), (1, 1)),  # TF "same" pads of stride 2
    ((1, 7, 11, 13), 1, (3, 3), (2, 2), (1, 1, 1, 1), (1, 1)),  # odd sizes
    ((1, 4, 14, 14), 1, (5, 5), (1, 1), (2, 2, 2, 2), (1, 1)),
    ((1, 4, 15, 15), 1, (5, 5), (2, 2), (2, 2, 2, 2), (1, 1)),
    ((1, 3, 8, 8), 1, (7, 7), (1, 1), (3, 3, 3, 3), (1, 1)),  # ConvNeXt
    ((1, 3, 29, 40), 1, (7, 7), (1, 1), (3, 3, 3, 3), (1, 1)),  # rows of several vectors
    ((1, 6, 10, 9), 2, (3, 3), (1, 1), (1, 0, 2, 1), (1, 1)),  # multiplier, uneven pads
    ((2, 3, 12, 12), 1, (3, 3), (1, 1), (2, 2, 2, 2), (2, 2)),  # dilation
    ((1, 3, 13, 12), 1, (3, 3), (2, 2), (2, 2, 2, 2), (2, 2)),  # dilation with stride 2
    ((1, 3, 9, 9), 1, (3, 3), (3, 3), (1, 1, 1, 1), (1, 1)),  # stride 3: the portable loop
    ((1, 2, 20, 20), 1, (9, 9), (1, 1), (4, 4, 4, 4), (1, 1)),  # 81 taps: the portable loop
    ((1, 3, 6, 17), 1, (3, 1), (1, 1), (1, 0, 1, 0), (1, 1)),
    ((1, 3, 1, 1), 1, (3, 3), (1, 1), (1, 1, 1, 1), (1, 1)),  # 1x1 plane
    ((1, 96, 2, 2), 1, (3, 3), (1, 1), (1, 1, 1, 1), (1, 1)),  # many tiny planes
    ((3, 5, 5, 3), 1, (3, 3), (1, 1), (0, 0, 0, 0), (1, 1)),  # 3x1 output
    ((2, 3, 40, 7), 1, (3, 3), (1, 1), (1, 1, 1, 1), (1, 1)),  # tall, narrow
]


@pytest.mark.parametrize(("x_shape", "mult", "kernel", "strides", "pads", "dilations"), DW_CASES)
def test_depthwise(isa, rng, x_shape, mult, kernel, strides, pads, dilations):
    c = x_shape[1]
    x, w, b, attrs = case(rng, x_shape, c * mult, kernel, strides, pads, dilations, group=c)
    want = conv_ref(x, w, b, strides, pads, dilations, c)
    r = rng.standard_normal(want.shape).astype(np.float32)
    for act, f in ACTS.items():
        check(run_conv(x, w, b, attrs, act, want.shape), f(want))
        check(
            run_conv(x, w, None, attrs, act, want.shape),
            f(conv_ref(x, w, None, strides, pads, dilations, c)),
        )
        check(run_conv(x, w, b, attrs, act, want.shape, res=r), f(want + r))


@pytest.mark.parametrize("out_w", range(1, 18))
@pytest.mark.parametrize("stride", [1, 2])
def test_depthwise_every_width(isa, rng, out_w, stride):
    in_w = (out_w - 1) * stride + 1  # pad 1 on both sides
    x, w, b, attrs = case(rng, (1, 3, 6, in_w), 3, (3, 3), (stride, stride), (1, 1, 1, 1), group=3)
    want = conv_ref(x, w, b, (stride, stride), (1, 1, 1, 1), group=3)
    check(run_conv(x, w, b, attrs, "relu6", want.shape), np.clip(want, 0, 6))


def test_depthwise_large_plane_threads(isa, rng):
    # Enough work for several row blocks per plane (rows split over tasks).
    x, w, b, attrs = case(rng, (1, 2, 70, 66), 2, (3, 3), (1, 1), (1, 1, 1, 1), group=2)
    want = conv_ref(x, w, b, pads=(1, 1, 1, 1), group=2)
    check(run_conv(x, w, b, attrs, "relu", want.shape), np.maximum(want, 0))


@pytest.mark.parametrize(
    ("x_shape", "m", "kernel", "strides", "pads", "group"),
    [
        ((1, 4, 9, 11), 4, (3, 3), (1, 1), (1, 1, 1, 1), 4),  # depthwise
        ((1, 4, 9, 16), 6, (3, 3), (1, 1), (1, 1, 1, 1), 1),  # direct, row runs
        ((1, 4, 9, 11), 6, (3, 3), (2, 2), (1, 1, 1, 1), 1),  # direct, phase split
        ((2, 4, 3, 3), 6, (3, 3), (1, 1), (1, 1, 1, 1), 1),  # small output
        ((1, 4, 9, 11), 6, (3, 3), (1, 1), (2, 2, 2, 2), 1),  # im2col (dilation below)
    ],
)
@pytest.mark.parametrize("act", ["relu", "relu6", ""])
def test_nan_passes_through(isa, rng, x_shape, m, kernel, strides, pads, group, act):
    x, w, b, attrs = case(rng, x_shape, m, kernel, strides, pads, group=group)
    if x_shape == (1, 4, 9, 11) and pads == (2, 2, 2, 2):
        attrs["dilations"] = [2, 2]
    x[0, :, 1, 1] = np.nan
    want = conv_ref(x, w, b, strides, pads, tuple(attrs["dilations"]), group)
    got = run_conv(x, w, b, attrs, act, want.shape)
    assert np.isnan(want).any()
    np.testing.assert_array_equal(np.isnan(got), np.isnan(want))
    check(np.nan_to_num(got, nan=0.0), np.nan_to_num(ACTS[act](want), nan=0.0))
