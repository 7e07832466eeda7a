// LayerNormalization (opset 17): normalise over axes [axis, rank), then scale and
// optional bias, which must have the normalised shape X[axis:] (up to leading 1s). The optional
// Mean and InvStdDev outputs (float32, shape X[:axis] + [1] * (rank - axis)) are written when the
// node has them. Each row goes through the norm kernel family (kernels/norm: the variance as
// the mean of squared deviations, two passes over a row that sits in L1).
#include <cmath>
#include <cstdint>
#include <memory>
#include <vector>

#include "kernels/norm/kernels.h"
#include "ops/common/op_util.h"
#include "ops/common/parallel.h"
#include "ops/normalization/norm_attrs.h"

namespace fastinfer::ops {
namespace {

class LayerNormKernel final : public plan::Kernel {
 public:
  LayerNormKernel(int64_t rows, int64_t n, float eps, bool has_bias, int n_outputs)
      : rows_(rows), n_(n), eps_(eps), has_bias_(has_bias), n_outputs_(n_outputs) {}

  void run(const void* const* inputs, void* const* outputs) const override {
    const float* x = static_cast<const float*>(inputs[0]);
    const float* scale = static_cast<const float*>(inputs[1]);
    // The inputs array has only two entries when the node omits the bias.
    const float* bias = has_bias_ ? static_cast<const float*>(inputs[2]) : nullptr;
    float* y = static_cast<float*>(outputs[0]);
    float* mean_out = n_outputs_ > 1 ? static_cast<float*>(outputs[1]) : nullptr;
    float* inv_out = n_outputs_ > 2 ? static_cast<float*>(outputs[2]) : nullptr;
    const auto row = norm::norm_kernels().layer_norm;
    const int64_t grain = std::max<int64_t>(1, kParallelGrain / std::max<int64_t>(n_, 1));
    parallel_chunks(rows_, grain, [&](int64_t r0, int64_t r1) {
      for (int64_t r = r0; r < r1; ++r) {
        float mean, inv;
        row(x + r * n_, n_, scale, bias, eps_, y + r * n_, &mean, &inv);
        if (mean_out) mean_out[r] = mean;
        if (inv_out) inv_out[r] = inv;
      }
    });
  }

 private:
  int64_t rows_, n_;
  float eps_;
  bool has_bias_;
  int n_outputs_;
};

std::unique_ptr<plan::Kernel> make_layer_norm(const KernelSpec& spec) {
  check_arity(spec, 2, 3, 1, 3);
  check_dtype(spec, 0, {DType::kFloat32});
  check_dtype(spec, 1, {DType::kFloat32});
  const auto& in = spec.inputs[0].shape;
  const auto rank = static_cast<int64_t>(in.size());
  if (rank == 0) fail(spec, "the input must have at least one dimension");
  const int64_t axis = normalize_axis(spec, plan::attr_int(spec.attrs, "axis", -1), rank, "axis");
  const std::vector<int64_t> norm_shape(in.begin() + axis, in.end());
  const int64_t n = numel(norm_shape);
  // Leading 1s do not change the layout: [1, H] scales X[..., H] like [H] does.
  auto strip = [](std::vector<int64_t> s) {
    while (!s.empty() && s.front() == 1) s.erase(s.begin());
    return s;
  };
  auto check_param = [&](size_t i) {
    if (strip(spec.inputs[i].shape) != strip(norm_shape)) {
      fail(spec, input_str(spec, i) + " must have the normalised shape " + shape_str(norm_shape));
    }
  };
  check_param(1);
  if (present(spec, 2)) {
    check_dtype(spec, 2, {DType::kFloat32});
    check_param(2);
  }
  check_output(spec, 0, DType::kFloat32, in);
  std::vector<int64_t> stat_shape(in.begin(), in.begin() + axis);
  stat_shape.resize(in.size(), 1);
  for (size_t o = 1; o < spec.outputs.size(); ++o)
    check_output(spec, o, DType::kFloat32, stat_shape);
  const float eps = norm_epsilon(spec);
  const int64_t rows = n == 0 ? 0 : numel(in) / n;
  return std::make_unique<LayerNormKernel>(rows, n, eps, present(spec, 2),
                                           static_cast<int>(spec.outputs.size()));
}

const bool kRegistered = register_op("LayerNormalization", make_layer_norm);

}  // namespace
}  // namespace fastinfer::ops
