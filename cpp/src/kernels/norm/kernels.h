// The seam between the normalisation ops (ops/layernorm, ops/normalization) and their
// per-ISA row kernels. Free of intrinsics; each table is defined in the file named after its
// ISA.
#pragma once

#include <cstdint>

namespace fastinfer::norm {

struct NormKernels {
  const char* name;
  // LayerNormalization of one row of n > 0 floats: the mean, the population variance as the
  // mean of squared deviations (a second pass over the row, which sits in L1; E[x^2] - E[x]^2
  // cancels), y = (x - mean) * inv * scale + bias with inv = 1 / sqrt(var + eps); bias may
  // be null. Writes the row's mean and inv.
  void (*layer_norm)(const float* x, int64_t n, const float* scale, const float* bias, float eps,
                     float* y, float* mean, float* inv);
  // RMSNormalization of one row of n > 0 floats: y = x * inv * scale[i % scale_n] with
  // inv = 1 / sqrt(mean(x^2) + eps); n is a multiple of scale_n.
  void (*rms_norm)(const float* x, int64_t n, const float* scale, int64_t scale_n, float eps,
                   float* y);
};

const NormKernels& norm_kernels();  // for the active ISA

extern const NormKernels kNormRef;
#if FASTINFER_X86
extern const NormKernels kNormAvx2;
extern const NormKernels kNormAvx512;
#endif

}  // namespace fastinfer::norm
