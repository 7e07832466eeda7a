// ReduceSum, ReduceMean, ReduceMax, ReduceMin (the framework is in reduce_kernel.h).
// Reducing an empty set gives 0 (Sum), NaN (Mean), -inf / +inf (Max / Min; the lowest /
// highest value for integers).
#include <limits>

#include "ops/reduce/reduce_kernel.h"

namespace fastinfer::ops {
namespace {

template <class T>
using SumR = SumOfR<T, same<T>, same<T>>;
template <class T>
struct MeanR {
  using Acc = T;
  static T init() { return T(0); }
  static T add(T a, T x) { return a + x; }
  static T combine(T a, T b) { return a + b; }
  static T finish(T a, int64_t n) { return a / static_cast<T>(n); }
};
template <class T>
struct MaxR {
  using Acc = T;
  static T init() {
    if constexpr (std::numeric_limits<T>::has_infinity) return -std::numeric_limits<T>::infinity();
    return std::numeric_limits<T>::lowest();
  }
  static T add(T a, T x) { return (a < x || x != x) ? x : a; }  // NaN wins, as in numpy
  static T combine(T a, T b) { return add(a, b); }
  static T finish(T a, int64_t) { return a; }
};
template <class T>
struct MinR {
  using Acc = T;
  static T init() {
    if constexpr (std::numeric_limits<T>::has_infinity) return std::numeric_limits<T>::infinity();
    return std::numeric_limits<T>::max();
  }
  static T add(T a, T x) { return (x < a || x != x) ? x : a; }
  static T combine(T a, T b) { return add(a, b); }
  static T finish(T a, int64_t) { return a; }
};

// bool (one byte, 0 or 1; opset 20): ReduceMax is "any", ReduceMin is "all"; the empty
// set gives false and true.
template <class>
struct AnyR {
  using Acc = uint8_t;
  static uint8_t init() { return 0; }
  static uint8_t add(uint8_t a, uint8_t x) { return a | (x != 0); }
  static uint8_t combine(uint8_t a, uint8_t b) { return a | b; }
  static uint8_t finish(uint8_t a, int64_t) { return a; }
};
template <class>
struct AllR {
  using Acc = uint8_t;
  static uint8_t init() { return 1; }
  static uint8_t add(uint8_t a, uint8_t x) { return a & (x != 0); }
  static uint8_t combine(uint8_t a, uint8_t b) { return a & b; }
  static uint8_t finish(uint8_t a, int64_t) { return a; }
};

const bool kRegistered = [] {
  register_op("ReduceSum", make_reduce<SumR, kReduceNumbers>);
  register_op("ReduceMean", make_reduce<MeanR, kReduceF64>);
  register_op("ReduceMax", make_reduce<MaxR, kReduceNumbers | kReduceBool, AnyR>);
  register_op("ReduceMin", make_reduce<MinR, kReduceNumbers | kReduceBool, AllR>);
  return true;
}();

}  // namespace
}  // namespace fastinfer::ops
