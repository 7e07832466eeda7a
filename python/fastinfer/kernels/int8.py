"""int8 kernels: weight packing, u8 x s8 GEMM with fused epilogues, dynamic quantization.

Activations are unsigned 8-bit with a zero point; weights are signed 8-bit, symmetric
(zero point 0), with one scale per output column or one per tensor. The int32 accumulation
is exact for K up to 65793 on every ISA path.
"""

from __future__ import annotations

from typing import Literal, Optional, Union

import numpy as np

from .. import _core

PackedInt8Weights = _core.PackedInt8Weights

ActivationName = Optional[Literal["relu", "gelu", "gelu_tanh"]]
RowScale = Union[float, np.ndarray]
RowZeroPoint = Union[int, np.ndarray]


def _check_packed(packed_w: object) -> None:
    if not isinstance(packed_w, PackedInt8Weights):
        raise TypeError(
            "packed_w must be PackedInt8Weights (from pack_int8 or pack_int8_quantized), "
            f"got {type(packed_w).__name__}"
        )


def _check_activation(activation: object) -> None:
    if activation is not None and not isinstance(activation, str):
        raise TypeError(
            f"activation must be None, 'relu', 'gelu' or 'gelu_tanh', got {activation!r}"
        )


def pack_int8(w: np.ndarray, per_channel: bool = True) -> PackedInt8Weights:
    """Quantize fp32 weights symmetrically to int8 and pack them for the GEMM kernels.

    Parameters
    ----------
    w : numpy.ndarray
        float32 weights of shape (K, N), used as ``y = x @ w``.
    per_channel : bool
        One scale per output column (``max|w[:, n]| / 127``) if True, else one for the
        tensor. Values are rounded to nearest and lie in [-127, 127].

    Returns
    -------
    PackedInt8Weights
        Packed once; reusable across calls and threads.
    """
    return _core.pack_int8(w, per_channel)


def pack_int8_quantized(w: np.ndarray, scales: np.ndarray | None = None) -> PackedInt8Weights:
    """Pack weights that are already int8 (any value in [-128, 127]).

    Parameters
    ----------
    w : numpy.ndarray
        int8 weights of shape (K, N).
    scales : numpy.ndarray, optional
        float32 scales of shape (N,) (per channel) or (1,) (per tensor); default 1.0.
    """
    return _core.pack_int8_quantized(w, scales)


def gemm_u8s8(a: np.ndarray, packed_w: PackedInt8Weights, a_zero_point: int = 0) -> np.ndarray:
    """Raw int8 GEMM: ``(a - a_zero_point) @ w`` accumulated exactly in int32.

    Parameters
    ----------
    a : numpy.ndarray
        uint8 activations of shape (..., K).
    packed_w : PackedInt8Weights
        Weights of shape (K, N); their scales are not applied.
    a_zero_point : int
        Activation zero point in [0, 255].

    Returns
    -------
    numpy.ndarray
        int32 of shape (..., N).
    """
    _check_packed(packed_w)
    return _core.gemm_u8s8(a, packed_w, a_zero_point)


def gemm_u8s8_dequant(
    a: np.ndarray,
    packed_w: PackedInt8Weights,
    a_scale: RowScale,
    a_zero_point: RowZeroPoint = 0,
    bias: np.ndarray | None = None,
    activation: ActivationName = None,
) -> np.ndarray:
    """int8 GEMM with a dequantizing epilogue, fused in one pass.

    ``y = act((a - a_zero_point) @ w_q * a_scale * w_scale + bias)`` in float32. ``a_scale``
    and ``a_zero_point`` are scalars or one per row of ``a`` (arrays of float32 / int32).
    ``activation`` is None, ``"relu"``, ``"gelu"`` (exact, erf-based) or ``"gelu_tanh"``.
    """
    _check_packed(packed_w)
    _check_activation(activation)
    return _core.gemm_u8s8_dequant(a, packed_w, a_scale, a_zero_point, bias, activation)


def gemm_u8s8_requant(
    a: np.ndarray,
    packed_w: PackedInt8Weights,
    a_scale: RowScale,
    a_zero_point: RowZeroPoint,
    out_scale: float,
    out_zero_point: int,
    bias: np.ndarray | None = None,
    activation: ActivationName = None,
) -> np.ndarray:
    """int8 GEMM whose epilogue requantizes to uint8 (static quantization).

    The float result of :func:`gemm_u8s8_dequant` is mapped to
    ``clamp(round(y / out_scale) + out_zero_point, 0, 255)`` (round half to even).
    """
    _check_packed(packed_w)
    _check_activation(activation)
    return _core.gemm_u8s8_requant(
        a, packed_w, a_scale, a_zero_point, out_scale, out_zero_point, bias, activation
    )


def quantize_u8(
    x: np.ndarray, per_row: bool = True
) -> tuple[np.ndarray, np.ndarray | float, np.ndarray | int]:
    """Dynamically quantize float32 activations to uint8 (ONNX DynamicQuantizeLinear).

    The range is widened to include 0; ``scale = (max - min) / 255``,
    ``zero_point = round(-min / scale)``, ``q = clamp(round(x / scale) + zero_point)``.

    Parameters
    ----------
    x : numpy.ndarray
        float32 of shape (..., K).
    per_row : bool
        One scale and zero point per row (last axis) if True, else one for the tensor.

    Returns
    -------
    tuple
        ``(q, scale, zero_point)``: q uint8 like x; scale float32 and zero_point int32 of
        shape x.shape[:-1] when per_row, else a float and an int.
    """
    return _core.quantize_u8(x, per_row)


def linear_int8(
    x: np.ndarray,
    packed_w: PackedInt8Weights,
    bias: np.ndarray | None = None,
    activation: ActivationName = None,
) -> np.ndarray:
    """``act(x @ w + bias)`` through the int8 path, in one native call.

    ``x`` (float32, shape (..., K)) is quantized per row to uint8, multiplied with the
    packed int8 weights, and dequantized with bias and activation fused in the epilogue.
    The GIL is released while it runs.

    Returns
    -------
    numpy.ndarray
        float32 of shape (..., N).
    """
    _check_packed(packed_w)
    _check_activation(activation)
    return _core.linear_int8(x, packed_w, bias, activation)
