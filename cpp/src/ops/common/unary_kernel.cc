#include "ops/common/unary_kernel.h"

namespace fastinfer::ops {

void check_unary(const KernelSpec& spec, TypeSet set, const DType* out) {
  check_arity(spec, 1, 1, 1, 1);
  check_dtype_set(spec, 0, set);
  check_output(spec, 0, out ? *out : spec.inputs[0].dtype, spec.inputs[0].shape);
}

}  // namespace fastinfer::ops
