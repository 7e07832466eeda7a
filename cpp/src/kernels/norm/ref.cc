// Scalar normalisation rows: rows_impl.h on one-lane "vectors".
#include "kernels/norm/kernels.h"

namespace fastinfer::norm::detail {
namespace {

struct Scalar {
  using F = float;
  static constexpr int64_t kW = 1;
  static F zero() { return 0.0f; }
  static F set1(float x) { return x; }
  static F load(const float* p) { return *p; }
  static F load_n(const float* p, int64_t /*n*/) { return *p; }
  static void store(float* p, F x) { *p = x; }
  static void store_n(float* p, F x, int64_t /*n*/) { *p = x; }
  static F keep_n(F x, int64_t /*n*/) { return x; }
  static F add(F a, F b) { return a + b; }
  static F sub(F a, F b) { return a - b; }
  static F mul(F a, F b) { return a * b; }
  static F fmadd(F a, F b, F c) { return a * b + c; }
  static float reduce_add(F x) { return x; }
};

}  // namespace
}  // namespace fastinfer::norm::detail

#include "kernels/norm/rows_impl.h"

namespace fastinfer::norm {

const NormKernels kNormRef = detail::make_table<detail::Scalar>("f32-norm-scalar");

}  // namespace fastinfer::norm
