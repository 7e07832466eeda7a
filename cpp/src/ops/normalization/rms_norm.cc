// RMSNormalization (opset 23, float32): x / sqrt(mean(x^2) + epsilon) * scale over the axes
// [axis, rank). scale broadcasts over the normalised shape X[axis:] when, leading 1s
// dropped, it is a suffix of it ([H] for rows of [S, H], or the whole shape); other
// broadcasts are refused at build time. Rows go through the norm kernel family (kernels/norm).
#include <cmath>
#include <memory>
#include <string>
#include <vector>

#include "kernels/norm/kernels.h"
#include "ops/common/axis_split.h"
#include "ops/common/op_util.h"
#include "ops/common/parallel.h"
#include "ops/normalization/norm_attrs.h"

namespace fastinfer::ops {
namespace {

class RmsNormKernel final : public plan::Kernel {
 public:
  RmsNormKernel(int64_t rows, int64_t n, int64_t scale_n, float eps)
      : rows_(rows), n_(n), scale_n_(scale_n), eps_(eps) {}

  void run(const void* const* inputs, void* const* outputs) const override {
    const float* x = static_cast<const float*>(inputs[0]);
    const float* scale = static_cast<const float*>(inputs[1]);
    float* y = static_cast<float*>(outputs[0]);
    const int64_t n = n_, scale_n = scale_n_;
    const auto row = norm::norm_kernels().rms_norm;
    parallel_chunks(rows_, std::max<int64_t>(1, kParallelGrain / std::max<int64_t>(n, 1)),
                    [&](int64_t r0, int64_t r1) {
                      for (int64_t r = r0; r < r1; ++r) {
                        row(x + r * n, n, scale, scale_n, eps_, y + r * n);
                      }
                    });
  }

 private:
  int64_t rows_, n_, scale_n_;
  float eps_;
};

std::unique_ptr<plan::Kernel> make_rms_norm(const KernelSpec& spec) {
  check_arity(spec, 2, 2, 1, 1);
  check_dtype(spec, 0, {DType::kFloat32});
  check_dtype(spec, 1, {DType::kFloat32});
  const auto& in = spec.inputs[0].shape;
  const int64_t axis = axis_attr(spec, -1);
  const std::vector<int64_t> norm_shape(in.begin() + axis, in.end());
  std::vector<int64_t> scale = spec.inputs[1].shape;
  while (!scale.empty() && scale.front() == 1) scale.erase(scale.begin());
  if (scale.size() > norm_shape.size() ||
      !std::equal(scale.begin(), scale.end(), norm_shape.end() - scale.size())) {
    fail(spec, input_str(spec, 1) + " must be a suffix of the normalised shape " +
                   shape_str(norm_shape) + " (after leading 1s)");
  }
  const float eps = norm_epsilon(spec);
  check_output(spec, 0, DType::kFloat32, in);
  const int64_t n = numel(norm_shape);
  return std::make_unique<RmsNormKernel>(n == 0 ? 0 : numel(in) / n, n, numel(scale), eps);
}

const bool kRegistered = register_op("RMSNormalization", make_rms_norm);

}  // namespace
}  // namespace fastinfer::ops
