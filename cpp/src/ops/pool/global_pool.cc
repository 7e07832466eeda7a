// GlobalAveragePool / GlobalMaxPool: one value per (n, c) over all spatial dims.
#include <algorithm>
#include <memory>
#include <vector>

#include "fastinfer/plan.h"
#include "fastinfer/thread_pool.h"
#include "ops/linear/spec_checks.h"

namespace fastinfer::ops {
namespace {

class GlobalPoolKernel final : public plan::Kernel {
 public:
  bool is_max = false;
  int64_t planes = 0, plane = 0;

  void run(const void* const* inputs, void* const* outputs) const override {
    const float* x = static_cast<const float*>(inputs[0]);
    float* y = static_cast<float*>(outputs[0]);
    parallel_for(
        planes,
        [&](int64_t p) {
          const float* s = x + p * plane;
          if (is_max) {
            // NaN anywhere gives NaN, as MaxPool, torch's amax and numpy's max.
            float m = s[0];
            for (int64_t i = 1; i < plane && m == m; ++i) m = s[i] > m || s[i] != s[i] ? s[i] : m;
            y[p] = m;
          } else {
            // Eight partial sums: vectorisable, and less rounding drift on large planes.
            float acc[8] = {};
            int64_t i = 0;
            for (; i + 8 <= plane; i += 8) {
              for (int j = 0; j < 8; ++j) acc[j] += s[i + j];
            }
            float sum = 0.0f;
            for (; i < plane; ++i) sum += s[i];
            for (float a : acc) sum += a;
            y[p] = sum / static_cast<float>(plane);
          }
        },
        static_cast<int>(std::clamp<int64_t>(planes * plane >> 16, 1, 1 << 20)));
  }
};

std::unique_ptr<plan::Kernel> make_global_pool(const plan::KernelSpec& spec) {
  require_f32_io(spec, 1, 1, 1);
  require_output_f32(spec, 0);
  const auto& xs = spec.inputs[0].shape;
  if (xs.size() < 3) fail(spec, "X must have rank >= 3 (N, C, spatial...), got " + shape_str(xs));
  auto kern = std::make_unique<GlobalPoolKernel>();
  kern->is_max = spec.op == "GlobalMaxPool";
  kern->planes = xs[0] * xs[1];
  kern->plane = product(xs, 2, xs.size());
  std::vector<int64_t> out(xs.size(), 1);
  out[0] = xs[0];
  out[1] = xs[1];
  require_output_shape(spec, 0, out);
  if (kern->planes > 0 && kern->plane == 0) fail(spec, "X has an empty spatial extent");
  return kern;
}

const bool kRegistered = plan::register_kernel("GlobalAveragePool", make_global_pool) &&
                         plan::register_kernel("GlobalMaxPool", make_global_pool);

}  // namespace
}  // namespace fastinfer::ops
