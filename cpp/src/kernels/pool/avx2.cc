// AVX2 pooling passes: rows_impl.h on 8-lane vectors; tails through maskload/maskstore.
#include <immintrin.h>

#include "kernels/common/vec_math_avx2.h"
#include "kernels/pool/kernels.h"

namespace fastinfer::pool::detail {
namespace {

struct Avx2 {
  using F = __m256;
  static constexpr int64_t kW = 8;
  static F load(const float* p) { return _mm256_loadu_ps(p); }
  static F load_n(const float* p, int64_t n) { return _mm256_maskload_ps(p, vec256::tail_mask(n)); }
  static void store(float* p, F x) { _mm256_storeu_ps(p, x); }
  static void store_n(float* p, F x, int64_t n) { _mm256_maskstore_ps(p, vec256::tail_mask(n), x); }
  static F evens(const float* p) {
    // Within 128-bit halves: a0 a2 b0 b2 | a4 a6 b4 b6; then the 64-bit pairs reordered.
    const __m256 s =
        _mm256_shuffle_ps(_mm256_loadu_ps(p), _mm256_loadu_ps(p + 8), _MM_SHUFFLE(2, 0, 2, 0));
    return _mm256_castpd_ps(_mm256_permute4x64_pd(_mm256_castps_pd(s), _MM_SHUFFLE(3, 1, 2, 0)));
  }
  static F max(F a, F b) { return _mm256_max_ps(a, b); }
  static F add(F a, F b) { return _mm256_add_ps(a, b); }
  static F set1(float x) { return _mm256_set1_ps(x); }
  static F mul(F a, F b) { return _mm256_mul_ps(a, b); }
  static F div(F a, F b) { return _mm256_div_ps(a, b); }
  using N = __m256;
  static N none() { return _mm256_setzero_ps(); }
  static N flag_nan(N n, F x) { return _mm256_or_ps(n, _mm256_cmp_ps(x, x, _CMP_UNORD_Q)); }
  static bool any(N n) { return _mm256_movemask_ps(n) != 0; }
};

}  // namespace
}  // namespace fastinfer::pool::detail

#include "kernels/pool/rows_impl.h"

namespace fastinfer::pool {

const PoolKernels kPoolAvx2 = detail::make_table<detail::Avx2>("f32-pool-avx2");

}  // namespace fastinfer::pool
