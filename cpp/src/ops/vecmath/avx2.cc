// AVX2 array math: the AVX-512 algorithms (see avx512.cc) on 8 lanes. AVX2 has no
// vscalefps, so 2^n is built in the exponent bits as 2^(n-1) * 2 (n up to 128 stays a
// normal float) and the ends are fixed up by blends: exp underflows to 0 below -87
// (results under ~1e-38 are flushed, an absolute error below 2e-38) and overflows to inf
// above 88.72. Tails shorter than 8 go through a stack buffer.
#include <immintrin.h>

#include <cmath>
#include <cstdint>
#include <cstring>

#include "kernels/common/vec_math_avx2.h"
#include "ops/vecmath/float_math.h"

namespace fastinfer::ops::detail {
namespace {

// exp(a + b) with b a small correction (see avx512.cc).
inline __m256 exp8(__m256 a, __m256 b) {
  const __m256 s = _mm256_add_ps(a, b);
  const __m256 c = _mm256_min_ps(_mm256_set1_ps(88.72f), _mm256_max_ps(_mm256_set1_ps(-88.0f), a));
  const __m256 n =
      _mm256_round_ps(_mm256_mul_ps(_mm256_add_ps(c, b), _mm256_set1_ps(1.44269504088896341f)),
                      _MM_FROUND_TO_NEAREST_INT | _MM_FROUND_NO_EXC);
  __m256 r = _mm256_fnmadd_ps(n, _mm256_set1_ps(0.693359375f), c);
  r = _mm256_fnmadd_ps(n, _mm256_set1_ps(-2.12194440e-4f), r);
  r = _mm256_add_ps(r, b);
  __m256 p = _mm256_set1_ps(1.9875691500e-4f);
  p = _mm256_fmadd_ps(p, r, _mm256_set1_ps(1.3981999507e-3f));
  p = _mm256_fmadd_ps(p, r, _mm256_set1_ps(8.3334519073e-3f));
  p = _mm256_fmadd_ps(p, r, _mm256_set1_ps(4.1665795894e-2f));
  p = _mm256_fmadd_ps(p, r, _mm256_set1_ps(1.6666665459e-1f));
  p = _mm256_fmadd_ps(p, r, _mm256_set1_ps(5.0000001201e-1f));
  p = _mm256_fmadd_ps(p, _mm256_mul_ps(r, r), _mm256_add_ps(r, _mm256_set1_ps(1.0f)));
  // 2^(n-1) from the exponent field; the biased exponent n + 126 is kept >= 0.
  const __m256i e = _mm256_max_epi32(
      _mm256_add_epi32(_mm256_cvtps_epi32(n), _mm256_set1_epi32(126)), _mm256_setzero_si256());
  const __m256 pow2 = _mm256_castsi256_ps(_mm256_slli_epi32(e, 23));
  __m256 y = _mm256_mul_ps(_mm256_mul_ps(p, pow2), _mm256_set1_ps(2.0f));
  y = _mm256_blendv_ps(y, _mm256_setzero_ps(),
                       _mm256_cmp_ps(s, _mm256_set1_ps(-87.0f), _CMP_LT_OQ));
  y = _mm256_blendv_ps(y, _mm256_set1_ps(INFINITY),
                       _mm256_cmp_ps(s, _mm256_set1_ps(88.72f), _CMP_GT_OQ));
  // NaN lanes: the clamps above dropped them; put them back.
  return _mm256_blendv_ps(y, s, _mm256_cmp_ps(s, s, _CMP_UNORD_Q));
}

inline __m256 exp8(__m256 x) { return exp8(x, _mm256_setzero_ps()); }

inline __m256 erf8(__m256 x) {
  return _mm256_blendv_ps(vec256::erf(x), x, _mm256_cmp_ps(x, x, _CMP_UNORD_Q));
}

inline __m256 erfc_pos8(__m256 z, __m256 hi, __m256 lo) {
  const __m256 one = _mm256_set1_ps(1.0f);
  const __m256 t = _mm256_div_ps(one, _mm256_fmadd_ps(_mm256_set1_ps(0.5f), z, one));
  __m256 p = _mm256_set1_ps(0.17087277f);
  p = _mm256_fmadd_ps(p, t, _mm256_set1_ps(-0.82215223f));
  p = _mm256_fmadd_ps(p, t, _mm256_set1_ps(1.48851587f));
  p = _mm256_fmadd_ps(p, t, _mm256_set1_ps(-1.13520398f));
  p = _mm256_fmadd_ps(p, t, _mm256_set1_ps(0.27886807f));
  p = _mm256_fmadd_ps(p, t, _mm256_set1_ps(-0.18628806f));
  p = _mm256_fmadd_ps(p, t, _mm256_set1_ps(0.09678418f));
  p = _mm256_fmadd_ps(p, t, _mm256_set1_ps(0.37409196f));
  p = _mm256_fmadd_ps(p, t, _mm256_set1_ps(1.00002368f));
  p = _mm256_fmadd_ps(p, t, _mm256_set1_ps(-1.26551223f));
  return _mm256_mul_ps(t, exp8(_mm256_sub_ps(_mm256_setzero_ps(), hi), _mm256_sub_ps(p, lo)));
}

inline __m256 gelu8(__m256 x) {
  const __m256 half = _mm256_set1_ps(0.5f);
  const __m256 t = _mm256_mul_ps(x, _mm256_set1_ps(0.70710678118654752f));
  const __m256 pos = _mm256_add_ps(_mm256_set1_ps(1.0f), erf8(t));
  const __m256 neg = _mm256_cmp_ps(t, _mm256_setzero_ps(), _CMP_LT_OQ);
  if (_mm256_movemask_ps(neg) == 0) return _mm256_mul_ps(_mm256_mul_ps(half, x), pos);
  const __m256 xx = _mm256_mul_ps(x, x);
  const __m256 hi = _mm256_mul_ps(xx, half);
  const __m256 lo = _mm256_mul_ps(_mm256_fmsub_ps(x, x, xx), half);
  const __m256 tail = erfc_pos8(_mm256_sub_ps(_mm256_setzero_ps(), t), hi, lo);
  return _mm256_mul_ps(_mm256_mul_ps(half, x), _mm256_blendv_ps(pos, tail, neg));
}

inline __m256 sigmoid8(__m256 x) {
  const __m256 one = _mm256_set1_ps(1.0f);
  return _mm256_div_ps(one, _mm256_add_ps(one, exp8(_mm256_sub_ps(_mm256_setzero_ps(), x))));
}

inline __m256 tanh8(__m256 x) {
  const __m256 one = _mm256_set1_ps(1.0f);
  const __m256 sign = _mm256_castsi256_ps(_mm256_set1_epi32(INT32_MIN));
  const __m256 ax = _mm256_andnot_ps(sign, x);
  const __m256 big = _mm256_sub_ps(
      one, _mm256_div_ps(_mm256_set1_ps(2.0f), _mm256_add_ps(exp8(_mm256_add_ps(ax, ax)), one)));
  const __m256 z = _mm256_mul_ps(x, x);
  __m256 p = _mm256_set1_ps(-5.70498872745e-3f);
  p = _mm256_fmadd_ps(p, z, _mm256_set1_ps(2.06390887954e-2f));
  p = _mm256_fmadd_ps(p, z, _mm256_set1_ps(-5.37397155531e-2f));
  p = _mm256_fmadd_ps(p, z, _mm256_set1_ps(1.33314422036e-1f));
  p = _mm256_fmadd_ps(p, z, _mm256_set1_ps(-3.33332819422e-1f));
  const __m256 small = _mm256_fmadd_ps(_mm256_mul_ps(p, z), x, x);
  const __m256 signed_big = _mm256_or_ps(big, _mm256_and_ps(x, sign));
  return _mm256_blendv_ps(small, signed_big, _mm256_cmp_ps(ax, _mm256_set1_ps(0.625f), _CMP_GE_OQ));
}

inline __m256 relu8(__m256 x) { return _mm256_max_ps(_mm256_setzero_ps(), x); }  // keeps NaN
inline __m256 sqrt8(__m256 x) { return _mm256_sqrt_ps(x); }

template <__m256 (*F)(__m256)>
void apply(const float* x, float* y, int64_t n) {
  int64_t i = 0;
  for (; i + 8 <= n; i += 8) _mm256_storeu_ps(y + i, F(_mm256_loadu_ps(x + i)));
  if (i < n) {
    alignas(32) float buf[8] = {};
    const auto bytes = static_cast<size_t>(n - i) * sizeof(float);
    std::memcpy(buf, x + i, bytes);
    _mm256_store_ps(buf, F(_mm256_load_ps(buf)));
    std::memcpy(y + i, buf, bytes);
  }
}

float exp_shift_sum(const float* x, float* y, int64_t n, float shift) {
  const __m256 s = _mm256_set1_ps(shift);
  __m256 acc0 = _mm256_setzero_ps(), acc1 = _mm256_setzero_ps();
  int64_t i = 0;
  for (; i + 16 <= n; i += 16) {
    const __m256 e0 = exp8(_mm256_sub_ps(_mm256_loadu_ps(x + i), s));
    const __m256 e1 = exp8(_mm256_sub_ps(_mm256_loadu_ps(x + i + 8), s));
    _mm256_storeu_ps(y + i, e0);
    _mm256_storeu_ps(y + i + 8, e1);
    acc0 = _mm256_add_ps(acc0, e0);
    acc1 = _mm256_add_ps(acc1, e1);
  }
  for (; i + 8 <= n; i += 8) {
    const __m256 e = exp8(_mm256_sub_ps(_mm256_loadu_ps(x + i), s));
    _mm256_storeu_ps(y + i, e);
    acc0 = _mm256_add_ps(acc0, e);
  }
  alignas(32) float lanes[8];
  _mm256_store_ps(lanes, _mm256_add_ps(acc0, acc1));
  float sum = 0.0f;
  for (float l : lanes) sum += l;
  if (i < n) {  // tail through a buffer padded with -inf, whose exp is 0
    alignas(32) float buf[8];
    for (int k = 0; k < 8; ++k) buf[k] = -INFINITY;
    const auto bytes = static_cast<size_t>(n - i) * sizeof(float);
    std::memcpy(buf, x + i, bytes);
    _mm256_store_ps(buf, exp8(_mm256_sub_ps(_mm256_load_ps(buf), s)));
    std::memcpy(y + i, buf, bytes);
    for (int64_t k = 0; k < n - i; ++k) sum += buf[k];
  }
  return sum;
}

}  // namespace

const FloatMath kFloatMathAvx2{"f32-math-avx2", apply<exp8>,     apply<erf8>,
                               apply<gelu8>,    apply<sigmoid8>, apply<tanh8>,
                               apply<relu8>,    apply<sqrt8>,    exp_shift_sum};

}  // namespace fastinfer::ops::detail
