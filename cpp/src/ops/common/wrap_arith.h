// Integer + and * that wrap modulo 2^bits, as the elementwise Add and Mul do, instead of
// signed-overflow UB; plain arithmetic for floats. For reductions and scatters.
#pragma once

#include <type_traits>

namespace fastinfer::ops {

template <class T>
T wrap_add(T a, T b) {
  if constexpr (std::is_integral_v<T>) {
    using U = std::make_unsigned_t<T>;
    return static_cast<T>(static_cast<U>(a) + static_cast<U>(b));
  }
  return a + b;
}

template <class T>
T wrap_mul(T a, T b) {
  if constexpr (std::is_integral_v<T>) {
    using U = std::make_unsigned_t<T>;
    return static_cast<T>(static_cast<U>(a) * static_cast<U>(b));
  }
  return a * b;
}

}  // namespace fastinfer::ops
