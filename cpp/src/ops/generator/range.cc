// Range(start, limit, delta): start + i * delta for i < max(ceil((limit - start) / delta), 0).
// The three scalars are plan constants (they fix the output length), read at build time;
// float32, float64, int32 and int64. Values are computed in double (floats) or int64 and
// converted, so a float32 range has no accumulated error.
#include <cmath>
#include <memory>
#include <string>
#include <vector>

#include "ops/common/dtype_dispatch.h"
#include "ops/common/op_util.h"

namespace fastinfer::ops {
namespace {

template <class T, class V>
class RangeKernel final : public plan::Kernel {
 public:
  RangeKernel(V start, V delta, int64_t n) : start_(start), delta_(delta), n_(n) {}
  void run(const void* const*, void* const* outputs) const override {
    T* y = static_cast<T*>(outputs[0]);
    for (int64_t i = 0; i < n_; ++i) y[i] = static_cast<T>(start_ + static_cast<V>(i) * delta_);
  }

 private:
  V start_, delta_;
  int64_t n_;
};

// The scalar constant input i as V.
template <class T, class V>
V scalar(const KernelSpec& spec, size_t i, const char* what) {
  if (spec.constant_inputs[i] == nullptr) {
    fail(spec, std::string(what) + " (input " + std::to_string(i) +
                   ") must be a constant; shapes are static in a plan");
  }
  if (spec.inputs[i].numel() != 1) fail(spec, std::string(what) + " must be a scalar");
  return static_cast<V>(*static_cast<const T*>(spec.constant_inputs[i]));
}

std::unique_ptr<plan::Kernel> make_range(const KernelSpec& spec) {
  check_arity(spec, 3, 3, 1, 1);
  check_dtype(spec, 0, {DType::kFloat32, DType::kFloat64, DType::kInt32, DType::kInt64});
  check_same_dtype(spec, 0, 1);
  check_same_dtype(spec, 0, 2);
  return visit_dtype<float, double, int32_t, int64_t>(
      spec.inputs[0].dtype, [&](auto* tag) -> std::unique_ptr<plan::Kernel> {
        using T = std::remove_pointer_t<decltype(tag)>;
        using V = std::conditional_t<std::is_floating_point_v<T>, double, int64_t>;
        const V start = scalar<T, V>(spec, 0, "start"), limit = scalar<T, V>(spec, 1, "limit"),
                delta = scalar<T, V>(spec, 2, "delta");
        if (delta == V(0)) fail(spec, "delta must not be 0");
        int64_t n;
        if constexpr (std::is_floating_point_v<T>) {
          const double len = std::ceil((limit - start) / delta);
          if (!(len < 9e18)) fail(spec, "the range is not finite");
          n = len > 0 ? static_cast<int64_t>(len) : 0;
        } else {  // exact ceiling division
          int64_t span;
          if (__builtin_sub_overflow(delta > 0 ? limit : start, delta > 0 ? start : limit, &span)) {
            fail(spec, "the range is too long");
          }
          // delta may be INT64_MIN, whose magnitude only fits unsigned.
          const uint64_t step = delta > 0 ? uint64_t(delta) : uint64_t(0) - uint64_t(delta);
          n = span > 0 ? static_cast<int64_t>((uint64_t(span) - 1) / step + 1) : 0;
        }
        check_output(spec, 0, spec.inputs[0].dtype, {n});
        return std::make_unique<RangeKernel<T, V>>(start, delta, n);
      });
}

const bool kRegistered = register_op("Range", make_range);

}  // namespace
}  // namespace fastinfer::ops
