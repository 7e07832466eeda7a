// Cast between float32, float64, int64, int32, int8, uint8 and bool, and CastLike (the
// same, to the dtype of a second input).
//
// Rules (ONNX Cast, non-float8 targets):
// - float -> float: round to nearest; out of range gives +-inf.
// - float -> integer: truncates toward zero as C does. ONNX leaves out-of-range values
//   undefined; to avoid C++ undefined behaviour we saturate to the int64 range (NaN -> 0)
//   and then wrap to the target width like integer -> integer, which matches numpy's
//   astype for every value that fits in int64 (200.7 -> int8 gives -56).
// - integer -> integer: keep the low bits (two's complement wrap), e.g. 200 -> int8 -56.
// - integer -> float: round to nearest.
// - anything -> bool: zero is false, everything else (NaN included) is true.
// - bool -> number: 1 or 0.
#include <cmath>
#include <cstdint>
#include <memory>
#include <stdexcept>
#include <string>
#include <type_traits>

#include "ops/common/op_util.h"
#include "ops/common/parallel.h"

namespace fastinfer::ops {
namespace {

struct Bool {};  // tag: bool tensors hold uint8_t 0/1

template <class T>
struct Storage {
  using type = T;
};
template <>
struct Storage<Bool> {
  using type = uint8_t;
};

template <class From>
int64_t float_to_int64(From x) {
  if (!(x == x)) return 0;  // NaN
  // 2^63 is exactly representable; anything at or past it saturates.
  if (x >= static_cast<From>(9223372036854775808.0)) return INT64_MAX;
  if (x <= static_cast<From>(-9223372036854775808.0)) return INT64_MIN;
  return static_cast<int64_t>(x);  // truncates toward zero
}

template <class To, class From>
typename Storage<To>::type convert(typename Storage<From>::type x) {
  if constexpr (std::is_same_v<To, Bool>) {
    return x != 0;
  } else if constexpr (std::is_same_v<From, Bool>) {
    return static_cast<To>(x != 0);
  } else if constexpr (std::is_floating_point_v<To>) {
    return static_cast<To>(x);
  } else if constexpr (std::is_floating_point_v<From>) {
    return static_cast<To>(static_cast<uint64_t>(float_to_int64(x)));
  } else {
    // Through uint64_t the conversion is modular, hence defined for every value.
    return static_cast<To>(static_cast<uint64_t>(static_cast<int64_t>(x)));
  }
}

template <class To, class From>
class CastKernel final : public plan::Kernel {
 public:
  explicit CastKernel(int64_t n) : n_(n) {}
  void run(const void* const* inputs, void* const* outputs) const override {
    const auto* x = static_cast<const typename Storage<From>::type*>(inputs[0]);
    auto* y = static_cast<typename Storage<To>::type*>(outputs[0]);
    parallel_chunks(n_, kParallelGrain, [&](int64_t begin, int64_t end) {
      // Local restrict copies: the captured pointers would otherwise be reloaded after
      // every store (-fno-strict-aliasing), which stops vectorisation.
      const auto* __restrict xs = x;
      auto* __restrict ys = y;
      for (int64_t i = begin; i < end; ++i) ys[i] = convert<To, From>(xs[i]);
    });
  }

 private:
  int64_t n_;
};

template <class From>
std::unique_ptr<plan::Kernel> cast_from(DType to, int64_t n) {
  switch (to) {
    case DType::kFloat32:
      return std::make_unique<CastKernel<float, From>>(n);
    case DType::kFloat64:
      return std::make_unique<CastKernel<double, From>>(n);
    case DType::kInt64:
      return std::make_unique<CastKernel<int64_t, From>>(n);
    case DType::kInt32:
      return std::make_unique<CastKernel<int32_t, From>>(n);
    case DType::kInt8:
      return std::make_unique<CastKernel<int8_t, From>>(n);
    case DType::kUint8:
      return std::make_unique<CastKernel<uint8_t, From>>(n);
    case DType::kBool:
      return std::make_unique<CastKernel<Bool, From>>(n);
  }
  return nullptr;
}

const auto kAllTypes = {DType::kFloat32, DType::kFloat64, DType::kInt64, DType::kInt32,
                        DType::kInt8,    DType::kUint8,   DType::kBool};

std::unique_ptr<plan::Kernel> cast_to(const KernelSpec& spec, DType to) {
  check_output(spec, 0, to, spec.inputs[0].shape);
  const int64_t n = spec.inputs[0].numel();
  switch (spec.inputs[0].dtype) {
    case DType::kFloat32:
      return cast_from<float>(to, n);
    case DType::kFloat64:
      return cast_from<double>(to, n);
    case DType::kInt64:
      return cast_from<int64_t>(to, n);
    case DType::kInt32:
      return cast_from<int32_t>(to, n);
    case DType::kInt8:
      return cast_from<int8_t>(to, n);
    case DType::kUint8:
      return cast_from<uint8_t>(to, n);
    default:
      return cast_from<Bool>(to, n);
  }
}

std::unique_ptr<plan::Kernel> make_cast(const KernelSpec& spec) {
  check_arity(spec, 1, 1, 1, 1);
  check_dtype(spec, 0, kAllTypes);
  const int64_t to_code = plan::attr_int(spec.attrs, "to", -1);
  DType to{};
  try {
    to = plan::dtype_from_code(static_cast<int32_t>(to_code));
  } catch (const std::invalid_argument&) {
    fail(spec, "to=" + std::to_string(to_code) +
                   " is not a supported dtype (float32, float64, int64, int32, int8, uint8, bool)");
  }
  bool known = false;
  for (DType t : kAllTypes) known |= t == to;
  if (!known) fail(spec, std::string("casting to ") + plan::dtype_name(to) + " is not supported");
  return cast_to(spec, to);
}

// CastLike(x, like): Cast to like's dtype; like's values are not read.
std::unique_ptr<plan::Kernel> make_castlike(const KernelSpec& spec) {
  check_arity(spec, 2, 2, 1, 1);
  check_dtype(spec, 0, kAllTypes);
  check_dtype(spec, 1, kAllTypes);
  return cast_to(spec, spec.inputs[1].dtype);
}

const bool kRegistered = [] {
  register_op("Cast", make_cast);
  register_op("CastLike", make_castlike);
  return true;
}();

}  // namespace
}  // namespace fastinfer::ops
