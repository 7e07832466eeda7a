// AVX-512 array math: the vec512 functions (kernels/common/vec_math_avx512.h) over arrays,
// 16 lanes at a time; tails are masked loads and stores.
#include <immintrin.h>

#include <cmath>
#include <cstdint>

#include "kernels/common/vec_math_avx512.h"
#include "kernels/vecmath/float_math.h"

namespace fastinfer::vecmath::detail {
namespace {

// Wrappers: the overloaded vec512::exp cannot be a template argument directly.
inline __m512 exp16(__m512 x) { return vec512::exp(x); }
inline __m512 sqrt16(__m512 x) { return _mm512_sqrt_ps(x); }

template <__m512 (*F)(__m512)>
void apply(const float* x, float* y, int64_t n) {
  int64_t i = 0;
  for (; i + 16 <= n; i += 16) _mm512_storeu_ps(y + i, F(_mm512_loadu_ps(x + i)));
  if (i < n) {
    const __mmask16 m = vec512::tail_mask(n - i);
    _mm512_mask_storeu_ps(y + i, m, F(_mm512_maskz_loadu_ps(m, x + i)));
  }
}

float exp_shift_sum(const float* x, float* y, int64_t n, float shift) {
  const __m512 s = _mm512_set1_ps(shift);
  __m512 acc0 = _mm512_setzero_ps(), acc1 = _mm512_setzero_ps();
  int64_t i = 0;
  for (; i + 32 <= n; i += 32) {  // two chains: exp latency, not throughput, bounds one
    const __m512 e0 = vec512::exp(_mm512_sub_ps(_mm512_loadu_ps(x + i), s));
    const __m512 e1 = vec512::exp(_mm512_sub_ps(_mm512_loadu_ps(x + i + 16), s));
    _mm512_storeu_ps(y + i, e0);
    _mm512_storeu_ps(y + i + 16, e1);
    acc0 = _mm512_add_ps(acc0, e0);
    acc1 = _mm512_add_ps(acc1, e1);
  }
  for (; i < n; i += 16) {
    const __mmask16 m = n - i >= 16 ? static_cast<__mmask16>(0xFFFF) : vec512::tail_mask(n - i);
    const __m512 e = vec512::exp(_mm512_sub_ps(_mm512_maskz_loadu_ps(m, x + i), s));
    _mm512_mask_storeu_ps(y + i, m, e);
    acc0 = _mm512_add_ps(acc0, _mm512_maskz_mov_ps(m, e));
  }
  return vec512::reduce_add(_mm512_add_ps(acc0, acc1));
}

float max(const float* x, int64_t n) {
  const __m512 lowest = _mm512_set1_ps(-INFINITY);
  __m512 acc0 = lowest, acc1 = lowest;
  int64_t i = 0;
  // vmaxps(x, acc) keeps acc when x is NaN: NaN is skipped.
  for (; i + 32 <= n; i += 32) {
    acc0 = _mm512_max_ps(_mm512_loadu_ps(x + i), acc0);
    acc1 = _mm512_max_ps(_mm512_loadu_ps(x + i + 16), acc1);
  }
  for (; i < n; i += 16) {
    const __mmask16 m = n - i >= 16 ? static_cast<__mmask16>(0xFFFF) : vec512::tail_mask(n - i);
    acc0 = _mm512_max_ps(_mm512_mask_loadu_ps(lowest, m, x + i), acc0);
  }
  return vec512::reduce_max(_mm512_max_ps(acc0, acc1));
}

void scale(float* y, int64_t n, float s) {
  const __m512 sv = _mm512_set1_ps(s);
  int64_t i = 0;
  for (; i + 16 <= n; i += 16) _mm512_storeu_ps(y + i, _mm512_mul_ps(_mm512_loadu_ps(y + i), sv));
  if (i < n) {
    const __mmask16 m = vec512::tail_mask(n - i);
    _mm512_mask_storeu_ps(y + i, m, _mm512_mul_ps(_mm512_maskz_loadu_ps(m, y + i), sv));
  }
}

}  // namespace

const FloatMath kFloatMathAvx512{"f32-math-avx512",
                                 apply<exp16>,
                                 apply<vec512::erf>,
                                 apply<vec512::gelu>,
                                 apply<vec512::gelu_tanh>,
                                 apply<vec512::sigmoid>,
                                 apply<vec512::silu>,
                                 apply<vec512::tanh>,
                                 apply<vec512::relu>,
                                 apply<sqrt16>,
                                 exp_shift_sum,
                                 max,
                                 scale};

}  // namespace fastinfer::vecmath::detail
