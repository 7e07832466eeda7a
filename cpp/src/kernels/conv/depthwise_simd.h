// The depthwise conv loops, written once over a vector-traits type V and compiled per ISA:
// avx2.cc and avx512.cc define V (8 or 16 lanes) and include this file. Everything here has
// internal linkage, so no copy built with one file's flags can be linked into another.
//
// Two modes, by output width:
//   - Rows of at least one vector (row mode): each channel's rows are copied, zero-padded
//     and split by column (and row) phase with the ISA's pad kernels (1/taps of the conv's
//     loads), so that every tap of every output is one unaligned load at a fixed offset and
//     the loop has no edge cases. Tiles of 8 vectors (rows x column vectors) keep 8 FMA
//     chains in flight, enough to hide the FMA latency. The next channel is padded before
//     this one is convolved: loads that straddle stores still in flight cannot be
//     forwarded and wait for them.
//   - Narrower rows (channel-block mode): vectors across a row of 4 or 7 pixels are mostly
//     empty, and per-channel work (padding, setup) cost several times the taps (60 ns a
//     4x4 plane against onnxruntime's 12). So L channels are transposed into one
//     zero-padded pixel-major block, L lanes a pixel, as onnxruntime's NCHWc layout holds
//     them: every tap is then one aligned load and one FMA for L outputs, any stride or
//     dilation, and the results are transposed back to NCHW.
//
// V provides: R (register type), L (lanes), kMasked (row tails as masked vectors, else as
// a vector overlapping the previous one), zero, set1, loadu, loada, storea, fmadd, add,
// clamp(v, lo, hi) (NaN kept), load(p, n) / store(p, v, n) of the first n lanes, and
// transpose(R (&)[L]).
#pragma once

#include <algorithm>
#include <cstdint>

#include "kernels/conv/depthwise_layout.h"
#include "kernels/conv/kernels.h"

