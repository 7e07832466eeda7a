#include "ops/conv/im2col.h"

#include <algorithm>
#include <cstring>

#include "fastinfer/gemm_f32.h"
#include "kernels/conv/kernels.h"

namespace fastinfer::ops {
namespace {

using f32::kPanelWidth;

int64_t ceil_div(int64_t a, int64_t b) { return (a + b - 1) / b; }

}  // namespace

void im2col_panel(const float* in, int64_t channels, const Window2d& g, int64_t q0, int64_t q1,
                  float* panel) {
  const WindowAxis &h = g.h, &w = g.w;
  static_assert(conv::kBlock == kPanelWidth, "conv kernels write GEMM panels");
  if (const conv::Im2colFn s1 = conv::conv_kernels().im2col_s1; s1 && w.stride == 1) {
    s1(in, channels, g, q0, q1, panel);
    return;
  }
  const int64_t plane = h.in * w.in, cols = q1 - q0;
  const bool pointwise = h.kernel == 1 && w.kernel == 1 && h.stride == 1 && w.stride == 1 &&
                         h.pad_begin == 0 && w.pad_begin == 0 && h.out == h.in && w.out == w.in;
  // The panel's pixels as output row segments, found once for all (c, ky, kx) rows: within
  // a segment the source column moves by the stride, so the valid part is a range, not a
  // per-pixel test.
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
  int64_t row = 0;
  for (int64_t c = 0; c < channels; ++c) {
    const float* src_c = in + c * plane;
    for (int64_t ky = 0; ky < h.kernel; ++ky) {
      for (int64_t kx = 0; kx < w.kernel; ++kx, ++row) {
        float* dst = panel + row * kPanelWidth;
        if (pointwise) {
          std::memcpy(dst, src_c + q0, cols * sizeof(float));
        } else {
          for (int64_t si = 0; si < n_segs; ++si) {
            const Segment& sg = segs[si];
            float* d = dst + sg.col;
            const int64_t iy = sg.oy * h.stride - h.pad_begin + ky * h.dilation;
            if (iy < 0 || iy >= h.in) {
              for (int64_t t = 0; t < sg.len; ++t) d[t] = 0.0f;
              continue;
            }
            const float* src = src_c + iy * w.in;
            const int64_t base = sg.ox * w.stride - w.pad_begin + kx * w.dilation;
            int64_t lo, hi;
            if (w.stride == 1) {
              lo = std::clamp<int64_t>(-base, 0, sg.len);
              hi = std::clamp<int64_t>(w.in - base, lo, sg.len);
            } else {
              lo = std::min(sg.len, base >= 0 ? int64_t{0} : ceil_div(-base, w.stride));
              hi = std::clamp<int64_t>(base >= w.in ? 0 : ceil_div(w.in - base, w.stride), lo,
                                       sg.len);
            }
            // Plain loops, not memcpy/fill: segments are at most a panel (32 floats) wide,
            // where the library calls cost more than the copy.
            for (int64_t t = 0; t < lo; ++t) d[t] = 0.0f;
            if (w.stride == 1) {
              const float* sp = src + base;
              for (int64_t t = lo; t < hi; ++t) d[t] = sp[t];
            } else {
              for (int64_t t = lo; t < hi; ++t) d[t] = src[base + t * w.stride];
            }
            for (int64_t t = hi; t < sg.len; ++t) d[t] = 0.0f;
          }
        }
        for (int64_t t = cols; t < kPanelWidth; ++t) dst[t] = 0.0f;
      }
    }
  }
}

}  // namespace fastinfer::ops
