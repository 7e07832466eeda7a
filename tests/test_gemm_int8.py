"""int8 GEMM kernels against numpy, on every ISA path this CPU supports."""

from __future__ import annotations

import numpy as np
import pytest

from fastinfer import kernels
from int8_reference import activate, int_gemm, quantize_rows, quantize_weights

SHAPES = [
    (1, 1, 1),
    (1, 768, 768),
    (1, 17, 1),
    (3, 5, 7),
    (6, 64, 64),
    (7, 4, 65),
    (13, 67, 130),
    (25, 129, 63),
    (64, 3, 200),
    (37, 1000, 129),
]


def random_case(rng, m, k, n, w_min=-128):
    a = rng.integers(0, 256, size=(m, k), dtype=np.uint8)
    w = rng.integers(w_min, 128, size=(k, n), dtype=np.int8)
    return a, w


# Weights in [-127, 127] (what symmetric quantization produces) and the full s8 range.
@pytest.mark.parametrize("w_min", [-127, -128])
@pytest.mark.parametrize("m,k,n", SHAPES)
@pytest.mark.parametrize("zero_point", [0, 128, 255])
def test_gemm_u8s8_exact(isa, rng, m, k, n, zero_point, w_min):
    a, w = random_case(rng, m, k, n, w_min)
    packed = kernels.pack_int8_quantized(w)
    out = kernels.gemm_u8s8(a, packed, a_zero_point=zero_point)
    assert out.dtype == np.int32 and out.shape == (m, n)
    np.testing.assert_array_equal(out, int_gemm(a, w, zero_point))


@pytest.mark.parametrize(
    "a_value,w_value", [(255, -128), (255, 127), (0, -128), (255, -127), (0, 127), (1, 1)]
)
def test_gemm_u8s8_extreme_values_large_k(isa, a_value, w_value):
    # The largest K for which int32 is exact: 255 * -128 * 65793 = -2147483520.
    k, n = 65793, 3
    a = np.full((2, k), a_value, dtype=np.uint8)
    w = np.full((k, n), w_value, dtype=np.int8)
    out = kernels.gemm_u8s8(a, kernels.pack_int8_quantized(w))
    np.testing.assert_array_equal(out, np.full((2, n), a_value * w_value * k, dtype=np.int64))


def test_gemm_u8s8_alternating_extremes_k4096(isa, rng):
    # Patterns that saturate an int16 vpmaddubsw pair, mixed in sign per column.
    k, n = 4096, 70
    a = np.where(rng.random((9, k)) < 0.5, 255, 0).astype(np.uint8)
    w = np.where(rng.random((k, n)) < 0.5, -128, 127).astype(np.int8)
    out = kernels.gemm_u8s8(a, kernels.pack_int8_quantized(w), a_zero_point=3)
    np.testing.assert_array_equal(out, int_gemm(a, w, 3))


def test_gemm_u8s8_leading_dims(isa, rng):
    a = rng.integers(0, 256, size=(2, 3, 40), dtype=np.uint8)
    w = rng.integers(-128, 128, size=(40, 9), dtype=np.int8)
    out = kernels.gemm_u8s8(a, kernels.pack_int8_quantized(w), 7)
    assert out.shape == (2, 3, 9)
    np.testing.assert_array_equal(out, int_gemm(a, w, 7))


def test_gemm_u8s8_zero_rows(isa):
    w = np.ones((8, 5), dtype=np.int8)
    out = kernels.gemm_u8s8(np.zeros((0, 8), dtype=np.uint8), kernels.pack_int8_quantized(w))
    assert out.shape == (0, 5)


@pytest.mark.parametrize("per_channel", [True, False])
def test_pack_int8_quantizes_symmetrically(isa, rng, per_channel):
    k, n = 48, 70
    w = (rng.standard_normal((k, n)) * rng.uniform(0.1, 3, size=n)).astype(np.float32)
    packed = kernels.pack_int8(w, per_channel=per_channel)
    wq, scale = quantize_weights(w, per_channel)
    np.testing.assert_allclose(packed.scales, scale, rtol=1e-7)
    assert packed.per_channel is per_channel
    # One-hot rows read the packed weights back through the kernel.
    eye = np.eye(k, dtype=np.uint8)
    np.testing.assert_array_equal(kernels.gemm_u8s8(eye, packed), wq.astype(np.int32))
    np.testing.assert_array_equal(packed.col_sums, wq.astype(np.int64).sum(axis=0))
    assert np.abs(wq).max() <= 127


@pytest.mark.parametrize("activation", [None, "relu", "gelu", "gelu_tanh"])
@pytest.mark.parametrize("m,k,n", [(1, 64, 64), (5, 33, 17), (19, 300, 130)])
def test_gemm_u8s8_dequant(isa, rng, activation, m, k, n):
    a, w = random_case(rng, m, k, n)
    w_scale = rng.uniform(0.001, 0.01, size=n).astype(np.float32)
    a_scale = rng.uniform(0.01, 0.05, size=m).astype(np.float32)
    a_zp = rng.integers(0, 256, size=m).astype(np.int32)
    bias = rng.standard_normal(n).astype(np.float32)
    packed = kernels.pack_int8_quantized(w, w_scale)
    out = kernels.gemm_u8s8_dequant(a, packed, a_scale, a_zp, bias=bias, activation=activation)
    ref = int_gemm(a, w, a_zp) * (a_scale[:, None].astype(np.float64) * w_scale) + bias
    ref = activate(ref, activation)
    assert out.dtype == np.float32
    np.testing.assert_allclose(out, ref, rtol=1e-5, atol=1e-5 * np.abs(ref).max())


