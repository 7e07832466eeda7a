// Clip(x, min, max) on every numeric dtype. min and max are optional one-element inputs,
// read when the kernel runs, so they may be plan constants or computed values; an omitted
// bound does not clip (float +-inf, the integer type's limits). The opset < 11 form, with
// min/max attributes, is accepted on float32. numpy's order: max(x, min) first, then
// min(., max), so min > max gives max everywhere; NaN in x stays NaN.
#include <cmath>
#include <cstdint>
#include <limits>
#include <memory>
#include <string>
#include <type_traits>

#include "ops/common/op_util.h"
#include "ops/common/parallel.h"
#include "ops/common/type_set.h"

namespace fastinfer::ops {
namespace {

template <class T>
class ClipKernel final : public plan::Kernel {
 public:
  // lo/hi: the bounds used where the min/max input is absent.
  ClipKernel(int64_t n, bool has_min, bool has_max, T lo, T hi)
      : n_(n), has_min_(has_min), has_max_(has_max), lo_(lo), hi_(hi) {}
  void run(const void* const* inputs, void* const* outputs) const override {
    const T* x = static_cast<const T*>(inputs[0]);
    T* y = static_cast<T*>(outputs[0]);
    const T lo = has_min_ ? *static_cast<const T*>(inputs[1]) : lo_;
    const T hi = has_max_ ? *static_cast<const T*>(inputs[2]) : hi_;
    parallel_chunks(n_, kParallelGrain, [&](int64_t begin, int64_t end) {
      const T* __restrict xs = x;  // restrict locals: see unary_kernel.h
      T* __restrict ys = y;
      for (int64_t i = begin; i < end; ++i) {
        const T v = xs[i] < lo ? lo : xs[i];
        ys[i] = v > hi ? hi : v;
      }
    });
  }

 private:
  int64_t n_;
  bool has_min_, has_max_;
  T lo_, hi_;
};

template <class T>
constexpr T lowest() {
  if constexpr (std::numeric_limits<T>::has_infinity) return -std::numeric_limits<T>::infinity();
  return std::numeric_limits<T>::lowest();
}
template <class T>
constexpr T highest() {
  if constexpr (std::numeric_limits<T>::has_infinity) return std::numeric_limits<T>::infinity();
  return std::numeric_limits<T>::max();
}

std::unique_ptr<plan::Kernel> make_clip(const KernelSpec& spec) {
  check_arity(spec, 1, 3, 1, 1);
  check_dtype_set(spec, 0, TypeSet::kNumeric);
  const bool has_min = present(spec, 1), has_max = present(spec, 2);
  for (size_t i = 1; i < spec.inputs.size(); ++i) {
    if (!present(spec, i)) continue;
    check_same_dtype(spec, 0, i);
    if (spec.inputs[i].numel() != 1) {
      fail(spec, std::string(i == 1 ? "min" : "max") + " must have one element, got " +
                     input_str(spec, i));
    }
  }
  const DType t = spec.inputs[0].dtype;
  const bool attr_form = spec.attrs.count("min") || spec.attrs.count("max");
  if (attr_form && (spec.inputs.size() > 1 || t != DType::kFloat32)) {
    fail(spec, "min/max attributes (opset < 11) are only supported with one float32 input");
  }
  check_output(spec, 0, t, spec.inputs[0].shape);
  const int64_t n = spec.inputs[0].numel();
  return dispatch<TypeSet::kNumeric>(t, [&](auto tag) {
    using T = decltype(tag);
    T lo = lowest<T>(), hi = highest<T>();
    if constexpr (std::is_same_v<T, float>) {
      lo = static_cast<float>(plan::attr_float(spec.attrs, "min", lo));
      hi = static_cast<float>(plan::attr_float(spec.attrs, "max", hi));
    }
    return std::make_unique<ClipKernel<T>>(n, has_min, has_max, lo, hi);
  });
}

const bool kRegistered = register_op("Clip", make_clip);

}  // namespace
}  // namespace fastinfer::ops
