// The attention row kernel written once over a vector-traits type V; avx2.cc and avx512.cc
// include it with their traits (8 or 16 lanes, masks as vectors or k-registers).
//
// A group of V::kMr query rows at a time, all in L1:
//   1. scores: s = q k_t * scale + mask for the group (kMr x sk), register tiles of
//      kMr x 2 vectors read straight from q and k_t (no packing: the head dims are small,
//      so a tile's K loop is d long); the tile epilogue applies scale, mask, causal and
//      key tails, stores s and keeps each row's running max. A tile whose keys are all
//      masked at or below kSkipMask (a causal or padding mask) takes its mask values
//      without the dot products.
//   2. softmax numerators: exp(s - max) in place (vec_math's exp), the row sums kept;
//      keys past the group's last non-zero probability are dropped from step 3.
//   3. y = p v / sum: tiles of kMr x 2 vectors over dv, the 1 / sum applied on store.
// Only the group's scores (kMr x sk floats) are scratch: nothing is packed or re-read from
// memory per task, which is what made the GEMM-based version slow at small head dims.
//
// The loops over rows and vectors of a tile carry `#pragma GCC unroll`: unrolled before
// scalar replacement, the accumulator arrays live in registers.
//
// Traits V: F (vector), kW (lanes), kMr (rows per group), and static functions zero, set1,
// load, load_n (first n lanes, rest 0), store, store_n, broadcast, fmadd, mul, max,
// keep_n (lanes >= n replaced), any_above_n, exp, reduce_max, reduce_add.
#pragma once

#include <algorithm>
#include <cmath>
#include <cstdint>
#include <vector>

#include "kernels/attention/kernel.h"

namespace fastinfer::attention::detail {
// Internal linkage: each ISA file compiles its own copy with its own target flags, and
// the linker must never pick one file's copy for the other.
namespace {

template <class V>
struct Group {
  using F = typename V::F;
  static constexpr int kW = V::kW;

  const AttentionArgs& a;
  int64_t i0;  // first row of the group in the block
  float* s;    // scores, row stride ld
  int64_t ld;
  float* row_max;  // kMr vectors

