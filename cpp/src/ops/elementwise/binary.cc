// Arithmetic with numpy broadcasting: Add, Sub, Mul, Div, Pow, Max, Min.
//
// dtypes: float32, float64, int32, int64, int8, uint8 (Pow: float32, int32, int64).
// Integer semantics (ONNX leaves overflow unspecified; we never invoke C++ undefined
// behaviour): Add/Sub/Mul wrap in two's complement; Div truncates toward zero like C and
// onnxruntime, x / 0 gives 0 and INT_MIN / -1 gives INT_MIN instead of trapping.
// Max/Min propagate NaN like numpy's maximum/minimum.
#include <cmath>
#include <cstdint>
#include <limits>
#include <memory>
#include <type_traits>
#include <vector>

#include "ops/common/binary_kernel.h"
#include "ops/common/copy_kernel.h"

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
      const double r = std::pow(static_cast<double>(a), static_cast<double>(b));
      if (!(r == r)) return 0;
      if (r >= static_cast<double>(std::numeric_limits<TA>::max())) {
        return std::numeric_limits<TA>::max();
      }
      if (r <= static_cast<double>(std::numeric_limits<TA>::lowest())) {
        return std::numeric_limits<TA>::lowest();
      }
      return static_cast<TA>(r);
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

template <template <class> class Op>
std::unique_ptr<plan::Kernel> arith(const KernelSpec& spec, bool all_numeric) {
  check_arity(spec, 2, 2, 1, 1);
  if (all_numeric) {
    check_dtype(spec, 0,
                {DType::kFloat32, DType::kFloat64, DType::kInt32, DType::kInt64, DType::kInt8,
                 DType::kUint8});
  } else {
    check_dtype(spec, 0, {DType::kFloat32});
  }
  Broadcast bc = binary_broadcast(spec, nullptr);
  switch (spec.inputs[0].dtype) {
    case DType::kFloat64:
      return std::make_unique<BinaryKernel<double, double, Op<double>>>(std::move(bc));
    case DType::kInt32:
      return std::make_unique<BinaryKernel<int32_t, int32_t, Op<int32_t>>>(std::move(bc));
    case DType::kInt64:
      return std::make_unique<BinaryKernel<int64_t, int64_t, Op<int64_t>>>(std::move(bc));
    case DType::kInt8:
      return std::make_unique<BinaryKernel<int8_t, int8_t, Op<int8_t>>>(std::move(bc));
    case DType::kUint8:
      return std::make_unique<BinaryKernel<uint8_t, uint8_t, Op<uint8_t>>>(std::move(bc));
    default:
      return std::make_unique<BinaryKernel<float, float, Op<float>>>(std::move(bc));
  }
}

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

// Max and Min over N inputs: the first two are combined into the output, then each
// further input is folded into it in place (the output already has the final shape, so
// every element reads only its own position).
template <class T, class Op>
class VariadicKernel final : public plan::Kernel {
 public:
  explicit VariadicKernel(std::vector<Broadcast> steps) : steps_(std::move(steps)) {}
  void run(const void* const* inputs, void* const* outputs) const override {
    T* y = static_cast<T*>(outputs[0]);
    for (size_t k = 0; k < steps_.size(); ++k) {
      const Broadcast& bc = steps_[k];
      const T* a = k == 0 ? static_cast<const T*>(inputs[0]) : y;
      const T* b = static_cast<const T*>(inputs[k + 1]);
      const int64_t sa = bc.inner_stride(0), sb = bc.inner_stride(1);
      parallel_chunks(bc.numel(), kParallelGrain, [&](int64_t begin, int64_t end) {
        bc.for_segments(begin, end, [&](const int64_t* off, int64_t o, int64_t n) {
          const Op op;  // no restrict here: a may be y
          for (int64_t i = 0; i < n; ++i) y[o + i] = op(a[off[0] + i * sa], b[off[1] + i * sb]);
        });
      });
    }
  }

 private:
  std::vector<Broadcast> steps_;
};

template <template <class> class Op>
std::unique_ptr<plan::Kernel> make_extremum(const KernelSpec& spec) {
  check_arity(spec, 1, 1024, 1, 1);
  const size_t n = spec.inputs.size();
  if (n == 2) return arith<Op>(spec, true);
  check_dtype(spec, 0,
              {DType::kFloat32, DType::kFloat64, DType::kInt32, DType::kInt64, DType::kInt8,
               DType::kUint8});
  std::vector<std::vector<int64_t>> shapes;
  for (size_t i = 0; i < n; ++i) {
    check_same_dtype(spec, 0, i);
    shapes.push_back(spec.inputs[i].shape);
  }
  const auto shape = broadcast_shape(shapes);
  if (!shape) fail(spec, "the input shapes do not broadcast");
  check_output(spec, 0, spec.inputs[0].dtype, *shape);
  if (n == 1) return make_copy_kernel(spec.inputs[0].nbytes());
  std::vector<Broadcast> steps;
  steps.emplace_back(std::vector<std::vector<int64_t>>{shapes[0], shapes[1]}, *shape);
  for (size_t i = 2; i < n; ++i) {
    steps.emplace_back(std::vector<std::vector<int64_t>>{*shape, shapes[i]}, *shape);
  }
  switch (spec.inputs[0].dtype) {
    case DType::kFloat64:
      return std::make_unique<VariadicKernel<double, Op<double>>>(std::move(steps));
    case DType::kInt32:
      return std::make_unique<VariadicKernel<int32_t, Op<int32_t>>>(std::move(steps));
    case DType::kInt64:
      return std::make_unique<VariadicKernel<int64_t, Op<int64_t>>>(std::move(steps));
    case DType::kInt8:
      return std::make_unique<VariadicKernel<int8_t, Op<int8_t>>>(std::move(steps));
    case DType::kUint8:
      return std::make_unique<VariadicKernel<uint8_t, Op<uint8_t>>>(std::move(steps));
    default:
      return std::make_unique<VariadicKernel<float, Op<float>>>(std::move(steps));
  }
}

const bool kRegistered = [] {
  register_op("Add", [](const KernelSpec& s) { return arith<AddOp>(s, true); });
  register_op("Sub", [](const KernelSpec& s) { return arith<SubOp>(s, true); });
  register_op("Mul", [](const KernelSpec& s) { return arith<MulOp>(s, true); });
  register_op("Div", [](const KernelSpec& s) { return arith<DivOp>(s, true); });
  register_op("Pow", make_pow);
  register_op("Max", make_extremum<MaxOp>);
  register_op("Min", make_extremum<MinOp>);
  return true;
}();

}  // namespace
}  // namespace fastinfer::ops
