// Named sets of the runtime's numeric dtypes, for elementwise ops whose ONNX type
// constraint is "float", "integer" or "numeric": the dtype check and the dispatch to a
// kernel templated on the element type, from one name.
#pragma once

#include <cstdint>
#include <memory>
#include <type_traits>

#include "fastinfer/plan.h"
#include "ops/common/dtype_dispatch.h"
#include "ops/common/op_util.h"

namespace fastinfer::ops {

enum class TypeSet {
  kFloat,    // float32, float64
  kInt,      // int32, int64, int8, uint8
  kNumeric,  // both
};

// Throws "<where>: bool input 0 is not supported (float32, float64)" unless the dtype of
// input `i` is in `set`.
void check_dtype_set(const KernelSpec& spec, size_t input, TypeSet set);

// fn(T{}) for the C++ type T of `t`, which the caller has checked is in kSet (with
// check_dtype_set). Instantiates fn only for kSet's types, so fn may use operations that
// exist only there (bit operations on integers, libm on floats).
template <TypeSet kSet, class Fn>
std::unique_ptr<plan::Kernel> dispatch(DType t, const Fn& fn) {
  const auto call = [&](auto* tag) -> std::unique_ptr<plan::Kernel> {
    return fn(std::remove_pointer_t<decltype(tag)>{});
  };
  if constexpr (kSet == TypeSet::kFloat) {
    return visit_dtype<float, double>(t, call);
  } else if constexpr (kSet == TypeSet::kInt) {
    return visit_dtype<int32_t, int64_t, int8_t, uint8_t>(t, call);
  } else {
    return visit_dtype<float, double, int32_t, int64_t, int8_t, uint8_t>(t, call);
  }
}

}  // namespace fastinfer::ops
