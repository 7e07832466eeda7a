#include "ops/conv/im2col.h"

#include <algorithm>
#include <cstring>

#include "fastinfer/thread_pool.h"
#include "ops/linear/dynamic_pack.h"

namespace fastinfer::ops {
namespace {

using f32::kPanelWidth;

int64_t ceil_div(int64_t a, int64_t b) { return (a + b - 1) / b; }

}  // namespace

void im2col_panel(const float* in, int64_t channels, const Window2d& g, int64_t q0, int64_t q1,
                  float* panel) {
  const WindowAxis &h = g.h, &w = g.w;
  const int64_t plane = h.in * w.in, cols = q1 - q0;
  const bool pointwise = h.kernel == 1 && w.kernel == 1 && h.stride == 1 && w.stride == 1 &&
                         h.pad_begin == 0 && w.pad_begin == 0 && h.out == h.in && w.out == w.in;
  int64_t row = 0;
  for (int64_t c = 0; c < channels; ++c) {
    const float* src_c = in + c * plane;
    for (int64_t ky = 0; ky < h.kernel; ++ky) {
      for (int64_t kx = 0; kx < w.kernel; ++kx, ++row) {
        float* dst = panel + row * kPanelWidth;
        if (pointwise) {
          std::memcpy(dst, src_c + q0, cols * sizeof(float));
        } else {
          // Walk the pixels one output row segment at a time: within a segment the source
          // column moves by the stride, so the valid part is a range, not a per-pixel test.
          for (int64_t q = q0; q < q1;) {
            const int64_t oy = q / w.out, ox = q % w.out;
            const int64_t seg = std::min(q1 - q, w.out - ox);
            float* d = dst + (q - q0);
            const int64_t iy = oy * h.stride - h.pad_begin + ky * h.dilation;
            if (iy < 0 || iy >= h.in) {
              std::fill(d, d + seg, 0.0f);
            } else {
              const float* src = src_c + iy * w.in;
              const int64_t base = ox * w.stride - w.pad_begin + kx * w.dilation;
              const int64_t lo = std::min(seg, base >= 0 ? int64_t{0} : ceil_div(-base, w.stride));
              const int64_t hi =
                  std::clamp<int64_t>(base >= w.in ? 0 : ceil_div(w.in - base, w.stride), lo, seg);
              std::fill(d, d + lo, 0.0f);
              if (w.stride == 1) {
                std::memcpy(d + lo, src + base + lo, (hi - lo) * sizeof(float));
              } else {
                for (int64_t t = lo; t < hi; ++t) d[t] = src[base + t * w.stride];
              }
              std::fill(d + hi, d + seg, 0.0f);
            }
            q += seg;
          }
        }
        std::fill(dst + cols, dst + kPanelWidth, 0.0f);
      }
    }
  }
}

void im2col_packed(const float* in, int64_t channels, const Window2d& g, f32::PackedWeights* out) {
  const int64_t k = channels * g.h.kernel * g.w.kernel;
  const int64_t pixels = g.h.out * g.w.out;
  reserve_packed(out, k, pixels);
  const int64_t panels = ceil_div(pixels, kPanelWidth);
  float* data = out->data.data();
  // A copy: one thread per ~64K floats, so small layers do not wake the pool.
  const int threads = static_cast<int>(std::clamp<int64_t>(k * pixels >> 16, 1, 1 << 20));
  parallel_for(
      panels,
      [&](int64_t p) {
        const int64_t q0 = p * kPanelWidth;
        im2col_panel(in, channels, g, q0, std::min(pixels, q0 + kPanelWidth),
                     data + p * k * kPanelWidth);
      },
      threads);
}

}  // namespace fastinfer::ops
