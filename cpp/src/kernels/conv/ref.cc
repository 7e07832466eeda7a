// The portable conv kernels: the depthwise loop (every path's fallback for windows the
// vector kernels do not take) and the scalar path's table, which has no direct kernels
// (the driver then runs im2col + the fp32 panel GEMM).
#include <algorithm>
#include <cstdint>

#include "kernels/conv/kernels.h"

namespace fastinfer::conv {
namespace {

int64_t ceil_div(int64_t a, int64_t b) { return (a + b - 1) / b; }

// Output columns [lo, hi) whose input column base + ox * stride lies in [0, in).
void valid_columns(int64_t base, const WindowAxis& w, int64_t* lo, int64_t* hi) {
  *lo = std::min(w.out, base >= 0 ? int64_t{0} : ceil_div(-base, w.stride));
  *hi = std::clamp<int64_t>(base >= w.in ? 0 : ceil_div(w.in - base, w.stride), *lo, w.out);
}

}  // namespace

bool depthwise_fast_fits(const Window2d& g) {
  return g.h.stride <= 2 && g.w.stride <= 2 && g.h.kernel * g.w.kernel <= 64 && g.h.out > 0 &&
         g.w.out > 0;
}

void depthwise_ref(const DepthwiseArgs& a) {
  const WindowAxis &h = a.g.h, &w = a.g.w;
  const int64_t taps = h.kernel * w.kernel;
  const int64_t in_plane = h.in * w.in, out_plane = h.out * w.out;
  for (int64_t p = a.p0; p < a.p1; ++p) {
    const int64_t c = p % a.out_c;
    const float* in = a.x + (p / a.mult) * in_plane;
    const float* wc = a.w + c * taps;
    const float bias = a.bias ? a.bias[c] : 0.0f;
    for (int64_t oy = a.oy0; oy < a.oy1; ++oy) {
      float* o = a.y + p * out_plane + oy * w.out;
      std::fill(o, o + w.out, bias);
      for (int64_t ky = 0; ky < h.kernel; ++ky) {
        const int64_t iy = oy * h.stride - h.pad_begin + ky * h.dilation;
        if (iy < 0 || iy >= h.in) continue;
        const float* src = in + iy * w.in;
        for (int64_t kx = 0; kx < w.kernel; ++kx) {
          const float wv = wc[ky * w.kernel + kx];
          const int64_t base = kx * w.dilation - w.pad_begin;  // input column of ox = 0
          int64_t lo, hi;
          valid_columns(base, w, &lo, &hi);
          for (int64_t ox = lo; ox < hi; ++ox) o[ox] += wv * src[base + ox * w.stride];
        }
      }
      const float* r = a.res ? a.res + p * out_plane + oy * w.out : nullptr;
      for (int64_t ox = 0; ox < w.out; ++ox) {
        float v = r ? o[ox] + r[ox] : o[ox];
        v = v < a.lo ? a.lo : v;  // NaN fails both tests and passes through
        o[ox] = v > a.hi ? a.hi : v;
      }
    }
  }
}

const ConvKernels kConvRef = {
    "f32-conv-im2col-gemm",  // no direct kernels: im2col + the fp32 panel GEMM
    0,
    nullptr,
    nullptr,
    nullptr,
    nullptr,
    nullptr,
    nullptr,
    nullptr,
    "f32-dwconv-rows-scalar",
    &depthwise_ref,
};

}  // namespace fastinfer::conv
