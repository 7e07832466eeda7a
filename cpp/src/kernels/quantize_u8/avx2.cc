// AVX2 activation quantization: 8 floats a step, scalar tails.
#include <immintrin.h>

#include <cmath>

#include "kernels/quantize_u8/kernel.h"

namespace fastinfer::int8 {
namespace {

float hmin(__m256 v) {
  __m128 m = _mm_min_ps(_mm256_castps256_ps128(v), _mm256_extractf128_ps(v, 1));
  m = _mm_min_ps(m, _mm_movehl_ps(m, m));
  m = _mm_min_ss(m, _mm_shuffle_ps(m, m, 1));
  return _mm_cvtss_f32(m);
}

float hmax(__m256 v) {
  __m128 m = _mm_max_ps(_mm256_castps256_ps128(v), _mm256_extractf128_ps(v, 1));
  m = _mm_max_ps(m, _mm_movehl_ps(m, m));
  m = _mm_max_ss(m, _mm_shuffle_ps(m, m, 1));
  return _mm_cvtss_f32(m);
}

void min_max_avx2(const float* x, int64_t count, float* lo, float* hi) {
  __m256 mn = _mm256_setzero_ps(), mx = _mm256_setzero_ps();
  int64_t i = 0;
  for (; i + 8 <= count; i += 8) {
    __m256 v = _mm256_loadu_ps(x + i);
    mn = _mm256_min_ps(mn, v);
    mx = _mm256_max_ps(mx, v);
  }
  float a = hmin(mn), b = hmax(mx);
  for (; i < count; ++i) {
    a = x[i] < a ? x[i] : a;
    b = x[i] > b ? x[i] : b;
  }
  *lo = a;
  *hi = b;
}

void quantize_avx2(const float* x, int64_t count, float inv_scale, int32_t zero_point, uint8_t* q) {
  const __m256 s = _mm256_set1_ps(inv_scale);
  const __m256i zp = _mm256_set1_epi32(zero_point);
  const __m256i zero = _mm256_setzero_si256(), max = _mm256_set1_epi32(255);
  const __m256i lane_order = _mm256_setr_epi32(0, 4, 1, 5, 2, 6, 3, 7);
  int64_t i = 0;
  for (; i + 32 <= count; i += 32) {
    __m256i r[4];
    for (int j = 0; j < 4; ++j) {
      __m256 v = _mm256_mul_ps(_mm256_loadu_ps(x + i + 8 * j), s);
      r[j] = _mm256_add_epi32(_mm256_cvtps_epi32(v), zp);
      r[j] = _mm256_min_epi32(_mm256_max_epi32(r[j], zero), max);
    }
    // packs work within 128-bit lanes; the permute restores element order.
    __m256i w01 = _mm256_packs_epi32(r[0], r[1]);
    __m256i w23 = _mm256_packs_epi32(r[2], r[3]);
    __m256i b = _mm256_packus_epi16(w01, w23);
    b = _mm256_permutevar8x32_epi32(b, lane_order);
    _mm256_storeu_si256(reinterpret_cast<__m256i*>(q + i), b);
  }
  for (; i < count; ++i) {
    float v = std::nearbyint(x[i] * inv_scale) + static_cast<float>(zero_point);
    v = v < 0.0f ? 0.0f : (v > 255.0f ? 255.0f : v);
    q[i] = static_cast<uint8_t>(v);
  }
}

}  // namespace

const QuantizeKernels kQuantizeAvx2 = {"qu8-quantize-avx2", min_max_avx2, quantize_avx2};

}  // namespace fastinfer::int8
