// MaxPool (with the optional Indices output) and AveragePool over NCHW, 1-D or 2-D, whole
// (n, c) planes per task. Dense windows go through the pool kernel family (kernels/pool:
// separable passes over rows padded with the reduction's identity); dilated windows,
// Indices and NaN planes take a scalar loop whose window bounds are clipped once per
// output pixel.
#include <algorithm>
#include <cstdint>
#include <limits>
#include <memory>
#include <string>
#include <vector>

#include "fastinfer/plan.h"
#include "fastinfer/thread_pool.h"
#include "kernels/pool/kernels.h"
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
  size_t n_outputs = 1;
  Window2d g;
  // The separable path's geometry, fixed by the window: per output row the first input row
  // and the number of rows its window covers; AveragePool's tap counts per output row and
  // column (inside the input, or the padded input for count_include_pad; at least 1, as a
  // window of padding alone sums to 0).
  std::vector<int64_t> row_first, row_count;
  std::vector<float> row_taps, col_taps;

  void plan_rows() {
    const WindowAxis &h = g.h, &w = g.w;
    for (int64_t oy = 0; oy < h.out; ++oy) {
      const int64_t y0 = oy * h.stride - h.pad_begin;
      int64_t t0, t1;
      tap_range(y0, h, 0, h.in, &t0, &t1);
      row_first.push_back(y0 + t0);
      row_count.push_back(t1 - t0);
      row_taps.push_back(taps(count_include_pad ? padded_taps(y0, h) : t1 - t0));
    }
    for (int64_t ox = 0; ox < w.out; ++ox) {
      const int64_t x0 = ox * w.stride - w.pad_begin;
      int64_t t0, t1;
      tap_range(x0, w, 0, w.in, &t0, &t1);
      col_taps.push_back(taps(count_include_pad ? padded_taps(x0, w) : t1 - t0));
    }
  }

  void run(const void* const* inputs, void* const* outputs) const override {
    const float* x = static_cast<const float*>(inputs[0]);
    float* y = static_cast<float*>(outputs[0]);
    int64_t* idx = n_outputs > 1 ? static_cast<int64_t*>(outputs[1]) : nullptr;
    if (g.h.out * g.w.out == 0) return;
    // The separable passes run every tap of the padded row; a window wider than the padded
    // input (EfficientNet's pooler: a 320-wide ceil_mode window over 7 columns) would spend
    // nearly all of them on padding, where the generic loop clips them.
    const bool separable = idx == nullptr && g.h.dilation == 1 && g.w.dilation == 1 &&
                           g.w.kernel <= g.w.in + g.w.pad_begin + g.w.pad_end;
    const int64_t taps = planes * g.h.out * g.w.out * g.h.kernel * g.w.kernel;
    // Tasks of whole planes, ~8K outputs each and at least 4 per thread: one plane of
    // 32x32 (~0.3 us) per task left the shared task counter a third of the time at 2
    // threads. One thread per ~16K taps (a tap is about one instruction): at 64K the
    // stem's 2x2 pool of a 64x64 image (16 planes) stayed on one thread between convs.
    const int threads = static_cast<int>(std::clamp<int64_t>(taps >> 14, 1, 1 << 20));
    const int64_t runners = std::min(threads, num_threads());
    const int64_t out_plane = g.h.out * g.w.out;
    const int64_t per_task = std::clamp<int64_t>(
        std::min<int64_t>((int64_t{1} << 13) / out_plane, planes / (4 * runners)), 1,
        std::max<int64_t>(planes, 1));
    parallel_for((planes + per_task - 1) / per_task,
                 [&](int64_t t) {
                   const int64_t p_end = std::min(planes, (t + 1) * per_task);
                   std::vector<float> row;  // the separable path's padded row, per task
                   for (int64_t p = t * per_task; p < p_end; ++p) {
                     if (separable) {
                       separable_plane(p, x, y, &row);
                     } else {
                       generic_plane(p, x, y, idx);
                     }
                   }
                 },
                 threads);
  }

 private:
  // Two passes per output row through the pool kernels: the window's input rows reduced
  // into one row c (padded with -inf or 0, so no tap is tested), then kw taps of c per
  // output. A max plane holding NaN goes to generic_plane instead, which propagates it.
  void separable_plane(int64_t p, const float* x, float* y, std::vector<float>* row) const {
    const WindowAxis &h = g.h, &w = g.w;
    const pool::PoolKernels& k = pool::pool_kernels();
    const float* src = x + p * h.in * w.in;
    float* dst = y + p * h.out * w.out;
    // c covers every tap of the row: pad_begin identities, the input row, then identities
    // up to the last tap (end padding or ceil_mode's overhang) and the kernels' slack.
    const int64_t pad_b = w.pad_begin;
    const int64_t span = std::max(pad_b + w.in, (w.out - 1) * w.stride + w.kernel);
    const float fill = is_max ? -std::numeric_limits<float>::infinity() : 0.0f;
    // Filled once per task: the passes only ever write the input's columns, so the pads
    // keep their identity from one plane to the next.
    if (row->empty()) row->assign(static_cast<size_t>(span + pool::kSlack), fill);
    float* c = row->data();
    for (int64_t oy = 0; oy < h.out; ++oy) {
      float* out = dst + oy * w.out;
      const float* first = src + row_first[oy] * w.in;
      if (row_count[oy] > 0 && is_max) {
        if (k.max_rows(first, w.in, row_count[oy], w.in, c + pad_b)) {
          generic_plane(p, x, y, nullptr);  // NaN in the plane
          return;
        }
      } else if (row_count[oy] > 0) {
        k.sum_rows(first, w.in, row_count[oy], w.in, c + pad_b);
      } else {
        std::fill(c + pad_b, c + pad_b + w.in, fill);
      }
      if (is_max) {
        k.max_cols(c, w.kernel, w.stride, w.out, out);
      } else {
        k.avg_cols(c, w.kernel, w.stride, w.out, row_taps[oy], col_taps.data(), out);
      }
    }
  }

  // Taps of a window starting at `begin` inside the padded input: the taps past the end
  // padding (ceil_mode) do not count for count_include_pad.
  static int64_t padded_taps(int64_t begin, const WindowAxis& a) {
    int64_t t0, t1;
    tap_range(begin, a, -a.pad_begin, a.in + a.pad_end, &t0, &t1);
    return t1 - t0;
  }
  static float taps(int64_t n) { return static_cast<float>(std::max<int64_t>(n, 1)); }

  // Any window (dilation, Indices): bounds clipped once per output pixel. MaxPool's NaN
  // rule is torch's and numpy's: a window holding NaN gives NaN (and the first NaN's index).
  void generic_plane(int64_t p, const float* x, float* y, int64_t* idx) const {
    const WindowAxis &h = g.h, &w = g.w;
    const int64_t in_plane = h.in * w.in, out_plane = h.out * w.out;
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
          for (int64_t ty = ty0; ty < ty1 && best == best; ++ty) {
            const int64_t iy = y0 + ty * h.dilation;
            for (int64_t tx = tx0; tx < tx1; ++tx) {
              const int64_t ix = x0 + tx * w.dilation;
              const float v = src[iy * w.in + ix];
              if (v > best || best_at < 0 || v != v) {
                best = v;
                best_at = column_major_indices ? ix * h.in + iy : iy * w.in + ix;
                if (v != v) break;
              }
            }
          }
          dst[o] = best;
          if (idx) idx[p * out_plane + o] = best_at < 0 ? -1 : p * in_plane + best_at;
        } else {
          float sum = 0.0f;
          for (int64_t ty = ty0; ty < ty1; ++ty) {
            const float* r = src + (y0 + ty * h.dilation) * w.in + x0;
            for (int64_t tx = tx0; tx < tx1; ++tx) sum += r[tx * w.dilation];
          }
          int64_t count = (ty1 - ty0) * (tx1 - tx0);
          if (count_include_pad) count = padded_taps(y0, h) * padded_taps(x0, w);
          dst[o] = count > 0 ? sum / static_cast<float>(count) : 0.0f;
        }
      }
    }
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
  kern->plan_rows();
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
