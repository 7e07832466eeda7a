// AVX-512 attention rows: rows_impl.h on 16-lane vectors, groups of 8 query rows (8 x 32
// tiles: 16 accumulators of the 32 zmm registers).
#include <immintrin.h>

#include "kernels/attention/kernel.h"
#include "kernels/common/vec_math_avx512.h"

namespace fastinfer::attention::detail {
namespace {

struct Avx512 {
  using F = __m512;
  static constexpr int kW = 16;
  static constexpr int kMr = 8;
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
  static F broadcast(const float* p) { return _mm512_set1_ps(*p); }
  static F fmadd(F a, F b, F c) { return _mm512_fmadd_ps(a, b, c); }
  static F mul(F a, F b) { return _mm512_mul_ps(a, b); }
  static F add(F a, F b) { return _mm512_add_ps(a, b); }
  static F sub(F a, F b) { return _mm512_sub_ps(a, b); }
  static F max(F a, F b) { return _mm512_max_ps(a, b); }
  static F keep_n(F x, int64_t n, F fill) {
    return _mm512_mask_mov_ps(fill, vec512::tail_mask(n), x);
  }
  static bool any_above_n(F x, float t, int64_t n) {
    return _mm512_mask_cmp_ps_mask(vec512::tail_mask(n), x, _mm512_set1_ps(t), _CMP_GT_OQ) != 0;
  }
  static F exp(F x) { return vec512::exp(x); }
  static float reduce_max(F x) { return vec512::reduce_max(x); }
  static float reduce_add(F x) { return vec512::reduce_add(x); }
};

}  // namespace
}  // namespace fastinfer::attention::detail

#include "kernels/attention/rows_impl.h"

namespace fastinfer::attention {

const AttentionKernels kAttentionAvx512{"f32-attention-8x32-avx512",
                                        detail::attention_rows<detail::Avx512>};

}  // namespace fastinfer::attention
