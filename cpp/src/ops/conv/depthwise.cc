#include "ops/conv/depthwise.h"

#include <algorithm>

namespace fastinfer::ops {
namespace {

int64_t ceil_div(int64_t a, int64_t b) { return (a + b - 1) / b; }

}  // namespace

void depthwise_plane(const float* in, const float* weights, float bias, Activation act,
                     const Window2d& g, float* out) {
  const WindowAxis &h = g.h, &w = g.w;
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
        const int64_t lo = std::min(w.out, base >= 0 ? int64_t{0} : ceil_div(-base, w.stride));
        const int64_t hi =
            std::clamp<int64_t>(base >= w.in ? 0 : ceil_div(w.in - base, w.stride), lo, w.out);
        if (w.stride == 1) {
          const float* s = src + base;
          for (int64_t ox = lo; ox < hi; ++ox) o[ox] += wv * s[ox];
        } else {
          for (int64_t ox = lo; ox < hi; ++ox) o[ox] += wv * src[base + ox * w.stride];
        }
      }
    }
    if (act == Activation::kRelu) {
      for (int64_t ox = 0; ox < w.out; ++ox) o[ox] = o[ox] > 0.0f ? o[ox] : 0.0f;
    } else if (act != Activation::kNone) {
      for (int64_t ox = 0; ox < w.out; ++ox) o[ox] = apply_activation_ref(act, o[ox]);
    }
  }
}

}  // namespace fastinfer::ops
