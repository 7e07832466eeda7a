// GlobalAveragePool / GlobalMaxPool: one value per (n, c) over all spatial dims.
#include <algorithm>
#include <memory>
#include <vector>

#include "fastinfer/plan.h"
#include "ops/common/lane_sum.h"
#include "ops/common/parallel.h"
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
    // Runs of planes per task: the 7x7 (or 1x1) planes of a CNN's head are ~50 floats, and
    // one task per plane spent more on the task counter than on the sums.
    parallel_chunks(planes, std::max<int64_t>(1, kParallelGrain / std::max<int64_t>(plane, 1)),
                    [&](int64_t p0, int64_t p1) {
                      for (int64_t p = p0; p < p1; ++p) y[p] = reduce(x + p * plane);
                    });
  }

 private:
  float reduce(const float* s) const {
    if (is_max) {
      // NaN anywhere gives NaN, as MaxPool, torch's amax and numpy's max.
      float m = s[0];
      for (int64_t i = 1; i < plane && m == m; ++i) m = s[i] > m || s[i] != s[i] ? s[i] : m;
      return m;
    }
    // Partial sums pay off from a few vectors on; a 1x1 or 2x2 head plane is a plain loop.
    float sum = 0.0f;
    if (plane >= 64) {
      sum = lane_sum(plane, [&](int64_t i) { return s[i]; });
    } else {
      for (int64_t i = 0; i < plane; ++i) sum += s[i];
    }
    return sum / static_cast<float>(plane);
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
