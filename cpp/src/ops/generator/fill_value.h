// A scalar converted to a runtime dtype, as raw element bits, for the kernels that fill
// their output with values fixed at build time (ConstantOfShape, EyeLike). Filling by
// element size (1, 4 or 8 bytes) then needs one kernel per size, not per dtype.
#pragma once

#include <cstdint>
#include <cstring>

#include "fastinfer/plan.h"
#include "ops/common/dtype_dispatch.h"

namespace fastinfer::ops {

// The bits of `v` as dtype `t` in the low dtype_size(t) bytes (bool: v != 0).
template <class V>
uint64_t fill_bits(plan::DType t, V v) {
  if (t == plan::DType::kBool) v = V(v != V(0));
  return visit_dtype<float, double, int32_t, int64_t, int8_t, uint8_t>(t, [&](auto* tag) {
    using T = std::remove_pointer_t<decltype(tag)>;
    const T value = static_cast<T>(v);
    uint64_t bits = 0;
    std::memcpy(&bits, &value, sizeof(T));
    return bits;
  });
}

// The element of size sizeof(E) whose bits are the low bytes of `bits`.
template <class E>
E element_of(uint64_t bits) {
  E e;
  std::memcpy(&e, &bits, sizeof(E));
  return e;
}

}  // namespace fastinfer::ops
