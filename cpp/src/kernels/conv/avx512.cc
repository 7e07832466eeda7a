// The AVX-512 conv kernels (16 lanes, 32 zmm registers, masks): direct conv tiles of
// 12 rows x 32 pixels, the phase-split padding, im2col for stride 1, the small-output
// gather and epilogue, and the depthwise loop (depthwise_simd.h).
#include <immintrin.h>

#include <algorithm>
#include <cstdint>

#include "kernels/conv/kernels.h"

namespace fastinfer::conv {
namespace {

// im2col panel rows for stride-1 convolutions with masked loads: each (c, ky, kx) row
// segment is one shifted slice of an input row, so a masked load (which does not touch
// masked-off lanes, hence no read past the row) writes the zeros of the padding and the
// copied values at once. Scalar loops here cost as much as the GEMM on the panel.
void im2col_panel_s1(const float* in, int64_t channels, const Window2d& g, int64_t q0, int64_t q1,
                     float* panel) {
  constexpr int64_t kPanelWidth = kBlock;
  const WindowAxis &h = g.h, &w = g.w;
  const int64_t plane = h.in * w.in, cols = q1 - q0;
  struct Segment {
    int64_t col, len, oy, ox;
  };
  Segment segs[kPanelWidth];
  int64_t n_segs = 0;
  for (int64_t q = q0; q < q1;) {
    const int64_t oy = q / w.out, ox = q - oy * w.out;
    const int64_t len = std::min(q1 - q, w.out - ox);
    segs[n_segs++] = {q - q0, len, oy, ox};
    q += len;
  }
  const __m512 zero = _mm512_setzero_ps();
  float* dst = panel;
  for (int64_t c = 0; c < channels; ++c) {
    const float* src_c = in + c * plane;
    for (int64_t ky = 0; ky < h.kernel; ++ky) {
      for (int64_t kx = 0; kx < w.kernel; ++kx, dst += kPanelWidth) {
        // Columns past the panel's pixels stay zero: the kernel multiplies them too.
        if (cols < kPanelWidth) {
          _mm512_store_ps(dst, zero);
          _mm512_store_ps(dst + 16, zero);
        }
        for (int64_t si = 0; si < n_segs; ++si) {
          const Segment& sg = segs[si];
          float* d = dst + sg.col;
          const int64_t iy = sg.oy * h.stride - h.pad_begin + ky * h.dilation;
          const int64_t base = sg.ox - w.pad_begin + kx * w.dilation;
          // Valid lanes [lo, hi) of the segment; none when the row is padding.
          int64_t lo = 0, hi = 0;
          if (iy >= 0 && iy < h.in) {
            lo = std::clamp<int64_t>(-base, 0, sg.len);
            hi = std::clamp<int64_t>(w.in - base, lo, sg.len);
          }
          const float* s = src_c + iy * w.in + base;
          for (int64_t t = 0; t < sg.len; t += 16) {
            const int64_t n = std::min<int64_t>(16, sg.len - t);
            const __mmask16 store = static_cast<__mmask16>((1u << n) - 1);
            const int64_t a = std::clamp<int64_t>(lo - t, 0, n);
            const int64_t b = std::clamp<int64_t>(hi - t, a, n);
            const __mmask16 load = static_cast<__mmask16>(((1u << b) - 1) & ~((1u << a) - 1));
            _mm512_mask_storeu_ps(d + t, store, _mm512_maskz_loadu_ps(load, s + t));
          }
        }
      }
    }
  }
}

constexpr int kMr = 12;

// Why: a B row of tap kk lies in input plane c(kk), so one block's taps read as many
// streams as there are channels (256 on a 1x1 conv of 256 channels), more than the
// hardware prefetchers track, and the first row tile of each block waited on those misses.
// That tile prefetches the next block's two lines per tap instead. Measured on ResNet's
// 1x1 256 -> 64 at 56x56 (1 thread): 20% less time; other layers unchanged within noise.
inline void prefetch_b(const float* p) {
  _mm_prefetch(reinterpret_cast<const char*>(p), _MM_HINT_T0);
  _mm_prefetch(reinterpret_cast<const char*>(p + 16), _MM_HINT_T0);
}

// Where one block of 32 flat positions goes: per 16-lane vector the lanes that are output
// pixels (ox < out_w), the output index of its first such lane, and how many there are.
// Output pixels are in flat order, so a vector's valid lanes are consecutive outputs: the
// epilogue compresses them in a register and stores them with one masked store (and
// expands the residual the same way), instead of spilling the tile and copying it out
// segment by segment, which cost a fifth of the conv time.
struct BlockOut {
  __mmask16 lanes[2];
  __mmask16 dense[2];  // the low popcount(lanes[v]) bits
  int64_t o[2];
  const float* bias;  // this tile's rows, or null
  const float* res;   // plane of the tile's row 0, or null
  float* y;           // plane of the tile's row 0
  int64_t out_plane;
  __m512 lo, hi;
};

// Rows [0, MR) of one weight tile against 16 * NV consecutive flat pixels starting at xq:
// the B row of tap kk is xq + offs[kk] in the padded input, read unaligned. NV = 1 serves
// a last block of at most 16 pixels (small planes: an 8x8 output is 78 flat positions,
// and a second full vector there would be a sixth of the layer's work, all dropped).
template <int MR, int NV>
void direct_tile(const float* wt, const int32_t* offs, int64_t k, const float* xq,
                 const BlockOut& e, const float* pf) {
  __m512 acc[MR][NV];
#pragma GCC unroll 16
  for (int r = 0; r < MR; ++r) {
#pragma GCC unroll 2
    for (int v = 0; v < NV; ++v) acc[r][v] = _mm512_setzero_ps();
  }
  for (int64_t kk = 0; kk < k; ++kk) {
    const float* b = xq + offs[kk];
    if (pf) prefetch_b(pf + offs[kk]);
    __m512 bv[NV];
#pragma GCC unroll 2
    for (int v = 0; v < NV; ++v) bv[v] = _mm512_loadu_ps(b + 16 * v);
#pragma GCC unroll 16
    for (int r = 0; r < MR; ++r) {
      const __m512 wv = _mm512_set1_ps(wt[kk * kMr + r]);
#pragma GCC unroll 2
      for (int v = 0; v < NV; ++v) acc[r][v] = _mm512_fmadd_ps(wv, bv[v], acc[r][v]);
    }
  }
#pragma GCC unroll 16
  for (int r = 0; r < MR; ++r) {
    const __m512 bias = _mm512_set1_ps(e.bias ? e.bias[r] : 0.0f);
#pragma GCC unroll 2
    for (int v = 0; v < NV; ++v) {
      if (!e.lanes[v]) continue;
      const int64_t o = r * e.out_plane + e.o[v];
      __m512 val = _mm512_add_ps(acc[r][v], bias);
      if (e.res) {
        val = _mm512_add_ps(
            val, _mm512_maskz_expand_ps(e.lanes[v], _mm512_maskz_loadu_ps(e.dense[v], e.res + o)));
      }
      // max(lo, v) returns v when v is NaN, so NaN passes through as in the GEMM path.
      val = _mm512_min_ps(e.hi, _mm512_max_ps(e.lo, val));
      _mm512_mask_storeu_ps(e.y + o, e.dense[v], _mm512_maskz_compress_ps(e.lanes[v], val));
    }
  }
}

using TileFn = void (*)(const float*, const int32_t*, int64_t, const float*, const BlockOut&,
                        const float*);
template <int NV, int... R>
struct Tiles {
  static constexpr TileFn fns[] = {nullptr, &direct_tile<R, NV>...};
};

void direct_flat(const DirectConvArgs& a) {
  using Table = Tiles<2, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12>;
  using HalfTable = Tiles<1, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12>;
  const int64_t flat_end = (a.out_h - 1) * a.wp + a.out_w;
  BlockOut e;
  e.out_plane = a.out_plane;
  e.lo = _mm512_set1_ps(a.lo);
  e.hi = _mm512_set1_ps(a.hi);
  for (int64_t q = a.q_begin; q < a.q_end; q += 32) {
    // Output pixels among the flat positions [q, end): runs of output rows.
    const int64_t end = std::min(q + 32, flat_end);
    uint64_t valid = 0;
    int64_t o0 = -1;
    for (int64_t p = q; p < end;) {
      const int64_t oy = p / a.wp, ox = p - oy * a.wp;
      if (ox >= a.out_w) {
        p += a.wp - ox;
        continue;
      }
      const int64_t len = std::min(a.out_w - ox, end - p);
      if (o0 < 0) o0 = oy * a.out_w + ox;
      valid |= ((uint64_t{1} << len) - 1) << (p - q);
      p += len;
    }
    if (!valid) continue;  // only padding columns (kernels wider than 32)
    e.lanes[0] = static_cast<__mmask16>(valid);
    e.lanes[1] = static_cast<__mmask16>(valid >> 16);
    const int n0 = __builtin_popcount(e.lanes[0]), n1 = __builtin_popcount(e.lanes[1]);
    e.dense[0] = static_cast<__mmask16>((1u << n0) - 1);
    e.dense[1] = static_cast<__mmask16>((1u << n1) - 1);
    e.o[0] = o0;
    e.o[1] = o0 + n0;
    const TileFn* fns = end - q <= 16 ? HalfTable::fns : Table::fns;
    for (int64_t m0 = 0; m0 < a.m; m0 += kMr) {
      const int64_t rows = std::min<int64_t>(kMr, a.m - m0);
      e.bias = a.bias ? a.bias + m0 : nullptr;
      e.res = a.res ? a.res + m0 * a.out_plane : nullptr;
      e.y = a.y + m0 * a.out_plane;
      fns[rows](a.w_tiles + m0 * a.k, a.offs, a.k, a.xp + q, e,
                m0 == 0 && q + 32 < a.q_end ? a.xp + q + 32 : nullptr);
    }
  }
}

// Rows [0, MR) of one weight tile against 16 * NV output pixels that are whole 8-pixel runs
// of output rows (out_w % 8 == 0): run h of the block starts at padded position base[h],
// so tap kk reads base[h] + offs[kk]. SPLIT: each vector is two runs from different rows
// (out_w == 8), joined by an insert; else one 16-pixel run. Output is dense, so no lane is
// wasted and the epilogue stores rows as they are.
template <int MR, int NV, bool SPLIT>
void rows_tile(const float* wt, const int32_t* offs, int64_t k, const float* const* base, int64_t n,
               const float* bias, const float* res, float* y, int64_t out_plane, __m512 lo,
               __m512 hi, const float* pf) {
  __m512 acc[MR][NV];
#pragma GCC unroll 16
  for (int r = 0; r < MR; ++r) {
#pragma GCC unroll 2
    for (int v = 0; v < NV; ++v) acc[r][v] = _mm512_setzero_ps();
  }
  for (int64_t kk = 0; kk < k; ++kk) {
    const int64_t off = offs[kk];
    if (pf) prefetch_b(pf + off);
    __m512 bv[NV];
#pragma GCC unroll 2
    for (int v = 0; v < NV; ++v) {
      if constexpr (SPLIT) {
        bv[v] = _mm512_insertf32x8(_mm512_castps256_ps512(_mm256_loadu_ps(base[2 * v] + off)),
                                   _mm256_loadu_ps(base[2 * v + 1] + off), 1);
      } else {
        bv[v] = _mm512_loadu_ps(base[2 * v] + off);
      }
    }
#pragma GCC unroll 16
    for (int r = 0; r < MR; ++r) {
      const __m512 wv = _mm512_set1_ps(wt[kk * kMr + r]);
#pragma GCC unroll 2
      for (int v = 0; v < NV; ++v) acc[r][v] = _mm512_fmadd_ps(wv, bv[v], acc[r][v]);
    }
  }
#pragma GCC unroll 16
  for (int r = 0; r < MR; ++r) {
    const __m512 b = _mm512_set1_ps(bias ? bias[r] : 0.0f);
#pragma GCC unroll 2
    for (int v = 0; v < NV; ++v) {
      const int64_t lanes = std::min<int64_t>(16, n - 16 * v);
      if (lanes <= 0) continue;
      const __mmask16 mask = static_cast<__mmask16>((1u << lanes) - 1);
      const int64_t o = r * out_plane + 16 * v;
      __m512 val = _mm512_add_ps(acc[r][v], b);
      if (res) val = _mm512_add_ps(val, _mm512_maskz_loadu_ps(mask, res + o));
      // max(lo, v) returns v when v is NaN, so NaN passes through as in the GEMM path.
      val = _mm512_min_ps(hi, _mm512_max_ps(lo, val));
      _mm512_mask_storeu_ps(y + o, mask, val);
    }
  }
}

using RowsFn = void (*)(const float*, const int32_t*, int64_t, const float* const*, int64_t,
                        const float*, const float*, float*, int64_t, __m512, __m512, const float*);
template <int NV, bool SPLIT, int... R>
struct RowsTiles {
  static constexpr RowsFn fns[] = {nullptr, &rows_tile<R, NV, SPLIT>...};
};

void direct_rows(const DirectConvArgs& a) {
  using T2 = RowsTiles<2, false, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12>;
  using T1 = RowsTiles<1, false, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12>;
  using S2 = RowsTiles<2, true, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12>;
  using S1 = RowsTiles<1, true, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12>;
  const bool split = a.out_w % 16 != 0;
  const __m512 lo = _mm512_set1_ps(a.lo), hi = _mm512_set1_ps(a.hi);
  for (int64_t q = a.q_begin; q < a.q_end; q += 32) {
    const int64_t n = std::min<int64_t>(32, a.q_end - q);
    // Start of each 8-pixel run in the padded grid (vector v reads runs 2v and 2v + 1, or
    // one 16-pixel run from 2v); runs past the block repeat its last (read, never stored).
    const float* base[4];
    for (int h = 0; h < 4; ++h) {
      const int64_t p = q + 8 * std::min<int64_t>(h, (n - 1) / 8);
      const int64_t oy = p / a.out_w, ox = p - oy * a.out_w;
      base[h] = a.xp + oy * a.wp + ox;
    }
    const RowsFn* fns = n <= 16 ? (split ? S1::fns : T1::fns) : (split ? S2::fns : T2::fns);
    // The next block's first run, which the first row tile prefetches tap by tap.
    const float* next = nullptr;
    if (q + 32 < a.q_end) {
      const int64_t oy = (q + 32) / a.out_w;
      next = a.xp + oy * a.wp + (q + 32 - oy * a.out_w);
    }
    for (int64_t m0 = 0; m0 < a.m; m0 += kMr) {
      const int64_t rows = std::min<int64_t>(kMr, a.m - m0);
      fns[rows](a.w_tiles + m0 * a.k, a.offs, a.k, base, n, a.bias ? a.bias + m0 : nullptr,
                a.res ? a.res + m0 * a.out_plane + q : nullptr, a.y + m0 * a.out_plane + q,
                a.out_plane, lo, hi, m0 == 0 ? next : nullptr);
    }
  }
}

// Why vector code: rows here are 10 to 70 floats, where per-row fill/copy library calls
// and the scalar stride-2 gather made this copy ~15% of the network's time. Masked loads
// do not touch masked-off lanes, so lanes outside the input read nothing and come out 0.
void pad_phase(const float* src, int64_t in_h, int64_t in_w, int64_t row0, int64_t col0, int64_t sh,
               int64_t sw, int64_t hp, int64_t wp, float* dst) {
  auto ceil_div = [](int64_t a, int64_t b) { return (a + b - 1) / b; };
  // Columns j whose source column j * sw + col0 lies in [0, in_w).
  const int64_t j_lo = std::min(wp, col0 >= 0 ? int64_t{0} : ceil_div(-col0, sw));
  const int64_t j_hi =
      std::clamp<int64_t>(in_w - col0 > 0 ? ceil_div(in_w - col0, sw) : 0, j_lo, wp);
  const __m512 zero = _mm512_setzero_ps();
  const __m512i even = _mm512_setr_epi32(0, 2, 4, 6, 8, 10, 12, 14, 16, 18, 20, 22, 24, 26, 28, 30);
  const __m512i steps =
      _mm512_mullo_epi32(_mm512_setr_epi32(0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15),
                         _mm512_set1_epi32(static_cast<int32_t>(sw)));
  // The column masks depend on the chunk only, not on the row: computed once, so a row
  // is just its loads and stores (per-row mask arithmetic was most of this copy's time on
  // planes of 9 to 34 columns).
  constexpr int64_t kMaxChunks = 16;
  const int64_t chunks = (wp + 15) / 16;
  if (chunks <= kMaxChunks && sw <= 2) {
    __mmask16 store_m[kMaxChunks], lo_m[kMaxChunks], hi_m[kMaxChunks];
    for (int64_t c = 0; c < chunks; ++c) {
      const int64_t j0 = 16 * c, n = std::min<int64_t>(16, wp - j0);
      store_m[c] = static_cast<__mmask16>((1u << n) - 1);
      const int64_t a = std::clamp<int64_t>(j_lo - j0, 0, n);
      const int64_t b = std::clamp<int64_t>(j_hi - j0, a, n);
      if (b <= a) {
        lo_m[c] = hi_m[c] = 0;
      } else if (sw == 1) {
        lo_m[c] = static_cast<__mmask16>(((1u << b) - 1) & ~((1u << a) - 1));
        hi_m[c] = 0;
      } else {
        const uint64_t m32 = ((uint64_t{1} << (2 * b - 1)) - 1) & ~((uint64_t{1} << (2 * a)) - 1);
        lo_m[c] = static_cast<__mmask16>(m32);
        hi_m[c] = static_cast<__mmask16>(m32 >> 16);
      }
    }
    for (int64_t r = 0; r < hp; ++r) {
      float* d = dst + r * wp;
      const int64_t iy = r * sh + row0;
      if (iy < 0 || iy >= in_h) {
        for (int64_t c = 0; c < chunks; ++c) _mm512_mask_storeu_ps(d + 16 * c, store_m[c], zero);
        continue;
      }
      const float* s = src + iy * in_w + col0;
      for (int64_t c = 0; c < chunks; ++c) {
        __m512 v;
        if (sw == 1) {
          v = _mm512_maskz_loadu_ps(lo_m[c], s + 16 * c);
        } else {
          v = _mm512_permutex2var_ps(_mm512_maskz_loadu_ps(lo_m[c], s + 32 * c), even,
                                     _mm512_maskz_loadu_ps(hi_m[c], s + 32 * c + 16));
        }
        _mm512_mask_storeu_ps(d + 16 * c, store_m[c], v);
      }
    }
    return;
  }
  for (int64_t r = 0; r < hp; ++r) {
    float* d = dst + r * wp;
    const int64_t iy = r * sh + row0;
    const bool inside = iy >= 0 && iy < in_h;
    // Source of column j: s + j * sw (s itself may lie outside the row; only valid lanes
    // are read).
    const float* s = src + iy * in_w + col0;
    for (int64_t j0 = 0; j0 < wp; j0 += 16) {
      const int64_t n = std::min<int64_t>(16, wp - j0);
      const __mmask16 store = static_cast<__mmask16>((1u << n) - 1);
      const int64_t a = inside ? std::clamp<int64_t>(j_lo - j0, 0, n) : 0;
      const int64_t b = inside ? std::clamp<int64_t>(j_hi - j0, a, n) : 0;
      __m512 v = zero;
      if (b > a) {
        const __mmask16 load = static_cast<__mmask16>(((1u << b) - 1) & ~((1u << a) - 1));
        if (sw == 1) {
          v = _mm512_maskz_loadu_ps(load, s + j0);
        } else if (sw == 2) {
          // Lanes t in [a, b) read source offsets 2t: all of [2a, 2b - 1) is in the row.
          const uint64_t m32 = ((uint64_t{1} << (2 * b - 1)) - 1) & ~((uint64_t{1} << (2 * a)) - 1);
          const __m512 lo = _mm512_maskz_loadu_ps(static_cast<__mmask16>(m32), s + 2 * j0);
          const __m512 hi =
              _mm512_maskz_loadu_ps(static_cast<__mmask16>(m32 >> 16), s + 2 * j0 + 16);
          v = _mm512_permutex2var_ps(lo, even, hi);
        } else {
          v = _mm512_mask_i32gather_ps(zero, load, steps, s + j0 * sw, 4);
        }
      }
      _mm512_mask_storeu_ps(d + j0, store, v);
    }
  }
}

void pad_phase_pair(const float* src, int64_t in_h, int64_t in_w, int64_t row0, int64_t col0,
                    int64_t sh, int64_t hp, int64_t wp, float* dst0, float* dst1) {
  // Output column j of chunk c reads window lane 2j (phase 0) and 2j + 1 (phase 1) of the
  // 32 source columns from col0 + 32c; a lane is loaded iff its column is in the row.
  const int64_t chunks = (wp + 15) / 16;
  __mmask16 store_m[16], lo_m[16], hi_m[16];
  for (int64_t c = 0; c < chunks; ++c) {
    store_m[c] = static_cast<__mmask16>((1u << std::min<int64_t>(16, wp - 16 * c)) - 1);
    const int64_t first = col0 + 32 * c;  // source column of window lane 0
    const int64_t a = std::clamp<int64_t>(-first, 0, 32);
    const int64_t b = std::clamp<int64_t>(in_w - first, a, 32);
    const uint64_t m32 = ((uint64_t{1} << b) - 1) & ~((uint64_t{1} << a) - 1);
    lo_m[c] = static_cast<__mmask16>(m32);
    hi_m[c] = static_cast<__mmask16>(m32 >> 16);
  }
  const __m512 zero = _mm512_setzero_ps();
  const __m512i even = _mm512_setr_epi32(0, 2, 4, 6, 8, 10, 12, 14, 16, 18, 20, 22, 24, 26, 28, 30);
  const __m512i odd = _mm512_add_epi32(even, _mm512_set1_epi32(1));
  for (int64_t r = 0; r < hp; ++r) {
    float* d0 = dst0 + r * wp;
    float* d1 = dst1 + r * wp;
    const int64_t iy = r * sh + row0;
    if (iy < 0 || iy >= in_h) {
      for (int64_t c = 0; c < chunks; ++c) {
        _mm512_mask_storeu_ps(d0 + 16 * c, store_m[c], zero);
        _mm512_mask_storeu_ps(d1 + 16 * c, store_m[c], zero);
      }
      continue;
    }
    const float* s = src + iy * in_w + col0;
    for (int64_t c = 0; c < chunks; ++c) {
      const __m512 lo = _mm512_maskz_loadu_ps(lo_m[c], s + 32 * c);
      const __m512 hi = _mm512_maskz_loadu_ps(hi_m[c], s + 32 * c + 16);
      _mm512_mask_storeu_ps(d0 + 16 * c, store_m[c], _mm512_permutex2var_ps(lo, even, hi));
      _mm512_mask_storeu_ps(d1 + 16 * c, store_m[c], _mm512_permutex2var_ps(lo, odd, hi));
    }
  }
}

void gather_small(const float* x, int64_t channels, int64_t in_plane, const int32_t* idx,
                  int64_t taps, int64_t out_plane, float* panel) {
  const __mmask16 cols = static_cast<__mmask16>((1u << out_plane) - 1);
  const __m512i zero_i = _mm512_setzero_si512(), bit5 = _mm512_set1_epi32(32);
  if (in_plane <= 64) {
    // Why: a plane of at most 64 floats fits in four registers, and two two-register
    // permutes (plus a blend on index bit 5) pick a tap's 16 pixels several times faster
    // than a 16-lane memory gather, which was a third of these convs' time.
    for (int64_t c = 0; c < channels; ++c, x += in_plane) {
      __m512 r[4];
      for (int v = 0; v < 4; ++v) {
        const int64_t n = std::clamp<int64_t>(in_plane - 16 * v, 0, 16);
        r[v] = _mm512_maskz_loadu_ps(static_cast<__mmask16>((1u << n) - 1), x + 16 * v);
      }
      for (int64_t t = 0; t < taps; ++t, panel += kBlock) {
        const __m512i iv = _mm512_loadu_si512(idx + t * 16);
        // Padding lanes (index -1) come out 0; their all-ones index selects any lane.
        const __mmask16 valid = _mm512_cmpge_epi32_mask(iv, zero_i);
        __m512 v = _mm512_permutex2var_ps(r[0], iv, r[1]);
        if (in_plane > 32) {
          const __mmask16 hi = _mm512_test_epi32_mask(iv, bit5);
          v = _mm512_mask_blend_ps(hi, v, _mm512_permutex2var_ps(r[2], iv, r[3]));
        }
        _mm512_mask_storeu_ps(panel, cols, _mm512_maskz_mov_ps(valid, v));
      }
    }
    return;
  }
  for (int64_t c = 0; c < channels; ++c, x += in_plane) {
    for (int64_t t = 0; t < taps; ++t, panel += kBlock) {
      const __m512i iv = _mm512_loadu_si512(idx + t * 16);
      // Lanes of padding pixels (index -1) and past out_plane are not loaded: zero.
      const __mmask16 valid = _mm512_cmpge_epi32_mask(iv, zero_i);
      const __m512 v = _mm512_mask_i32gather_ps(_mm512_setzero_ps(), valid, iv, x, 4);
      _mm512_mask_storeu_ps(panel, cols, v);
    }
  }
}

void epilogue_small(const float* tile, int64_t m, int64_t out_plane, const float* bias,
                    const float* res, float lo, float hi, float* y) {
  const __mmask16 cols = static_cast<__mmask16>((1u << out_plane) - 1);
  for (int64_t r = 0; r < m; ++r, tile += kBlock, y += out_plane) {
    __m512 v = _mm512_maskz_loadu_ps(cols, tile);
    if (bias) v = _mm512_add_ps(v, _mm512_set1_ps(bias[r]));
    if (res) v = _mm512_add_ps(v, _mm512_maskz_loadu_ps(cols, res + r * out_plane));
    // max(lo, v), not max(v, lo): maxps returns its second operand when one is NaN, and
    // NaN must pass through a ReLU as in onnxruntime.
    v = _mm512_min_ps(_mm512_set1_ps(hi), _mm512_max_ps(_mm512_set1_ps(lo), v));
    _mm512_mask_storeu_ps(y, cols, v);
  }
}

// Vector traits for depthwise_simd.h.
struct V16 {
  using R = __m512;
  static constexpr int L = 16;
  static constexpr bool kMasked = true;
  static __mmask16 first(int n) { return static_cast<__mmask16>((1u << n) - 1); }
  static R set1(float v) { return _mm512_set1_ps(v); }
  static R loadu(const float* p) { return _mm512_loadu_ps(p); }
  static R fmadd(R a, R b, R c) { return _mm512_fmadd_ps(a, b, c); }
  static R add(R a, R b) { return _mm512_add_ps(a, b); }
  // max(lo, v) and min(hi, v) return v when v is NaN: NaN passes through.
  static R clamp(R v, R lo, R hi) { return _mm512_min_ps(hi, _mm512_max_ps(lo, v)); }
  static R load(const float* p, int n) {
    return n == L ? _mm512_loadu_ps(p) : _mm512_maskz_loadu_ps(first(n), p);
  }
  static void store(float* p, R v, int n) {
    if (n == L) {
      _mm512_storeu_ps(p, v);
    } else {
      _mm512_mask_storeu_ps(p, first(n), v);
    }
  }
  static R zero() { return _mm512_setzero_ps(); }
  static R loada(const float* p) { return _mm512_load_ps(p); }
  static void storea(float* p, R v) { _mm512_store_ps(p, v); }
  // r[i][j] <- r[j][i]: unpack pairs, then 4x4 blocks within 128-bit lanes, then lanes.
  static void transpose(R (&r)[16]) {
    R t[16];
    for (int i = 0; i < 16; i += 2) {
      t[i] = _mm512_unpacklo_ps(r[i], r[i + 1]);
      t[i + 1] = _mm512_unpackhi_ps(r[i], r[i + 1]);
    }
    for (int i = 0; i < 16; i += 4) {
      r[i] = _mm512_shuffle_ps(t[i], t[i + 2], _MM_SHUFFLE(1, 0, 1, 0));
      r[i + 1] = _mm512_shuffle_ps(t[i], t[i + 2], _MM_SHUFFLE(3, 2, 3, 2));
      r[i + 2] = _mm512_shuffle_ps(t[i + 1], t[i + 3], _MM_SHUFFLE(1, 0, 1, 0));
      r[i + 3] = _mm512_shuffle_ps(t[i + 1], t[i + 3], _MM_SHUFFLE(3, 2, 3, 2));
    }
    for (int i = 0; i < 4; ++i) {
      t[i] = _mm512_shuffle_f32x4(r[i], r[i + 4], 0x88);
      t[i + 4] = _mm512_shuffle_f32x4(r[i], r[i + 4], 0xdd);
      t[i + 8] = _mm512_shuffle_f32x4(r[i + 8], r[i + 12], 0x88);
      t[i + 12] = _mm512_shuffle_f32x4(r[i + 8], r[i + 12], 0xdd);
    }
    for (int i = 0; i < 8; ++i) {
      r[i] = _mm512_shuffle_f32x4(t[i], t[i + 8], 0x88);
      r[i + 8] = _mm512_shuffle_f32x4(t[i], t[i + 8], 0xdd);
    }
  }
};

}  // namespace
}  // namespace fastinfer::conv

#include "kernels/conv/depthwise_simd.h"

namespace fastinfer::conv {
namespace {

void depthwise(const DepthwiseArgs& a) { depthwise_simd<V16>(a, &pad_phase, &pad_phase_pair); }

}  // namespace

const ConvKernels kConvAvx512 = {
    "f32-conv-direct-12x32-avx512",
    kMr,
    &direct_flat,
    &direct_rows,
    &pad_phase,
    &pad_phase_pair,
    &gather_small,
    &epilogue_small,
    &im2col_panel_s1,
    "f32-dwconv-8x16-avx512",
    &depthwise,
};

}  // namespace fastinfer::conv
