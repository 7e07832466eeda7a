// CumSum and CumProd (opset 26) along a constant axis (input 1, a scalar or 1-element
// tensor), with the 'exclusive' (the sum or product of the elements before, not including,
// this one) and 'reverse' (from the end) attributes. Each output row is the previous output
// row combined with one input row, so the inner loop runs over whole rows of `inner`
// elements and vectorises. Integers wrap.
#include <memory>
#include <vector>

#include "ops/common/axis_split.h"
#include "ops/common/dtype_dispatch.h"
#include "ops/common/op_util.h"
#include "ops/common/parallel.h"
#include "ops/common/wrap_arith.h"

namespace fastinfer::ops {
namespace {

template <class T, bool kProd>
class CumulativeKernel final : public plan::Kernel {
 public:
  CumulativeKernel(AxisSplit s, bool exclusive, bool reverse)
      : s_(s), exclusive_(exclusive), reverse_(reverse) {}

  void run(const void* const* inputs, void* const* outputs) const override {
    const T* x = static_cast<const T*>(inputs[0]);
    T* y = static_cast<T*>(outputs[0]);
    const int64_t n = s_.n, inner = s_.inner;
    if (n == 0) return;
    parallel_chunks(s_.outer,
                    std::max<int64_t>(1, kParallelGrain / std::max<int64_t>(n * inner, 1)),
                    [&](int64_t o0, int64_t o1) {
                      for (int64_t o = o0; o < o1; ++o) {
                        slab(x + o * n * inner, y + o * n * inner);
                      }
                    });
  }

 private:
  void slab(const T* __restrict x, T* __restrict y) const {
    const int64_t n = s_.n, inner = s_.inner;
    const int64_t first = reverse_ ? n - 1 : 0, step = reverse_ ? -1 : 1;
    T* y0 = y + first * inner;
    const T* x0 = x + first * inner;
    for (int64_t j = 0; j < inner; ++j) y0[j] = exclusive_ ? T(kProd ? 1 : 0) : x0[j];
    for (int64_t k = 1; k < n; ++k) {
      const int64_t i = first + k * step, p = i - step;
      const T* yp = y + p * inner;
      const T* xs = x + (exclusive_ ? p : i) * inner;  // exclusive adds the previous element
      T* yi = y + i * inner;
      for (int64_t j = 0; j < inner; ++j) {
        yi[j] = kProd ? wrap_mul(yp[j], xs[j]) : wrap_add(yp[j], xs[j]);
      }
    }
  }

  AxisSplit s_;
  bool exclusive_, reverse_;
};

template <bool kProd>
std::unique_ptr<plan::Kernel> make_cumulative(const KernelSpec& spec) {
  check_arity(spec, 2, 2, 1, 1);
  check_dtype(spec, 0, {DType::kFloat32, DType::kFloat64, DType::kInt32, DType::kInt64});
  const auto& in = spec.inputs[0].shape;
  const std::vector<int64_t> axis = constant_ints(spec, 1, "axis");
  if (axis.size() != 1) fail(spec, "axis must hold one value, got " + shape_str(axis));
  const auto rank = static_cast<int64_t>(in.size());
  if (rank == 0) fail(spec, "the input must have at least one dimension");
  const AxisSplit s(in, normalize_axis(spec, axis[0], rank, "axis"));
  check_output(spec, 0, spec.inputs[0].dtype, in);
  const bool exclusive = plan::attr_int(spec.attrs, "exclusive", 0) != 0;
  const bool reverse = plan::attr_int(spec.attrs, "reverse", 0) != 0;
  return visit_dtype<float, double, int32_t, int64_t>(
      spec.inputs[0].dtype, [&](auto* tag) -> std::unique_ptr<plan::Kernel> {
        using T = std::remove_pointer_t<decltype(tag)>;
        return std::make_unique<CumulativeKernel<T, kProd>>(s, exclusive, reverse);
      });
}

const bool kRegistered = [] {
  register_op("CumSum", make_cumulative<false>);
  register_op("CumProd", make_cumulative<true>);
  return true;
}();

}  // namespace
}  // namespace fastinfer::ops
