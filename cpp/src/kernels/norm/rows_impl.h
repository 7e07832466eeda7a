// The normalisation rows written once over a vector-traits type V; ref.cc, avx2.cc and
// avx512.cc include it with their traits (1, 8 or 16 lanes).
//
// Traits V: F (vector), kW (lanes), and static functions zero, set1, load, load_n (first n
// lanes, the rest 0), store, store_n, keep_n (lanes >= n set to 0), add, sub, mul, fmadd and
// reduce_add.
#pragma once

#include <cmath>
#include <cstdint>

#include "kernels/norm/kernels.h"

namespace fastinfer::norm::detail {
// Internal linkage: each ISA file compiles its own copy with its own target flags, and
// the linker must never pick one file's copy for another.
namespace {

// sum over i < n of f(x[i]), with four vector accumulators (four chains in flight, and the
// rounding error grows with n / 4 kW instead of n). The last, partial vector goes through
// tail(v, k), which must give 0 in its lanes >= k (they load as 0).
template <class V, class Fn, class Tail>
float row_sum(const float* x, int64_t n, const Fn& f, const Tail& tail) {
  constexpr int64_t W = V::kW;
  typename V::F a0 = V::zero(), a1 = V::zero(), a2 = V::zero(), a3 = V::zero();
  int64_t i = 0;
  for (; i + 4 * W <= n; i += 4 * W) {
    a0 = V::add(a0, f(V::load(x + i)));
    a1 = V::add(a1, f(V::load(x + i + W)));
    a2 = V::add(a2, f(V::load(x + i + 2 * W)));
    a3 = V::add(a3, f(V::load(x + i + 3 * W)));
  }
  for (; i + W <= n; i += W) a0 = V::add(a0, f(V::load(x + i)));
  if (i < n) a1 = V::add(a1, tail(V::load_n(x + i, n - i), n - i));
  return V::reduce_add(V::add(V::add(a0, a1), V::add(a2, a3)));
}

template <class V>
inline typename V::F load_k(const float* p, int64_t k) {
  return k == V::kW ? V::load(p) : V::load_n(p, k);
}

template <class V>
inline void store_k(float* p, typename V::F v, int64_t k) {
  if (k == V::kW) {
    V::store(p, v);
  } else {
    V::store_n(p, v, k);
  }
}

template <class V>
void layer_norm(const float* x, int64_t n, const float* scale, const float* bias, float eps,
                float* y, float* mean_out, float* inv_out) {
  using F = typename V::F;
  constexpr int64_t W = V::kW;
  const auto same = [](F v, int64_t = 0) { return v; };
  const float mean = row_sum<V>(x, n, same, same) / static_cast<float>(n);
  const F m = V::set1(mean);
  const auto square_dev = [&](F v) {
    const F d = V::sub(v, m);
    return V::mul(d, d);
  };
  const auto square_dev_tail = [&](F v, int64_t k) {
    const F d = V::keep_n(V::sub(v, m), k);
    return V::mul(d, d);
  };
  const float var = row_sum<V>(x, n, square_dev, square_dev_tail) / static_cast<float>(n);
  const float inv = 1.0f / std::sqrt(var + eps);
  const F iv = V::set1(inv);
  for (int64_t i = 0; i < n; i += W) {
    const int64_t k = n - i < W ? n - i : W;
    const F s = V::mul(iv, load_k<V>(scale + i, k));
    const F b = bias ? load_k<V>(bias + i, k) : V::zero();
    store_k<V>(y + i, V::fmadd(V::sub(load_k<V>(x + i, k), m), s, b), k);
  }
  *mean_out = mean;
  *inv_out = inv;
}

template <class V>
void rms_norm(const float* x, int64_t n, const float* scale, int64_t scale_n, float eps, float* y) {
  using F = typename V::F;
  constexpr int64_t W = V::kW;
  const auto square = [](F v, int64_t = 0) { return V::mul(v, v); };
  const float squares = row_sum<V>(x, n, square, square);
  const F iv = V::set1(1.0f / std::sqrt(squares / static_cast<float>(n) + eps));
  // The row is whole copies of the scale's elements.
  for (int64_t b0 = 0; b0 < n; b0 += scale_n) {
    for (int64_t i = 0; i < scale_n; i += W) {
      const int64_t k = scale_n - i < W ? scale_n - i : W;
      const F out = V::mul(V::mul(load_k<V>(x + b0 + i, k), iv), load_k<V>(scale + i, k));
      store_k<V>(y + b0 + i, out, k);
    }
  }
}

template <class V>
constexpr NormKernels make_table(const char* name) {
  return NormKernels{name, layer_norm<V>, rms_norm<V>};
}

}  // namespace
}  // namespace fastinfer::norm::detail