  int64_t visible(int r) const {
    return a.causal ? std::min(a.sk, a.first_row + i0 + r + 1) : a.sk;
  }
  const float* mask_at(int r, int64_t j) const {
    return a.mask + (i0 + r) * a.mask_row + j * a.mask_col;
  }
  // n lanes of the mask from key j on (n <= kW): loaded, or one value broadcast.
  F mask_n(int r, int64_t j, int64_t n) const {
    if (a.mask_col == 0) return V::set1(*mask_at(r, 0));
    return n >= kW ? V::load(mask_at(r, j)) : V::load_n(mask_at(r, j), n);
  }
};

inline int64_t lanes(int64_t n, int64_t w) { return std::clamp<int64_t>(n, 0, w); }

// acc = q[rows 0..R) of the group] k_t[:, j0 : j0 + NV kW]; kFull: every lane is a key
// (otherwise real[u] lanes of vector u are, and the rest load as 0).
template <class V, int R, int NV, bool kFull>
inline void dot_tile(const Group<V>& g, int64_t j0, const int64_t* real,
                     typename V::F (&acc)[R][NV]) {
  using F = typename V::F;
  constexpr int kW = V::kW;
  const AttentionArgs& a = g.a;
  // Local accumulators, copied out at the end: the build has -fno-strict-aliasing, so
  // stores to the caller's array could alias the float loads and would stay in the loop.
  F sum[R][NV];
#pragma GCC unroll 16
  for (int r = 0; r < R; ++r) {
#pragma GCC unroll 16
    for (int u = 0; u < NV; ++u) sum[r][u] = V::zero();
  }
  // One pointer per row, so each broadcast is a base + index address.
  const float* q[R];
#pragma GCC unroll 16
  for (int r = 0; r < R; ++r) q[r] = a.q + (g.i0 + r) * a.d;
  const float* kt = a.kt + j0;
  const int64_t d = a.d, sk = a.sk;
  for (int64_t p = 0; p < d; ++p, kt += sk) {
    F b[NV];
#pragma GCC unroll 16
    for (int u = 0; u < NV; ++u) {
      b[u] = kFull ? V::load(kt + u * kW) : V::load_n(kt + u * kW, real[u]);
    }
#pragma GCC unroll 16
    for (int r = 0; r < R; ++r) {
      const F qv = V::broadcast(q[r] + p);
#pragma GCC unroll 16
      for (int u = 0; u < NV; ++u) sum[r][u] = V::fmadd(qv, b[u], sum[r][u]);
    }
  }
#pragma GCC unroll 16
  for (int r = 0; r < R; ++r) {
#pragma GCC unroll 16
    for (int u = 0; u < NV; ++u) acc[r][u] = sum[r][u];
  }
}

// Scores of rows [0, R) x keys [j0, j0 + NV * kW) of the group.
template <class V, int R, int NV>
inline void score_tile(const Group<V>& g, int64_t j0) {
  using F = typename V::F;
  constexpr int kW = V::kW;
  const AttentionArgs& a = g.a;
  int64_t vis[R][NV];  // visible lanes of each vector (the rest become -inf)
  int64_t real[NV];    // lanes inside the key range (for loads)
#pragma GCC unroll 16
  for (int u = 0; u < NV; ++u) real[u] = lanes(a.sk - j0 - u * kW, kW);
#pragma GCC unroll 16
  for (int r = 0; r < R; ++r) {
#pragma GCC unroll 16
    for (int u = 0; u < NV; ++u) vis[r][u] = lanes(g.visible(r) - j0 - u * kW, kW);
  }
  // The mask is read here and again in the epilogue rather than held in registers over
  // the K loop, which needs all of them for the accumulators.
  bool skip = a.mask != nullptr;
  for (int r = 0; r < R && skip; ++r) {
#pragma GCC unroll 16
    for (int u = 0; u < NV; ++u) {
      if (V::any_above_n(g.mask_n(r, j0 + u * kW, real[u]), kSkipMask, vis[r][u])) skip = false;
    }
  }
  F x[R][NV];
  if (skip) {
#pragma GCC unroll 16
    for (int r = 0; r < R; ++r) {
#pragma GCC unroll 16
      for (int u = 0; u < NV; ++u) x[r][u] = g.mask_n(r, j0 + u * kW, real[u]);
    }
  } else {
    F acc[R][NV];
    if (real[NV - 1] == kW) {
      dot_tile<V, R, NV, true>(g, j0, real, acc);
    } else {
      dot_tile<V, R, NV, false>(g, j0, real, acc);
    }
    const F scale = V::set1(a.scale);
#pragma GCC unroll 16
    for (int r = 0; r < R; ++r) {
#pragma GCC unroll 16
      for (int u = 0; u < NV; ++u) {
        x[r][u] = a.mask ? V::fmadd(acc[r][u], scale, g.mask_n(r, j0 + u * kW, real[u]))
                         : V::mul(acc[r][u], scale);
      }
    }
  }
  const F minus_inf = V::set1(-INFINITY);
#pragma GCC unroll 16
  for (int r = 0; r < R; ++r) {
    F mx = V::load(g.row_max + r * kW);
#pragma GCC unroll 16
    for (int u = 0; u < NV; ++u) {
      const F v = vis[r][u] == kW ? x[r][u] : V::keep_n(x[r][u], vis[r][u], minus_inf);
      V::store(g.s + r * g.ld + j0 + u * kW, v);
      mx = V::max(v, mx);  // v first: a NaN score is skipped, as std::max(m, x) does
    }
    V::store(g.row_max + r * kW, mx);
  }
}

// acc = p[rows 0..R), keys 0..len) v[0:len, c0 : c0 + NV kW] (kFull: as in dot_tile).
template <class V, int R, int NV, bool kFull>
inline void weighted_sum(const Group<V>& g, int64_t len, int64_t c0, const int64_t* real,
                         typename V::F (&acc)[R][NV]) {
  using F = typename V::F;
  constexpr int kW = V::kW;
  const AttentionArgs& a = g.a;
  // Local accumulators, copied out at the end: the build has -fno-strict-aliasing, so
  // stores to the caller's array could alias the float loads and would stay in the loop.
  F sum[R][NV];
#pragma GCC unroll 16
  for (int r = 0; r < R; ++r) {
#pragma GCC unroll 16
    for (int u = 0; u < NV; ++u) sum[r][u] = V::zero();
  }
  const float* p[R];
#pragma GCC unroll 16
  for (int r = 0; r < R; ++r) p[r] = g.s + r * g.ld;
  const float* v = a.v + c0;
  const int64_t dv = a.dv;
  for (int64_t j = 0; j < len; ++j, v += dv) {
    F b[NV];
#pragma GCC unroll 16
    for (int u = 0; u < NV; ++u) {
      b[u] = kFull ? V::load(v + u * kW) : V::load_n(v + u * kW, real[u]);
    }
#pragma GCC unroll 16
    for (int r = 0; r < R; ++r) {
      const F pv = V::broadcast(p[r] + j);
#pragma GCC unroll 16
      for (int u = 0; u < NV; ++u) sum[r][u] = V::fmadd(pv, b[u], sum[r][u]);
    }
  }
#pragma GCC unroll 16
  for (int r = 0; r < R; ++r) {
#pragma GCC unroll 16
    for (int u = 0; u < NV; ++u) acc[r][u] = sum[r][u];
  }
}

// y[rows [0, R), columns [c0, c0 + cols)] = p[:, 0:len] v[0:len, c0:] * inv, cols <= NV kW.
template <class V, int R, int NV>
inline void output_tile(const Group<V>& g, int64_t len, const float* inv, int64_t c0,
                        int64_t cols) {
  using F = typename V::F;
  constexpr int kW = V::kW;
  const AttentionArgs& a = g.a;
  int64_t real[NV];
#pragma GCC unroll 16
  for (int u = 0; u < NV; ++u) real[u] = lanes(cols - u * kW, kW);
  F acc[R][NV];
  if (real[NV - 1] == kW) {
    weighted_sum<V, R, NV, true>(g, len, c0, real, acc);
  } else {
    weighted_sum<V, R, NV, false>(g, len, c0, real, acc);
  }
  float* y = a.y + g.i0 * a.dv + c0;
#pragma GCC unroll 16
  for (int r = 0; r < R; ++r) {
    const F w = V::set1(inv[r]);
#pragma GCC unroll 16
    for (int u = 0; u < NV; ++u) {
      const F out = V::mul(acc[r][u], w);
      if (real[u] == kW) {
        V::store(y + r * a.dv + u * kW, out);
      } else if (real[u] > 0) {
        V::store_n(y + r * a.dv + u * kW, out, real[u]);
      }
    }
  }
}

// exp(s - max) in place over the row's first n (a multiple of kW) scores; returns the sum.
template <class V>
inline float exp_row(float* s, int64_t n, float max) {
  using F = typename V::F;
  constexpr int kW = V::kW;
  const F m = V::set1(max);
  F acc0 = V::zero(), acc1 = V::zero();
  int64_t j = 0;
  for (; j + 2 * kW <= n; j += 2 * kW) {  // two chains: exp's latency bounds one
    const F e0 = V::exp(V::sub(V::load(s + j), m));
    const F e1 = V::exp(V::sub(V::load(s + j + kW), m));
    V::store(s + j, e0);
    V::store(s + j + kW, e1);
    acc0 = V::add(acc0, e0);
    acc1 = V::add(acc1, e1);
  }
  for (; j < n; j += kW) {
    const F e = V::exp(V::sub(V::load(s + j), m));
    V::store(s + j, e);
    acc0 = V::add(acc0, e);
  }
  return V::reduce_add(V::add(acc0, acc1));
}

template <class V, int R>
void group_rows(const Group<V>& g) {
  constexpr int kW = V::kW;
  const AttentionArgs& a = g.a;
  // Keys any row of the group sees; scores are written up to the next whole vector.
  const int64_t keys = g.visible(R - 1);
#pragma GCC unroll 16
  for (int r = 0; r < R; ++r) V::store(g.row_max + r * kW, V::set1(-INFINITY));
  int64_t j0 = 0;
  for (; j0 + kW < keys; j0 += 2 * kW) score_tile<V, R, 2>(g, j0);
  if (j0 < keys) score_tile<V, R, 1>(g, j0);
  const int64_t width = (keys + kW - 1) / kW * kW;

  float inv[R];
  int64_t len = 0;  // keys with a non-zero probability in some row
#pragma GCC unroll 16
  for (int r = 0; r < R; ++r) {
    float* s = g.s + r * g.ld;
    const float max = V::reduce_max(V::load(g.row_max + r * kW));
    float sum = NAN;
    if (max > -INFINITY) sum = exp_row<V>(s, width, max);
    if (std::isnan(sum)) {
      // Every key masked with -inf (or a NaN or +inf score): the softmax is NaN, or zero
      // for graphs that replace NaN probabilities by 0.
      std::fill(s, s + width, a.nan_probs_to_zero ? 0.0f : NAN);
      inv[r] = 1.0f;
    } else {
      inv[r] = 1.0f / sum;
    }
    int64_t n = keys;  // not width: the padding past the keys has no rows of v
    while (n > len && s[n - 1] == 0.0f) --n;
    len = std::max(len, n);
  }

  int64_t c0 = 0;
  for (; c0 + kW < a.dv; c0 += 2 * kW) output_tile<V, R, 2>(g, len, inv, c0, a.dv - c0);
  if (c0 < a.dv) output_tile<V, R, 1>(g, len, inv, c0, a.dv - c0);
}

template <class V>
void attention_rows(const AttentionArgs& a) {
  constexpr int kW = V::kW, kMr = V::kMr;
  // Scores of one group, rows a whole number of vectors long, then the running maxima.
  const int64_t ld = (a.sk + kW - 1) / kW * kW;
  thread_local std::vector<float> scratch;
  const size_t need = static_cast<size_t>(kMr * (ld + kW) + kW);
  if (scratch.size() < need) scratch.resize(need);
  // Aligned to the vector so the row maxima and score rows take aligned accesses.
  float* base = scratch.data();
  while (reinterpret_cast<uintptr_t>(base) % (kW * sizeof(float)) != 0) ++base;
  for (int64_t i0 = 0; i0 < a.rows; i0 += kMr) {
    const Group<V> g{a, i0, base + kMr * kW, ld, base};
    switch (std::min<int64_t>(kMr, a.rows - i0)) {
#define FASTINFER_ATTENTION_ROWS(R)              \
  case R:                                        \
    if constexpr (R <= kMr) group_rows<V, R>(g); \
    break;
      FASTINFER_ATTENTION_ROWS(1)
      FASTINFER_ATTENTION_ROWS(2)
      FASTINFER_ATTENTION_ROWS(3)
      FASTINFER_ATTENTION_ROWS(4)
      FASTINFER_ATTENTION_ROWS(5)
      FASTINFER_ATTENTION_ROWS(6)
      FASTINFER_ATTENTION_ROWS(7)
      FASTINFER_ATTENTION_ROWS(8)
#undef FASTINFER_ATTENTION_ROWS
      default:
        break;
    }
  }
}

}  // namespace
}  // namespace fastinfer::attention::detail
