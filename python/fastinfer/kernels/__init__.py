"""Kernels of the native core: int8 and fp32 GEMM with fused epilogues, quantization.

Weights follow the ONNX MatMul / numpy convention ``y = x @ w`` with ``w`` of shape (K, N).
They are packed once (``pack_int8``, ``pack``) into the layout the kernels read.
"""

from __future__ import annotations

from .fp32 import PackedF32Weights, linear, pack
from .int8 import (
    PackedInt8Weights,
    gemm_u8s8,
    gemm_u8s8_dequant,
    gemm_u8s8_requant,
    linear_int8,
    pack_int8,
    pack_int8_quantized,
    quantize_u8,
)

__all__ = [
    "PackedF32Weights",
    "PackedInt8Weights",
    "gemm_u8s8",
    "gemm_u8s8_dequant",
    "gemm_u8s8_requant",
    "linear",
    "linear_int8",
    "pack",
    "pack_int8",
    "pack_int8_quantized",
    "quantize_u8",
]
