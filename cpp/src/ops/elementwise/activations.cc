// Activation functions with their ONNX attributes (defaults as in the spec), on float32
// and float64: Elu, Selu, Celu, LeakyRelu, ThresholdedRelu, HardSigmoid, HardSwish,
// Softplus, Softsign, Mish; Shrink on every numeric dtype; PRelu with a slope that
// broadcasts to the input. NaN propagates except where the op's formula selects a
// constant for it (ThresholdedRelu and Shrink give 0, as the numpy reference does).
#include <cmath>
#include <cstdint>
#include <memory>
#include <type_traits>

#include "ops/common/binary_kernel.h"
#include "ops/common/saturate.h"
#include "ops/common/unary_kernel.h"

namespace fastinfer::ops {
namespace {

template <class T>
struct EluOp {
  T alpha;
  T operator()(T x) const { return x >= 0 ? x : alpha * std::expm1(x); }
};
template <class T>
struct SeluOp {
  T alpha, gamma;
  T operator()(T x) const { return x > 0 ? gamma * x : gamma * alpha * std::expm1(x); }
};
template <class T>
struct CeluOp {
  T alpha;
  T operator()(T x) const { return x >= 0 ? x : alpha * std::expm1(x / alpha); }
};
template <class T>
struct LeakyReluOp {
  T alpha;
  T operator()(T x) const { return x < 0 ? alpha * x : x; }
};
template <class T>
struct ThresholdedReluOp {
  T alpha;
  T operator()(T x) const { return x > alpha ? x : T(0); }
};
// min(max(alpha x + beta, 0), 1), written with comparisons that let NaN through.
template <class T>
struct HardSigmoidOp {
  T alpha, beta;
  T operator()(T x) const {
    T v = alpha * x + beta;
    v = v < 0 ? T(0) : v;
    return v > 1 ? T(1) : v;
  }
};
template <class T>
struct HardSwishOp {
  T operator()(T x) const { return x * HardSigmoidOp<T>{T(1) / 6, T(0.5)}(x); }
};
// log(1 + exp(x)) without overflow: x + log1p(exp(-x)) for positive x.
template <class T>
T softplus(T x) {
  return x > 0 ? x + std::log1p(std::exp(-x)) : std::log1p(std::exp(x));
}
template <class T>
struct SoftplusOp {
  T operator()(T x) const { return softplus(x); }
};
template <class T>
struct SoftsignOp {
  T operator()(T x) const { return x / (T(1) + std::fabs(x)); }
};
template <class T>
struct MishOp {
  T operator()(T x) const { return x * std::tanh(softplus(x)); }
};

// x + bias below -lambd, x - bias above lambd, else 0. Integers compute in double and
// saturate back (ONNX gives no rule for overflow; C++ would be undefined).
template <class T>
struct ShrinkOp {
  using P = std::conditional_t<std::is_floating_point_v<T>, T, double>;
  P lambd, bias;
  T operator()(T x) const {
    const P v = static_cast<P>(x);
    const P r = v < -lambd ? v + bias : v > lambd ? v - bias : P(0);
    if constexpr (std::is_floating_point_v<T>) {
      return r;
    } else {
      return saturate_cast<T>(r);
    }
  }
};

template <class T>
struct PReluOp {
  T operator()(T x, T slope) const { return x < 0 ? slope * x : x; }
};

double attr(const KernelSpec& spec, const char* name, double fallback) {
  return plan::attr_float(spec.attrs, name, fallback);
}

std::unique_ptr<plan::Kernel> make_shrink(const KernelSpec& spec) {
  check_unary(spec, TypeSet::kNumeric);
  const double lambd = attr(spec, "lambd", 0.5), bias = attr(spec, "bias", 0.0);
  return dispatch<TypeSet::kNumeric>(spec.inputs[0].dtype, [&](auto t) {
    using T = decltype(t);
    using P = typename ShrinkOp<T>::P;
    return std::make_unique<UnaryKernel<T, ShrinkOp<T>>>(
        spec.inputs[0].numel(), ShrinkOp<T>{static_cast<P>(lambd), static_cast<P>(bias)});
  });
}

// ONNX PRelu: the slope broadcasts to X (unidirectionally), so the output is X's shape.
std::unique_ptr<plan::Kernel> make_prelu(const KernelSpec& spec) {
  check_arity(spec, 2, 2, 1, 1);
  check_dtype(spec, 0, {DType::kFloat32, DType::kFloat64, DType::kInt32, DType::kInt64});
  if (broadcast_shape({spec.inputs[0].shape, spec.inputs[1].shape}) != spec.inputs[0].shape) {
    fail(spec, "slope " + shape_str(spec.inputs[1].shape) + " does not broadcast to X " +
                   shape_str(spec.inputs[0].shape));
  }
  return make_binary<PReluOp, TypeSet::kNumeric>(spec);
}

const bool kRegistered = [] {
  register_op("Elu", [](const KernelSpec& s) {
    return make_unary<EluOp, TypeSet::kFloat>(s, attr(s, "alpha", 1.0));
  });
  // The spec's defaults, to float32 precision as written there.
  register_op("Selu", [](const KernelSpec& s) {
    return make_unary<SeluOp, TypeSet::kFloat>(s, attr(s, "alpha", 1.67326319217681884765625),
                                               attr(s, "gamma", 1.05070102214813232421875));
  });
  register_op("Celu", [](const KernelSpec& s) {
    const double alpha = attr(s, "alpha", 1.0);
    if (alpha == 0) fail(s, "alpha must not be 0");
    return make_unary<CeluOp, TypeSet::kFloat>(s, alpha);
  });
  register_op("LeakyRelu", [](const KernelSpec& s) {
    return make_unary<LeakyReluOp, TypeSet::kFloat>(s, attr(s, "alpha", 0.01));
  });
  register_op("ThresholdedRelu", [](const KernelSpec& s) {
    return make_unary<ThresholdedReluOp, TypeSet::kFloat>(s, attr(s, "alpha", 1.0));
  });
  register_op("HardSigmoid", [](const KernelSpec& s) {
    return make_unary<HardSigmoidOp, TypeSet::kFloat>(s, attr(s, "alpha", 0.2),
                                                      attr(s, "beta", 0.5));
  });
  register_op("HardSwish", make_plain_unary<HardSwishOp, TypeSet::kFloat>);
  register_op("Softplus", make_plain_unary<SoftplusOp, TypeSet::kFloat>);
  register_op("Softsign", make_plain_unary<SoftsignOp, TypeSet::kFloat>);
  register_op("Mish", make_plain_unary<MishOp, TypeSet::kFloat>);
  register_op("Shrink", make_shrink);
  register_op("PRelu", make_prelu);
  return true;
}();

}  // namespace
}  // namespace fastinfer::ops
