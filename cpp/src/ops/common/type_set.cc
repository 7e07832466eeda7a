#include "ops/common/type_set.h"

namespace fastinfer::ops {

void check_dtype_set(const KernelSpec& spec, size_t input, TypeSet set) {
  switch (set) {
    case TypeSet::kFloat:
      return check_dtype(spec, input, {DType::kFloat32, DType::kFloat64});
    case TypeSet::kInt:
      return check_dtype(spec, input, {DType::kInt32, DType::kInt64, DType::kInt8, DType::kUint8});
    case TypeSet::kNumeric:
      return check_dtype(spec, input,
                         {DType::kFloat32, DType::kFloat64, DType::kInt32, DType::kInt64,
                          DType::kInt8, DType::kUint8});
  }
}

}  // namespace fastinfer::ops
