// Concat along one axis (negative allowed): each input is a strided copy into its slab of
// the output, whole rows of the input's trailing block at a time.
#include <memory>
#include <vector>

#include "ops/common/op_util.h"
#include "ops/common/strided_copy_kernel.h"

namespace fastinfer::ops {
namespace {

std::unique_ptr<plan::Kernel> make_concat(const KernelSpec& spec) {
  check_arity(spec, 1, 1024, 1, 1);
  const auto& first = spec.inputs[0].shape;
  const auto rank = static_cast<int64_t>(first.size());
  if (rank == 0) fail(spec, "cannot concatenate scalars");
  if (spec.attrs.count("axis") == 0) fail(spec, "the axis attribute is required");
  const int64_t axis = normalize_axis(spec, plan::attr_int(spec.attrs, "axis", 0), rank, "axis");
  std::vector<int64_t> out = first;
  out[axis] = 0;
  for (size_t i = 0; i < spec.inputs.size(); ++i) {
    check_same_dtype(spec, 0, i);
    const auto& s = spec.inputs[i].shape;
    bool ok = static_cast<int64_t>(s.size()) == rank;
    for (int64_t d = 0; ok && d < rank; ++d) ok = d == axis || s[d] == first[d];
    if (!ok) {
      fail(spec, input_str(spec, i) + " does not match " + input_str(spec, 0) + " outside axis " +
                     std::to_string(axis));
    }
    out[axis] += s[axis];
  }
  check_output(spec, 0, spec.inputs[0].dtype, out);
  const auto elem = static_cast<int64_t>(plan::dtype_size(spec.inputs[0].dtype));
  const std::vector<int64_t> dst_strides = StridedCopy::contiguous_strides(out);
  std::vector<CopyStep> steps;
  int64_t offset = 0;
  for (size_t i = 0; i < spec.inputs.size(); ++i) {
    const auto& s = spec.inputs[i].shape;
    steps.push_back({static_cast<int>(i), 0,
                     StridedCopy(elem, s, StridedCopy::contiguous_strides(s), 0, dst_strides,
                                 offset * dst_strides[axis])});
    offset += s[axis];
  }
  return std::make_unique<StridedCopyKernel>(std::move(steps));
}

const bool kRegistered = register_op("Concat", make_concat);

}  // namespace
}  // namespace fastinfer::ops
