// Bitwise ops on the integer dtypes (int8, uint8, int32, int64), with numpy broadcasting:
// BitwiseAnd, BitwiseOr, BitwiseXor, BitwiseNot, and BitShift (direction LEFT or RIGHT).
//
// BitShift follows opset 28, which also allows signed types: a left shift wraps in two's
// complement (64 << 1 in int8 is -128); a right shift of a signed value is arithmetic (the
// sign is copied in). A shift amount that is negative or at least the bit width shifts
// every bit out: 0, or -1 for a negative value shifted right.
#include <cstdint>
#include <memory>
#include <string>
#include <type_traits>

#include "ops/common/binary_kernel.h"
#include "ops/common/unary_kernel.h"

namespace fastinfer::ops {
namespace {

template <class T>
struct AndOp {
  T operator()(T a, T b) const { return static_cast<T>(a & b); }
};
template <class T>
struct OrOp {
  T operator()(T a, T b) const { return static_cast<T>(a | b); }
};
template <class T>
struct XorOp {
  T operator()(T a, T b) const { return static_cast<T>(a ^ b); }
};
template <class T>
struct NotOp {
  T operator()(T a) const { return static_cast<T>(~a); }
};

template <class T>
using Bits = std::make_unsigned_t<T>;
template <class T>
constexpr Bits<T> kWidth = sizeof(T) * 8;

template <class T>
struct ShiftLeftOp {
  T operator()(T x, T s) const {
    const Bits<T> n = static_cast<Bits<T>>(s);  // a negative amount becomes >= the width
    return n >= kWidth<T> ? T(0) : static_cast<T>(static_cast<Bits<T>>(x) << n);
  }
};
template <class T>
struct ShiftRightOp {
  T operator()(T x, T s) const {
    const Bits<T> n = static_cast<Bits<T>>(s);
    if (n >= kWidth<T>) {
      if constexpr (std::is_signed_v<T>) return x < 0 ? T(-1) : T(0);
      return T(0);
    }
    return static_cast<T>(x >> n);  // arithmetic for signed types (defined since C++20,
                                    // and what GCC and Clang have always done)
  }
};

std::unique_ptr<plan::Kernel> make_bitshift(const KernelSpec& spec) {
  const std::string dir = plan::attr_string(spec.attrs, "direction", "");
  if (dir == "LEFT") return make_binary<ShiftLeftOp, TypeSet::kInt>(spec);
  if (dir == "RIGHT") return make_binary<ShiftRightOp, TypeSet::kInt>(spec);
  fail(spec, "direction must be 'LEFT' or 'RIGHT', got '" + dir + "'");
}

const bool kRegistered = [] {
  register_op("BitwiseAnd", make_binary<AndOp, TypeSet::kInt>);
  register_op("BitwiseOr", make_binary<OrOp, TypeSet::kInt>);
  register_op("BitwiseXor", make_binary<XorOp, TypeSet::kInt>);
  register_op("BitwiseNot", make_plain_unary<NotOp, TypeSet::kInt>);
  register_op("BitShift", make_bitshift);
  return true;
}();

}  // namespace
}  // namespace fastinfer::ops
