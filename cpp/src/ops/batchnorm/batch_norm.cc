// BatchNormalization in inference mode: y = x * a[c] + b[c] with a = scale / sqrt(var + eps)
// and b = bias - mean * a, folded at build time when the four parameters are constants
// (the usual case) and per call otherwise.
#include <cmath>
#include <memory>
#include <vector>

#include "fastinfer/plan.h"
#include "fastinfer/thread_pool.h"
#include "ops/linear/spec_checks.h"

namespace fastinfer::ops {
namespace {

class BatchNormKernel final : public plan::Kernel {
 public:
  int64_t batch = 0, channels = 0, plane = 0;
  float epsilon = 1e-5f;
  std::vector<float> a, b;  // folded; empty when a parameter is not constant

  static void fold(const float* scale, const float* bias, const float* mean, const float* var,
                   float eps, int64_t c, float* a, float* b) {
    for (int64_t i = 0; i < c; ++i) {
      a[i] = scale[i] / std::sqrt(var[i] + eps);
      b[i] = bias[i] - mean[i] * a[i];
    }
  }

  void run(const void* const* inputs, void* const* outputs) const override {
    const float* x = static_cast<const float*>(inputs[0]);
    float* y = static_cast<float*>(outputs[0]);
    const float *pa = a.data(), *pb = b.data();
    std::vector<float> local;
    if (a.empty()) {
      local.resize(2 * channels);
      fold(static_cast<const float*>(inputs[1]), static_cast<const float*>(inputs[2]),
           static_cast<const float*>(inputs[3]), static_cast<const float*>(inputs[4]), epsilon,
           channels, local.data(), local.data() + channels);
      pa = local.data();
      pb = pa + channels;
    }
    parallel_for(
        batch * channels,
        [&](int64_t t) {
          const int64_t c = t % channels;
          const float sa = pa[c], sb = pb[c];
          const float* s = x + t * plane;
          float* d = y + t * plane;
          for (int64_t i = 0; i < plane; ++i) d[i] = s[i] * sa + sb;
        },
        static_cast<int>(
            std::max<int64_t>(1, std::min<int64_t>(batch * channels * plane >> 16, 1 << 20))));
  }
};

std::unique_ptr<plan::Kernel> make_batch_norm(const plan::KernelSpec& spec) {
  if (plan::attr_int(spec.attrs, "training_mode", 0) != 0) {
    fail(spec, "training_mode=1 is not supported (inference only)");
  }
  require_f32_io(spec, 5, 5, 1);
  require_output_f32(spec, 0);
  const auto& xs = spec.inputs[0].shape;
  if (xs.size() < 2) fail(spec, "X must have rank >= 2 (N, C, ...), got " + shape_str(xs));
  auto kern = std::make_unique<BatchNormKernel>();
  kern->batch = xs[0];
  kern->channels = xs[1];
  kern->plane = product(xs, 2, xs.size());
  kern->epsilon = static_cast<float>(plan::attr_float(spec.attrs, "epsilon", 1e-5));
  for (size_t i = 1; i < 5; ++i) {
    if (spec.inputs[i].shape != std::vector<int64_t>{kern->channels}) {
      fail(spec, "input " + std::to_string(i) + " must have shape [" +
                     std::to_string(kern->channels) + "], got " + shape_str(spec.inputs[i].shape));
    }
  }
  require_output_shape(spec, 0, xs);
  const void* p[4];
  bool all_const = true;
  for (size_t i = 0; i < 4; ++i) {
    p[i] = constant_input(spec, i + 1);
    all_const = all_const && p[i];
  }
  if (all_const) {
    kern->a.resize(kern->channels);
    kern->b.resize(kern->channels);
    BatchNormKernel::fold(static_cast<const float*>(p[0]), static_cast<const float*>(p[1]),
                          static_cast<const float*>(p[2]), static_cast<const float*>(p[3]),
                          kern->epsilon, kern->channels, kern->a.data(), kern->b.data());
  }
  return kern;
}

const bool kRegistered = plan::register_kernel("BatchNormalization", make_batch_norm);

}  // namespace
}  // namespace fastinfer::ops
