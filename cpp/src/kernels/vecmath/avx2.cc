// AVX2 array math: the vec256 functions (kernels/common/vec_math_avx2.h) over arrays, 8
// lanes at a time; tails go through maskload / maskstore.
#include <immintrin.h>

#include <cmath>
#include <cstdint>

#include "kernels/common/vec_math_avx2.h"
#include "kernels/vecmath/float_math.h"

namespace fastinfer::vecmath::detail {
namespace {

// Wrappers: the overloaded vec256::exp cannot be a template argument directly.
inline __m256 exp8(__m256 x) { return vec256::exp(x); }
inline __m256 sqrt8(__m256 x) { return _mm256_sqrt_ps(x); }

template <__m256 (*F)(__m256)>
void apply(const float* x, float* y, int64_t n) {
  int64_t i = 0;
  for (; i + 8 <= n; i += 8) _mm256_storeu_ps(y + i, F(_mm256_loadu_ps(x + i)));
  if (i < n) {
    const __m256i m = vec256::tail_mask(n - i);
    _mm256_maskstore_ps(y + i, m, F(_mm256_maskload_ps(x + i, m)));
  }
}

float exp_shift_sum(const float* x, float* y, int64_t n, float shift) {
  const __m256 s = _mm256_set1_ps(shift);
  __m256 acc0 = _mm256_setzero_ps(), acc1 = _mm256_setzero_ps();
  int64_t i = 0;
  for (; i + 16 <= n; i += 16) {  // two chains: exp latency, not throughput, bounds one
    const __m256 e0 = vec256::exp(_mm256_sub_ps(_mm256_loadu_ps(x + i), s));
    const __m256 e1 = vec256::exp(_mm256_sub_ps(_mm256_loadu_ps(x + i + 8), s));
    _mm256_storeu_ps(y + i, e0);
    _mm256_storeu_ps(y + i + 8, e1);
    acc0 = _mm256_add_ps(acc0, e0);
    acc1 = _mm256_add_ps(acc1, e1);
  }
  for (; i < n; i += 8) {
    const __m256i m = vec256::tail_mask(n - i);
    const __m256 e = vec256::exp(_mm256_sub_ps(_mm256_maskload_ps(x + i, m), s));
    _mm256_maskstore_ps(y + i, m, e);
    acc0 = _mm256_add_ps(acc0, _mm256_and_ps(e, _mm256_castsi256_ps(m)));
  }
  return vec256::reduce_add(_mm256_add_ps(acc0, acc1));
}

float max(const float* x, int64_t n) {
  const __m256 lowest = _mm256_set1_ps(-INFINITY);
  __m256 acc0 = lowest, acc1 = lowest;
  int64_t i = 0;
  // maxps(x, acc) keeps acc when x is NaN: NaN is skipped.
  for (; i + 16 <= n; i += 16) {
    acc0 = _mm256_max_ps(_mm256_loadu_ps(x + i), acc0);
    acc1 = _mm256_max_ps(_mm256_loadu_ps(x + i + 8), acc1);
  }
  for (; i < n; i += 8) {
    const __m256i m = vec256::tail_mask(n - i);
    const __m256 v = _mm256_blendv_ps(lowest, _mm256_maskload_ps(x + i, m), _mm256_castsi256_ps(m));
    acc0 = _mm256_max_ps(v, acc0);
  }
  return vec256::reduce_max(_mm256_max_ps(acc0, acc1));
}

void scale(float* y, int64_t n, float s) {
  const __m256 sv = _mm256_set1_ps(s);
  int64_t i = 0;
  for (; i + 8 <= n; i += 8) _mm256_storeu_ps(y + i, _mm256_mul_ps(_mm256_loadu_ps(y + i), sv));
  if (i < n) {
    const __m256i m = vec256::tail_mask(n - i);
    _mm256_maskstore_ps(y + i, m, _mm256_mul_ps(_mm256_maskload_ps(y + i, m), sv));
  }
}

}  // namespace

const FloatMath kFloatMathAvx2{"f32-math-avx2",
                               apply<exp8>,
                               apply<vec256::erf>,
                               apply<vec256::gelu>,
                               apply<vec256::gelu_tanh>,
                               apply<vec256::sigmoid>,
                               apply<vec256::silu>,
                               apply<vec256::tanh>,
                               apply<vec256::relu>,
                               apply<sqrt8>,
                               exp_shift_sum,
                               max,
                               scale};

}  // namespace fastinfer::vecmath::detail
