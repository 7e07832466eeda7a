// MaxPool (with the optional Indices output) and AveragePool over NCHW, 1-D or 2-D, one
// (n, c) plane per task. Window bounds are clipped once per output pixel, so the inner
// loops carry no padding tests.
#include <algorithm>
#include <cstdint>
#include <limits>
#include <memory>
#include <string>
#include <vector>

#if defined(__SSE2__)
#include <emmintrin.h>
#endif

#include "fastinfer/plan.h"
#include "fastinfer/thread_pool.h"
#include "ops/conv/window_geometry.h"
#include "ops/linear/spec_checks.h"

namespace fastinfer::ops {
namespace {

// First and one-past-last tap index t in [0, kernel) with begin + t * dilation in [lo, hi).
void tap_range(int64_t begin, const WindowAxis& a, int64_t lo, int64_t hi, int64_t* t0,
               int64_t* t1) {
  const int64_t d = a.dilation;
  int64_t first = begin >= lo ? 0 : (lo - begin + d - 1) / d;
  int64_t last = begin >= hi ? 0 : (hi - begin + d - 1) / d;
  *t0 = std::min(first, a.kernel);
  *t1 = std::clamp(last, *t0, a.kernel);
}

class PoolKernel final : public plan::Kernel {
 public:
  bool is_max = true;
  bool count_include_pad = false;
  bool column_major_indices = false;  // storage_order = 1
  int64_t planes = 0;
  Window2d g;

  void run(const void* const* inputs, void* const* outputs) const override {
    const float* x = static_cast<const float*>(inputs[0]);
    float* y = static_cast<float*>(outputs[0]);
    if (is_max && n_outputs == 1 && windows_inside()) {
      run_max_inside(x, y);
      return;
    }
    run_impl(x, y, n_outputs > 1 ? static_cast<int64_t*>(outputs[1]) : nullptr);
  }
  size_t n_outputs = 1;

 private:
  // Every window lies in the input (no padding taps, no ceil_mode overhang) and is dense.
  bool windows_inside() const {
    auto inside = [](const WindowAxis& a) {
      return a.pad_begin == 0 && a.dilation == 1 && (a.out - 1) * a.stride + a.kernel <= a.in;
    };
    return inside(g.h) && inside(g.w);
  }

  // One output row: out[ox] = max over the window's rows of taps [ox * S, ox * S + K).
  // Compile-time K and S (2x2 and 3x3, stride 1 or 2) let the compiler vectorise the
  // row; `v > m ? v : m` from the first tap on keeps the generic path's NaN rule.
  template <int K, int S>
  static void max_row(const float* src, int64_t in_w, int64_t kh, int64_t out_w, float* out) {
    for (int64_t ox = 0; ox < out_w; ++ox) {
      const float* p = src + ox * S;
      float m = p[0];
      for (int t = 1; t < K; ++t) m = p[t] > m ? p[t] : m;
      for (int64_t r = 1; r < kh; ++r) {
        const float* q = p + r * in_w;
        for (int t = 0; t < K; ++t) m = q[t] > m ? q[t] : m;
      }
      out[ox] = m;
    }
  }

  // 2x2 stride 2, the common downsampling pool: the compiler does not vectorise the
  // stride-2 reads of max_row<2, 2>, which left it ~4x slower than a copy. SSE2 (baseline
  // on x86-64, so no ISA-specific file is needed) splits each row into even and odd
  // columns; maxps(a, b) is exactly `a > b ? a : b`, taken in max_row's tap order, so NaN
  // handling is unchanged.
  static void max_row_2x2s2(const float* src, int64_t in_w, int64_t /*kh*/, int64_t out_w,
                            float* out) {
    const float* r0 = src;
    const float* r1 = src + in_w;
    int64_t ox = 0;
#if defined(__SSE2__)
    for (; ox + 4 <= out_w; ox += 4) {
      const __m128 a0 = _mm_loadu_ps(r0 + 2 * ox), a1 = _mm_loadu_ps(r0 + 2 * ox + 4);
      const __m128 b0 = _mm_loadu_ps(r1 + 2 * ox), b1 = _mm_loadu_ps(r1 + 2 * ox + 4);
      __m128 m = _mm_shuffle_ps(a0, a1, _MM_SHUFFLE(2, 0, 2, 0));
      m = _mm_max_ps(_mm_shuffle_ps(a0, a1, _MM_SHUFFLE(3, 1, 3, 1)), m);
      m = _mm_max_ps(_mm_shuffle_ps(b0, b1, _MM_SHUFFLE(2, 0, 2, 0)), m);
      m = _mm_max_ps(_mm_shuffle_ps(b0, b1, _MM_SHUFFLE(3, 1, 3, 1)), m);
      _mm_storeu_ps(out + ox, m);
    }
#endif
    for (; ox < out_w; ++ox) {
      const float* p = r0 + 2 * ox;
      const float* q = r1 + 2 * ox;
      float m = p[0];
      m = p[1] > m ? p[1] : m;
      m = q[0] > m ? q[0] : m;
      m = q[1] > m ? q[1] : m;
      out[ox] = m;
    }
  }

