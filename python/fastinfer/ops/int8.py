"""int8 kernels (being written)."""
PackedInt8Weights = gemm_u8s8 = gemm_u8s8_dequant = gemm_u8s8_requant = None
linear_int8 = pack_int8 = pack_int8_quantized = quantize_u8 = None
