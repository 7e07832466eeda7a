// AVX2 vector math: the one implementation of exp, erf, GELU (both forms), sigmoid and tanh for
// every AVX2 kernel (GEMM epilogues, the float-math array table, softmax, attention), so a fused
// epilogue and the standalone op give the same bits. Include only from files compiled with
// AVX2 flags (avx2.cc, avx2vnni.cc); everything is static inline so no symbol compiled with
// these flags can be picked by the linker for a scalar caller.
//
// The algorithms are those of vec_math_avx512.h operation for operation (the same
// constants, the same FMAs, 2^n applied with one rounding), so the AVX2 and AVX-512 paths
// agree bit for bit lane by lane. Operand order of min/max is chosen so NaN passes
// through: maxps returns its second operand when either is NaN.
#pragma once

#include <immintrin.h>

#include <cstdint>

namespace fastinfer::vec256 {

static inline __m256 neg(__m256 x) {
  return _mm256_xor_ps(x, _mm256_castsi256_ps(_mm256_set1_epi32(INT32_MIN)));
}

// exp(a + b), where b is a small correction to a that float32 could not hold in one sum
// (erfc's -z^2 split exactly into hi + lo; 0 for plain exp): b joins after the range
// reduction, where it is not rounded against a. exp = 2^n p(r), r = a + b - n ln2 in
// [-ln2/2, ln2/2], p the Cephes degree-6 fit (relative error ~1e-7).
template <bool kCorrection>
static inline __m256 exp_impl(__m256 a, __m256 b) {
  // Below -104 the result is under the smallest denormal; above 88.8 it overflows.
  // Clamping keeps the integer conversion in range; NaN stays NaN.
  a = _mm256_max_ps(_mm256_set1_ps(-104.0f), a);
  a = _mm256_min_ps(_mm256_set1_ps(88.8f), a);
  // n from the full sum; a - n ln2 (ln2 in two parts) then loses only an ulp of |b|.
  const __m256 n = _mm256_round_ps(
      _mm256_mul_ps(kCorrection ? _mm256_add_ps(a, b) : a, _mm256_set1_ps(1.44269504088896341f)),
      _MM_FROUND_TO_NEAREST_INT | _MM_FROUND_NO_EXC);
  __m256 r = _mm256_fnmadd_ps(n, _mm256_set1_ps(0.693359375f), a);
  r = _mm256_fnmadd_ps(n, _mm256_set1_ps(-2.12194440e-4f), r);
  if (kCorrection) r = _mm256_add_ps(r, b);
  __m256 p = _mm256_set1_ps(1.9875691500e-4f);
  p = _mm256_fmadd_ps(p, r, _mm256_set1_ps(1.3981999507e-3f));
  p = _mm256_fmadd_ps(p, r, _mm256_set1_ps(8.3334519073e-3f));
  p = _mm256_fmadd_ps(p, r, _mm256_set1_ps(4.1665795894e-2f));
  p = _mm256_fmadd_ps(p, r, _mm256_set1_ps(1.6666665459e-1f));
  p = _mm256_fmadd_ps(p, r, _mm256_set1_ps(5.0000001201e-1f));
  p = _mm256_fmadd_ps(p, _mm256_mul_ps(r, r), _mm256_add_ps(r, _mm256_set1_ps(1.0f)));
  // 2^n for n in [-150, 128] as 2^n1 * 2^n2 with both halves normal floats: p * 2^n1 is
  // exact, so the second product rounds once, into the denormals or to inf where the
  // true result lies (what vscalefps does on AVX-512).
  const __m256i ni = _mm256_cvtps_epi32(n);
  const __m256i n1 = _mm256_srai_epi32(ni, 1);
  const __m256i n2 = _mm256_sub_epi32(ni, n1);
  const __m256i bias = _mm256_set1_epi32(127);
  const __m256 s1 = _mm256_castsi256_ps(_mm256_slli_epi32(_mm256_add_epi32(n1, bias), 23));
  const __m256 s2 = _mm256_castsi256_ps(_mm256_slli_epi32(_mm256_add_epi32(n2, bias), 23));
  return _mm256_mul_ps(_mm256_mul_ps(p, s1), s2);
}

static inline __m256 exp(__m256 a, __m256 b) { return exp_impl<true>(a, b); }

// exp(x): the same operations without the correction's two additions (a + 0 would
// round -0 to +0 and change nothing else), which softmax and sigmoid use.
static inline __m256 exp(__m256 x) { return exp_impl<false>(x, x); }

// erf(x) as a rational function on [-4, 4] (the Eigen/XLA fit, x p(x^2) / q(x^2), a few
// ulp); outside that range erf is +-1 in float32. x multiplies the quotient last, so a
// denormal x (erf(x) ~ 1.13 x) rounds once.
static inline __m256 erf(__m256 x) {
  const __m256 c = _mm256_min_ps(_mm256_max_ps(x, _mm256_set1_ps(-4.0f)), _mm256_set1_ps(4.0f));
  const __m256 x2 = _mm256_mul_ps(c, c);
  __m256 p = _mm256_set1_ps(-2.72614225801306e-10f);
  p = _mm256_fmadd_ps(p, x2, _mm256_set1_ps(2.77068142495902e-08f));
  p = _mm256_fmadd_ps(p, x2, _mm256_set1_ps(-2.10102402082508e-06f));
  p = _mm256_fmadd_ps(p, x2, _mm256_set1_ps(-5.69250639462346e-05f));
  p = _mm256_fmadd_ps(p, x2, _mm256_set1_ps(-7.34990630326855e-04f));
  p = _mm256_fmadd_ps(p, x2, _mm256_set1_ps(-2.95459980854025e-03f));
  p = _mm256_fmadd_ps(p, x2, _mm256_set1_ps(-1.60960333262415e-02f));
  __m256 q = _mm256_set1_ps(-1.45660718464996e-05f);
  q = _mm256_fmadd_ps(q, x2, _mm256_set1_ps(-2.13374055278905e-04f));
  q = _mm256_fmadd_ps(q, x2, _mm256_set1_ps(-1.68282697438203e-03f));
  q = _mm256_fmadd_ps(q, x2, _mm256_set1_ps(-7.37332916720468e-03f));
  q = _mm256_fmadd_ps(q, x2, _mm256_set1_ps(-1.42647390514189e-02f));
  // The clamps dropped NaN (maxps(x, c) keeps c); put NaN lanes back.
  const __m256 y = _mm256_mul_ps(c, _mm256_div_ps(p, q));
  return _mm256_blendv_ps(y, x, _mm256_cmp_ps(x, x, _CMP_UNORD_Q));
}

// erfc(z) for z >= 0 to ~2e-7 relative (Numerical Recipes' erfcc Chebyshev fit), given
// z * z as an exact hi + lo pair so that exp(-z^2 + p) keeps its relative accuracy for
// large z (rounding z^2 to float would cost ~z^2 * 6e-8).
static inline __m256 erfc_pos(__m256 z, __m256 hi, __m256 lo) {
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
  return _mm256_mul_ps(t, exp(neg(hi), _mm256_sub_ps(p, lo)));
}

// Exact GELU, x Phi(x) = 0.5 x erfc(-x / sqrt2). For x >= 0 that is 0.5 x (1 + erf(x /
// sqrt2)); for x < 0 erfc is evaluated directly, because 1 + erf cancels to nothing in the
// tail (relative accuracy ~1e-6 down to x = -13, where the result underflows).
static inline __m256 gelu(__m256 x) {
  const __m256 half = _mm256_set1_ps(0.5f);
  const __m256 t = _mm256_mul_ps(x, _mm256_set1_ps(0.70710678118654752f));
  const __m256 pos = _mm256_add_ps(_mm256_set1_ps(1.0f), erf(t));
  const __m256 neg_lanes = _mm256_cmp_ps(t, _mm256_setzero_ps(), _CMP_LT_OQ);
  if (_mm256_movemask_ps(neg_lanes) == 0) return _mm256_mul_ps(_mm256_mul_ps(half, x), pos);
  // (x / sqrt2)^2 = x^2 / 2 exactly as hi + lo from x itself, not from the rounded t. Below
  // x = -16 erfc is 0 in float32; the clamp keeps x^2 finite (an inf would give inf - inf).
  const __m256 xc = _mm256_max_ps(x, _mm256_set1_ps(-16.0f));
  const __m256 xx = _mm256_mul_ps(xc, xc);
  const __m256 hi = _mm256_mul_ps(xx, half);
  const __m256 lo = _mm256_mul_ps(_mm256_fmsub_ps(xc, xc, xx), half);
  const __m256 tail = erfc_pos(_mm256_mul_ps(xc, _mm256_set1_ps(-0.70710678118654752f)), hi, lo);
  return _mm256_mul_ps(_mm256_mul_ps(half, x), _mm256_blendv_ps(pos, tail, neg_lanes));
}

// The tanh GELU (fastinfer/activation.h's gelu_tanh_ref) as x sigmoid(2u): with a = |2u| =
// 2 sqrt(2/pi) |x| (1 + 0.044715 x^2) and e = exp(-a), x / (1 + e) for x >= 0 and x e / (1 + e)
// for x < 0, one exp and one division. a carries the float32 rounding of its four operations
// into the exp, up to 2.2a ulp of relative error in the negative tail (a = 17 at x = -5, where
// the result is -2e-7); float32 0.5 x (1 + tanh(u)), as onnxruntime and torch compute it,
// loses every digit there instead (1 + tanh(u) cancels to 0).
static inline __m256 gelu_tanh(__m256 x) {
  const __m256 one = _mm256_set1_ps(1.0f);
  const __m256 ax = _mm256_andnot_ps(_mm256_castsi256_ps(_mm256_set1_epi32(INT32_MIN)), x);
  const __m256 p = _mm256_fmadd_ps(_mm256_set1_ps(0.044715f), _mm256_mul_ps(x, x), one);
  const __m256 a = _mm256_mul_ps(_mm256_mul_ps(ax, _mm256_set1_ps(1.5957691216057308f)), p);
  const __m256 e = exp(neg(a));
  // x < 0 is false for NaN, which then passes through as x / (1 + NaN).
  const __m256 num =
      _mm256_blendv_ps(x, _mm256_mul_ps(x, e), _mm256_cmp_ps(x, _mm256_setzero_ps(), _CMP_LT_OQ));
  return _mm256_div_ps(num, _mm256_add_ps(one, e));
}

// With e = exp(-|x|): 1 / (1 + e) for x >= 0 and e / (1 + e) for x < 0, which keeps the
// denormal results of x in [-103, -87.3] that 1 / (1 + exp(-x)) loses to an overflow.
static inline __m256 sigmoid(__m256 x) {
  const __m256 one = _mm256_set1_ps(1.0f);
  const __m256 sign = _mm256_castsi256_ps(_mm256_set1_epi32(INT32_MIN));
  const __m256 e = exp(_mm256_or_ps(x, sign));
  const __m256 num = _mm256_blendv_ps(one, e, _mm256_cmp_ps(x, _mm256_setzero_ps(), _CMP_LT_OQ));
  return _mm256_div_ps(num, _mm256_add_ps(one, e));
}

// SiLU, x sigmoid(x): the product of x and sigmoid's own result, so the fused op gives
// the bits of the Sigmoid and Mul it replaces.
static inline __m256 silu(__m256 x) { return _mm256_mul_ps(x, sigmoid(x)); }

// Cephes tanhf: an odd polynomial below |x| = 0.625, else 1 - 2 / (exp(2|x|) + 1), which
// no longer cancels there (the result is above 0.55).
static inline __m256 tanh(__m256 x) {
  const __m256 one = _mm256_set1_ps(1.0f);
  const __m256 sign = _mm256_castsi256_ps(_mm256_set1_epi32(INT32_MIN));
  const __m256 ax = _mm256_andnot_ps(sign, x);
  const __m256 big = _mm256_sub_ps(
      one, _mm256_div_ps(_mm256_set1_ps(2.0f), _mm256_add_ps(exp(_mm256_add_ps(ax, ax)), one)));
  const __m256 z = _mm256_mul_ps(x, x);
  __m256 p = _mm256_set1_ps(-5.70498872745e-3f);
  p = _mm256_fmadd_ps(p, z, _mm256_set1_ps(2.06390887954e-2f));
  p = _mm256_fmadd_ps(p, z, _mm256_set1_ps(-5.37397155531e-2f));
  p = _mm256_fmadd_ps(p, z, _mm256_set1_ps(1.33314422036e-1f));
  p = _mm256_fmadd_ps(p, z, _mm256_set1_ps(-3.33332819422e-1f));
  const __m256 small = _mm256_fmadd_ps(_mm256_mul_ps(p, z), x, x);
  // Copy x's sign onto the large branch; NaN fails the compare and takes `small` (NaN).
  const __m256 signed_big = _mm256_or_ps(big, _mm256_and_ps(x, sign));
  return _mm256_blendv_ps(small, signed_big, _mm256_cmp_ps(ax, _mm256_set1_ps(0.625f), _CMP_GE_OQ));
}

// max(0, x) and not max(x, 0): maxps returns its second operand when either is NaN, and NaN
// must pass through an activation as it does in onnxruntime and numpy.
static inline __m256 relu(__m256 x) { return _mm256_max_ps(_mm256_setzero_ps(), x); }

// Horizontal sum and max of the 8 lanes (max skips NaN lanes, as std::max(m, x) does).
static inline float reduce_add(__m256 v) {
  __m128 s = _mm_add_ps(_mm256_castps256_ps128(v), _mm256_extractf128_ps(v, 1));
  s = _mm_add_ps(s, _mm_movehl_ps(s, s));
  s = _mm_add_ss(s, _mm_movehdup_ps(s));
  return _mm_cvtss_f32(s);
}
static inline float reduce_max(__m256 v) {
  __m128 s = _mm_max_ps(_mm256_castps256_ps128(v), _mm256_extractf128_ps(v, 1));
  s = _mm_max_ps(s, _mm_movehl_ps(s, s));
  s = _mm_max_ss(s, _mm_movehdup_ps(s));
  return _mm_cvtss_f32(s);
}

// Lane j is active (all ones) when j < n, for maskload / maskstore of a tail.
static inline __m256i tail_mask(int64_t n) {
  return _mm256_cmpgt_epi32(_mm256_set1_epi32(static_cast<int>(n)),
                            _mm256_setr_epi32(0, 1, 2, 3, 4, 5, 6, 7));
}

}  // namespace fastinfer::vec256
