// Mod with numpy broadcasting on every numeric dtype.
//
// fmod=0 (the default): the remainder takes the divisor's sign, like Python's % and
//   numpy.mod; on floats too (numpy's algorithm: 0 % -2 is -0, -3 % inf is inf).
// fmod=1: the remainder takes the dividend's sign, like C's fmod and %.
// Integer x % 0 gives 0 (numpy's result; in C it is undefined) and x % -1 gives 0 without
// trapping on INT_MIN. Float x % 0 is NaN.
#include <cmath>
#include <cstdint>
#include <memory>
#include <type_traits>

#include "ops/common/binary_kernel.h"

namespace fastinfer::ops {
namespace {

template <class T>
struct FmodOp {  // fmod=1
  T operator()(T a, T b) const {
    if constexpr (std::is_floating_point_v<T>) {
      return std::fmod(a, b);
    } else {
      if (b == 0) return 0;
      if constexpr (std::is_signed_v<T>) {
        if (b == -1) return 0;
      }
      return static_cast<T>(a % b);
    }
  }
};

template <class T>
struct ModOp {  // fmod=0
  T operator()(T a, T b) const {
    const T r = FmodOp<T>{}(a, b);
    if constexpr (std::is_floating_point_v<T>) {
      if (r == 0) return std::copysign(T(0), b);  // NaN (b == 0) compares unequal to 0
      return (r < 0) != (b < 0) ? r + b : r;
    } else if constexpr (std::is_signed_v<T>) {
      return r != 0 && (r < 0) != (b < 0) ? static_cast<T>(r + b) : r;
    } else {
      return r;
    }
  }
};

std::unique_ptr<plan::Kernel> make_mod(const KernelSpec& spec) {
  const int64_t fmod = plan::attr_int(spec.attrs, "fmod", 0);
  if (fmod != 0 && fmod != 1) fail(spec, "fmod must be 0 or 1, got " + std::to_string(fmod));
  return fmod ? make_binary<FmodOp, TypeSet::kNumeric>(spec)
              : make_binary<ModOp, TypeSet::kNumeric>(spec);
}

const bool kRegistered = register_op("Mod", make_mod);

}  // namespace
}  // namespace fastinfer::ops
