// AVX-512 activation quantization: 16 floats a step, masked tails.
#include <immintrin.h>

#include "kernels/quantize_u8/kernel.h"

namespace fastinfer::int8 {
namespace {

void min_max_avx512(const float* x, int64_t count, float* lo, float* hi) {
  __m512 mn = _mm512_setzero_ps(), mx = _mm512_setzero_ps();
  int64_t i = 0;
  for (; i + 16 <= count; i += 16) {
    __m512 v = _mm512_loadu_ps(x + i);
    mn = _mm512_min_ps(mn, v);
    mx = _mm512_max_ps(mx, v);
  }
  if (i < count) {
    __mmask16 m = static_cast<__mmask16>((1u << (count - i)) - 1);
    __m512 v = _mm512_maskz_loadu_ps(m, x + i);  // masked-off lanes read as 0: in range
    mn = _mm512_min_ps(mn, v);
    mx = _mm512_max_ps(mx, v);
  }
  *lo = _mm512_reduce_min_ps(mn);
  *hi = _mm512_reduce_max_ps(mx);
}

void quantize_avx512(const float* x, int64_t count, float inv_scale, int32_t zero_point,
                     uint8_t* q) {
  const __m512 s = _mm512_set1_ps(inv_scale);
  const __m512i zp = _mm512_set1_epi32(zero_point);
  const __m512i zero = _mm512_setzero_si512(), max = _mm512_set1_epi32(255);
  for (int64_t i = 0; i < count; i += 16) {
    __mmask16 m = count - i >= 16 ? static_cast<__mmask16>(0xFFFF)
                                  : static_cast<__mmask16>((1u << (count - i)) - 1);
    __m512 v = _mm512_maskz_loadu_ps(m, x + i);
    // cvtps rounds to nearest even under the default MXCSR, as nearbyint does.
    __m512i r = _mm512_add_epi32(_mm512_cvtps_epi32(_mm512_mul_ps(v, s)), zp);
    r = _mm512_min_epi32(_mm512_max_epi32(r, zero), max);
    _mm512_mask_cvtepi32_storeu_epi8(q + i, m, r);
  }
}

}  // namespace

const QuantizeKernels kQuantizeAvx512 = {"qu8-quantize-avx512", min_max_avx512, quantize_avx512};

}  // namespace fastinfer::int8
