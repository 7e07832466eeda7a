// Picks the C++ element type of a runtime dtype, for kernels templated on it:
//   return visit_dtype<float, double, int64_t>(t, [&](auto* tag) -> std::unique_ptr<Kernel> {
//     using T = std::remove_pointer_t<decltype(tag)>;
//     return std::make_unique<MyKernel<T>>(...);
//   });
// Every call of fn must return the same type. Only the listed types are instantiated; the
// caller has checked that `t` is one of them (check_dtype), so another dtype is a logic
// error. uint8_t stands for bool as well (one byte, 0 or 1). Ops that only move elements
// use visit_elem_size: one instantiation per element size instead of per dtype.
#pragma once

#include <cstdint>
#include <stdexcept>
#include <string>
#include <type_traits>

#include "fastinfer/plan.h"

namespace fastinfer::ops {

template <class T>
constexpr bool is_dtype(plan::DType t) {
  using plan::DType;
  if constexpr (std::is_same_v<T, float>) return t == DType::kFloat32;
  if constexpr (std::is_same_v<T, double>) return t == DType::kFloat64;
  if constexpr (std::is_same_v<T, int32_t>) return t == DType::kInt32;
  if constexpr (std::is_same_v<T, int64_t>) return t == DType::kInt64;
  if constexpr (std::is_same_v<T, int8_t>) return t == DType::kInt8;
  if constexpr (std::is_same_v<T, uint8_t>) return t == DType::kUint8 || t == DType::kBool;
  return false;
}

template <class T, class... Ts, class Fn>
auto visit_dtype(plan::DType t, const Fn& fn) {
  if (is_dtype<T>(t)) return fn(static_cast<T*>(nullptr));
  if constexpr (sizeof...(Ts) > 0) {
    return visit_dtype<Ts...>(t, fn);
  } else {
    throw std::logic_error(std::string("no kernel instantiated for ") + plan::dtype_name(t));
  }
}

// fn(tag) with an unsigned integer type of `size` bytes (1, 4 or 8).
template <class Fn>
auto visit_elem_size(size_t size, const Fn& fn) {
  if (size == 1) return fn(static_cast<uint8_t*>(nullptr));
  if (size == 4) return fn(static_cast<uint32_t*>(nullptr));
  if (size != 8) throw std::logic_error("no kernel instantiated for this element size");
  return fn(static_cast<uint64_t*>(nullptr));
}

}  // namespace fastinfer::ops
