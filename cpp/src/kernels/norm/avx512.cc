// AVX-512 normalisation rows: rows_impl.h on 16-lane vectors; tails through k-masks.
#include <immintrin.h>

#include "kernels/common/vec_math_avx512.h"
#include "kernels/norm/kernels.h"

namespace fastinfer::norm::detail {
namespace {

struct Avx512 {
  using F = __m512;
  static constexpr int64_t kW = 16;
  static F zero() { return _mm512_setzero_ps(); }
  static F set1(float x) { return _mm512_set1_ps(x); }
  static F load(const float* p) { return _mm512_loadu_ps(p); }
  static F load_n(const float* p, int64_t n) {
    return _mm512_maskz_loadu_ps(vec512::tail_mask(n), p);
  }
  static void store(float* p, F x) { _mm512_storeu_ps(p, x); }
  static void store_n(float* p, F x, int64_t n) {
    _mm512_mask_storeu_ps(p, vec512::tail_mask(n), x);
  }
  static F keep_n(F x, int64_t n) { return _mm512_maskz_mov_ps(vec512::tail_mask(n), x); }
  static F add(F a, F b) { return _mm512_add_ps(a, b); }
  static F sub(F a, F b) { return _mm512_sub_ps(a, b); }
  static F mul(F a, F b) { return _mm512_mul_ps(a, b); }
  static F fmadd(F a, F b, F c) { return _mm512_fmadd_ps(a, b, c); }
  static float reduce_add(F x) { return vec512::reduce_add(x); }
};

}  // namespace
}  // namespace fastinfer::norm::detail

#include "kernels/norm/rows_impl.h"

namespace fastinfer::norm {

const NormKernels kNormAvx512 = detail::make_table<detail::Avx512>("f32-norm-avx512");

}  // namespace fastinfer::norm
