// Softmax and LogSoftmax over one axis (opset >= 13 semantics: default axis -1, the
// normalisation is over that axis alone; the opset < 13 "flatten from axis" form must be
// rewritten by the lowering). Numerically stable: the row maximum is subtracted first,
// so large logits do not overflow, and a row of -inf except one finite value is exact.
// NaN in a row makes that row NaN (std::max skips it, exp does not). Contiguous
// rows (axis last) use the per-ISA vector exp.
#include <algorithm>
#include <cmath>
#include <cstdint>
#include <limits>
#include <memory>

#include "kernels/vecmath/float_math.h"
#include "ops/common/axis_split.h"
#include "ops/common/op_util.h"
#include "ops/common/parallel.h"

namespace fastinfer::ops {
namespace {

using vecmath::float_math;
using vecmath::FloatMath;

template <bool kLog>
class SoftmaxKernel final : public plan::Kernel {
 public:
  SoftmaxKernel(int64_t outer, int64_t n, int64_t inner) : outer_(outer), n_(n), inner_(inner) {}

  void run(const void* const* inputs, void* const* outputs) const override {
    const float* x = static_cast<const float*>(inputs[0]);
    float* y = static_cast<float*>(outputs[0]);
    const int64_t rows = outer_ * inner_;
    // exp costs ~10 ns: split once a chunk has a few thousand of them.
    const int64_t grain = std::max<int64_t>(1, 4096 / std::max<int64_t>(n_, 1));
    if (inner_ == 1) {  // the usual case: contiguous rows, vectorised exp
      const FloatMath& math = float_math();
      parallel_chunks(rows, grain, [&](int64_t r0, int64_t r1) {
        for (int64_t r = r0; r < r1; ++r) contiguous_row(math, x + r * n_, y + r * n_);
      });
      return;
    }
    parallel_chunks(rows, grain, [&](int64_t r0, int64_t r1) {
      for (int64_t r = r0; r < r1; ++r) {
        const int64_t o = r / inner_, i = r % inner_;
        const int64_t base = o * n_ * inner_ + i;
        row(x + base, y + base, inner_);
      }
    });
  }

 private:
  void contiguous_row(const FloatMath& math, const float* x, float* y) const {
    const int64_t n = n_;
    float m = math.max(x, n);
    if (std::isinf(m) && m < 0) m = 0.0f;  // see row()
    const float sum = math.exp_shift_sum(x, y, n, m);
    if (kLog) {
      // (x - m) - log(sum), not x - (m + log(sum)): with large logits m + log(sum) rounds
      // to the ulp of m (1e-3 at 1e4) while x - m is exact.
      const float log_sum = std::log(sum);
      for (int64_t j = 0; j < n; ++j) y[j] = (x[j] - m) - log_sum;
    } else {
      math.scale(y, n, 1.0f / sum);
    }
  }

  // One softmax row of n_ elements `stride` apart.
  void row(const float* x, float* y, int64_t stride) const {
    const int64_t n = n_;
    float m = -std::numeric_limits<float>::infinity();
    for (int64_t j = 0; j < n; ++j) m = std::max(m, x[j * stride]);
    // An all -inf row: softmax is undefined (NaN in numpy); use 0 to avoid inf - inf
    // poisoning the shift and give NaN through 0/0 for Softmax as numpy does.
    if (std::isinf(m) && m < 0) m = 0.0f;
    double sum = 0.0;  // double: rows of tens of thousands of terms stay accurate
    if (kLog) {
      for (int64_t j = 0; j < n; ++j) sum += std::exp(x[j * stride] - m);
      const float log_sum = static_cast<float>(std::log(sum));
      for (int64_t j = 0; j < n; ++j) y[j * stride] = (x[j * stride] - m) - log_sum;
    } else {
      for (int64_t j = 0; j < n; ++j) {
        const float e = std::exp(x[j * stride] - m);
        y[j * stride] = e;
        sum += e;
      }
      const float inv = static_cast<float>(1.0 / sum);
      for (int64_t j = 0; j < n; ++j) y[j * stride] *= inv;
    }
  }

  int64_t outer_, n_, inner_;
};

template <bool kLog>
std::unique_ptr<plan::Kernel> make_softmax(const KernelSpec& spec) {
  check_arity(spec, 1, 1, 1, 1);
  check_dtype(spec, 0, {DType::kFloat32});
  const auto& in = spec.inputs[0].shape;
  check_output(spec, 0, DType::kFloat32, in);
  const auto rank = static_cast<int64_t>(in.size());
  if (rank == 0) fail(spec, "the input must have at least one dimension");
  const int64_t axis = normalize_axis(spec, plan::attr_int(spec.attrs, "axis", -1), rank, "axis");
  const AxisSplit s(in, axis);
  return std::make_unique<SoftmaxKernel<kLog>>(s.outer, s.n, s.inner);
}

const bool kRegistered = [] {
  register_op("Softmax", make_softmax<false>);
  register_op("LogSoftmax", make_softmax<true>);
  return true;
}();

}  // namespace
}  // namespace fastinfer::ops
