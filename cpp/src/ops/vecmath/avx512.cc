// AVX-512 array math. exp is 2^n * p(r) with r = x - n ln2 in [-ln2/2, ln2/2] and a
// degree-6 polynomial (Cephes; relative error ~1e-7), 2^n applied by vscalefps, which
// also handles overflow to inf and underflow through the denormals. erf is the rational
// fit in vec_math_avx512.h. Operand order of min/max is chosen so NaN passes through
// (vmaxps returns its second operand when either is NaN).
#include <immintrin.h>

#include <cstdint>

#include "kernels/common/vec_math_avx512.h"
#include "ops/vecmath/float_math.h"

namespace fastinfer::ops::detail {
namespace {

// exp(a + b) where b is a small correction to a that float32 could not hold in one sum
// (erfc's -z^2 split exactly into hi + lo): b joins after the range reduction, where it
// is not rounded against a.
inline __m512 exp16(__m512 a, __m512 b) {
  // Below -104 the result is under the smallest denormal; above 88.8 it overflows. Clamping
  // keeps the integer conversion in range.
  a = _mm512_max_ps(_mm512_set1_ps(-104.0f), a);
  a = _mm512_min_ps(_mm512_set1_ps(88.8f), a);
  // n from the full sum so r lands in [-ln2/2, ln2/2]; a - n ln2 then loses only an ulp
  // of |b| (b is at most ~2 here).
  const __m512 n =
      _mm512_roundscale_ps(_mm512_mul_ps(_mm512_add_ps(a, b), _mm512_set1_ps(1.44269504088896341f)),
                           _MM_FROUND_TO_NEAREST_INT | _MM_FROUND_NO_EXC);
  __m512 r = _mm512_fnmadd_ps(n, _mm512_set1_ps(0.693359375f), a);
  r = _mm512_fnmadd_ps(n, _mm512_set1_ps(-2.12194440e-4f), r);
  r = _mm512_add_ps(r, b);
  __m512 p = _mm512_set1_ps(1.9875691500e-4f);
  p = _mm512_fmadd_ps(p, r, _mm512_set1_ps(1.3981999507e-3f));
  p = _mm512_fmadd_ps(p, r, _mm512_set1_ps(8.3334519073e-3f));
  p = _mm512_fmadd_ps(p, r, _mm512_set1_ps(4.1665795894e-2f));
  p = _mm512_fmadd_ps(p, r, _mm512_set1_ps(1.6666665459e-1f));
  p = _mm512_fmadd_ps(p, r, _mm512_set1_ps(5.0000001201e-1f));
  p = _mm512_fmadd_ps(p, _mm512_mul_ps(r, r), _mm512_add_ps(r, _mm512_set1_ps(1.0f)));
  return _mm512_scalef_ps(p, n);
}

inline __m512 exp16(__m512 x) { return exp16(x, _mm512_setzero_ps()); }

inline __m512 erf16(__m512 x) {
  // The shared fit clamps with NaN-dropping operand order; put NaN lanes back.
  const __mmask16 nan = _mm512_cmp_ps_mask(x, x, _CMP_UNORD_Q);
  return _mm512_mask_mov_ps(vec512::erf(x), nan, x);
}

// erfc(z) for z >= 0 to ~2e-7 relative (Numerical Recipes' erfcc Chebyshev fit), given
// z * z as an exact hi + lo pair so that exp(-z^2 + p) keeps its relative accuracy for
// large z (rounding z^2 to float would cost ~z^2 * 6e-8).
inline __m512 erfc_pos16(__m512 z, __m512 hi, __m512 lo) {
  const __m512 one = _mm512_set1_ps(1.0f);
  const __m512 t = _mm512_div_ps(one, _mm512_fmadd_ps(_mm512_set1_ps(0.5f), z, one));
  __m512 p = _mm512_set1_ps(0.17087277f);
  p = _mm512_fmadd_ps(p, t, _mm512_set1_ps(-0.82215223f));
  p = _mm512_fmadd_ps(p, t, _mm512_set1_ps(1.48851587f));
  p = _mm512_fmadd_ps(p, t, _mm512_set1_ps(-1.13520398f));
  p = _mm512_fmadd_ps(p, t, _mm512_set1_ps(0.27886807f));
  p = _mm512_fmadd_ps(p, t, _mm512_set1_ps(-0.18628806f));
  p = _mm512_fmadd_ps(p, t, _mm512_set1_ps(0.09678418f));
  p = _mm512_fmadd_ps(p, t, _mm512_set1_ps(0.37409196f));
  p = _mm512_fmadd_ps(p, t, _mm512_set1_ps(1.00002368f));
  p = _mm512_fmadd_ps(p, t, _mm512_set1_ps(-1.26551223f));
  return _mm512_mul_ps(t, exp16(_mm512_sub_ps(_mm512_setzero_ps(), hi), _mm512_sub_ps(p, lo)));
}

// gelu(x) = 0.5 x erfc(-x / sqrt2). For x >= 0 that is 0.5 x (1 + erf(x / sqrt2)); for
// x < 0 erfc is evaluated directly, because 1 + erf cancels to nothing in the tail.
inline __m512 gelu16(__m512 x) {
  const __m512 t = _mm512_mul_ps(x, _mm512_set1_ps(0.70710678118654752f));
  const __m512 pos = _mm512_add_ps(_mm512_set1_ps(1.0f), erf16(t));
  const __mmask16 neg = _mm512_cmp_ps_mask(t, _mm512_setzero_ps(), _CMP_LT_OQ);
  if (!neg) return _mm512_mul_ps(_mm512_mul_ps(_mm512_set1_ps(0.5f), x), pos);
  // (x / sqrt2)^2 = x^2 / 2 exactly as hi + lo from x itself, not from the rounded t.
  const __m512 half = _mm512_set1_ps(0.5f);
  const __m512 xx = _mm512_mul_ps(x, x);
  const __m512 hi = _mm512_mul_ps(xx, half);
  const __m512 lo = _mm512_mul_ps(_mm512_fmsub_ps(x, x, xx), half);
  const __m512 tail = erfc_pos16(_mm512_sub_ps(_mm512_setzero_ps(), t), hi, lo);
  return _mm512_mul_ps(_mm512_mul_ps(half, x), _mm512_mask_mov_ps(pos, neg, tail));
}

inline __m512 sigmoid16(__m512 x) {
  const __m512 one = _mm512_set1_ps(1.0f);
  return _mm512_div_ps(one, _mm512_add_ps(one, exp16(_mm512_sub_ps(_mm512_setzero_ps(), x))));
}

// Cephes tanhf: an odd polynomial below |x| = 0.625, else 1 - 2 / (exp(2|x|) + 1), which
// no longer cancels there (the result is above 0.55).
inline __m512 tanh16(__m512 x) {
  const __m512 one = _mm512_set1_ps(1.0f);
  const __m512 ax = _mm512_abs_ps(x);
  const __m512 big = _mm512_sub_ps(
      one, _mm512_div_ps(_mm512_set1_ps(2.0f), _mm512_add_ps(exp16(_mm512_add_ps(ax, ax)), one)));
  const __m512 z = _mm512_mul_ps(x, x);
  __m512 p = _mm512_set1_ps(-5.70498872745e-3f);
  p = _mm512_fmadd_ps(p, z, _mm512_set1_ps(2.06390887954e-2f));
  p = _mm512_fmadd_ps(p, z, _mm512_set1_ps(-5.37397155531e-2f));
  p = _mm512_fmadd_ps(p, z, _mm512_set1_ps(1.33314422036e-1f));
  p = _mm512_fmadd_ps(p, z, _mm512_set1_ps(-3.33332819422e-1f));
  const __m512 small = _mm512_fmadd_ps(_mm512_mul_ps(p, z), x, x);
  // Copy x's sign onto the large branch; NaN fails the compare and takes `small` (NaN).
  const __m512 signed_big =
      _mm512_or_ps(big, _mm512_and_ps(x, _mm512_castsi512_ps(_mm512_set1_epi32(INT32_MIN))));
  const __mmask16 large = _mm512_cmp_ps_mask(ax, _mm512_set1_ps(0.625f), _CMP_GE_OQ);
  return _mm512_mask_mov_ps(small, large, signed_big);
}

// max(0, x) with x second: vmaxps returns the second operand when either is NaN.
inline __m512 relu16(__m512 x) { return _mm512_max_ps(_mm512_setzero_ps(), x); }
inline __m512 sqrt16(__m512 x) { return _mm512_sqrt_ps(x); }

inline __mmask16 tail_mask(int64_t left) { return static_cast<__mmask16>((1u << left) - 1); }

template <__m512 (*F)(__m512)>
void apply(const float* x, float* y, int64_t n) {
  int64_t i = 0;
  for (; i + 16 <= n; i += 16) _mm512_storeu_ps(y + i, F(_mm512_loadu_ps(x + i)));
  if (i < n) {
    const __mmask16 m = tail_mask(n - i);
    _mm512_mask_storeu_ps(y + i, m, F(_mm512_maskz_loadu_ps(m, x + i)));
  }
}

float exp_shift_sum(const float* x, float* y, int64_t n, float shift) {
  const __m512 s = _mm512_set1_ps(shift);
  __m512 acc0 = _mm512_setzero_ps(), acc1 = _mm512_setzero_ps();
  int64_t i = 0;
  for (; i + 32 <= n; i += 32) {  // two chains: exp latency, not throughput, bounds one
    const __m512 e0 = exp16(_mm512_sub_ps(_mm512_loadu_ps(x + i), s));
    const __m512 e1 = exp16(_mm512_sub_ps(_mm512_loadu_ps(x + i + 16), s));
    _mm512_storeu_ps(y + i, e0);
    _mm512_storeu_ps(y + i + 16, e1);
    acc0 = _mm512_add_ps(acc0, e0);
    acc1 = _mm512_add_ps(acc1, e1);
  }
  for (; i < n; i += 16) {
    const __mmask16 m = n - i >= 16 ? static_cast<__mmask16>(0xFFFF) : tail_mask(n - i);
    const __m512 e = exp16(_mm512_sub_ps(_mm512_maskz_loadu_ps(m, x + i), s));
    _mm512_mask_storeu_ps(y + i, m, e);
    acc0 = _mm512_add_ps(acc0, _mm512_maskz_mov_ps(m, e));
  }
  // By hand: GCC 12's _mm512_reduce_add_ps trips -Wuninitialized inside its own header.
  alignas(64) float lanes[16];
  _mm512_store_ps(lanes, _mm512_add_ps(acc0, acc1));
  float sum = 0.0f;
  for (float l : lanes) sum += l;
  return sum;
}

}  // namespace

const FloatMath kFloatMathAvx512{"f32-math-avx512", apply<exp16>,     apply<erf16>,
                                 apply<gelu16>,     apply<sigmoid16>, apply<tanh16>,
                                 apply<relu16>,     apply<sqrt16>,    exp_shift_sum};

}  // namespace fastinfer::ops::detail
