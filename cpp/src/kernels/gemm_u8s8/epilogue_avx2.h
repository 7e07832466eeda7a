// AVX2 epilogue over an int32 tile, shared by the avx2 and avx2vnni files (both compiled
// with AVX2 flags). static: internal linkage in each including file.
#pragma once

#include <immintrin.h>

#include "kernels/common/vec_math_avx2.h"
#include "kernels/gemm_u8s8/epilogue_ref.h"
#include "kernels/gemm_u8s8/kernel.h"

namespace fastinfer::int8 {

static inline __m256 activate_avx2(Activation act, __m256 y) {
  switch (act) {
    case Activation::kRelu:
      return vec256::relu(y);
    case Activation::kGelu:
      return vec256::gelu(y);
    case Activation::kGeluTanh:
      return vec256::gelu_tanh(y);
    case Activation::kNone:
      break;
  }
  return y;
}

static void epilogue_avx2(const int32_t* acc, int mr, int ncols, int64_t row0, int64_t col0,
                          const PackedWeights& w, const Epilogue& ep, void* out, int64_t ldc) {
  // col0 is a multiple of kPanelN and the column arrays are padded to whole panels, so
  // the full-vector loads below stay in bounds and aligned.
  const int32_t* col_sums = w.col_sums.data() + col0;
  const float* w_scales = w.scales.data() + col0;
  for (int r = 0; r < mr; ++r) {
    const int64_t row = row0 + r;
    const int32_t zp_scalar = row_zero_point(ep, row);
    const float sa_scalar = row_scale(ep, row);
    const __m256i zp = _mm256_set1_epi32(zp_scalar);
    const __m256 sa = _mm256_set1_ps(sa_scalar);
    int c = 0;
    if (ep.output == Output::kFloat32 || ep.output == Output::kInt32) {
      for (; c + 8 <= ncols; c += 8) {
        __m256i v = _mm256_load_si256(reinterpret_cast<const __m256i*>(acc + r * kPanelN + c));
        v = _mm256_sub_epi32(
            v, _mm256_mullo_epi32(
                   zp, _mm256_load_si256(reinterpret_cast<const __m256i*>(col_sums + c))));
        const int64_t at = row * ldc + col0 + c;
        if (ep.output == Output::kInt32) {
          _mm256_storeu_si256(reinterpret_cast<__m256i*>(static_cast<int32_t*>(out) + at), v);
          continue;
        }
        const __m256 bias = ep.bias ? _mm256_loadu_ps(ep.bias + col0 + c) : _mm256_setzero_ps();
        __m256 y = _mm256_fmadd_ps(_mm256_cvtepi32_ps(v),
                                   _mm256_mul_ps(sa, _mm256_load_ps(w_scales + c)), bias);
        _mm256_storeu_ps(static_cast<float*>(out) + at, activate_avx2(ep.activation, y));
      }
    }
    // Column tails, and requantized u8 output (rare: static quantization), per element.
    for (; c < ncols; ++c) {
      const int32_t corrected = acc[r * kPanelN + c] - zp_scalar * col_sums[c];
      store_one(ep, w, corrected, sa_scalar, row, col0 + c, out, ldc);
    }
  }
}

}  // namespace fastinfer::int8
