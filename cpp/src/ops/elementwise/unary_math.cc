// Elementwise math on float32 and float64 through libm: trigonometric and hyperbolic
// functions and their inverses, Ceil, Floor, Round (half to even); Sign on every numeric
// dtype; IsNaN and IsInf to bool. Out-of-domain inputs give NaN (Asin(2), Acosh(0.5)) as
// in numpy.
#include <cmath>
#include <cstdint>
#include <limits>
#include <memory>
#include <type_traits>

#include "ops/common/unary_kernel.h"

namespace fastinfer::ops {
namespace {

// One functor per libm function: std::sin and friends are overload sets, which cannot be
// template arguments.
#define FASTINFER_LIBM_OP(Name, fn)           \
  template <class T>                          \
  struct Name {                               \
    T operator()(T x) const { return fn(x); } \
  };
FASTINFER_LIBM_OP(SinOp, std::sin)
FASTINFER_LIBM_OP(CosOp, std::cos)
FASTINFER_LIBM_OP(TanOp, std::tan)
FASTINFER_LIBM_OP(AsinOp, std::asin)
FASTINFER_LIBM_OP(AcosOp, std::acos)
FASTINFER_LIBM_OP(AtanOp, std::atan)
FASTINFER_LIBM_OP(SinhOp, std::sinh)
FASTINFER_LIBM_OP(CoshOp, std::cosh)
FASTINFER_LIBM_OP(AsinhOp, std::asinh)
FASTINFER_LIBM_OP(AcoshOp, std::acosh)
FASTINFER_LIBM_OP(AtanhOp, std::atanh)
FASTINFER_LIBM_OP(CeilOp, std::ceil)
FASTINFER_LIBM_OP(FloorOp, std::floor)
// nearbyint rounds in the current mode, round-to-nearest-even unless a caller changed it
// (std::round would round halves away from zero).
FASTINFER_LIBM_OP(RoundOp, std::nearbyint)
#undef FASTINFER_LIBM_OP

// -1, 0 or 1; NaN stays NaN (numpy's sign).
template <class T>
struct SignOp {
  T operator()(T x) const {
    if constexpr (std::is_unsigned_v<T>) {
      return x != 0;
    } else {
      return x > 0 ? T(1) : x < 0 ? T(-1) : x;  // x: 0 or NaN
    }
  }
};

template <class T>
struct IsNaNOp {
  uint8_t operator()(T x) const { return x != x; }
};

// Compares with +inf and -inf; a side that is not detected compares with NaN instead,
// which matches nothing.
template <class T>
struct IsInfOp {
  T pos, neg;
  uint8_t operator()(T x) const { return (x == pos) | (x == neg); }
};

std::unique_ptr<plan::Kernel> make_isnan(const KernelSpec& spec) {
  const DType out = DType::kBool;
  check_unary(spec, TypeSet::kFloat, &out);
  return dispatch<TypeSet::kFloat>(spec.inputs[0].dtype, [&](auto t) {
    using T = decltype(t);
    return std::make_unique<UnaryKernel<T, IsNaNOp<T>>>(spec.inputs[0].numel());
  });
}

std::unique_ptr<plan::Kernel> make_isinf(const KernelSpec& spec) {
  const DType out = DType::kBool;
  check_unary(spec, TypeSet::kFloat, &out);
  const bool pos = plan::attr_int(spec.attrs, "detect_positive", 1) != 0;
  const bool neg = plan::attr_int(spec.attrs, "detect_negative", 1) != 0;
  return dispatch<TypeSet::kFloat>(spec.inputs[0].dtype, [&](auto t) {
    using T = decltype(t);
    constexpr T kInf = std::numeric_limits<T>::infinity();
    constexpr T kNaN = std::numeric_limits<T>::quiet_NaN();
    return std::make_unique<UnaryKernel<T, IsInfOp<T>>>(
        spec.inputs[0].numel(), IsInfOp<T>{pos ? kInf : kNaN, neg ? -kInf : kNaN});
  });
}

const bool kRegistered = [] {
  register_op("Sin", make_plain_unary<SinOp, TypeSet::kFloat>);
  register_op("Cos", make_plain_unary<CosOp, TypeSet::kFloat>);
  register_op("Tan", make_plain_unary<TanOp, TypeSet::kFloat>);
  register_op("Asin", make_plain_unary<AsinOp, TypeSet::kFloat>);
  register_op("Acos", make_plain_unary<AcosOp, TypeSet::kFloat>);
  register_op("Atan", make_plain_unary<AtanOp, TypeSet::kFloat>);
  register_op("Sinh", make_plain_unary<SinhOp, TypeSet::kFloat>);
  register_op("Cosh", make_plain_unary<CoshOp, TypeSet::kFloat>);
  register_op("Asinh", make_plain_unary<AsinhOp, TypeSet::kFloat>);
  register_op("Acosh", make_plain_unary<AcoshOp, TypeSet::kFloat>);
  register_op("Atanh", make_plain_unary<AtanhOp, TypeSet::kFloat>);
  register_op("Ceil", make_plain_unary<CeilOp, TypeSet::kFloat>);
  register_op("Floor", make_plain_unary<FloorOp, TypeSet::kFloat>);
  register_op("Round", make_plain_unary<RoundOp, TypeSet::kFloat>);
  register_op("Sign", make_plain_unary<SignOp, TypeSet::kNumeric>);
  register_op("IsNaN", make_isnan);
  register_op("IsInf", make_isinf);
  return true;
}();

}  // namespace
}  // namespace fastinfer::ops
