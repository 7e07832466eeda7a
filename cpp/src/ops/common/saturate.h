// Conversion of a double result to an integer type without C++ undefined behaviour (a
// plain cast is undefined out of range): saturates at the type's limits, NaN gives 0.
#pragma once

#include <limits>

namespace fastinfer::ops {

template <class T>
T saturate_cast(double r) {
  if (!(r == r)) return 0;
  if (r >= static_cast<double>(std::numeric_limits<T>::max())) return std::numeric_limits<T>::max();
  if (r <= static_cast<double>(std::numeric_limits<T>::lowest())) {
    return std::numeric_limits<T>::lowest();
  }
  return static_cast<T>(r);
}

}  // namespace fastinfer::ops
