// ArgMax and ArgMin along one axis (keepdims, select_last_index), int64 output, and
// Hardmax (opset 13: 1 at the ArgMax position along the axis, 0 elsewhere, in the input's
// shape and dtype). Ties give the first index, or the last with select_last_index=1; NaN
// counts as the extreme value (the first NaN wins, the last with select_last_index), as
// numpy's argmax/argmin do.
#include <algorithm>
#include <memory>
#include <vector>

#include "ops/common/axis_split.h"
#include "ops/common/dtype_dispatch.h"
#include "ops/common/op_util.h"
#include "ops/common/parallel.h"

namespace fastinfer::ops {
namespace {

template <class T, bool kMax, bool kHard = false>
class ArgReduceKernel final : public plan::Kernel {
 public:
  ArgReduceKernel(AxisSplit s, bool last) : s_(s), last_(last) {}

  void run(const void* const* inputs, void* const* outputs) const override {
    const T* x = static_cast<const T*>(inputs[0]);
    const int64_t n = s_.n, inner = s_.inner;
    if (n == 0) return;  // then the output is empty (Hardmax) or refused at build (Arg*)
    parallel_chunks(
        s_.outer, std::max<int64_t>(1, kParallelGrain / std::max<int64_t>(n * inner, 1)),
        [&](int64_t o0, int64_t o1) {
          std::vector<T> best(static_cast<size_t>(inner));
          std::vector<int64_t> index(static_cast<size_t>(inner));
          for (int64_t o = o0; o < o1; ++o) {
            const T* xo = x + o * n * inner;
            for (int64_t j = 0; j < inner; ++j) {
              best[j] = xo[j];
              index[j] = 0;
            }
            for (int64_t i = 1; i < n; ++i) {
              const T* xi = xo + i * inner;
              for (int64_t j = 0; j < inner; ++j) {
                if (better(xi[j], best[j])) {
                  best[j] = xi[j];
                  index[j] = i;
                }
              }
            }
            if constexpr (kHard) {
              T* yo = static_cast<T*>(outputs[0]) + o * n * inner;
              std::fill(yo, yo + n * inner, T(0));
              for (int64_t j = 0; j < inner; ++j) yo[index[j] * inner + j] = T(1);
            } else {
              std::copy(index.begin(), index.end(), static_cast<int64_t*>(outputs[0]) + o * inner);
            }
          }
        });
  }

 private:
  // Whether x, met after `best`, takes its place.
  bool better(T x, T best) const {
    if (best != best) return last_ && x != x;  // NaN: only a later NaN replaces it
    if (x != x) return true;
    if (last_) return kMax ? x >= best : x <= best;
    return kMax ? x > best : x < best;
  }

  AxisSplit s_;
  bool last_;
};

template <bool kMax>
std::unique_ptr<plan::Kernel> make_arg_reduce(const KernelSpec& spec) {
  check_arity(spec, 1, 1, 1, 1);
  check_dtype(spec, 0,
              {DType::kFloat32, DType::kFloat64, DType::kInt32, DType::kInt64, DType::kInt8,
               DType::kUint8});
  const auto& in = spec.inputs[0].shape;
  const int64_t axis = axis_attr(spec, 0);
  std::vector<int64_t> out = in;
  if (plan::attr_int(spec.attrs, "keepdims", 1) != 0) {
    out[axis] = 1;
  } else {
    out.erase(out.begin() + axis);
  }
  check_output(spec, 0, DType::kInt64, out);
  const AxisSplit s(in, axis);
  if (s.n == 0 && numel(out) > 0) fail(spec, "cannot reduce an empty axis to an index");
  const bool last = plan::attr_int(spec.attrs, "select_last_index", 0) != 0;
  return visit_dtype<float, double, int32_t, int64_t, int8_t, uint8_t>(
      spec.inputs[0].dtype, [&](auto* tag) -> std::unique_ptr<plan::Kernel> {
        using T = std::remove_pointer_t<decltype(tag)>;
        return std::make_unique<ArgReduceKernel<T, kMax>>(s, last);
      });
}

std::unique_ptr<plan::Kernel> make_hardmax(const KernelSpec& spec) {
  check_arity(spec, 1, 1, 1, 1);
  check_dtype(spec, 0, {DType::kFloat32, DType::kFloat64});
  const AxisSplit s(spec.inputs[0].shape, axis_attr(spec, -1));
  check_output(spec, 0, spec.inputs[0].dtype, spec.inputs[0].shape);
  if (spec.inputs[0].dtype == DType::kFloat64) {
    return std::make_unique<ArgReduceKernel<double, true, true>>(s, false);
  }
  return std::make_unique<ArgReduceKernel<float, true, true>>(s, false);
}

const bool kRegistered = [] {
  register_op("ArgMax", make_arg_reduce<true>);
  register_op("Hardmax", make_hardmax);
  register_op("ArgMin", make_arg_reduce<false>);
  return true;
}();

}  // namespace
}  // namespace fastinfer::ops
