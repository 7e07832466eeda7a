// The walk over output rows and pixels shared by the blocked depthwise kernels (see
// kernels.h): interior pixels in tiles of up to MaxP, the edge pixels one at a time with
// their column range of taps. Included by each ISA file with a tile functor local to that
// file, so every instantiation is its own and no code built with one ISA's flags is shared.
#pragma once

#include <algorithm>
#include <cstdint>

#include "kernels/conv_blocked/kernels.h"

namespace fastinfer::conv_blocked {

// One output row of one channel block.
struct DwRow {
  const float* x;     // the block's input plane (in_h x in_w pixels)
  const float* w;     // the block's kh * kw taps
  const float* bias;  // the block's 16 floats, or null
  const float* res;   // the row's residual, or null
  float* y;           // the row's output
  int64_t iy0;        // input row of tap row 0
  int64_t ky_begin, ky_end;
};

// tile(a, row, ox, n, kx_begin, kx_end): n output pixels from column ox (n == 1 for edge
// pixels), each summing tap rows [row.ky_begin, row.ky_end) and columns [kx_begin, kx_end).
template <int64_t MaxP, typename Tile>
void dw_rows(const BlockedDwArgs& a, Tile tile) {
  const DwInterior in = dw_interior(a);
  const int64_t plane = a.in_h * a.in_w * kC, out_plane = a.out_h * a.out_w * kC;
  for (int64_t cb = a.cb_begin; cb < a.cb_end; ++cb) {
    for (int64_t oy = a.oy_begin; oy < a.oy_end; ++oy) {
      DwRow r;
      r.x = a.x + cb * plane;
      r.w = a.w + cb * a.kh * a.kw * kC;
      r.bias = a.bias ? a.bias + cb * kC : nullptr;
      r.res = a.res ? a.res + cb * out_plane + oy * a.out_w * kC : nullptr;
      r.y = a.y + cb * out_plane + oy * a.out_w * kC;
      r.iy0 = oy * a.sh - a.pad_t;
      r.ky_begin = std::max<int64_t>(0, -r.iy0);
      r.ky_end = std::min(a.kh, a.in_h - r.iy0);
      const auto edge = [&](int64_t ox) {
        const int64_t ix0 = ox * a.sw - a.pad_l;
        tile(a, r, ox, 1, std::max<int64_t>(0, -ix0), std::min(a.kw, a.in_w - ix0));
      };
      for (int64_t ox = 0; ox < in.ox_begin; ++ox) edge(ox);
      // Why prefetch the rows the next output row adds (sh of them, below this row's
      // window), tile by tile over the same columns: depthwise conv does only kh * kw FMAs
      // per input float, so an input streamed from memory (MobileNetV2's 96 x 112 x 112
      // planes at batch 8 are 38 MB) waits on latency; the hardware prefetchers start late
      // on each block's plane. MobileNetV2 batch 8, 1 thread (avx512, Zen 5): 5-8% less time.
      const int64_t next0 = std::max<int64_t>(0, r.iy0 + a.kh);
      const int64_t next1 = std::min(a.in_h, r.iy0 + a.kh + a.sh);
      for (int64_t ox = in.ox_begin; ox < in.ox_end; ox += MaxP) {
        tile(a, r, ox, std::min(MaxP, in.ox_end - ox), 0, a.kw);
        const int64_t c0 = std::max<int64_t>(0, ox * a.sw - a.pad_l);
        const int64_t c1 = std::min(a.in_w, (ox + MaxP) * a.sw - a.pad_l);
        for (int64_t iy = next0; iy < next1; ++iy) {
          for (int64_t c = c0; c < c1; ++c) __builtin_prefetch(r.x + (iy * a.in_w + c) * kC, 0, 3);
        }
      }
      for (int64_t ox = in.ox_end; ox < a.out_w; ++ox) edge(ox);
    }
  }
}

}  // namespace fastinfer::conv_blocked
