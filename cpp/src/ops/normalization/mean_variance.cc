// MeanVarianceNormalization (float32): y = (x - mean) / (sqrt(var) + 1e-9) over the
// constant `axes` attribute (default [0, 2, 3]: per channel of NCHW), with the epsilon
// the ONNX function body adds to the standard deviation. The kept and the reduced axes
// each become a list of element offsets at build time, so any set of axes takes one loop.
#include <cmath>
#include <memory>
#include <string>
#include <vector>

#include "ops/common/lane_sum.h"
#include "ops/common/op_util.h"
#include "ops/common/parallel.h"
#include "ops/common/strided_copy.h"
#include "ops/reduce/reduce_kernel.h"

namespace fastinfer::ops {
namespace {

class MeanVarianceKernel final : public plan::Kernel {
 public:
  MeanVarianceKernel(std::vector<int64_t> kept, std::vector<int64_t> reduced)
      : kept_(std::move(kept)), reduced_(std::move(reduced)) {}

  void run(const void* const* inputs, void* const* outputs) const override {
    const float* x = static_cast<const float*>(inputs[0]);
    float* y = static_cast<float*>(outputs[0]);
    const auto n = static_cast<int64_t>(reduced_.size());
    const int64_t* off = reduced_.data();
    parallel_chunks(static_cast<int64_t>(kept_.size()),
                    std::max<int64_t>(1, kParallelGrain / std::max<int64_t>(n, 1)),
                    [&](int64_t k0, int64_t k1) {
                      for (int64_t k = k0; k < k1; ++k) {
                        const float* xk = x + kept_[k];
                        float* yk = y + kept_[k];
                        const Moments m = moments(n, [&](int64_t i) { return xk[off[i]]; });
                        const float inv = 1.0f / (std::sqrt(m.var) + 1e-9f);
                        for (int64_t i = 0; i < n; ++i) yk[off[i]] = (xk[off[i]] - m.mean) * inv;
                      }
                    });
  }

 private:
  std::vector<int64_t> kept_, reduced_;  // element offsets
};

std::unique_ptr<plan::Kernel> make_mean_variance(const KernelSpec& spec) {
  check_arity(spec, 1, 1, 1, 1);
  check_dtype(spec, 0, {DType::kFloat32});
  const auto& in = spec.inputs[0].shape;
  const auto rank = static_cast<int64_t>(in.size());
  const std::vector<int64_t> axes = plan::attr_ints(spec.attrs, "axes", {0, 2, 3});
  std::vector<bool> reduced(rank, false);
  for (int64_t a : axes) {
    const int64_t d = normalize_axis(spec, a, rank, "axis");
    if (reduced[d]) fail(spec, "axis " + std::to_string(a) + " is repeated");
    reduced[d] = true;
  }
  check_output(spec, 0, DType::kFloat32, in);
  const std::vector<int64_t> strides = StridedCopy::contiguous_strides(in);
  std::vector<int64_t> kept_shape, kept_strides, red_shape, red_strides;
  for (int64_t d = 0; d < rank; ++d) {
    (reduced[d] ? red_shape : kept_shape).push_back(in[d]);
    (reduced[d] ? red_strides : kept_strides).push_back(strides[d]);
  }
  if (numel(red_shape) > (int64_t{1} << 26) || numel(kept_shape) > (int64_t{1} << 26)) {
    fail(spec, "more than 2^26 groups or elements per group are not supported");
  }
  return std::make_unique<MeanVarianceKernel>(index_offsets(kept_shape, kept_strides),
                                              index_offsets(red_shape, red_strides));
}

const bool kRegistered = register_op("MeanVarianceNormalization", make_mean_variance);

}  // namespace
}  // namespace fastinfer::ops
