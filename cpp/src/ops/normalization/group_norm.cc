// GroupNormalization and InstanceNormalization (float32, N x C x spatial...): the channels
// of each sample are split into G groups of C/G consecutive channels, each group is
// normalised with its own mean and variance over its channels and spatial positions, then
// every channel gets its scale and bias. InstanceNormalization is the case G = C.
// GroupNormalization's scale and bias have one entry per channel (opset 21) or per group
// (opset 18, deprecated); their shape tells which (the two agree when G = C).
#include <cmath>
#include <memory>
#include <string>

#include "ops/common/lane_sum.h"
#include "ops/common/op_util.h"
#include "ops/common/parallel.h"
#include "ops/normalization/norm_attrs.h"

namespace fastinfer::ops {
namespace {

class GroupNormKernel final : public plan::Kernel {
 public:
  GroupNormKernel(int64_t n, int64_t groups, int64_t group_channels, int64_t spatial, float eps,
                  bool per_channel)
      : n_(n),
        groups_(groups),
        group_channels_(group_channels),
        spatial_(spatial),
        eps_(eps),
        per_channel_(per_channel) {}

  void run(const void* const* inputs, void* const* outputs) const override {
    const float* x = static_cast<const float*>(inputs[0]);
    const float* scale = static_cast<const float*>(inputs[1]);
    const float* bias = static_cast<const float*>(inputs[2]);
    float* y = static_cast<float*>(outputs[0]);
    const int64_t size = group_channels_ * spatial_;
    parallel_chunks(n_ * groups_, std::max<int64_t>(1, kParallelGrain / std::max<int64_t>(size, 1)),
                    [&](int64_t g0, int64_t g1) {
                      for (int64_t ng = g0; ng < g1; ++ng) {
                        const float* xg = x + ng * size;
                        float* yg = y + ng * size;
                        const Moments m = moments(size, [&](int64_t i) { return xg[i]; });
                        const float inv = 1.0f / std::sqrt(m.var + eps_);
                        const int64_t g = ng % groups_;
                        for (int64_t c = 0; c < group_channels_; ++c) {
                          const int64_t p = per_channel_ ? g * group_channels_ + c : g;
                          // (x - mean) * a, not x * a - mean * a: no cancellation when
                          // the variance is tiny and a large.
                          const float a = inv * scale[p], b = bias[p], mean = m.mean;
                          const float* xc = xg + c * spatial_;
                          float* yc = yg + c * spatial_;
                          for (int64_t s = 0; s < spatial_; ++s) yc[s] = (xc[s] - mean) * a + b;
                        }
                      }
                    });
  }

 private:
  int64_t n_, groups_, group_channels_, spatial_;
  float eps_;
  bool per_channel_;
};

std::unique_ptr<plan::Kernel> make_group_norm(const KernelSpec& spec, bool instance) {
  check_arity(spec, 3, 3, 1, 1);
  for (size_t i = 0; i < 3; ++i) check_dtype(spec, i, {DType::kFloat32});
  const auto& in = spec.inputs[0].shape;
  if (in.size() < 2) fail(spec, "the input must be N x C x ..., got " + input_str(spec, 0));
  const int64_t C = in[1];
  const int64_t groups = instance ? C : plan::attr_int(spec.attrs, "num_groups", 0);
  if (groups < 1 || C % groups != 0) {
    fail(spec, "num_groups " + std::to_string(groups) + " must divide the channels (" +
                   std::to_string(C) + ")");
  }
  const std::vector<int64_t>& scale = spec.inputs[1].shape;
  const bool per_channel = scale == std::vector<int64_t>{C};
  if (!per_channel && scale != std::vector<int64_t>{groups}) {
    fail(spec, "scale " + spec.inputs[1].str() + " must have one entry per channel (" +
                   std::to_string(C) + ")" + (instance ? "" : " or per group"));
  }
  if (spec.inputs[2].shape != scale) {
    fail(spec,
         "bias " + spec.inputs[2].str() + " must have the shape of scale " + spec.inputs[1].str());
  }
  const float eps = norm_epsilon(spec);
  check_output(spec, 0, DType::kFloat32, in);
  const int64_t spatial = numel({in.begin() + 2, in.end()});
  return std::make_unique<GroupNormKernel>(in[0], groups, C / groups, spatial, eps, per_channel);
}

const bool kRegistered = [] {
  register_op("GroupNormalization", [](const KernelSpec& s) { return make_group_norm(s, false); });
  register_op("InstanceNormalization",
              [](const KernelSpec& s) { return make_group_norm(s, true); });
  return true;
}();

}  // namespace
}  // namespace fastinfer::ops
