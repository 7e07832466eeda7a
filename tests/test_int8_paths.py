"""Every int8 GEMM path gives bit-identical results on the same inputs.

The AVX2 and AVX-512 (BW) tiles widen u8 and s8 to int16 and multiply with vpmaddwd; the
AVX-VNNI and AVX-512 VNNI tiles use vpdpbusd directly. All of them must agree with the
scalar path and with an int64 numpy reference, bit for bit, at the value extremes (-128
weights included).
"""

from __future__ import annotations

import numpy as np
import pytest

from fastinfer import _core, kernels
from int8_reference import int_gemm

ISAS = list(_core.supported_isas())


def on_every_isa(fn):
    """{isa: fn()} with each supported path forced in turn."""
    original = _core.active_isa()
    try:
        out = {}
        for isa in ISAS:
            _core._force_isa(isa)
            out[isa] = fn()
        return out
    finally:
        _core._force_isa(original)


def assert_all_equal(results: dict, ref: np.ndarray) -> None:
    for isa, got in results.items():
        assert got.dtype == ref.dtype or ref.dtype == np.int64, isa
        np.testing.assert_array_equal(got, ref, err_msg=f"path {isa}")


def weights(rng, k, n, full_range):
    lo = -128 if full_range else -127
    w = rng.integers(lo, 128, size=(k, n), dtype=np.int8)
    if full_range:
        w[rng.integers(0, k), rng.integers(0, n)] = -128  # at least one, wherever it falls
    return w


@pytest.mark.parametrize("full_range", [False, True], ids=["w127", "w128"])
@pytest.mark.parametrize("m", range(1, 10))
@pytest.mark.parametrize("k,n", [(1, 1), (3, 8), (5, 17), (66, 65), (131, 130), (1027, 16)])
def test_random_bit_identical(rng, full_range, m, k, n):
    # K not a multiple of 4 (a partial group) nor of the widening chunk; N tails inside a
    # 64-column panel and across panels; every row count of the 4- and 6-row tiles.
    a = rng.integers(0, 256, size=(m, k), dtype=np.uint8)
    w = weights(rng, k, n, full_range)
    packed = kernels.pack_int8_quantized(w)
    for zp in (0, 128, 255):
        results = on_every_isa(lambda zp=zp: kernels.gemm_u8s8(a, packed, a_zero_point=zp))
        assert_all_equal(results, int_gemm(a, w, zp))


@pytest.mark.parametrize(
    "a_value,w_value",
    [(255, -127), (255, 127), (0, 127), (0, -127), (128, -127), (255, -128), (0, -128)],
)
@pytest.mark.parametrize("zero_point", [0, 255])
def test_runs_of_extremes(a_value, w_value, zero_point):
    # Constant runs are where a saturating int16 pair would show: 2 * 255 * -128 and
    # 2 * 255 * 127 do not fit int16. K = 4099 spans several widening chunks (256 K each) and
    # ends in a partial group.
    m, k, n = 9, 4099, 70
    a = np.full((m, k), a_value, dtype=np.uint8)
    w = np.full((k, n), w_value, dtype=np.int8)
    packed = kernels.pack_int8_quantized(w)
    results = on_every_isa(lambda: kernels.gemm_u8s8(a, packed, a_zero_point=zero_point))
    assert_all_equal(results, np.full((m, n), (a_value - zero_point) * w_value * k))


@pytest.mark.parametrize("full_range", [False, True], ids=["w127", "w128"])
def test_alternating_extremes(rng, full_range):
    # Rows and columns mixing 0 and 255 against +-127 (and -128): every sign combination
    # of the largest products, in random order along K.
    m, k, n = 7, 2053, 67
    a = np.where(rng.random((m, k)) < 0.5, 255, 0).astype(np.uint8)
    lo = -128 if full_range else -127
    w = np.where(rng.random((k, n)) < 0.5, lo, 127).astype(np.int8)
    packed = kernels.pack_int8_quantized(w)
    zps = rng.integers(0, 256, size=m).astype(np.int32)
    scales = np.ones(m, dtype=np.float32)
    results = on_every_isa(lambda: kernels.gemm_u8s8_dequant(a, packed, scales, zps))
    # Scales of 1: every path converts the exact int32 to float32 with round to nearest,
    # as numpy does.
    ref = int_gemm(a, w, zps).astype(np.float32)
    assert_all_equal(results, ref)


@pytest.mark.parametrize("a_value,w_value", [(255, -127), (0, 127), (255, -128)])
def test_largest_k(a_value, w_value):
    # K = kMaxK, the largest for which int32 is exact; each tile's accumulator and the
    # zero-point correction stay within int32 there as well.
    k, n = 65793, 5
    a = np.full((2, k), a_value, dtype=np.uint8)
    w = np.full((k, n), w_value, dtype=np.int8)
    packed = kernels.pack_int8_quantized(w)
    for zp in (0, 255):
        results = on_every_isa(lambda zp=zp: kernels.gemm_u8s8(a, packed, a_zero_point=zp))
        assert_all_equal(results, np.full((2, n), (a_value - zp) * w_value * k))


@pytest.mark.parametrize("activation", [None, "relu"])
def test_dequant_bit_identical(rng, activation):
    # The float epilogue is one fma per element on every path (convert, scale product,
    # bias), so with no or a piecewise-linear activation the outputs match bit for bit.
    m, k, n = 9, 300, 130
    a = rng.integers(0, 256, size=(m, k), dtype=np.uint8)
    w = weights(rng, k, n, full_range=False)
    w_scale = rng.uniform(0.001, 0.01, size=n).astype(np.float32)
    a_scale = rng.uniform(0.01, 0.05, size=m).astype(np.float32)
    a_zp = rng.integers(0, 256, size=m).astype(np.int32)
    bias = rng.standard_normal(n).astype(np.float32)
    packed = kernels.pack_int8_quantized(w, w_scale)
    results = on_every_isa(
        lambda: kernels.gemm_u8s8_dequant(
            a, packed, a_scale, a_zp, bias=bias, activation=activation
        )
    )
    assert_all_equal(results, results["scalar"])
