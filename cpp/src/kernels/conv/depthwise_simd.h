// The depthwise conv loop, written once over a vector-traits type V and compiled per ISA:
// avx2.cc and avx512.cc define V (8 or 16 lanes) and include this file. Everything here has
// internal linkage, so no copy built with one file's flags can be linked into another.
//
// Why this shape: the old per-row loop left edges and rows of 7..28 pixels to scalar
// tails, and its taps were a chain of dependent adds through memory. Here each channel's
// rows are first copied, zero-padded and split by column (and row) phase with the ISA's
// pad kernels (1/taps of the conv's loads), so that every tap of every output is one
// unaligned load at a fixed offset and the loop has no edge cases. Tiles of 8 vectors
// (rows x column vectors) keep 8 FMA chains in flight, enough to hide the FMA latency.
// Rows narrower than a vector are computed over flat positions of the padded rows
// (dropping the pad columns), as the direct conv does, instead of one mostly empty vector
// per row.
//
// V provides: R (register type), L (lanes), kMasked (tails as masked vectors, else as a
// vector overlapping the previous one), set1, loadu, fmadd, add, clamp(v, lo, hi) (NaN
// kept), load(p, n) / store(p, v, n) of the first n lanes, compress(v, DwFlatVector).
#pragma once

#include <algorithm>
#include <cstdint>

#include "kernels/conv/depthwise_layout.h"
#include "kernels/conv/kernels.h"

