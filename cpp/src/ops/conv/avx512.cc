// im2col panel rows for stride-1 convolutions with AVX-512 masked loads: each (c, ky, kx)
// row segment is one shifted slice of an input row, so a masked load (which does not
// touch masked-off lanes, hence no read past the row) writes the zeros of the padding and
// the copied values at once. Scalar loops here cost as much as the GEMM on the panel.
#include <immintrin.h>

#include <algorithm>

#include "ops/conv/im2col.h"

namespace fastinfer::ops::detail {

void im2col_panel_s1_avx512(const float* in, int64_t channels, const Window2d& g, int64_t q0,
                            int64_t q1, float* panel) {
  using f32::kPanelWidth;
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

}  // namespace fastinfer::ops::detail

namespace fastinfer::ops::detail {
namespace {

constexpr int kMr = 12;

// Rows [0, MR) of one weight tile against 16 * NV consecutive flat pixels starting at xq:
// the B row of tap kk is xq + offs[kk] in the padded input, read unaligned. NV = 1 serves
// a last block of at most 16 pixels (small planes: an 8x8 output is 78 flat positions,
// and a second full vector there would be a sixth of the layer's work, all dropped).
template <int MR, int NV>
void direct_tile(const float* wt, const int32_t* offs, int64_t k, const float* xq, float* ts) {
  __m512 acc[MR][NV];
#pragma GCC unroll 16
  for (int r = 0; r < MR; ++r) {
#pragma GCC unroll 2
    for (int v = 0; v < NV; ++v) acc[r][v] = _mm512_setzero_ps();
  }
  for (int64_t kk = 0; kk < k; ++kk) {
    const float* b = xq + offs[kk];
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
#pragma GCC unroll 2
    for (int v = 0; v < NV; ++v) _mm512_store_ps(ts + r * 32 + 16 * v, acc[r][v]);
  }
}

using TileFn = void (*)(const float*, const int32_t*, int64_t, const float*, float*);
template <int NV, int... R>
struct Tiles {
  static constexpr TileFn fns[] = {nullptr, &direct_tile<R, NV>...};
};

}  // namespace

void conv_direct_s1_avx512(const DirectConvArgs& a) {
  using Table = Tiles<2, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12>;
  using HalfTable = Tiles<1, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12>;
  // Rows are read 16 lanes at a time from any lane, so the last one may run 16 past its end.
  alignas(64) float ts[kMr * 32 + 16];
  struct Segment {
    int64_t lane, len, o;
  };
  Segment segs[32];
  const __m512 zero = _mm512_setzero_ps();
  const int64_t flat_end = (a.out_h - 1) * a.wp + a.out_w;
  for (int64_t q = a.q_begin; q < a.q_end; q += 32) {
    // Output pixels among the flat positions [q, q + 32): one segment per output row.
    int64_t n_segs = 0;
    for (int64_t p = q; p < std::min(q + 32, flat_end);) {
      const int64_t oy = p / a.wp, ox = p - oy * a.wp;
      if (ox >= a.out_w) {
        p += a.wp - ox;
        continue;
      }
      const int64_t len = std::min(a.out_w - ox, q + 32 - p);
      segs[n_segs++] = {p - q, len, oy * a.out_w + ox};
      p += len;
    }
    const TileFn* fns = std::min(q + 32, flat_end) - q <= 16 ? HalfTable::fns : Table::fns;
    for (int64_t m0 = 0; m0 < a.m; m0 += kMr) {
      const int64_t rows = std::min<int64_t>(kMr, a.m - m0);
      fns[rows](a.w_tiles + m0 * a.k, a.offs, a.k, a.xp + q, ts);
      for (int64_t r = 0; r < rows; ++r) {
        const int64_t m = m0 + r;
        const __m512 bias = _mm512_set1_ps(a.bias ? a.bias[m] : 0.0f);
        float* out = a.y + m * a.out_plane;
        const float* res = a.res ? a.res + m * a.out_plane : nullptr;
        for (int64_t s = 0; s < n_segs; ++s) {
          for (int64_t t = 0; t < segs[s].len; t += 16) {
            const int64_t n = std::min<int64_t>(16, segs[s].len - t);
            const __mmask16 mask = static_cast<__mmask16>((1u << n) - 1);
            const int64_t o = segs[s].o + t;
            __m512 v = _mm512_add_ps(_mm512_loadu_ps(ts + r * 32 + segs[s].lane + t), bias);
            if (res) v = _mm512_add_ps(v, _mm512_maskz_loadu_ps(mask, res + o));
            // max(0, v) returns v when v is NaN, so NaN passes through as in the GEMM path.
            if (a.relu) v = _mm512_max_ps(zero, v);
            _mm512_mask_storeu_ps(out + o, mask, v);
          }
        }
      }
    }
  }
}

}  // namespace fastinfer::ops::detail
