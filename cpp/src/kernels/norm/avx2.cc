// AVX2 normalisation rows: rows_impl.h on 8-lane vectors; tails through maskload/maskstore.
#include <immintrin.h>

#include "kernels/common/vec_math_avx2.h"
#include "kernels/norm/kernels.h"

namespace fastinfer::norm::detail {
namespace {

struct Avx2 {
  using F = __m256;
  static constexpr int64_t kW = 8;
  static F zero() { return _mm256_setzero_ps(); }
  static F set1(float x) { return _mm256_set1_ps(x); }
  static F load(const float* p) { return _mm256_loadu_ps(p); }
  static F load_n(const float* p, int64_t n) { return _mm256_maskload_ps(p, vec256::tail_mask(n)); }
  static void store(float* p, F x) { _mm256_storeu_ps(p, x); }
  static void store_n(float* p, F x, int64_t n) { _mm256_maskstore_ps(p, vec256::tail_mask(n), x); }
  static F keep_n(F x, int64_t n) {
    return _mm256_and_ps(x, _mm256_castsi256_ps(vec256::tail_mask(n)));
  }
  static F add(F a, F b) { return _mm256_add_ps(a, b); }
  static F sub(F a, F b) { return _mm256_sub_ps(a, b); }
  static F mul(F a, F b) { return _mm256_mul_ps(a, b); }
  static F fmadd(F a, F b, F c) { return _mm256_fmadd_ps(a, b, c); }
  static float reduce_add(F x) { return vec256::reduce_add(x); }
};

}  // namespace
}  // namespace fastinfer::norm::detail

#include "kernels/norm/rows_impl.h"

namespace fastinfer::norm {

const NormKernels kNormAvx2 = detail::make_table<detail::Avx2>("f32-norm-avx2");

}  // namespace fastinfer::norm
