// Arithmetic with numpy broadcasting: Add, Sub, Mul, Div, Pow, Max, Min.
//
// dtypes: float32, float64, int32, int64, int8, uint8 (Pow: float32, int32, int64).
// Integer semantics (ONNX leaves overflow unspecified; we never invoke C++ undefined
// behaviour): Add/Sub/Mul wrap in two's complement; Div truncates toward zero like C and
// onnxruntime, x / 0 gives 0 and INT_MIN / -1 gives INT_MIN instead of trapping.
// Max/Min propagate NaN like numpy's maximum/minimum.
#include <cmath>
#include <cstdint>
#include <memory>
#include <type_traits>

#include "ops/common/binary_kernel.h"
#include "ops/common/saturate.h"
#include "ops/common/variadic_kernel.h"

namespace fastinfer::ops {
namespace {

// Integers compute in their unsigned type, where overflow wraps instead of being undefined.
template <class T, bool = std::is_integral_v<T>>
struct WrapType {
  using type = T;
};
template <class T>
struct WrapType<T, true> {
  using type = std::make_unsigned_t<T>;
};
template <class T>
using Wide = typename WrapType<T>::type;

template <class T>
struct AddOp {
  T operator()(T a, T b) const { return static_cast<T>(Wide<T>(a) + Wide<T>(b)); }
};
template <class T>
struct SubOp {
  T operator()(T a, T b) const { return static_cast<T>(Wide<T>(a) - Wide<T>(b)); }
};
template <class T>
struct MulOp {
  T operator()(T a, T b) const { return static_cast<T>(Wide<T>(a) * Wide<T>(b)); }
};
template <class T>
struct DivOp {
  T operator()(T a, T b) const {
    if constexpr (std::is_integral_v<T>) {
      if (b == 0) return 0;
      if constexpr (std::is_signed_v<T>) {
        if (b == -1) return static_cast<T>(Wide<T>(0) - Wide<T>(a));
      }
    }
    return a / b;
  }
};
// Pow(a, b) with the result in a's type. Integer bases compute in double and convert
// back (exact while the result fits in 53 bits), saturating instead of overflowing.
template <class TA, class TB>
struct PowOp {
  TA operator()(TA a, TB b) const {
    if constexpr (std::is_floating_point_v<TA>) {
      return std::pow(a, static_cast<TA>(b));
    } else {
      return saturate_cast<TA>(std::pow(static_cast<double>(a), static_cast<double>(b)));
    }
  }
};
template <class T>
struct MaxOp {
  T operator()(T a, T b) const {
    if constexpr (std::is_floating_point_v<T>) {
      if (a != a) return a;
      if (b != b) return b;
    }
    return a < b ? b : a;
  }
};
template <class T>
struct MinOp {
  T operator()(T a, T b) const {
    if constexpr (std::is_floating_point_v<T>) {
      if (a != a) return a;
      if (b != b) return b;
    }
    return b < a ? b : a;
  }
};

// Pow with a constant one-element exponent (the usual case: x^2 in variance subgraphs,
// x^0.5, x^3 in tanh-Gelu): a loop over x alone. The exponent may be float32, int32 or
// int64 (ONNX allows a different exponent type).
class PowScalarKernel final : public plan::Kernel {
 public:
  PowScalarKernel(int64_t n, float e) : n_(n), e_(e) {}
  void run(const void* const* inputs, void* const* outputs) const override {
    const float* x = static_cast<const float*>(inputs[0]);
    float* y = static_cast<float*>(outputs[0]);
    parallel_chunks(n_, kParallelGrain / 4, [&](int64_t begin, int64_t end) {
      const float* __restrict xs = x;  // restrict locals: see unary.cc
      float* __restrict ys = y;
      const float e = e_;
      if (e == 2.0f) {  // x * x is exactly pow(x, 2): both are correctly rounded
        for (int64_t i = begin; i < end; ++i) ys[i] = xs[i] * xs[i];
      } else {
        for (int64_t i = begin; i < end; ++i) ys[i] = std::pow(xs[i], e);
      }
    });
  }

 private:
  int64_t n_;
  float e_;
};

std::unique_ptr<plan::Kernel> make_pow(const KernelSpec& spec) {
  check_arity(spec, 2, 2, 1, 1);
  check_dtype(spec, 0, {DType::kFloat32, DType::kInt32, DType::kInt64});
  const void* exponent = spec.constant_inputs[1];
  if (exponent && spec.inputs[1].numel() == 1 && spec.inputs[0].dtype == DType::kFloat32) {
    check_dtype(spec, 1, {DType::kFloat32, DType::kInt32, DType::kInt64});
    float e;
    switch (spec.inputs[1].dtype) {
      case DType::kInt32:
        e = static_cast<float>(*static_cast<const int32_t*>(exponent));
        break;
      case DType::kInt64:
        e = static_cast<float>(*static_cast<const int64_t*>(exponent));
        break;
      default:
        e = *static_cast<const float*>(exponent);
    }
    const auto shape = broadcast_shape({spec.inputs[0].shape, spec.inputs[1].shape});
    check_output(spec, 0, DType::kFloat32, *shape);  // one element always broadcasts
    return std::make_unique<PowScalarKernel>(spec.inputs[0].numel(), e);
  }
  check_dtype(spec, 1, {DType::kFloat32, DType::kInt32, DType::kInt64});
  Broadcast bc = binary_broadcast(spec, nullptr, /*same_dtype=*/false);
  auto with_base = [&](auto base) -> std::unique_ptr<plan::Kernel> {
    using TA = decltype(base);
    switch (spec.inputs[1].dtype) {
      case DType::kInt32:
        return std::make_unique<BinaryKernel<TA, TA, PowOp<TA, int32_t>, int32_t>>(std::move(bc));
      case DType::kInt64:
        return std::make_unique<BinaryKernel<TA, TA, PowOp<TA, int64_t>, int64_t>>(std::move(bc));
      default:
        return std::make_unique<BinaryKernel<TA, TA, PowOp<TA, float>, float>>(std::move(bc));
    }
  };
  switch (spec.inputs[0].dtype) {
    case DType::kInt32:
      return with_base(int32_t{});
    case DType::kInt64:
      return with_base(int64_t{});
    default:
      return with_base(float{});
  }
}

const bool kRegistered = [] {
  register_op("Add", make_binary<AddOp, TypeSet::kNumeric>);
  register_op("Sub", make_binary<SubOp, TypeSet::kNumeric>);
  register_op("Mul", make_binary<MulOp, TypeSet::kNumeric>);
  register_op("Div", make_binary<DivOp, TypeSet::kNumeric>);
  register_op("Pow", make_pow);
  register_op("Max", make_variadic<MaxOp, TypeSet::kNumeric>);
  register_op("Min", make_variadic<MinOp, TypeSet::kNumeric>);
  return true;
}();

}  // namespace
}  // namespace fastinfer::ops
