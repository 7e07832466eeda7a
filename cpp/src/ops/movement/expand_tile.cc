// Expand (broadcast the input to a constant shape) and Tile (repeat it a constant number
// of times per axis), both as strided copies: a broadcast axis has source stride 0, and a
// tiled axis d is viewed as (repeats[d], dim[d]) with strides (0, stride[d]).
#include <memory>
#include <vector>

#include "ops/common/broadcast.h"
#include "ops/common/op_util.h"
#include "ops/common/strided_copy_kernel.h"

namespace fastinfer::ops {
namespace {

std::unique_ptr<plan::Kernel> one_copy(StridedCopy copy) {
  std::vector<CopyStep> steps;
  steps.push_back({0, 0, std::move(copy)});
  return std::make_unique<StridedCopyKernel>(std::move(steps));
}

std::unique_ptr<plan::Kernel> make_expand(const KernelSpec& spec) {
  check_arity(spec, 2, 2, 1, 1);
  const auto& in = spec.inputs[0].shape;
  const std::vector<int64_t> target = constant_ints(spec, 1, "shape");
  const auto shape = broadcast_shape({in, target});
  if (!shape) {
    fail(spec, spec.inputs[0].str() + " cannot be expanded to " + shape_str(target));
  }
  check_output(spec, 0, spec.inputs[0].dtype, *shape);
  const size_t rank = shape->size(), pad = rank - in.size();
  const std::vector<int64_t> in_strides = StridedCopy::contiguous_strides(in);
  std::vector<int64_t> src_strides(rank, 0);
  for (size_t d = pad; d < rank; ++d) {
    src_strides[d] = in[d - pad] == 1 ? 0 : in_strides[d - pad];
  }
  const auto elem = static_cast<int64_t>(plan::dtype_size(spec.inputs[0].dtype));
  return one_copy(
      StridedCopy(elem, *shape, src_strides, 0, StridedCopy::contiguous_strides(*shape), 0));
}

std::unique_ptr<plan::Kernel> make_tile(const KernelSpec& spec) {
  check_arity(spec, 2, 2, 1, 1);
  const auto& in = spec.inputs[0].shape;
  const std::vector<int64_t> repeats = constant_ints(spec, 1, "repeats");
  if (repeats.size() != in.size()) {
    fail(spec, "repeats " + shape_str(repeats) + " must have one entry per axis of " +
                   spec.inputs[0].str());
  }
  const std::vector<int64_t> in_strides = StridedCopy::contiguous_strides(in);
  std::vector<int64_t> out, view, src_strides;
  for (size_t d = 0; d < in.size(); ++d) {
    if (repeats[d] < 0) fail(spec, "repeats must be non-negative, got " + shape_str(repeats));
    out.push_back(in[d] * repeats[d]);
    view.insert(view.end(), {repeats[d], in[d]});
    src_strides.insert(src_strides.end(), {0, in_strides[d]});
  }
  check_output(spec, 0, spec.inputs[0].dtype, out);
  const auto elem = static_cast<int64_t>(plan::dtype_size(spec.inputs[0].dtype));
  return one_copy(
      StridedCopy(elem, view, src_strides, 0, StridedCopy::contiguous_strides(view), 0));
}

const bool kRegistered = [] {
  register_op("Expand", make_expand);
  register_op("Tile", make_tile);
  return true;
}();

}  // namespace
}  // namespace fastinfer::ops