namespace fastinfer::conv {
namespace {

constexpr int64_t kDwMaxTaps = 64;

// -- row mode ----------------------------------------------------------------------------

// RB x NB accumulators (rows x vectors, RB * NB = 8 chains): acc[i][j] = bias + sum over
// taps of w[t] * src[i][j][offs[t]]. The tap loop stays rolled: fully unrolled (49 taps),
// GCC scheduled each accumulator's whole chain in turn, one dependent FMA every 4 cycles.
template <class V, int RB, int NB>
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
#pragma GCC unroll 1
  for (int64_t t = 0; t < taps; ++t) {
    const R wt = wv[t];
    const int64_t off = offs[t];
#pragma GCC unroll 8
    for (int i = 0; i < RB; ++i) {
#pragma GCC unroll 8
      for (int j = 0; j < NB; ++j) acc[i][j] = V::fmadd(wt, V::loadu(src[i][j] + off), acc[i][j]);
    }
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

// Tiles of RB output rows x NB column vectors; row and vector indices past the end repeat
// the last one (recomputed and stored again, harmlessly).
template <class V, int RB, int NB>
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
      dw_accumulate<V, RB, NB>(src, offs, wv, taps, bias, acc);
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

template <class V>
void dw_row_mode(const DepthwiseArgs& a, PadPhaseFn pad, PadPhasePairFn pair) {
  using R = typename V::R;
  const WindowAxis &h = a.g.h, &w = a.g.w;
  const int64_t rows = a.oy1 - a.oy0, ow = w.out;
  const DwRowLayout lay = dw_row_layout(a.g, rows);
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
  if (!V::kMasked && cols.last_n < V::L) {
    cols.last_cx = ow - V::L;
    cols.last_n = V::L;
  }
  // Two sets of padded planes, then zeros that masked tail loads read past them.
  float* xp = static_cast<float*>(a.scratch);
  std::fill(xp + 2 * lay.planes, xp + 2 * lay.planes + 32, 0.0f);
  const bool paired = lay.ph_w == 2 && wp <= 256;
  const R lo = V::set1(a.lo), hi = V::set1(a.hi);
  R wv[2][kDwMaxTaps];
  auto prepare = [&](int64_t p, int set) {
    const float* src = a.x + (p / a.mult) * in_plane;
    float* xc = xp + set * lay.planes;
    for (int64_t py = 0; py < lay.ph_h; ++py) {
      const int64_t row0 = a.oy0 * h.stride + py - h.pad_begin;
      float* dst = xc + py * lay.ph_w * pp;
      if (paired) {
        pair(src, h.in, w.in, row0, -w.pad_begin, h.stride, lay.hp, wp, dst, dst + pp);
        continue;
      }
      for (int64_t px = 0; px < lay.ph_w; ++px) {
        pad(src, h.in, w.in, row0, px - w.pad_begin, h.stride, w.stride, lay.hp, wp, dst + px * pp);
      }
    }
    const float* wc = a.w + (p % a.out_c) * taps;
    for (int64_t t = 0; t < taps; ++t) wv[set][t] = V::set1(wc[t]);
  };
  int set = 0;
  prepare(a.p0, 0);
  for (int64_t p = a.p0; p < a.p1; ++p, set ^= 1) {
    if (p + 1 < a.p1) prepare(p + 1, set ^ 1);
    const int64_t c = p % a.out_c;
    const R bias = V::set1(a.bias ? a.bias[c] : 0.0f);
    const float* res = a.res ? a.res + p * out_plane + a.oy0 * ow : nullptr;
    float* out = a.y + p * out_plane + a.oy0 * ow;
    const float* xs = xp + set * lay.planes;
    if (cols.nv >= 4) {
      dw_rows<V, 2, 4>(xs, offs, wv[set], taps, bias, lo, hi, rows, wp, ow, cols, res, out);
    } else if (cols.nv >= 2) {
      dw_rows<V, 4, 2>(xs, offs, wv[set], taps, bias, lo, hi, rows, wp, ow, cols, res, out);
    } else {
      dw_rows<V, 8, 1>(xs, offs, wv[set], taps, bias, lo, hi, rows, wp, ow, cols, res, out);
    }
  }
}

// -- channel-block mode -----------------------------------------------------------------

// Channels [p0, p0 + nc) (nc <= L) of the batch, output rows [oy0, oy1): their input rows
// into `blk` (pixel-major, zero-padded), their weights into `wt` (taps x L), then tiles of
// L output pixels x L channels, transposed back to the channels' planes.
template <class V>
void dw_block(const DepthwiseArgs& a, int64_t p0, int nc, const DwBlockLayout& lay,
              const int32_t* pix, const int32_t* toff, float* blk, float* wt) {
  using R = typename V::R;
  constexpr int L = V::L;
  const WindowAxis &h = a.g.h, &w = a.g.w;
  const int64_t taps = h.kernel * w.kernel;
  const int64_t in_plane = h.in * w.in, out_plane = h.out * w.out;
  const int64_t ow = w.out, out_px = (a.oy1 - a.oy0) * ow;
  // Input rows the block reads: padded row r is input row r + iy0.
  const int64_t iy0 = a.oy0 * h.stride - h.pad_begin;
  const int64_t iy_lo = std::max<int64_t>(0, iy0), iy_hi = std::min(h.in, iy0 + lay.hp);
  const R zero = V::zero();
  for (int64_t i = 0, n = lay.hp * lay.wp; i < n; ++i) V::storea(blk + i * L, zero);
  const float* planes[L];
  for (int l = 0; l < L; ++l) {
    const int64_t p = p0 + std::min(l, nc - 1);
    planes[l] = a.x + (p / a.mult) * in_plane;
  }
  // Transpose L flat input pixels at a time; each pixel's vector goes to its padded spot.
  const int64_t f_end = iy_hi * w.in;
  int64_t iy = iy_lo, ix = 0;
  for (int64_t f = iy_lo * w.in; f < f_end; f += L) {
    const int n = static_cast<int>(std::min<int64_t>(L, f_end - f));
    R r[L];
#pragma GCC unroll 16
    for (int l = 0; l < L; ++l) r[l] = l < nc ? V::load(planes[l] + f, n) : zero;
    V::transpose(r);
    for (int j = 0; j < n; ++j) {
      const int64_t col = ix + w.pad_begin;
      if (col < lay.wp) V::storea(blk + ((iy - iy0) * lay.wp + col) * L, r[j]);
      if (++ix == w.in) {
        ix = 0;
        ++iy;
      }
    }
  }
  // The weights, taps x L: the channels' tap rows transposed L taps at a time (a scalar
  // copy of 9 x 16 weights cost as much as a 4x4 block's taps).
  alignas(64) float bias[L];
  const float* wrow[L];
  for (int l = 0; l < L; ++l) {
    const int64_t c = (p0 + std::min(l, nc - 1)) % a.out_c;
    wrow[l] = a.w + c * taps;
    bias[l] = a.bias ? a.bias[c] : 0.0f;
  }
  for (int64_t t0 = 0; t0 < taps; t0 += L) {
    const int n = static_cast<int>(std::min<int64_t>(L, taps - t0));
    R r[L];
#pragma GCC unroll 16
    for (int l = 0; l < L; ++l) r[l] = V::load(wrow[l] + t0, n);
    V::transpose(r);
    for (int t = 0; t < n; ++t) V::storea(wt + (t0 + t) * L, r[t]);
  }
  const R b = V::loada(bias), lo = V::set1(a.lo), hi = V::set1(a.hi);
  for (int64_t q0 = 0; q0 < out_px; q0 += L) {
    const int n = static_cast<int>(std::min<int64_t>(L, out_px - q0));
    const float* src[L];
    R acc[L];
#pragma GCC unroll 16
    for (int i = 0; i < L; ++i) {
      src[i] = blk + pix[q0 + std::min(i, n - 1)];
      acc[i] = b;
    }
#pragma GCC unroll 1
    for (int64_t t = 0; t < taps; ++t) {
      const R wv = V::loada(wt + t * L);
      const int64_t off = toff[t];
#pragma GCC unroll 16
      for (int i = 0; i < L; ++i) acc[i] = V::fmadd(wv, V::loada(src[i] + off), acc[i]);
    }
    V::transpose(acc);  // acc[l]: channel l at pixels q0..q0 + L
    const int64_t o = a.oy0 * ow + q0;
    for (int l = 0; l < nc; ++l) {
      R v = acc[l];
      if (a.res) v = V::add(v, V::load(a.res + (p0 + l) * out_plane + o, n));
      V::store(a.y + (p0 + l) * out_plane + o, V::clamp(v, lo, hi), n);
    }
  }
}

template <class V>
void dw_block_mode(const DepthwiseArgs& a) {
  constexpr int L = V::L;
  const WindowAxis &h = a.g.h, &w = a.g.w;
  const int64_t rows = a.oy1 - a.oy0, ow = w.out;
  const DwBlockLayout lay = dw_block_layout(a.g, rows);
  float* blk = static_cast<float*>(a.scratch);
  float* wt = blk + lay.floats;
  int32_t* pix = reinterpret_cast<int32_t*>(wt + kDwMaxTaps * kDwMaxLanes);
  int32_t toff[kDwMaxTaps];
  for (int64_t ky = 0; ky < h.kernel; ++ky) {
    for (int64_t kx = 0; kx < w.kernel; ++kx) {
      toff[ky * w.kernel + kx] =
          static_cast<int32_t>((ky * h.dilation * lay.wp + kx * w.dilation) * L);
    }
  }
  for (int64_t q = 0; q < rows * ow; ++q) {
    const int64_t oy = q / ow, ox = q - oy * ow;
    pix[q] = static_cast<int32_t>((oy * h.stride * lay.wp + ox * w.stride) * L);
  }
  for (int64_t p0 = a.p0; p0 < a.p1; p0 += L) {
    const int nc = static_cast<int>(std::min<int64_t>(L, a.p1 - p0));
    dw_block<V>(a, p0, nc, lay, pix, toff, blk, wt);
  }
}

template <class V>
void depthwise_simd(const DepthwiseArgs& a, PadPhaseFn pad, PadPhasePairFn pair) {
  if (!depthwise_fast_fits(a.g)) {
    depthwise_ref(a);
    return;
  }
  if (a.oy1 <= a.oy0 || a.p1 <= a.p0) return;
  // Below 16 columns: AVX2's row mode computed 16 lanes for 14 outputs, from unaligned
  // loads, and ran at less than half the channel blocks' speed (7x7 taps, 14x14 planes).
  if (a.g.w.out < kDwMaxLanes) {
    dw_block_mode<V>(a);
  } else {
    dw_row_mode<V>(a, pad, pair);
  }
}

}  // namespace
}  // namespace fastinfer::conv
