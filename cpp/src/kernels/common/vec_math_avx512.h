// AVX-512 vector math: the one implementation of exp, erf, GELU (both forms), sigmoid and tanh for
// every AVX-512 kernel (GEMM epilogues, the float-math array table, softmax, attention), so a fused
// epilogue and the standalone op give the same bits. Include only from files compiled with AVX-512
// flags (avx512.cc, avx512vnni.cc); everything is static inline so no symbol compiled with these
// flags can be picked by the linker for a scalar caller.
//
// vec_math_avx2.h is the same algorithm operation for operation; the two paths agree bit
// for bit lane by lane. Operand order of min/max is chosen so NaN passes through: vmaxps
// returns its second operand when either is NaN.
#pragma once

#include <immintrin.h>

#include <cstdint>

namespace fastinfer::vec512 {

static inline __m512 neg(__m512 x) {
  return _mm512_castsi512_ps(
      _mm512_xor_si512(_mm512_castps_si512(x), _mm512_set1_epi32(INT32_MIN)));
}

// exp(a + b), where b is a small correction to a that float32 could not hold in one sum
// (erfc's -z^2 split exactly into hi + lo; 0 for plain exp): b joins after the range
// reduction, where it is not rounded against a. exp = 2^n p(r), r = a + b - n ln2 in
// [-ln2/2, ln2/2], p the Cephes degree-6 fit (relative error ~1e-7); vscalefps applies 2^n
// with one rounding, into the denormals or to inf where the true result lies.
template <bool kCorrection>
static inline __m512 exp_impl(__m512 a, __m512 b) {
  // Below -104 the result is under the smallest denormal; above 88.8 it overflows.
  // Clamping keeps n in range; NaN stays NaN.
  a = _mm512_max_ps(_mm512_set1_ps(-104.0f), a);
  a = _mm512_min_ps(_mm512_set1_ps(88.8f), a);
  // n from the full sum; a - n ln2 (ln2 in two parts) then loses only an ulp of |b|.
  const __m512 n = _mm512_roundscale_ps(
      _mm512_mul_ps(kCorrection ? _mm512_add_ps(a, b) : a, _mm512_set1_ps(1.44269504088896341f)),
      _MM_FROUND_TO_NEAREST_INT | _MM_FROUND_NO_EXC);
  __m512 r = _mm512_fnmadd_ps(n, _mm512_set1_ps(0.693359375f), a);
  r = _mm512_fnmadd_ps(n, _mm512_set1_ps(-2.12194440e-4f), r);
  if (kCorrection) r = _mm512_add_ps(r, b);
  __m512 p = _mm512_set1_ps(1.9875691500e-4f);
  p = _mm512_fmadd_ps(p, r, _mm512_set1_ps(1.3981999507e-3f));
  p = _mm512_fmadd_ps(p, r, _mm512_set1_ps(8.3334519073e-3f));
  p = _mm512_fmadd_ps(p, r, _mm512_set1_ps(4.1665795894e-2f));
  p = _mm512_fmadd_ps(p, r, _mm512_set1_ps(1.6666665459e-1f));
  p = _mm512_fmadd_ps(p, r, _mm512_set1_ps(5.0000001201e-1f));
  p = _mm512_fmadd_ps(p, _mm512_mul_ps(r, r), _mm512_add_ps(r, _mm512_set1_ps(1.0f)));
  return _mm512_scalef_ps(p, n);
}

static inline __m512 exp(__m512 a, __m512 b) { return exp_impl<true>(a, b); }

// exp(x): the same operations without the correction's two additions (a + 0 would
// round -0 to +0 and change nothing else), which softmax and sigmoid use.
static inline __m512 exp(__m512 x) { return exp_impl<false>(x, x); }

// erf(x) as a rational function on [-4, 4] (the Eigen/XLA fit, x p(x^2) / q(x^2), a few
// ulp); outside that range erf is +-1 in float32. x multiplies the quotient last, so a
// denormal x (erf(x) ~ 1.13 x) rounds once.
static inline __m512 erf(__m512 x) {
  const __m512 c = _mm512_min_ps(_mm512_max_ps(x, _mm512_set1_ps(-4.0f)), _mm512_set1_ps(4.0f));
  const __m512 x2 = _mm512_mul_ps(c, c);
  __m512 p = _mm512_set1_ps(-2.72614225801306e-10f);
  p = _mm512_fmadd_ps(p, x2, _mm512_set1_ps(2.77068142495902e-08f));
  p = _mm512_fmadd_ps(p, x2, _mm512_set1_ps(-2.10102402082508e-06f));
  p = _mm512_fmadd_ps(p, x2, _mm512_set1_ps(-5.69250639462346e-05f));
  p = _mm512_fmadd_ps(p, x2, _mm512_set1_ps(-7.34990630326855e-04f));
  p = _mm512_fmadd_ps(p, x2, _mm512_set1_ps(-2.95459980854025e-03f));
  p = _mm512_fmadd_ps(p, x2, _mm512_set1_ps(-1.60960333262415e-02f));
  __m512 q = _mm512_set1_ps(-1.45660718464996e-05f);
  q = _mm512_fmadd_ps(q, x2, _mm512_set1_ps(-2.13374055278905e-04f));
  q = _mm512_fmadd_ps(q, x2, _mm512_set1_ps(-1.68282697438203e-03f));
  q = _mm512_fmadd_ps(q, x2, _mm512_set1_ps(-7.37332916720468e-03f));
  q = _mm512_fmadd_ps(q, x2, _mm512_set1_ps(-1.42647390514189e-02f));
  // The clamps dropped NaN (vmaxps(x, c) keeps c); put NaN lanes back.
  const __mmask16 nan = _mm512_cmp_ps_mask(x, x, _CMP_UNORD_Q);
  return _mm512_mask_mov_ps(_mm512_mul_ps(c, _mm512_div_ps(p, q)), nan, x);
}

// erfc(z) for z >= 0 to ~2e-7 relative (Numerical Recipes' erfcc Chebyshev fit), given
// z * z as an exact hi + lo pair so that exp(-z^2 + p) keeps its relative accuracy for
// large z (rounding z^2 to float would cost ~z^2 * 6e-8).
static inline __m512 erfc_pos(__m512 z, __m512 hi, __m512 lo) {
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
  return _mm512_mul_ps(t, exp(neg(hi), _mm512_sub_ps(p, lo)));
}

// Exact GELU, x Phi(x) = 0.5 x erfc(-x / sqrt2). For x >= 0 that is 0.5 x (1 + erf(x /
// sqrt2)); for x < 0 erfc is evaluated directly, because 1 + erf cancels to nothing in the
// tail (relative accuracy ~1e-6 down to x = -13, where the result underflows).
static inline __m512 gelu(__m512 x) {
  const __m512 half = _mm512_set1_ps(0.5f);
  const __m512 t = _mm512_mul_ps(x, _mm512_set1_ps(0.70710678118654752f));
  const __m512 pos = _mm512_add_ps(_mm512_set1_ps(1.0f), erf(t));
  const __mmask16 neg_lanes = _mm512_cmp_ps_mask(t, _mm512_setzero_ps(), _CMP_LT_OQ);
  if (!neg_lanes) return _mm512_mul_ps(_mm512_mul_ps(half, x), pos);
  // (x / sqrt2)^2 = x^2 / 2 exactly as hi + lo from x itself, not from the rounded t. Below
  // x = -16 erfc is 0 in float32; the clamp keeps x^2 finite (an inf would give inf - inf).
  const __m512 xc = _mm512_max_ps(x, _mm512_set1_ps(-16.0f));
  const __m512 xx = _mm512_mul_ps(xc, xc);
  const __m512 hi = _mm512_mul_ps(xx, half);
  const __m512 lo = _mm512_mul_ps(_mm512_fmsub_ps(xc, xc, xx), half);
  const __m512 tail = erfc_pos(_mm512_mul_ps(xc, _mm512_set1_ps(-0.70710678118654752f)), hi, lo);
  return _mm512_mul_ps(_mm512_mul_ps(half, x), _mm512_mask_mov_ps(pos, neg_lanes, tail));
}

// The tanh GELU as x sigmoid(2u), the algorithm of vec_math_avx2.h's gelu_tanh (see there).
static inline __m512 gelu_tanh(__m512 x) {
  const __m512 one = _mm512_set1_ps(1.0f);
  const __m512 p = _mm512_fmadd_ps(_mm512_set1_ps(0.044715f), _mm512_mul_ps(x, x), one);
  const __m512 a =
      _mm512_mul_ps(_mm512_mul_ps(_mm512_abs_ps(x), _mm512_set1_ps(1.5957691216057308f)), p);
  const __m512 e = exp(neg(a));
  const __mmask16 negative = _mm512_cmp_ps_mask(x, _mm512_setzero_ps(), _CMP_LT_OQ);
  return _mm512_div_ps(_mm512_mask_mul_ps(x, negative, x, e), _mm512_add_ps(one, e));
}

// With e = exp(-|x|): 1 / (1 + e) for x >= 0 and e / (1 + e) for x < 0, which keeps the
// denormal results of x in [-103, -87.3] that 1 / (1 + exp(-x)) loses to an overflow.
static inline __m512 sigmoid(__m512 x) {
  const __m512 one = _mm512_set1_ps(1.0f);
  const __m512 e = exp(neg(_mm512_abs_ps(x)));
  const __mmask16 negative = _mm512_cmp_ps_mask(x, _mm512_setzero_ps(), _CMP_LT_OQ);
  return _mm512_div_ps(_mm512_mask_mov_ps(one, negative, e), _mm512_add_ps(one, e));
}

// SiLU, x sigmoid(x): the product of x and sigmoid's own result, so the fused op gives
// the bits of the Sigmoid and Mul it replaces.
static inline __m512 silu(__m512 x) { return _mm512_mul_ps(x, sigmoid(x)); }

// Cephes tanhf: an odd polynomial below |x| = 0.625, else 1 - 2 / (exp(2|x|) + 1), which
// no longer cancels there (the result is above 0.55).
static inline __m512 tanh(__m512 x) {
  const __m512 one = _mm512_set1_ps(1.0f);
  const __m512 ax = _mm512_abs_ps(x);
  const __m512 big = _mm512_sub_ps(
      one, _mm512_div_ps(_mm512_set1_ps(2.0f), _mm512_add_ps(exp(_mm512_add_ps(ax, ax)), one)));
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

// max(0, x) and not max(x, 0): maxps returns its second operand when either is NaN, and NaN
// must pass through an activation as it does in onnxruntime and numpy.
static inline __m512 relu(__m512 x) { return _mm512_max_ps(_mm512_setzero_ps(), x); }

// Horizontal sum and max of the 16 lanes, by hand: GCC 12's _mm512_reduce_add_ps trips
// -Wuninitialized inside its own header. max skips NaN lanes, as std::max(m, x) does.
static inline float reduce_add(__m512 v) {
  // The upper 256 bits swapped down by a shuffle, not extracted: GCC 12's extract
  // intrinsic trips -Wuninitialized in its own header. Same operands, same bits.
  const __m512 hi = _mm512_shuffle_f32x4(v, v, _MM_SHUFFLE(1, 0, 3, 2));
  const __m256 h = _mm512_castps512_ps256(_mm512_add_ps(v, hi));
  __m128 s = _mm_add_ps(_mm256_castps256_ps128(h), _mm256_extractf128_ps(h, 1));
  s = _mm_add_ps(s, _mm_movehl_ps(s, s));
  s = _mm_add_ss(s, _mm_movehdup_ps(s));
  return _mm_cvtss_f32(s);
}
static inline float reduce_max(__m512 v) {
  // The upper 256 bits swapped down by a shuffle, not extracted: GCC 12's extract
  // intrinsic trips -Wuninitialized in its own header. Same operands, same bits.
  const __m512 hi = _mm512_shuffle_f32x4(v, v, _MM_SHUFFLE(1, 0, 3, 2));
  const __m256 h = _mm512_castps512_ps256(_mm512_max_ps(v, hi));
  __m128 s = _mm_max_ps(_mm256_castps256_ps128(h), _mm256_extractf128_ps(h, 1));
  s = _mm_max_ps(s, _mm_movehl_ps(s, s));
  s = _mm_max_ss(s, _mm_movehdup_ps(s));
  return _mm_cvtss_f32(s);
}

// The low n lanes, for masked loads and stores of a tail (0 <= n <= 16).
static inline __mmask16 tail_mask(int64_t n) {
  return static_cast<__mmask16>((1u << static_cast<unsigned>(n)) - 1u);
}

}  // namespace fastinfer::vec512
