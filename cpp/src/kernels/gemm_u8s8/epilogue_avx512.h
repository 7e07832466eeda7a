// AVX-512 epilogue over an int32 tile, shared by the avx512 and avx512vnni files (both
// compiled with AVX-512 flags). static: internal linkage in each including file.
#pragma once

#include <immintrin.h>

#include "kernels/common/vec_math_avx512.h"
#include "kernels/gemm_u8s8/epilogue_ref.h"
#include "kernels/gemm_u8s8/kernel.h"

namespace fastinfer::int8 {

static inline __m512 activate_avx512(Activation act, __m512 y) {
  switch (act) {
    case Activation::kRelu:
      return vec512::relu(y);
    case Activation::kGelu:
      return vec512::gelu(y);
    case Activation::kGeluTanh:
      return vec512::gelu_tanh(y);
    case Activation::kNone:
      break;
  }
  return y;
}

static void epilogue_avx512(const int32_t* acc, int mr, int ncols, int64_t row0, int64_t col0,
                            const PackedWeights& w, const Epilogue& ep, void* out, int64_t ldc) {
  // col0 is a multiple of kPanelN and the column arrays are padded to whole panels, so
  // the full-vector loads below stay in bounds and aligned; only stores are masked.
  const int32_t* col_sums = w.col_sums.data() + col0;
  const float* w_scales = w.scales.data() + col0;
  for (int r = 0; r < mr; ++r) {
    const int64_t row = row0 + r;
    const __m512i zp = _mm512_set1_epi32(row_zero_point(ep, row));
    const __m512 sa = _mm512_set1_ps(row_scale(ep, row));
    for (int c = 0; c < ncols; c += 16) {
      const __mmask16 m = ncols - c >= 16 ? static_cast<__mmask16>(0xFFFF)
                                          : static_cast<__mmask16>((1u << (ncols - c)) - 1);
      __m512i v = _mm512_load_si512(acc + r * kPanelN + c);
      v = _mm512_sub_epi32(v, _mm512_mullo_epi32(zp, _mm512_load_si512(col_sums + c)));
      const int64_t at = row * ldc + col0 + c;
      if (ep.output == Output::kInt32) {
        _mm512_mask_storeu_epi32(static_cast<int32_t*>(out) + at, m, v);
        continue;
      }
      const __m512 bias =
          ep.bias ? _mm512_maskz_loadu_ps(m, ep.bias + col0 + c) : _mm512_setzero_ps();
      __m512 y = _mm512_fmadd_ps(_mm512_cvtepi32_ps(v),
                                 _mm512_mul_ps(sa, _mm512_load_ps(w_scales + c)), bias);
      y = activate_avx512(ep.activation, y);
      if (ep.output == Output::kFloat32) {
        _mm512_mask_storeu_ps(static_cast<float*>(out) + at, m, y);
        continue;
      }
      __m512i q = _mm512_cvtps_epi32(_mm512_div_ps(y, _mm512_set1_ps(ep.out_scale)));
      q = _mm512_add_epi32(q, _mm512_set1_epi32(ep.out_zero_point));
      q = _mm512_min_epi32(_mm512_max_epi32(q, _mm512_setzero_si512()), _mm512_set1_epi32(255));
      _mm512_mask_cvtepi32_storeu_epi8(static_cast<uint8_t*>(out) + at, m, q);
    }
  }
}

}  // namespace fastinfer::int8
