// Hardmax over one axis (opset >= 13: default axis -1, the other axes are independent):
// 1 at the first maximum along the axis, 0 elsewhere; float32 and float64. Like
// numpy.argmax, the first NaN counts as the maximum.
#include <algorithm>
#include <cstdint>
#include <memory>
#include <vector>

#include "ops/common/axis_split.h"
#include "ops/common/op_util.h"
#include "ops/common/parallel.h"
#include "ops/common/type_set.h"

namespace fastinfer::ops {
namespace {

template <class T>
class HardmaxKernel final : public plan::Kernel {
 public:
  explicit HardmaxKernel(AxisSplit s) : s_(s) {}

  void run(const void* const* inputs, void* const* outputs) const override {
    const T* x = static_cast<const T*>(inputs[0]);
    T* y = static_cast<T*>(outputs[0]);
    const int64_t block = s_.n * s_.inner;  // one outer index
    if (block == 0) return;
    const int64_t grain = std::max<int64_t>(1, kParallelGrain / block);
    parallel_chunks(s_.outer, grain, [&](int64_t o0, int64_t o1) {
      std::vector<T> best(static_cast<size_t>(s_.inner));
      std::vector<int64_t> at(static_cast<size_t>(s_.inner));
      for (int64_t o = o0; o < o1; ++o) {
        one_block(x + o * block, y + o * block, best.data(), at.data());
      }
    });
  }

 private:
  // The running maximum per inner position (value, axis index), walking the axis in
  // memory order.
  void one_block(const T* x, T* y, T* best, int64_t* at) const {
    const int64_t n = s_.n, inner = s_.inner;
    std::fill(y, y + n * inner, T(0));
    std::copy(x, x + inner, best);
    std::fill(at, at + inner, 0);
    for (int64_t k = 1; k < n; ++k) {
      const T* row = x + k * inner;
      for (int64_t i = 0; i < inner; ++i) {
        const T v = row[i], b = best[i];
        if (v > b || (v != v && b == b)) {  // a first NaN beats any number
          best[i] = v;
          at[i] = k;
        }
      }
    }
    for (int64_t i = 0; i < inner; ++i) y[at[i] * inner + i] = T(1);
  }

  AxisSplit s_;
};

std::unique_ptr<plan::Kernel> make_hardmax(const KernelSpec& spec) {
  check_arity(spec, 1, 1, 1, 1);
  check_dtype_set(spec, 0, TypeSet::kFloat);
  const auto& in = spec.inputs[0].shape;
  check_output(spec, 0, spec.inputs[0].dtype, in);
  const auto rank = static_cast<int64_t>(in.size());
  if (rank == 0) fail(spec, "the input must have at least one dimension");
  const int64_t axis = normalize_axis(spec, plan::attr_int(spec.attrs, "axis", -1), rank, "axis");
  const AxisSplit split(in, axis);
  return dispatch<TypeSet::kFloat>(spec.inputs[0].dtype, [&](auto t) {
    using T = decltype(t);
    return std::make_unique<HardmaxKernel<T>>(split);
  });
}

const bool kRegistered = register_op("Hardmax", make_hardmax);

}  // namespace
}  // namespace fastinfer::ops
