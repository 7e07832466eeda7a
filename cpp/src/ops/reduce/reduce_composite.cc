// The Reduce* ops ONNX defines as functions of ReduceSum: ReduceL1, ReduceL2,
// ReduceLogSum, ReduceLogSumExp, ReduceSumSquare, and ReduceProd (framework in
// reduce_kernel.h). The empty set gives 0 (L1, L2, SumSquare), 1 (Prod) and -inf (LogSum,
// LogSumExp), as the ONNX reference does. Integer inputs are taken where the result is exact
// (L1, SumSquare, Prod; wrapping on overflow like the elementwise ops).
#include <cmath>
#include <limits>

#include "ops/reduce/reduce_kernel.h"

namespace fastinfer::ops {
namespace {

template <class T>
T magnitude(T x) {
  if constexpr (std::is_integral_v<T>) {  // |INT_MIN| wraps to itself instead of UB
    using U = std::make_unsigned_t<T>;
    return x < 0 ? static_cast<T>(U(0) - static_cast<U>(x)) : x;
  }
  return std::abs(x);
}

template <class T>
T square(T x) {
  return wrap_mul(x, x);
}
template <class T>
T root(T x) {
  return std::sqrt(x);
}
template <class T>
T ln(T x) {
  return std::log(x);
}

template <class T>
using L1R = SumOfR<T, magnitude<T>, same<T>>;
template <class T>
using SumSquareR = SumOfR<T, square<T>, same<T>>;
template <class T>
using L2R = SumOfR<T, square<T>, root<T>>;
template <class T>
using LogSumR = SumOfR<T, same<T>, ln<T>>;

template <class T>
struct ProdR {
  using Acc = T;
  static T init() { return T(1); }
  static T add(T a, T x) { return wrap_mul(a, x); }
  static T combine(T a, T b) { return wrap_mul(a, b); }
  static T finish(T a, int64_t) { return a; }
};

// log(sum(exp(x))) without overflow: each accumulator keeps its running maximum m and
// s = sum(exp(x - m)), rescaled when a larger element arrives. Equal elements (infinities
// included) add exp(0) = 1 instead of exp(inf - inf); NaN propagates through s.
template <class T>
struct LogSumExpR {
  struct Acc {
    T m, s;
  };
  static Acc init() { return {-std::numeric_limits<T>::infinity(), T(0)}; }
  static Acc add(Acc a, T x) {
    if (x == a.m) return {a.m, a.s + T(1)};
    if (x > a.m) return {x, a.s * std::exp(a.m - x) + T(1)};
    return {a.m, a.s + std::exp(x - a.m)};
  }
  static Acc combine(Acc a, Acc b) {
    if (b.s == T(0)) return a;  // an empty partial (its m is -inf)
    if (a.s == T(0)) return b;
    if (a.m == b.m) return {a.m, a.s + b.s};
    if (a.m < b.m) std::swap(a, b);
    return {a.m, a.s + b.s * std::exp(b.m - a.m)};
  }
  static T finish(Acc a, int64_t) { return a.m + std::log(a.s); }
};

const bool kRegistered = [] {
  register_op("ReduceL1", make_reduce<L1R, kReduceNumbers>);
  register_op("ReduceL2", make_reduce<L2R, kReduceF64>);
  register_op("ReduceSumSquare", make_reduce<SumSquareR, kReduceNumbers>);
  register_op("ReduceLogSum", make_reduce<LogSumR, kReduceF64>);
  register_op("ReduceLogSumExp", make_reduce<LogSumExpR, kReduceF64>);
  register_op("ReduceProd", make_reduce<ProdR, kReduceNumbers>);
  return true;
}();

}  // namespace
}  // namespace fastinfer::ops
