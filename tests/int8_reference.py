"""numpy references for the int8 kernels, written from the documented formulas."""

from __future__ import annotations

import math

import numpy as np

_erf = np.vectorize(math.erf, otypes=[np.float64])


def gelu(x: np.ndarray) -> np.ndarray:
    return 0.5 * x * (1.0 + _erf(x / math.sqrt(2.0)))


def gelu_tanh(x: np.ndarray) -> np.ndarray:
    """The tanh approximation of ONNX Gelu(approximate="tanh"), 0.5 x (1 + tanh(u)) with
    u = sqrt(2/pi) (x + 0.044715 x^3), in float64 as x / (1 + exp(-2u)): the same function,
    without the cancellation of 1 + tanh(u) that zeroes the negative tail even in float64."""
    x = np.asarray(x, np.float64)
    two_u = 2.0 * math.sqrt(2.0 / math.pi) * (x + 0.044715 * x**3)
    with np.errstate(over="ignore", invalid="ignore"):
        return x / (1.0 + np.exp(-two_u))


def activate(y: np.ndarray, activation: str | None) -> np.ndarray:
    if activation == "relu":
        return np.maximum(y, 0.0)
    if activation == "gelu":
        return gelu(y)
    if activation == "gelu_tanh":
        return gelu_tanh(y)
    return y


def quant_params(lo: np.ndarray, hi: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Scale and zero point as ONNX DynamicQuantizeLinear, in float32 arithmetic."""
    lo = np.minimum(lo, 0).astype(np.float32)
    hi = np.maximum(hi, 0).astype(np.float32)
    scale = ((hi - lo) / np.float32(255)).astype(np.float32)
    scale = np.where(scale > 0, scale, np.float32(1)).astype(np.float32)
    zp = np.clip(np.rint(-lo / scale), 0, 255).astype(np.int32)
    return scale, zp


def quantize_rows(x: np.ndarray) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    scale, zp = quant_params(x.min(axis=-1), x.max(axis=-1))
    q = np.rint(x / scale[..., None]) + zp[..., None]
    return np.clip(q, 0, 255).astype(np.uint8), scale, zp


def quantize_weights(w: np.ndarray, per_channel: bool) -> tuple[np.ndarray, np.ndarray]:
    amax = np.abs(w).max(axis=0) if per_channel else np.array([np.abs(w).max()])
    scale = np.where(amax > 0, amax / np.float32(127), np.float32(1)).astype(np.float32)
    wq = np.clip(np.rint(w / scale), -127, 127).astype(np.int8)
    return wq, scale


def int_gemm(a: np.ndarray, w: np.ndarray, zero_point) -> np.ndarray:
    zp = np.asarray(zero_point, dtype=np.int64)
    if zp.ndim:
        zp = zp[..., None]
    return (a.astype(np.int64) - zp) @ w.astype(np.int64)