  static void max_row_any(const float* src, int64_t in_w, int64_t kh, int64_t kw, int64_t sw,
                          int64_t out_w, float* out) {
    for (int64_t ox = 0; ox < out_w; ++ox) {
      const float* p = src + ox * sw;
      float m = p[0];
      for (int64_t r = 0; r < kh; ++r) {
        for (int64_t t = 0; t < kw; ++t) m = p[r * in_w + t] > m ? p[r * in_w + t] : m;
      }
      out[ox] = m;
    }
  }

  void run_max_inside(const float* x, float* y) const {
    const WindowAxis &h = g.h, &w = g.w;
    const int64_t in_plane = h.in * w.in, out_plane = h.out * w.out;
    using RowFn = void (*)(const float*, int64_t, int64_t, int64_t, float*);
    RowFn row = nullptr;
    if (w.kernel == 2 && w.stride == 2) row = &max_row<2, 2>;
    if (w.kernel == 2 && w.stride == 1) row = &max_row<2, 1>;
    if (w.kernel == 3 && w.stride == 2) row = &max_row<3, 2>;
    if (w.kernel == 3 && w.stride == 1) row = &max_row<3, 1>;
    if (w.kernel == 2 && w.stride == 2 && h.kernel == 2) row = &max_row_2x2s2;
    // A max is ~one instruction per tap: one thread per ~16K taps. At 64K the stem's
    // 2x2 pool of a 64x64 image (16 planes) stayed on one thread between parallel convs.
    const int threads = static_cast<int>(
        std::clamp<int64_t>(planes * out_plane * h.kernel * w.kernel >> 14, 1, 1 << 20));
    // Tasks of whole planes, ~8K outputs each, at least 4 per thread: one plane of 32x32
    // (~0.3 us) per task left the shared task counter a third of the time at 2 threads.
    const int64_t runners = std::min(threads, num_threads());
    const int64_t per_task =
        std::clamp<int64_t>(std::min<int64_t>((int64_t{1} << 13) / std::max<int64_t>(out_plane, 1),
                                              planes / (4 * runners)),
                            1, std::max<int64_t>(planes, 1));
    parallel_for((planes + per_task - 1) / per_task,
                 [&](int64_t t) {
                   const int64_t p_end = std::min(planes, (t + 1) * per_task);
                   for (int64_t p = t * per_task; p < p_end; ++p) {
                     const float* src = x + p * in_plane;
                     float* dst = y + p * out_plane;
                     for (int64_t oy = 0; oy < h.out; ++oy) {
                       const float* r = src + oy * h.stride * w.in;
                       if (row) {
                         row(r, w.in, h.kernel, w.out, dst + oy * w.out);
                       } else {
                         max_row_any(r, w.in, h.kernel, w.kernel, w.stride, w.out,
                                     dst + oy * w.out);
                       }
                     }
                   }
                 },
                 threads);
  }

