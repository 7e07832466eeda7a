"""The activations fused ops apply, in numpy: the reference definitions."""

from __future__ import annotations

import math

import numpy as np

_erf = np.vectorize(math.erf, otypes=[np.float64])


def gelu(x: np.ndarray, approximate: str) -> np.ndarray:
    """GELU in float64, cast back to the dtype of `x`."""
    x64 = x.astype(np.float64)
    if approximate == "tanh":
        inner = math.sqrt(2.0 / math.pi) * (x64 + 0.044715 * x64**3)
        y = 0.5 * x64 * (1.0 + np.tanh(inner))
    else:
        y = 0.5 * x64 * (1.0 + _erf(x64 / math.sqrt(2.0)))
    return y.astype(x.dtype)


def activate(y: np.ndarray, activation: str) -> np.ndarray:
    """`y` through a fused op's ``activation`` attribute: "", "relu", "relu6" (Clip(0, 6),
    FusedConv only), "gelu", "gelu_tanh"."""
    if activation in ("", None):
        return y
    if activation == "relu":
        return np.maximum(y, 0).astype(y.dtype)
    if activation == "relu6":
        return np.clip(y, 0, 6).astype(y.dtype)  # NaN passes through, as in ONNX Clip
    if activation == "gelu":
        return gelu(y, "none")
    if activation == "gelu_tanh":
        return gelu(y, "tanh")
    raise ValueError(f"unknown fused activation '{activation}'")
