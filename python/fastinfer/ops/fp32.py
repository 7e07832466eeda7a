"""fp32 kernels (being written)."""

PackedF32Weights = linear = pack = None
