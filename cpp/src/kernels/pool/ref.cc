// Scalar pooling passes: rows_impl.h on one-lane "vectors", for the scalar path and for
// checking the vector paths against.
#include "kernels/pool/kernels.h"

namespace fastinfer::pool::detail {
namespace {

struct Scalar {
  using F = float;
  static constexpr int64_t kW = 1;
  static F load(const float* p) { return *p; }
  static F load_n(const float* p, int64_t /*n*/) { return *p; }
  static void store(float* p, F x) { *p = x; }
  static void store_n(float* p, F x, int64_t /*n*/) { *p = x; }
  static F evens(const float* p) { return *p; }
  static F max(F a, F b) { return b > a ? b : a; }
  static F add(F a, F b) { return a + b; }
  static F set1(float x) { return x; }
  static F mul(F a, F b) { return a * b; }
  static F div(F a, F b) { return a / b; }
  using N = bool;
  static N none() { return false; }
  static N flag_nan(N n, F x) { return n || x != x; }
  static bool any(N n) { return n; }
};

}  // namespace
}  // namespace fastinfer::pool::detail

#include "kernels/pool/rows_impl.h"

namespace fastinfer::pool {

const PoolKernels kPoolRef = detail::make_table<detail::Scalar>("f32-pool-scalar");

}  // namespace fastinfer::pool