def test_gemm_u8s8_dequant_scalar_params(isa, rng):
    a, w = random_case(rng, 4, 20, 10)
    packed = kernels.pack_int8_quantized(w, np.array([0.5], dtype=np.float32))
    out = kernels.gemm_u8s8_dequant(a, packed, 0.25, 9)
    np.testing.assert_allclose(out, int_gemm(a, w, 9) * 0.125, rtol=1e-6)


@pytest.mark.parametrize("activation", [None, "relu"])
def test_gemm_u8s8_requant(isa, rng, activation):
    m, k, n = 11, 90, 75
    a, w = random_case(rng, m, k, n)
    w_scale = np.full(n, 0.002, dtype=np.float32)
    packed = kernels.pack_int8_quantized(w, w_scale)
    bias = rng.standard_normal(n).astype(np.float32)
    out = kernels.gemm_u8s8_requant(
        a, packed, 0.02, 128, 0.05, 100, bias=bias, activation=activation
    )
    y = activate(int_gemm(a, w, 128) * (0.02 * 0.002) + bias, activation)
    ref = np.clip(np.rint(y / 0.05) + 100, 0, 255)
    assert out.dtype == np.uint8
    # Rounding ties may fall either way after float32 arithmetic.
    assert np.abs(out.astype(np.int32) - ref).max() <= 1
    assert (out == ref).mean() > 0.99


@pytest.mark.parametrize("shape", [(1, 1), (1, 768), (7, 33), (4, 5, 100), (3, 1024)])
def test_quantize_u8_per_row(isa, rng, shape):
    x = (rng.standard_normal(shape) * 3 + 0.5).astype(np.float32)
    q, scale, zp = kernels.quantize_u8(x)
    q_ref, scale_ref, zp_ref = quantize_rows(x)
    np.testing.assert_array_equal(scale, scale_ref)
    np.testing.assert_array_equal(zp, zp_ref)
    # The kernels multiply by 1/scale; numpy divides: a tie may round differently.
    assert np.abs(q.astype(np.int32) - q_ref).max() <= 1
    assert (q == q_ref).mean() > 0.99
    # Dequantized values are within one step of x.
    back = (q.astype(np.float32) - zp[..., None]) * scale[..., None]
    assert np.all(np.abs(back - x) <= scale[..., None] * 1.0001)


def test_quantize_u8_per_tensor_and_special_rows(isa, rng):
    x = rng.standard_normal((6, 50)).astype(np.float32)
    x[1] = 0.0  # all zeros: scale falls back to 1, zero point 0
    x[2] = np.abs(x[2]) + 1  # all positive: range widened to include 0
    q, scale, zp = kernels.quantize_u8(x, per_row=False)
    assert isinstance(scale, float) and isinstance(zp, int)
    s_ref, z_ref = quantize_rows(x.reshape(1, -1))[1:]
    assert scale == pytest.approx(float(s_ref[0]), rel=1e-7) and zp == int(z_ref[0])
    qr, sr, zr = kernels.quantize_u8(x)
    assert sr[1] == 1.0 and zr[1] == 0 and np.all(qr[1] == 0)
    assert zr[2] == 0


@pytest.mark.parametrize("activation", [None, "relu", "gelu", "gelu_tanh"])
@pytest.mark.parametrize("m,k,n", [(1, 768, 768), (4, 100, 33), (32, 256, 200)])
def test_linear_int8_matches_quantized_reference(isa, rng, activation, m, k, n):
    x = rng.standard_normal((m, k)).astype(np.float32)
    w = (rng.standard_normal((k, n)) / np.sqrt(k)).astype(np.float32)
    bias = rng.standard_normal(n).astype(np.float32) * 0.1
    packed = kernels.pack_int8(w)
    out = kernels.linear_int8(x, packed, bias=bias, activation=activation)
    # Exact emulation of the documented quantization scheme.
    xq, xs, xz = quantize_rows(x)
    wq, ws = quantize_weights(w, per_channel=True)
    ref = activate(int_gemm(xq, wq, xz) * (xs[:, None].astype(np.float64) * ws) + bias, activation)
    # A rounding tie in x's quantization (1/scale product vs numpy's division) may move one
    # element by one u8 step, changing an output by at most xs * 127 * ws (twice, for safety).
    one_step = float(xs.max() * ws.max() * 127 * 2)
    np.testing.assert_allclose(out, ref, rtol=1e-4, atol=one_step)
    # And close to the fp32 result: quantization error only.
    fp32 = activate(x.astype(np.float64) @ w + bias, activation)
    assert np.abs(out - fp32).max() < 0.05 * np.abs(fp32).max() + 0.02


def test_linear_int8_leading_dims_and_no_bias(isa, rng):
    x = rng.standard_normal((2, 3, 64)).astype(np.float32)
    w = rng.standard_normal((64, 10)).astype(np.float32)
    out = kernels.linear_int8(x, kernels.pack_int8(w))
    assert out.shape == (2, 3, 10)
    np.testing.assert_allclose(out, x @ w, atol=0.05 * np.abs(x @ w).max())


def test_packed_weights_metadata():
    w = np.ones((10, 70), dtype=np.float32)
    packed = kernels.pack_int8(w)
    assert (packed.k, packed.n, packed.shape) == (10, 70, (10, 70))
    assert packed.nbytes >= 10 * 70
    assert "PackedInt8Weights(k=10, n=70" in repr(packed)
