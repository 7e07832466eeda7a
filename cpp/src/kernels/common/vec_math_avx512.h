// AVX-512 vector math shared by the epilogues. Include only from files compiled with
// AVX-512 flags (avx512.cc, avx512vnni.cc); everything is static inline so no symbol
// compiled with these flags can be picked by the linker for a scalar caller.
#pragma once

#include <immintrin.h>

namespace fastinfer::vec512 {

// erf(x) as a rational function on [-4, 4] (the Eigen/XLA fit, error within a few ulp);
// outside that range erf is +-1 in float32.
static inline __m512 erf(__m512 x) {
  x = _mm512_min_ps(_mm512_max_ps(x, _mm512_set1_ps(-4.0f)), _mm512_set1_ps(4.0f));
  const __m512 x2 = _mm512_mul_ps(x, x);
  __m512 p = _mm512_set1_ps(-2.72614225801306e-10f);
  p = _mm512_fmadd_ps(p, x2, _mm512_set1_ps(2.77068142495902e-08f));
  p = _mm512_fmadd_ps(p, x2, _mm512_set1_ps(-2.10102402082508e-06f));
  p = _mm512_fmadd_ps(p, x2, _mm512_set1_ps(-5.69250639462346e-05f));
  p = _mm512_fmadd_ps(p, x2, _mm512_set1_ps(-7.34990630326855e-04f));
  p = _mm512_fmadd_ps(p, x2, _mm512_set1_ps(-2.95459980854025e-03f));
  p = _mm512_fmadd_ps(p, x2, _mm512_set1_ps(-1.60960333262415e-02f));
  p = _mm512_mul_ps(p, x);
  __m512 q = _mm512_set1_ps(-1.45660718464996e-05f);
  q = _mm512_fmadd_ps(q, x2, _mm512_set1_ps(-2.13374055278905e-04f));
  q = _mm512_fmadd_ps(q, x2, _mm512_set1_ps(-1.68282697438203e-03f));
  q = _mm512_fmadd_ps(q, x2, _mm512_set1_ps(-7.37332916720468e-03f));
  q = _mm512_fmadd_ps(q, x2, _mm512_set1_ps(-1.42647390514189e-02f));
  return _mm512_div_ps(p, q);
}

static inline __m512 gelu(__m512 x) {
  const __m512 e = erf(_mm512_mul_ps(x, _mm512_set1_ps(0.70710678118654752f)));
  return _mm512_mul_ps(_mm512_mul_ps(_mm512_set1_ps(0.5f), x),
                       _mm512_add_ps(_mm512_set1_ps(1.0f), e));
}

// max(0, x) and not max(x, 0): maxps returns its second operand when either is NaN, and NaN
// must pass through an activation as it does in onnxruntime and numpy.
static inline __m512 relu(__m512 x) { return _mm512_max_ps(_mm512_setzero_ps(), x); }

}  // namespace fastinfer::vec512
