// The depthwise plane loop, shared by the per-ISA files: each includes it and the
// compiler vectorises the inner tap loop for that file's flags. Static, so no copy built
// with AVX flags can be linked into a scalar caller.
#pragma once

#include <algorithm>
#include <cstdint>

#include "fastinfer/activation.h"
#include "ops/conv/window_geometry.h"

namespace fastinfer::ops::detail {

static inline int64_t dw_ceil_div(int64_t a, int64_t b) { return (a + b - 1) / b; }

static inline void depthwise_plane_impl(const float* in, const float* weights, float bias,
                                        Activation act, const Window2d& g, float* out) {
  const WindowAxis &h = g.h, &w = g.w;
  // The valid output columns of each horizontal tap do not depend on the row: computed
  // once per plane (two integer divisions per tap, which per row cost more than the taps).
  constexpr int64_t kMaxTaps = 64;
  int64_t lo_at[kMaxTaps], hi_at[kMaxTaps];
  for (int64_t kx = 0; kx < w.kernel && kx < kMaxTaps; ++kx) {
    const int64_t base = kx * w.dilation - w.pad_begin;
    lo_at[kx] = std::min(w.out, base >= 0 ? int64_t{0} : dw_ceil_div(-base, w.stride));
    hi_at[kx] = std::clamp<int64_t>(base >= w.in ? 0 : dw_ceil_div(w.in - base, w.stride),
                                    lo_at[kx], w.out);
  }
  for (int64_t oy = 0; oy < h.out; ++oy) {
    float* o = out + oy * w.out;
    std::fill(o, o + w.out, bias);
    for (int64_t ky = 0; ky < h.kernel; ++ky) {
      const int64_t iy = oy * h.stride - h.pad_begin + ky * h.dilation;
      if (iy < 0 || iy >= h.in) continue;
      const float* src = in + iy * w.in;
      for (int64_t kx = 0; kx < w.kernel; ++kx) {
        const float wv = weights[ky * w.kernel + kx];
        const int64_t base = kx * w.dilation - w.pad_begin;  // input column of ox = 0
        int64_t lo, hi;
        if (kx < kMaxTaps) {
          lo = lo_at[kx];
          hi = hi_at[kx];
        } else {
          lo = std::min(w.out, base >= 0 ? int64_t{0} : dw_ceil_div(-base, w.stride));
          hi =
              std::clamp<int64_t>(base >= w.in ? 0 : dw_ceil_div(w.in - base, w.stride), lo, w.out);
        }
        if (w.stride == 1) {
          const float* s = src + base;
          for (int64_t ox = lo; ox < hi; ++ox) o[ox] += wv * s[ox];
        } else {
          for (int64_t ox = lo; ox < hi; ++ox) o[ox] += wv * src[base + ox * w.stride];
        }
      }
    }
    if (act == Activation::kRelu) {
      for (int64_t ox = 0; ox < w.out; ++ox) o[ox] = o[ox] < 0.0f ? 0.0f : o[ox];  // keeps NaN
    } else if (act != Activation::kNone) {
      for (int64_t ox = 0; ox < w.out; ++ox) o[ox] = apply_activation_ref(act, o[ox]);
    }
  }
}

}  // namespace fastinfer::ops::detail
