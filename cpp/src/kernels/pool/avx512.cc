// AVX-512 pooling passes: rows_impl.h on 16-lane vectors; tails through k-masks.
#include <immintrin.h>

#include "kernels/common/vec_math_avx512.h"
#include "kernels/pool/kernels.h"

namespace fastinfer::pool::detail {
namespace {

struct Avx512 {
  using F = __m512;
  static constexpr int64_t kW = 16;
  static F load(const float* p) { return _mm512_loadu_ps(p); }
  static F load_n(const float* p, int64_t n) {
    return _mm512_maskz_loadu_ps(vec512::tail_mask(n), p);
  }
  static void store(float* p, F x) { _mm512_storeu_ps(p, x); }
  static void store_n(float* p, F x, int64_t n) {
    _mm512_mask_storeu_ps(p, vec512::tail_mask(n), x);
  }
  static F evens(const float* p) {
    const __m512i even =
        _mm512_setr_epi32(0, 2, 4, 6, 8, 10, 12, 14, 16, 18, 20, 22, 24, 26, 28, 30);
    return _mm512_permutex2var_ps(_mm512_loadu_ps(p), even, _mm512_loadu_ps(p + 16));
  }
  static F max(F a, F b) { return _mm512_max_ps(a, b); }
  static F add(F a, F b) { return _mm512_add_ps(a, b); }
  static F set1(float x) { return _mm512_set1_ps(x); }
  static F mul(F a, F b) { return _mm512_mul_ps(a, b); }
  static F div(F a, F b) { return _mm512_div_ps(a, b); }
  using N = __mmask16;
  static N none() { return 0; }
  static N flag_nan(N n, F x) { return n | _mm512_cmp_ps_mask(x, x, _CMP_UNORD_Q); }
  static bool any(N n) { return n != 0; }
};

}  // namespace
}  // namespace fastinfer::pool::detail

#include "kernels/pool/rows_impl.h"

namespace fastinfer::pool {

const PoolKernels kPoolAvx512 = detail::make_table<detail::Avx512>("f32-pool-avx512");

}  // namespace fastinfer::pool
