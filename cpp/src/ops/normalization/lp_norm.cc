// LpNormalization (float32): x divided by its L1 (p=1) or L2 (p=2) norm along `axis`
// (default -1). A zero norm gives 0, as the ONNX reference does, not 0/0.
#include <cmath>
#include <memory>
#include <string>
#include <vector>

#include "ops/common/axis_split.h"
#include "ops/common/lane_sum.h"
#include "ops/common/op_util.h"
#include "ops/common/parallel.h"

namespace fastinfer::ops {
namespace {

class LpNormKernel final : public plan::Kernel {
 public:
  LpNormKernel(AxisSplit s, bool l1) : s_(s), l1_(l1) {}

  void run(const void* const* inputs, void* const* outputs) const override {
    const float* x = static_cast<const float*>(inputs[0]);
    float* y = static_cast<float*>(outputs[0]);
    const int64_t n = s_.n, inner = s_.inner;
    parallel_chunks(s_.outer,
                    std::max<int64_t>(1, kParallelGrain / std::max<int64_t>(n * inner, 1)),
                    [&](int64_t o0, int64_t o1) {
                      std::vector<float> scale(static_cast<size_t>(inner));
                      for (int64_t o = o0; o < o1; ++o) {
                        const float* xo = x + o * n * inner;
                        float* yo = y + o * n * inner;
                        if (inner == 1) {
                          scale[0] = lane_sum(n, [&](int64_t i) { return term(xo[i]); });
                        } else {
                          std::fill(scale.begin(), scale.end(), 0.0f);
                          for (int64_t i = 0; i < n; ++i) {
                            for (int64_t j = 0; j < inner; ++j) scale[j] += term(xo[i * inner + j]);
                          }
                        }
                        for (float& v : scale) {
                          const float norm = l1_ ? v : std::sqrt(v);
                          v = norm == 0.0f ? 0.0f : 1.0f / norm;
                        }
                        for (int64_t i = 0; i < n; ++i) {
                          for (int64_t j = 0; j < inner; ++j) {
                            yo[i * inner + j] = xo[i * inner + j] * scale[j];
                          }
                        }
                      }
                    });
  }

 private:
  float term(float v) const { return l1_ ? std::abs(v) : v * v; }

  AxisSplit s_;
  bool l1_;
};

std::unique_ptr<plan::Kernel> make_lp_norm(const KernelSpec& spec) {
  check_arity(spec, 1, 1, 1, 1);
  check_dtype(spec, 0, {DType::kFloat32});
  const auto& in = spec.inputs[0].shape;
  const int64_t axis = axis_attr(spec, -1);
  const int64_t p = plan::attr_int(spec.attrs, "p", 2);
  if (p != 1 && p != 2) fail(spec, "p must be 1 or 2, got " + std::to_string(p));
  check_output(spec, 0, DType::kFloat32, in);
  return std::make_unique<LpNormKernel>(AxisSplit(in, axis), p == 1);
}

const bool kRegistered = register_op("LpNormalization", make_lp_norm);

}  // namespace
}  // namespace fastinfer::ops