namespace fastinfer::conv {
namespace {

constexpr int64_t kDwMaxTaps = 64;

// RB x NB accumulators (rows x vectors, RB * NB = 8 chains): acc[i][j] = bias + sum over
// taps of w[t] * src[i][j][offs[t]]. T > 0: the tap count at compile time (unrolled).
template <class V, int RB, int NB, int T>
__attribute__((always_inline)) inline void dw_accumulate(const float* const (&src)[RB][NB],
                                                         const int32_t* offs,
                                                         const typename V::R* wv, int64_t taps,
                                                         typename V::R bias,
                                                         typename V::R (&acc)[RB][NB]) {
  using R = typename V::R;
#pragma GCC unroll 8
  for (int i = 0; i < RB; ++i) {
#pragma GCC unroll 8
    for (int j = 0; j < NB; ++j) acc[i][j] = bias;
  }
  auto tap = [&](int64_t t) __attribute__((always_inline)) {
    const R wt = wv[t];
    const int64_t off = offs[t];
#pragma GCC unroll 8
    for (int i = 0; i < RB; ++i) {
#pragma GCC unroll 8
      for (int j = 0; j < NB; ++j) acc[i][j] = V::fmadd(wt, V::loadu(src[i][j] + off), acc[i][j]);
    }
  };
  if constexpr (T > 0) {
#pragma GCC unroll 64
    for (int t = 0; t < T; ++t) tap(t);
  } else {
    for (int64_t t = 0; t < taps; ++t) tap(t);
  }
}

// The column vectors of a row: whole vectors, then the tail, as a masked vector
// (V::kMasked) or as one overlapping the previous (its outputs recomputed, stored twice).
struct DwColumns {
  int lanes;
  int64_t nv, last_cx;
  int last_n;
  int64_t cx(int64_t v) const { return v + 1 < nv ? v * lanes : last_cx; }
  int n(int64_t v) const { return v + 1 < nv ? lanes : last_n; }
};

// Rows of at least one vector: tiles of RB output rows x NB column vectors; row and vector
// indices past the end repeat the last one (recomputed and stored again, harmlessly).
template <class V, int RB, int NB, int T>
void dw_rows(const float* xp, const int32_t* offs, const typename V::R* wv, int64_t taps,
             typename V::R bias, typename V::R lo, typename V::R hi, int64_t rows, int64_t wp,
             int64_t ow, const DwColumns& cols, const float* res, float* out) {
  using R = typename V::R;
  for (int64_t r0 = 0; r0 < rows; r0 += RB) {
    int64_t rr[RB];
    for (int i = 0; i < RB; ++i) rr[i] = std::min<int64_t>(r0 + i, rows - 1);
    for (int64_t v0 = 0; v0 < cols.nv; v0 += NB) {
      int64_t cx[NB];
      int n[NB];
      for (int j = 0; j < NB; ++j) {
        const int64_t v = std::min<int64_t>(v0 + j, cols.nv - 1);
        cx[j] = cols.cx(v);
        n[j] = cols.n(v);
      }
      const float* src[RB][NB];
      for (int i = 0; i < RB; ++i) {
        for (int j = 0; j < NB; ++j) src[i][j] = xp + rr[i] * wp + cx[j];
      }
      R acc[RB][NB];
      dw_accumulate<V, RB, NB, T>(src, offs, wv, taps, bias, acc);
#pragma GCC unroll 8
      for (int i = 0; i < RB; ++i) {
#pragma GCC unroll 8
        for (int j = 0; j < NB; ++j) {
          const int64_t o = rr[i] * ow + cx[j];
          R v = acc[i][j];
          if (res) v = V::add(v, V::load(res + o, n[j]));
          V::store(out + o, V::clamp(v, lo, hi), n[j]);
        }
      }
    }
  }
}

// Rows narrower than a vector: 8 flat vectors per tile, each compressed to its output
// pixels (consecutive outputs) before the residual and the store.
template <class V, int T>
void dw_flat(const float* xp, const int32_t* offs, const typename V::R* wv, int64_t taps,
             typename V::R bias, typename V::R lo, typename V::R hi, const DwFlatVector* vecs,
             int64_t count, const float* res, float* out) {
  using R = typename V::R;
  for (int64_t v0 = 0; v0 < count; v0 += 8) {
    const DwFlatVector* b[8];
    const float* src[8][1];
    for (int i = 0; i < 8; ++i) {
      b[i] = vecs + std::min<int64_t>(v0 + i, count - 1);
      src[i][0] = xp + b[i]->q;
    }
    R acc[8][1];
    dw_accumulate<V, 8, 1, T>(src, offs, wv, taps, bias, acc);
#pragma GCC unroll 8
    for (int i = 0; i < 8; ++i) {
      if (b[i]->n == 0) continue;  // only pad columns (kernels wider than a vector)
      R v = V::compress(acc[i][0], *b[i]);
      if (res) v = V::add(v, V::load(res + b[i]->o, b[i]->n));
      V::store(out + b[i]->o, V::clamp(v, lo, hi), b[i]->n);
    }
  }
}

// The flat vectors covering output rows [0, rows) of width ow in padded rows of width wp;
// returns their count.
template <class V>
int64_t dw_flat_vectors(int64_t rows, int64_t wp, int64_t ow, DwFlatVector* out) {
  const int64_t end = (rows - 1) * wp + ow;
  int64_t count = 0;
  for (int64_t q = 0; q < end; q += V::L, ++count) {
    DwFlatVector& d = out[count];
    d.q = q;
    d.o = 0;
    d.n = 0;
    d.mask = 0;
    for (int l = 0; l < V::L && q + l < end; ++l) {
      const int64_t p = q + l, r = p / wp, c = p - r * wp;
      if (c >= ow) continue;
      if (d.n == 0) d.o = r * ow + c;
      d.mask |= 1u << l;
      d.perm[d.n++] = static_cast<uint8_t>(l);
    }
    for (int l = d.n; l < 16; ++l) d.perm[l] = 0;
  }
  return count;
}

template <class V, int T>
void dw_plane(const float* xp, const int32_t* offs, const typename V::R* wv, int64_t taps,
              typename V::R bias, typename V::R lo, typename V::R hi, int64_t rows, int64_t wp,
              int64_t ow, const DwColumns& cols, const DwFlatVector* flat, int64_t n_flat,
              const float* res, float* out) {
  if (ow < V::L) {
    dw_flat<V, T>(xp, offs, wv, taps, bias, lo, hi, flat, n_flat, res, out);
  } else if (cols.nv >= 4) {
    dw_rows<V, 2, 4, T>(xp, offs, wv, taps, bias, lo, hi, rows, wp, ow, cols, res, out);
  } else if (cols.nv >= 2) {
    dw_rows<V, 4, 2, T>(xp, offs, wv, taps, bias, lo, hi, rows, wp, ow, cols, res, out);
  } else {
    dw_rows<V, 8, 1, T>(xp, offs, wv, taps, bias, lo, hi, rows, wp, ow, cols, res, out);
  }
}

template <class V>
void depthwise_simd(const DepthwiseArgs& a, PadPhaseFn pad, PadPhasePairFn pair) {
  using R = typename V::R;
  if (!depthwise_fast_fits(a.g)) {
    depthwise_ref(a);
    return;
  }
  const WindowAxis &h = a.g.h, &w = a.g.w;
  const int64_t rows = a.oy1 - a.oy0, ow = w.out;
  if (rows <= 0 || a.p1 <= a.p0) return;
  const DwLayout lay = dw_layout(a.g, rows);
  const int64_t wp = lay.wp, pp = lay.pp;
  const int64_t taps = h.kernel * w.kernel;
  const int64_t in_plane = h.in * w.in, out_plane = h.out * ow;
  int32_t offs[kDwMaxTaps];
  for (int64_t ky = 0; ky < h.kernel; ++ky) {
    for (int64_t kx = 0; kx < w.kernel; ++kx) {
      const int64_t dy = ky * h.dilation, dx = kx * w.dilation;
      const int64_t phase = (dy % h.stride) * lay.ph_w + dx % w.stride;
      offs[ky * w.kernel + kx] =
          static_cast<int32_t>(phase * pp + dy / h.stride * wp + dx / w.stride);
    }
  }
  DwColumns cols;
  cols.lanes = V::L;
  cols.nv = (ow + V::L - 1) / V::L;
  cols.last_cx = (cols.nv - 1) * V::L;
  cols.last_n = static_cast<int>(ow - cols.last_cx);
  if (ow >= V::L && !V::kMasked && cols.last_n < V::L) {
    cols.last_cx = ow - V::L;
    cols.last_n = V::L;
  }
  auto* flat = static_cast<DwFlatVector*>(a.scratch);
  const int64_t n_flat = ow < V::L ? dw_flat_vectors<V>(rows, wp, ow, flat) : 0;
  // The padded planes, then zeros that flat and masked loads read past them.
  float* xp = reinterpret_cast<float*>(static_cast<char*>(a.scratch) + lay.flat_bytes);
  std::fill(xp + lay.planes, xp + lay.planes + 32, 0.0f);
  const bool paired = lay.ph_w == 2 && wp <= 256;
  const R lo = V::set1(a.lo), hi = V::set1(a.hi);
  R wv[kDwMaxTaps];
  for (int64_t p = a.p0; p < a.p1; ++p) {
    const int64_t c = p % a.out_c;
    const float* src = a.x + (p / a.mult) * in_plane;
    for (int64_t py = 0; py < lay.ph_h; ++py) {
      const int64_t row0 = a.oy0 * h.stride + py - h.pad_begin;
      float* dst = xp + py * lay.ph_w * pp;
      if (paired) {
        pair(src, h.in, w.in, row0, -w.pad_begin, h.stride, lay.hp, wp, dst, dst + pp);
        continue;
      }
      for (int64_t px = 0; px < lay.ph_w; ++px) {
        pad(src, h.in, w.in, row0, px - w.pad_begin, h.stride, w.stride, lay.hp, wp, dst + px * pp);
      }
    }
    const float* wc = a.w + c * taps;
    for (int64_t t = 0; t < taps; ++t) wv[t] = V::set1(wc[t]);
    const R bias = V::set1(a.bias ? a.bias[c] : 0.0f);
    const float* res = a.res ? a.res + p * out_plane + a.oy0 * ow : nullptr;
    float* out = a.y + p * out_plane + a.oy0 * ow;
    switch (taps) {  // the common windows with their taps unrolled: 3x3, 5x5, 7x7
      case 9:
        dw_plane<V, 9>(xp, offs, wv, taps, bias, lo, hi, rows, wp, ow, cols, flat, n_flat, res,
                       out);
        break;
      case 25:
        dw_plane<V, 25>(xp, offs, wv, taps, bias, lo, hi, rows, wp, ow, cols, flat, n_flat, res,
                        out);
        break;
      case 49:
        dw_plane<V, 49>(xp, offs, wv, taps, bias, lo, hi, rows, wp, ow, cols, flat, n_flat, res,
                        out);
        break;
      default:
        dw_plane<V, 0>(xp, offs, wv, taps, bias, lo, hi, rows, wp, ow, cols, flat, n_flat, res,
                       out);
    }
  }
}

}  // namespace
}  // namespace fastinfer::conv
