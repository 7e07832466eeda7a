"""fp32 GEMM with pre-packed weights and a fused epilogue: ``act(x @ w + bias)``.

``w`` follows the ONNX MatMul / numpy convention (shape ``(K, N)``). It is packed once
into column panels that every kernel path (scalar, AVX2, AVX-512) reads, so the same
packed weights work whichever path the CPU or ``FASTINFER_ISA`` selects.
"""

from __future__ import annotations

from typing import Literal, Optional

import numpy as np

from .. import _core

PackedF32Weights = _core.PackedF32Weights

Activation = Optional[Literal["relu", "gelu", "gelu_tanh"]]

__all__ = ["Activation", "PackedF32Weights", "linear", "pack"]


def pack(w: np.ndarray) -> PackedF32Weights:
    """Pack fp32 weights for :func:`linear`.

    Parameters
    ----------
    w : numpy.ndarray
        float32, shape ``(K, N)``, C-contiguous: the right operand of ``x @ w``.

    Returns
    -------
    PackedF32Weights
        An opaque copy in the kernels' layout, with read-only ``k``, ``n`` and ``nbytes``.

    Raises
    ------
    TypeError
        If ``w`` is not a numpy array of dtype float32.
    ValueError
        If ``w`` is not 2-D and non-empty, or not C-contiguous.
    """
    return _core.pack_f32(w)


def linear(
    x: np.ndarray,
    packed_w: PackedF32Weights,
    bias: np.ndarray | None = None,
    activation: Activation = None,
) -> np.ndarray:
    """Compute ``activation(x @ w + bias)`` in float32.

    The bias add and the activation run on each output tile while it is still in
    registers. The work is spread over the intra-op thread pool
    (:func:`fastinfer.set_num_threads`), and the GIL is released while it runs.

    Parameters
    ----------
    x : numpy.ndarray
        float32, shape ``(..., K)`` with at least one dimension, C-contiguous. Leading
        dimensions are treated as a batch of rows.
    packed_w : PackedF32Weights
        Weights of shape ``(K, N)`` from :func:`pack`.
    bias : numpy.ndarray, optional
        float32, shape ``(N,)``.
    activation : {None, "relu", "gelu", "gelu_tanh"}, optional
        ``"gelu"`` is the exact (erf) GELU, as ONNX ``Gelu`` and ``torch.nn.GELU()``;
        ``"gelu_tanh"`` its tanh approximation, as ``Gelu(approximate="tanh")`` and GPT-2.

    Returns
    -------
    numpy.ndarray
        float32, shape ``(..., N)``: a new array.

    Raises
    ------
    TypeError
        If ``x`` or ``bias`` is not a float32 numpy array, or ``packed_w`` is not
        :class:`PackedF32Weights`.
    ValueError
        If ``x.shape[-1] != K``, ``bias`` is not of shape ``(N,)``, an array is not
        C-contiguous, or ``activation`` is not one of the names above.
    """
    if not isinstance(packed_w, PackedF32Weights):
        raise TypeError(
            f"packed_w must be PackedF32Weights (from fastinfer.kernels.pack), "
            f"got {type(packed_w).__name__}"
        )
    return _core.linear_f32(x, packed_w, bias, activation)
