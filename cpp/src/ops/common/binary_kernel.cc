#include "ops/common/binary_kernel.h"

namespace fastinfer::ops {

Broadcast binary_broadcast(const KernelSpec& spec, const DType* out, bool same_dtype) {
  if (same_dtype) check_same_dtype(spec, 0, 1);
  const auto& sa = spec.inputs[0].shape;
  const auto& sb = spec.inputs[1].shape;
  const auto shape = broadcast_shape({sa, sb});
  if (!shape) {
    fail(spec, "shapes " + shape_str(sa) + " and " + shape_str(sb) + " do not broadcast");
  }
  check_output(spec, 0, out ? *out : spec.inputs[0].dtype, *shape);
  return Broadcast({sa, sb}, *shape);
}

}  // namespace fastinfer::ops
