// Slice with constant starts/ends/axes/steps inputs (opset >= 10), negative indices and
// steps, clamped as the ONNX spec says: starts to [0, dim] for step > 0 and [0, dim - 1]
// for step < 0, ends to [0, dim] and [-1, dim - 1]. The result is a strided view of the input,
// copied.
#include <algorithm>
#include <memory>
#include <vector>

#include "ops/common/op_util.h"
#include "ops/common/strided_copy_kernel.h"

namespace fastinfer::ops {
namespace {

std::unique_ptr<plan::Kernel> make_slice(const KernelSpec& spec) {
  check_arity(spec, 3, 5, 1, 1);
  const auto& in = spec.inputs[0].shape;
  const auto rank = static_cast<int64_t>(in.size());
  const std::vector<int64_t> starts = constant_ints(spec, 1, "starts");
  const std::vector<int64_t> ends = constant_ints(spec, 2, "ends");
  std::vector<int64_t> axes, steps;
  if (present(spec, 3)) {
    axes = constant_ints(spec, 3, "axes");
  } else {
    for (size_t i = 0; i < starts.size(); ++i) axes.push_back(static_cast<int64_t>(i));
  }
  if (present(spec, 4)) {
    steps = constant_ints(spec, 4, "steps");
  } else {
    steps.assign(starts.size(), 1);
  }
  if (ends.size() != starts.size() || axes.size() != starts.size() ||
      steps.size() != starts.size()) {
    fail(spec, "starts, ends, axes and steps must have the same length");
  }
  std::vector<int64_t> begin(rank, 0), step(rank, 1), shape = in;
  std::vector<bool> seen(rank, false);
  for (size_t i = 0; i < starts.size(); ++i) {
    const int64_t a = normalize_axis(spec, axes[i], rank, "axis");
    if (seen[a]) fail(spec, "axis " + std::to_string(axes[i]) + " is repeated");
    seen[a] = true;
    const int64_t dim = in[a], st = steps[i];
    if (st == 0) fail(spec, "steps must not be 0");
    int64_t s = starts[i], e = ends[i];
    if (s < 0) s += dim;
    if (e < 0) e += dim;
    int64_t n;
    if (st > 0) {
      s = std::clamp<int64_t>(s, 0, dim);
      e = std::clamp<int64_t>(e, 0, dim);
      n = e > s ? (e - s + st - 1) / st : 0;
    } else {
      s = std::clamp<int64_t>(s, 0, std::max<int64_t>(dim - 1, 0));
      e = std::clamp<int64_t>(e, -1, dim - 1);
      n = dim > 0 && s > e ? (s - e + (-st) - 1) / (-st) : 0;
    }
    begin[a] = n > 0 ? s : 0;
    step[a] = st;
    shape[a] = n;
  }
  check_output(spec, 0, spec.inputs[0].dtype, shape);
  const std::vector<int64_t> in_strides = StridedCopy::contiguous_strides(in);
  std::vector<int64_t> src_strides(rank);
  int64_t offset = 0;
  for (int64_t d = 0; d < rank; ++d) {
    src_strides[d] = in_strides[d] * step[d];
    offset += begin[d] * in_strides[d];
  }
  const auto elem = static_cast<int64_t>(plan::dtype_size(spec.inputs[0].dtype));
  std::vector<CopyStep> copy;
  copy.push_back(
      {0, 0,
       StridedCopy(elem, shape, src_strides, offset, StridedCopy::contiguous_strides(shape), 0)});
  return std::make_unique<StridedCopyKernel>(std::move(copy));
}

const bool kRegistered = register_op("Slice", make_slice);

}  // namespace
}  // namespace fastinfer::ops
