"""Bad input to the int8 ops: clear Python exceptions naming the argument, never a crash."""

from __future__ import annotations

import numpy as np
import pytest

from fastinfer import kernels


@pytest.fixture
def packed():
    return kernels.pack_int8(np.ones((16, 8), dtype=np.float32))


def test_wrong_dtype(packed):
    with pytest.raises(TypeError, match="a must have dtype uint8, got float32"):
        kernels.gemm_u8s8(np.zeros((2, 16), dtype=np.float32), packed)
    with pytest.raises(TypeError, match="x must have dtype float32, got float64"):
        kernels.linear_int8(np.zeros((2, 16)), packed)
    with pytest.raises(TypeError, match="w must have dtype float32"):
        kernels.pack_int8(np.ones((4, 4), dtype=np.int32))
    with pytest.raises(TypeError, match="x must be a numpy.ndarray"):
        kernels.linear_int8([[1.0] * 16], packed)


def test_wrong_shape(packed):
    with pytest.raises(
        ValueError, match=r"x has shape \(2, 15\) but its last dimension must equal K = 16"
    ):
        kernels.linear_int8(np.zeros((2, 15), dtype=np.float32), packed)
    with pytest.raises(ValueError, match="w must have 2 dimensions"):
        kernels.pack_int8(np.ones(4, dtype=np.float32))
    with pytest.raises(ValueError, match="K >= 1 and N >= 1"):
        kernels.pack_int8(np.ones((0, 4), dtype=np.float32))
    with pytest.raises(ValueError, match=r"bias must have shape \(8,\)"):
        kernels.linear_int8(
            np.zeros((2, 16), dtype=np.float32), packed, bias=np.zeros(7, np.float32)
        )
    with pytest.raises(ValueError, match="x must have 1 to 32 dimensions"):
        kernels.linear_int8(np.array(1.0, dtype=np.float32), packed)


def test_non_contiguous_and_misaligned(packed):
    x = np.zeros((4, 32), dtype=np.float32)[:, ::2]
    with pytest.raises(ValueError, match="x must be C-contiguous"):
        kernels.linear_int8(x, packed)
    raw = np.zeros(16 * 4 + 1, dtype=np.uint8)
    misaligned = np.frombuffer(raw.data, dtype=np.float32, count=16, offset=1).reshape(1, 16)
    with pytest.raises(ValueError, match="x must be aligned"):
        kernels.linear_int8(misaligned, packed)


def test_bad_parameters(packed):
    a = np.zeros((2, 16), dtype=np.uint8)
    with pytest.raises(ValueError, match=r"a_zero_point must be in \[0, 255\], got 300"):
        kernels.gemm_u8s8(a, packed, a_zero_point=300)
    with pytest.raises(TypeError, match="a_zero_point must be an int"):
        kernels.gemm_u8s8(a, packed, a_zero_point=1.5)
    with pytest.raises(ValueError, match="a_scale must be a positive finite float"):
        kernels.gemm_u8s8_dequant(a, packed, a_scale=0.0)
    with pytest.raises(
        ValueError, match=r"a_scale must be a float or an array of one scale per row \(2\)"
    ):
        kernels.gemm_u8s8_dequant(a, packed, a_scale=np.ones(3, np.float32))
    with pytest.raises(ValueError, match=r"a_zero_point\[1\] must be in \[0, 255\]"):
        kernels.gemm_u8s8_dequant(a, packed, 1.0, np.array([0, -1], np.int32))
    with pytest.raises(ValueError, match="out_scale must be a positive finite float"):
        kernels.gemm_u8s8_requant(a, packed, 1.0, 0, float("nan"), 0)
    with pytest.raises(
        ValueError, match="activation must be None, 'relu', 'gelu' or 'gelu_tanh', got 'tanh'"
    ):
        kernels.linear_int8(np.zeros((2, 16), np.float32), packed, activation="tanh")
    with pytest.raises(TypeError, match="activation must be None, 'relu', 'gelu' or 'gelu_tanh'"):
        kernels.linear_int8(np.zeros((2, 16), np.float32), packed, activation=1)
    with pytest.raises(TypeError, match="packed_w must be PackedInt8Weights"):
        kernels.linear_int8(np.zeros((2, 16), np.float32), np.ones((16, 8), np.float32))


def test_bad_weights():
    w = np.ones((4, 4), dtype=np.float32)
    w[2, 1] = np.nan
    with pytest.raises(ValueError, match=r"non-finite value at \(2, 1\)"):
        kernels.pack_int8(w)
    with pytest.raises(ValueError, match=r"scales must have shape \(4,\) or \(1,\)"):
        kernels.pack_int8_quantized(np.ones((4, 4), np.int8), np.ones(3, np.float32))
    with pytest.raises(ValueError, match=r"scales\[0\] must be positive"):
        kernels.pack_int8_quantized(np.ones((4, 4), np.int8), np.array([-1.0], np.float32))


def test_k_that_would_overflow_int32_accumulation():
    with pytest.raises(ValueError, match="K = 65794 exceeds 65793: int32 accumulation"):
        kernels.pack_int8_quantized(np.zeros((65794, 1), dtype=np.int8))
