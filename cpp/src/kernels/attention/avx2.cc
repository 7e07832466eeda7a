// AVX2 attention rows: rows_impl.h on 8-lane vectors, groups of 6 query rows (a 6 x 16
// tile is 12 accumulators, the most 16 ymm registers hold with the operands).
#include <immintrin.h>

#include "kernels/attention/kernel.h"
#include "kernels/common/vec_math_avx2.h"

namespace fastinfer::attention::detail {
namespace {

struct Avx2 {
  using F = __m256;
  static constexpr int kW = 8;
  static constexpr int kMr = 6;
  static F zero() { return _mm256_setzero_ps(); }
  static F set1(float x) { return _mm256_set1_ps(x); }
  static F load(const float* p) { return _mm256_loadu_ps(p); }
  static F load_n(const float* p, int64_t n) { return _mm256_maskload_ps(p, vec256::tail_mask(n)); }
  static void store(float* p, F x) { _mm256_storeu_ps(p, x); }
  static void store_n(float* p, F x, int64_t n) { _mm256_maskstore_ps(p, vec256::tail_mask(n), x); }
  static F broadcast(const float* p) { return _mm256_broadcast_ss(p); }
  static F fmadd(F a, F b, F c) { return _mm256_fmadd_ps(a, b, c); }
  static F mul(F a, F b) { return _mm256_mul_ps(a, b); }
  static F add(F a, F b) { return _mm256_add_ps(a, b); }
  static F sub(F a, F b) { return _mm256_sub_ps(a, b); }
  static F max(F a, F b) { return _mm256_max_ps(a, b); }
  static F keep_n(F x, int64_t n, F fill) {
    return _mm256_blendv_ps(fill, x, _mm256_castsi256_ps(vec256::tail_mask(n)));
  }
  static bool any_above_n(F x, float t, int64_t n) {
    const __m256 above = _mm256_cmp_ps(x, _mm256_set1_ps(t), _CMP_GT_OQ);
    return (_mm256_movemask_ps(above) & ((1 << n) - 1)) != 0;
  }
  static F exp(F x) { return vec256::exp(x); }
  static float reduce_max(F x) { return vec256::reduce_max(x); }
  static float reduce_add(F x) { return vec256::reduce_add(x); }
};

}  // namespace
}  // namespace fastinfer::attention::detail

#include "kernels/attention/rows_impl.h"

namespace fastinfer::attention {

const AttentionKernels kAttentionAvx2{"f32-attention-6x16-avx2",
                                      detail::attention_rows<detail::Avx2>};

}  // namespace fastinfer::attention
