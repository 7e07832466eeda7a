// float32 unary ops and Not on bool. Exp, Erf, Sigmoid, Tanh, Gelu (exact form), Relu and
// Sqrt go through the per-ISA array math (ops/vecmath, within 1e-6 relative); Log and
// the tanh Gelu use libm; Neg, Abs and Reciprocal are plain loops the compiler vectorises.
#include <cmath>
#include <cstdint>
#include <memory>
#include <string>

#include "ops/common/op_util.h"
#include "ops/common/parallel.h"
#include "ops/vecmath/float_math.h"

namespace fastinfer::ops {
namespace {

template <class T, class Op>
class UnaryKernel final : public plan::Kernel {
 public:
  explicit UnaryKernel(int64_t n) : n_(n) {}
  void run(const void* const* inputs, void* const* outputs) const override {
    const T* x = static_cast<const T*>(inputs[0]);
    T* y = static_cast<T*>(outputs[0]);
    // libm calls cost ~10-20 ns each, so even moderate tensors are worth splitting.
    parallel_chunks(n_, kParallelGrain / 8, [&](int64_t begin, int64_t end) {
      // Local restrict copies: with -fno-strict-aliasing a store through y could change
      // the captured pointers, which would stop the loop from vectorising.
      const T* __restrict xs = x;
      T* __restrict ys = y;
      const Op op;
      for (int64_t i = begin; i < end; ++i) ys[i] = op(xs[i]);
    });
  }

 private:
  int64_t n_;
};

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

struct LogOp {
  float operator()(float x) const { return std::log(x); }
};
struct NegOp {
  float operator()(float x) const { return -x; }
};
struct AbsOp {
  float operator()(float x) const { return std::fabs(x); }
};
struct ReciprocalOp {
  float operator()(float x) const { return 1.0f / x; }
};
struct GeluTanhOp {
  float operator()(float x) const {
    // sqrt(2 / pi) * (x + 0.044715 x^3), the ONNX 20 'tanh' approximation.
    const float inner = 0.7978845608028654f * (x + 0.044715f * x * x * x);
    return 0.5f * x * (1.0f + std::tanh(inner));
  }
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

std::unique_ptr<plan::Kernel> make_gelu(const KernelSpec& spec) {
  const std::string approx = plan::attr_string(spec.attrs, "approximate", "none");
  if (approx == "none") return make_array<&FloatMath::gelu>(spec);
  if (approx == "tanh") return make_float<GeluTanhOp>(spec);
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
  register_op("Relu", make_array<&FloatMath::relu>);
  register_op("Exp", make_array<&FloatMath::exp>);
  register_op("Log", make_float<LogOp>);
  register_op("Neg", make_float<NegOp>);
  register_op("Abs", make_float<AbsOp>);
  register_op("Reciprocal", make_float<ReciprocalOp>);
  register_op("Gelu", make_gelu);
  register_op("Not", make_not);
  return true;
}();

}  // namespace
}  // namespace fastinfer::ops
