// Split along one axis. Sizes come from the constant 'split' input (opset >= 13), the
// 'split' attribute (opset < 13), or else an even split over the outputs (num_outputs in
// opset 18, where the last chunk may be smaller).
#include <memory>
#include <vector>

#include "ops/common/op_util.h"
#include "ops/common/strided_copy_kernel.h"

namespace fastinfer::ops {
namespace {

std::unique_ptr<plan::Kernel> make_split(const KernelSpec& spec) {
  check_arity(spec, 1, 2, 1, 1024);
  const auto& in = spec.inputs[0].shape;
  const auto rank = static_cast<int64_t>(in.size());
  if (rank == 0) fail(spec, "cannot split a scalar");
  const int64_t axis = normalize_axis(spec, plan::attr_int(spec.attrs, "axis", 0), rank, "axis");
  const auto n_out = static_cast<int64_t>(spec.outputs.size());
  std::vector<int64_t> sizes;
  if (present(spec, 1)) {
    sizes = constant_ints(spec, 1, "split");
  } else if (spec.attrs.count("split")) {
    sizes = plan::attr_ints(spec.attrs, "split", {});
  } else {
    const int64_t n = plan::attr_int(spec.attrs, "num_outputs", n_out);
    if (n != n_out)
      fail(spec, "num_outputs=" + std::to_string(n) + " but the node has " + std::to_string(n_out) +
                     " outputs");
    const int64_t chunk = (in[axis] + n_out - 1) / n_out;  // ceil, as in opset 18
    for (int64_t i = 0, left = in[axis]; i < n_out; ++i) {
      sizes.push_back(std::min(chunk, left));
      left -= sizes.back();
    }
  }
  if (static_cast<int64_t>(sizes.size()) != n_out) {
    fail(spec,
         std::to_string(sizes.size()) + " split sizes for " + std::to_string(n_out) + " outputs");
  }
  int64_t total = 0;
  for (int64_t s : sizes) {
    if (s < 0) fail(spec, "split sizes must be non-negative, got " + shape_str(sizes));
    total += s;
  }
  if (total != in[axis]) {
    fail(spec, "split sizes " + shape_str(sizes) + " do not add up to dimension " +
                   std::to_string(in[axis]) + " of " + spec.inputs[0].str());
  }
  const auto elem = static_cast<int64_t>(plan::dtype_size(spec.inputs[0].dtype));
  const std::vector<int64_t> src_strides = StridedCopy::contiguous_strides(in);
  std::vector<CopyStep> steps;
  int64_t offset = 0;
  for (int64_t o = 0; o < n_out; ++o) {
    std::vector<int64_t> shape = in;
    shape[axis] = sizes[o];
    check_output(spec, o, spec.inputs[0].dtype, shape);
    steps.push_back({0, static_cast<int>(o),
                     StridedCopy(elem, shape, src_strides, offset * src_strides[axis],
                                 StridedCopy::contiguous_strides(shape), 0)});
    offset += sizes[o];
  }
  return std::make_unique<StridedCopyKernel>(std::move(steps));
}

const bool kRegistered = register_op("Split", make_split);

}  // namespace
}  // namespace fastinfer::ops
