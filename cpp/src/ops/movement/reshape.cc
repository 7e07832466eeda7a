// Identity and the ops that change only the shape (Reshape, Flatten, Squeeze, Unsqueeze).
// The bytes are unchanged, so the kernel is a copy (skipped when the planner aliases the
// output onto the input); the factories check that the output desc is the shape ONNX
// computes, since the shape inputs are constants here.
#include <algorithm>
#include <memory>
#include <string>
#include <vector>

#include "ops/common/copy_kernel.h"
#include "ops/common/op_util.h"

namespace fastinfer::ops {
namespace {

std::unique_ptr<plan::Kernel> copy_to(const KernelSpec& spec, const std::vector<int64_t>& shape) {
  check_output(spec, 0, spec.inputs[0].dtype, shape);
  return make_copy_kernel(spec.inputs[0].nbytes());
}

std::unique_ptr<plan::Kernel> make_identity(const KernelSpec& spec) {
  check_arity(spec, 1, 1, 1, 1);
  return copy_to(spec, spec.inputs[0].shape);
}

std::unique_ptr<plan::Kernel> make_reshape(const KernelSpec& spec) {
  check_arity(spec, 2, 2, 1, 1);
  const auto& in = spec.inputs[0].shape;
  std::vector<int64_t> shape = constant_ints(spec, 1, "shape");
  const bool allowzero = plan::attr_int(spec.attrs, "allowzero", 0) != 0;
  int infer = -1;
  int64_t known = 1;
  for (size_t i = 0; i < shape.size(); ++i) {
    if (shape[i] == 0 && !allowzero) {
      if (i >= in.size())
        fail(spec, "shape has a 0 at position " + std::to_string(i) + " beyond the input's rank");
      shape[i] = in[i];
    }
    if (shape[i] == -1) {
      if (infer >= 0) fail(spec, "shape " + shape_str(shape) + " has more than one -1");
      infer = static_cast<int>(i);
      continue;
    }
    if (shape[i] < 0) fail(spec, "shape has a negative dimension " + std::to_string(shape[i]));
    known *= shape[i];
  }
  const int64_t total = numel(in);
  if (infer >= 0) {
    if (known == 0 || total % known != 0) {
      fail(spec, "cannot reshape " + spec.inputs[0].str() + " to " + shape_str(shape));
    }
    shape[infer] = total / known;
  } else if (known != total) {
    fail(spec, "cannot reshape " + spec.inputs[0].str() + " to " + shape_str(shape));
  }
  return copy_to(spec, shape);
}

std::unique_ptr<plan::Kernel> make_flatten(const KernelSpec& spec) {
  check_arity(spec, 1, 1, 1, 1);
  const auto& in = spec.inputs[0].shape;
  const auto rank = static_cast<int64_t>(in.size());
  int64_t axis = plan::attr_int(spec.attrs, "axis", 1);
  if (axis < -rank || axis > rank) {
    fail(spec,
         "axis " + std::to_string(axis) + " is out of range for rank " + std::to_string(rank));
  }
  if (axis < 0) axis += rank;
  int64_t outer = 1, inner = 1;  // products, not numel / outer: a 0 dim may be on either side
  for (int64_t d = 0; d < axis; ++d) outer *= in[d];
  for (int64_t d = axis; d < rank; ++d) inner *= in[d];
  return copy_to(spec, {outer, inner});
}

// Axes from the constant input `i` (opset >= 13) or the 'axes' attribute (older opsets).
std::vector<int64_t> axes_arg(const KernelSpec& spec, size_t i, bool* given) {
  if (present(spec, i)) {
    *given = true;
    return constant_ints(spec, i, "axes");
  }
  *given = spec.attrs.count("axes") > 0;
  return plan::attr_ints(spec.attrs, "axes", {});
}

std::unique_ptr<plan::Kernel> make_squeeze(const KernelSpec& spec) {
  check_arity(spec, 1, 2, 1, 1);
  const auto& in = spec.inputs[0].shape;
  const auto rank = static_cast<int64_t>(in.size());
  bool given = false;
  std::vector<int64_t> axes = axes_arg(spec, 1, &given);
  std::vector<bool> drop(in.size(), false);
  if (!given) {
    for (size_t d = 0; d < in.size(); ++d) drop[d] = in[d] == 1;
  }
  for (int64_t a : axes) {
    const int64_t d = normalize_axis(spec, a, rank, "axis");
    if (in[d] != 1) {
      fail(spec, "cannot squeeze axis " + std::to_string(a) + " of size " + std::to_string(in[d]) +
                     " in " + spec.inputs[0].str());
    }
    drop[d] = true;
  }
  std::vector<int64_t> shape;
  for (size_t d = 0; d < in.size(); ++d) {
    if (!drop[d]) shape.push_back(in[d]);
  }
  return copy_to(spec, shape);
}

std::unique_ptr<plan::Kernel> make_unsqueeze(const KernelSpec& spec) {
  check_arity(spec, 1, 2, 1, 1);
  const auto& in = spec.inputs[0].shape;
  bool given = false;
  std::vector<int64_t> axes = axes_arg(spec, 1, &given);
  if (!given || axes.empty()) fail(spec, "axes are required");
  const auto out_rank = static_cast<int64_t>(in.size() + axes.size());
  std::vector<bool> inserted(out_rank, false);
  for (int64_t a : axes) {
    const int64_t d = normalize_axis(spec, a, out_rank, "axis");
    if (inserted[d]) fail(spec, "axis " + std::to_string(a) + " is repeated");
    inserted[d] = true;
  }
  std::vector<int64_t> shape;
  size_t next = 0;
  for (int64_t d = 0; d < out_rank; ++d) shape.push_back(inserted[d] ? 1 : in[next++]);
  return copy_to(spec, shape);
}

const bool kRegistered = [] {
  register_op("Identity", make_identity);
  register_op("Reshape", make_reshape);
  register_op("Flatten", make_flatten);
  register_op("Squeeze", make_squeeze);
  register_op("Unsqueeze", make_unsqueeze);
  return true;
}();

}  // namespace
}  // namespace fastinfer::ops
