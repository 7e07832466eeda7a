// The pooling passes written once over a vector-traits type V; ref.cc, avx2.cc and
// avx512.cc include it with their traits (1, 8 or 16 lanes).
//
// Traits V: F (vector), kW (lanes), and static functions load, load_n (first n lanes),
// store, store_n, set1, evens (lanes p[0], p[2], ..., p[2 kW - 2], reading 2 kW floats), max,
// add, mul, div; N, a set of NaN flags, with none, flag_nan (N | the lanes of x that are NaN)
// and any.
#pragma once

#include <cstdint>

#include "kernels/pool/kernels.h"

namespace fastinfer::pool::detail {
// Internal linkage: each ISA file compiles its own copy with its own target flags, and
// the linker must never pick one file's copy for another.
namespace {

template <class V, bool kMax>
inline typename V::F combine(typename V::F a, typename V::F b) {
  return kMax ? V::max(a, b) : V::add(a, b);
}

// c[i] = the max or sum over the rows; for max, returns whether any input was NaN (then c
// is not the NaN-propagating max). The check is an unordered compare OR-ed per load, no
// dependency chain and no second pass over the input.
template <class V, bool kMax>
bool reduce_rows(const float* src, int64_t ld, int64_t rows, int64_t n, float* c) {
  constexpr int64_t W = V::kW;
  typename V::N nan = V::none();
  int64_t i = 0;
  for (; i + 2 * W <= n; i += 2 * W) {  // two vectors per step: two chains in flight
    typename V::F a = V::load(src + i), b = V::load(src + i + W);
    if (kMax) nan = V::flag_nan(V::flag_nan(nan, a), b);
    for (int64_t r = 1; r < rows; ++r) {
      const typename V::F x = V::load(src + r * ld + i), y = V::load(src + r * ld + i + W);
      if (kMax) nan = V::flag_nan(V::flag_nan(nan, x), y);
      a = combine<V, kMax>(a, x);
      b = combine<V, kMax>(b, y);
    }
    V::store(c + i, a);
    V::store(c + i + W, b);
  }
  for (; i < n; i += W) {
    const int64_t m = n - i < W ? n - i : W;
    typename V::F a = V::load_n(src + i, m);  // lanes >= m are 0, never NaN
    if (kMax) nan = V::flag_nan(nan, a);
    for (int64_t r = 1; r < rows; ++r) {
      const typename V::F x = V::load_n(src + r * ld + i, m);
      if (kMax) nan = V::flag_nan(nan, x);
      a = combine<V, kMax>(a, x);
    }
    V::store_n(c + i, a, m);
  }
  return V::any(nan);
}

template <class V>
void sum_rows(const float* src, int64_t ld, int64_t rows, int64_t n, float* c) {
  reduce_rows<V, false>(src, ld, rows, n, c);
}

template <bool kMax>
inline float combine1(float a, float b) {
  return kMax ? (b > a ? b : a) : a + b;
}

// out[j] = the max or sum of the kw taps of output j, divided by row_taps * col_taps[j]
// when kAvg.
template <class V, bool kMax, bool kAvg>
void reduce_cols(const float* c, int64_t kw, int64_t sw, int64_t n, float row_taps,
                 const float* col_taps, float* out) {
  constexpr int64_t W = V::kW;
  if (sw == 1 || sw == 2) {
    // Tap t of outputs j..j+W is c[j + t...] (stride 1) or every other float from
    // c + 2j + t (stride 2). The last, partial vector reads whole vectors too, within c's
    // kSlack, and stores only its outputs.
    const typename V::F rows = V::set1(row_taps);
    for (int64_t j = 0; j < n; j += W) {
      const float* p = c + j * sw;
      const int64_t m = n - j < W ? n - j : W;
      typename V::F a = sw == 1 ? V::load(p) : V::evens(p);
      for (int64_t t = 1; t < kw; ++t) {
        a = combine<V, kMax>(a, sw == 1 ? V::load(p + t) : V::evens(p + t));
      }
      if (kAvg)
        a = V::div(a, V::mul(rows, m == W ? V::load(col_taps + j) : V::load_n(col_taps + j, m)));
      if (m == W) {
        V::store(out + j, a);
      } else {
        V::store_n(out + j, a, m);
      }
    }
    return;
  }
  for (int64_t j = 0; j < n; ++j) {  // other strides
    const float* p = c + j * sw;
    float a = p[0];
    for (int64_t t = 1; t < kw; ++t) a = combine1<kMax>(a, p[t]);
    out[j] = kAvg ? a / (row_taps * col_taps[j]) : a;
  }
}

template <class V>
void max_cols(const float* c, int64_t kw, int64_t sw, int64_t n, float* out) {
  reduce_cols<V, true, false>(c, kw, sw, n, 1.0f, nullptr, out);
}

template <class V>
constexpr PoolKernels make_table(const char* name) {
  return PoolKernels{name, reduce_rows<V, true>, sum_rows<V>, max_cols<V>,
                     reduce_cols<V, false, true>};
}

}  // namespace
}  // namespace fastinfer::pool::detail
