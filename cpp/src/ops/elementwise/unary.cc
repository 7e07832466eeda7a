// float32 unary ops (Exp and Log on float64 too) and Not on bool. Exp, Erf, Sigmoid, Silu,
// Tanh, Gelu (both forms), Relu and Sqrt go through the per-ISA array math (kernels/vecmath, within
// 1e-6 relative but in GELU's far negative tail); Log and float64 Exp use libm; Neg, Abs and
// Reciprocal are plain loops the compiler vectorises.
#include <cmath>
#include <cstdint>
#include <memory>
#include <string>
#include <type_traits>

#include "kernels/vecmath/float_math.h"
#include "ops/common/op_util.h"
#include "ops/common/parallel.h"
#include "ops/common/unary_kernel.h"

namespace fastinfer::ops {
namespace {

using vecmath::float_math;
using vecmath::FloatMath;

// An op computed by one of the FloatMath array functions, chosen per run from the
// active ISA.
using ArrayFn = void (*FloatMath::*)(const float*, float*, int64_t);

class ArrayUnaryKernel final : public plan::Kernel {
 public:
  ArrayUnaryKernel(int64_t n, ArrayFn fn) : n_(n), fn_(fn) {}
  void run(const void* const* inputs, void* const* outputs) const override {
    const float* x = static_cast<const float*>(inputs[0]);
    float* y = static_cast<float*>(outputs[0]);
    const auto fn = float_math().*fn_;
    parallel_chunks(n_, kParallelGrain / 2,
                    [&](int64_t begin, int64_t end) { fn(x + begin, y + begin, end - begin); });
  }

 private:
  int64_t n_;
  ArrayFn fn_;
};

template <class T>
struct LogOp {
  T operator()(T x) const { return std::log(x); }
};
template <class T>
struct ExpOp {
  T operator()(T x) const { return std::exp(x); }
};
// Neg and Abs on every numeric dtype (exports take the absolute value of int64 relative
// positions, e.g. DeBERTa). Integers compute in their unsigned type, so INT_MIN wraps to
// itself instead of overflowing, as onnxruntime's two's-complement result.
template <class T>
struct NegOp {
  T operator()(T x) const {
    if constexpr (std::is_integral_v<T>) {
      return static_cast<T>(std::make_unsigned_t<T>(0) - static_cast<std::make_unsigned_t<T>>(x));
    } else {
      return -x;
    }
  }
};
template <class T>
struct AbsOp {
  T operator()(T x) const {
    if constexpr (std::is_floating_point_v<T>) {
      return std::fabs(x);
    } else if constexpr (std::is_unsigned_v<T>) {
      return x;
    } else {
      return x < 0 ? NegOp<T>{}(x) : x;
    }
  }
};
struct ReciprocalOp {
  float operator()(float x) const { return 1.0f / x; }
};
struct NotOp {
  uint8_t operator()(uint8_t x) const { return x == 0; }
};

void check_unary(const KernelSpec& spec, DType t) {
  check_arity(spec, 1, 1, 1, 1);
  check_dtype(spec, 0, {t});
  check_output(spec, 0, t, spec.inputs[0].shape);
}

template <class Op>
std::unique_ptr<plan::Kernel> make_float(const KernelSpec& spec) {
  check_unary(spec, DType::kFloat32);
  return std::make_unique<UnaryKernel<float, Op>>(spec.inputs[0].numel());
}

template <ArrayFn kFn>
std::unique_ptr<plan::Kernel> make_array(const KernelSpec& spec) {
  check_unary(spec, DType::kFloat32);
  return std::make_unique<ArrayUnaryKernel>(spec.inputs[0].numel(), kFn);
}

// Exp on float32 through the array math, on float64 through libm.
std::unique_ptr<plan::Kernel> make_exp(const KernelSpec& spec) {
  check_unary(spec, TypeSet::kFloat);
  if (spec.inputs[0].dtype == DType::kFloat64) return make_unary<ExpOp, TypeSet::kFloat>(spec);
  return make_array<&FloatMath::exp>(spec);
}

std::unique_ptr<plan::Kernel> make_gelu(const KernelSpec& spec) {
  const std::string approx = plan::attr_string(spec.attrs, "approximate", "none");
  if (approx == "none") return make_array<&FloatMath::gelu>(spec);
  if (approx == "tanh") return make_array<&FloatMath::gelu_tanh>(spec);
  fail(spec, "approximate='" + approx + "' is not supported (none, tanh)");
}

std::unique_ptr<plan::Kernel> make_not(const KernelSpec& spec) {
  check_unary(spec, DType::kBool);
  return std::make_unique<UnaryKernel<uint8_t, NotOp>>(spec.inputs[0].numel());
}

const bool kRegistered = [] {
  register_op("Sqrt", make_array<&FloatMath::sqrt>);
  register_op("Erf", make_array<&FloatMath::erf>);
  register_op("Tanh", make_array<&FloatMath::tanh>);
  register_op("Sigmoid", make_array<&FloatMath::sigmoid>);
  register_op("Silu", make_array<&FloatMath::silu>);  // fastinfer's (passes/fuse_silu.py)
  register_op("Relu", make_array<&FloatMath::relu>);
  register_op("Exp", make_exp);
  register_op("Log", make_plain_unary<LogOp, TypeSet::kFloat>);
  register_op("Neg", make_plain_unary<NegOp, TypeSet::kNumeric>);
  register_op("Abs", make_plain_unary<AbsOp, TypeSet::kNumeric>);
  register_op("Reciprocal", make_float<ReciprocalOp>);
  register_op("Gelu", make_gelu);
  register_op("Not", make_not);
  return true;
}();

}  // namespace
}  // namespace fastinfer::ops