  void run_impl(const float* x, float* y, int64_t* idx) const {
    const WindowAxis &h = g.h, &w = g.w;
    const int64_t in_plane = h.in * w.in, out_plane = h.out * w.out;
    parallel_for(
        planes,
        [&](int64_t p) {
          const float* src = x + p * in_plane;
          float* dst = y + p * out_plane;
          for (int64_t oy = 0; oy < h.out; ++oy) {
            const int64_t y0 = oy * h.stride - h.pad_begin;
            int64_t ty0, ty1;
            tap_range(y0, h, 0, h.in, &ty0, &ty1);
            for (int64_t ox = 0; ox < w.out; ++ox) {
              const int64_t x0 = ox * w.stride - w.pad_begin;
              int64_t tx0, tx1;
              tap_range(x0, w, 0, w.in, &tx0, &tx1);
              const int64_t o = oy * w.out + ox;
              if (is_max) {
                float best = -std::numeric_limits<float>::infinity();
                int64_t best_at = -1;
                for (int64_t ty = ty0; ty < ty1; ++ty) {
                  const int64_t iy = y0 + ty * h.dilation;
                  for (int64_t tx = tx0; tx < tx1; ++tx) {
                    const int64_t ix = x0 + tx * w.dilation;
                    const float v = src[iy * w.in + ix];
                    if (v > best || best_at < 0) {
                      best = v;
                      best_at = column_major_indices ? ix * h.in + iy : iy * w.in + ix;
                    }
                  }
                }
                dst[o] = best;
                if (idx) idx[p * out_plane + o] = best_at < 0 ? -1 : p * in_plane + best_at;
              } else {
                float sum = 0.0f;
                for (int64_t ty = ty0; ty < ty1; ++ty) {
                  const float* row = src + (y0 + ty * h.dilation) * w.in + x0;
                  for (int64_t tx = tx0; tx < tx1; ++tx) sum += row[tx * w.dilation];
                }
                int64_t count = (ty1 - ty0) * (tx1 - tx0);
                if (count_include_pad) {
                  // Taps inside the padded input count, taps past the end padding
                  // (ceil_mode) do not.
                  int64_t py0, py1, px0, px1;
                  tap_range(y0, h, -h.pad_begin, h.in + h.pad_end, &py0, &py1);
                  tap_range(x0, w, -w.pad_begin, w.in + w.pad_end, &px0, &px1);
                  count = (py1 - py0) * (px1 - px0);
                }
                dst[o] = count > 0 ? sum / static_cast<float>(count) : 0.0f;
              }
            }
          }
        },
        static_cast<int>(
            std::clamp<int64_t>(planes * out_plane * h.kernel * w.kernel >> 15, 1, 1 << 20)));
  }
};

std::unique_ptr<plan::Kernel> make_pool(const plan::KernelSpec& spec) {
  const bool is_max = spec.op == "MaxPool";
  if (!is_max && spec.outputs.size() != 1) fail(spec, "expects 1 output");
  if (is_max && (spec.outputs.size() < 1 || spec.outputs.size() > 2)) {
    fail(spec, "expects 1 or 2 outputs (Y, Indices), got " + std::to_string(spec.outputs.size()));
  }
  require_f32_io(spec, 1, 1, spec.outputs.size());
  require_output_f32(spec, 0);
  const auto& xs = spec.inputs[0].shape;
  if (xs.size() != 3 && xs.size() != 4) {
    fail(spec, "only 1-D and 2-D pooling (input rank 3 or 4) is supported, X is " + shape_str(xs));
  }
  auto kern = std::make_unique<PoolKernel>();
  kern->is_max = is_max;
  kern->n_outputs = spec.outputs.size();
  kern->planes = xs[0] * xs[1];
  kern->count_include_pad = plan::attr_int(spec.attrs, "count_include_pad", 0) != 0;
  const int64_t storage = plan::attr_int(spec.attrs, "storage_order", 0);
  if (storage != 0 && storage != 1) fail(spec, "storage_order must be 0 or 1");
  kern->column_major_indices = storage == 1;
  kern->g = resolve_window(spec, std::vector<int64_t>(xs.begin() + 2, xs.end()), {},
                           /*allow_ceil_mode=*/true);
  std::vector<int64_t> out{xs[0], xs[1]};
  if (xs.size() == 4) out.push_back(kern->g.h.out);
  out.push_back(kern->g.w.out);
  require_output_shape(spec, 0, out);
  if (spec.outputs.size() == 2) {
    if (spec.outputs[1].dtype != plan::DType::kInt64) fail(spec, "Indices must be int64");
    require_output_shape(spec, 1, out);
  }
  return kern;
}

const bool kRegistered =
    plan::register_kernel("MaxPool", make_pool) && plan::register_kernel("AveragePool", make_pool);

}  // namespace
}  // namespace fastinfer::ops
