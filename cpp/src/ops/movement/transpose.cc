// Transpose (perm attribute, default: reverse the axes) as a strided copy. After merging,
// the BERT head split (0, 2, 1, 3) copies rows of head_dim elements with memcpy and a
// last-two-axes swap runs as a tiled 2-D transpose (see strided_copy.h).
#include <memory>
#include <vector>

#include "ops/common/op_util.h"
#include "ops/common/strided_copy.h"

namespace fastinfer::ops {
namespace {

class TransposeKernel final : public plan::Kernel {
 public:
  explicit TransposeKernel(StridedCopy copy) : copy_(std::move(copy)) {}
  void run(const void* const* inputs, void* const* outputs) const override {
    copy_.run(inputs[0], outputs[0]);
  }

 private:
  StridedCopy copy_;
};

std::unique_ptr<plan::Kernel> make_transpose(const KernelSpec& spec) {
  check_arity(spec, 1, 1, 1, 1);
  const auto& in = spec.inputs[0].shape;
  const auto rank = static_cast<int64_t>(in.size());
  std::vector<int64_t> perm = plan::attr_ints(spec.attrs, "perm", {});
  if (perm.empty() && spec.attrs.count("perm") == 0) {
    for (int64_t d = rank - 1; d >= 0; --d) perm.push_back(d);
  }
  if (static_cast<int64_t>(perm.size()) != rank) {
    fail(spec, "perm " + shape_str(perm) + " does not match rank " + std::to_string(rank));
  }
  std::vector<bool> seen(rank, false);
  for (int64_t& p : perm) {
    p = normalize_axis(spec, p, rank, "perm entry");
    if (seen[p]) fail(spec, "perm " + shape_str(perm) + " is not a permutation");
    seen[p] = true;
  }
  const std::vector<int64_t> in_strides = StridedCopy::contiguous_strides(in);
  std::vector<int64_t> shape(rank), src_strides(rank);
  for (int64_t d = 0; d < rank; ++d) {
    shape[d] = in[perm[d]];
    src_strides[d] = in_strides[perm[d]];
  }
  check_output(spec, 0, spec.inputs[0].dtype, shape);
  const auto elem = static_cast<int64_t>(plan::dtype_size(spec.inputs[0].dtype));
  return std::make_unique<TransposeKernel>(
      StridedCopy(elem, shape, src_strides, 0, StridedCopy::contiguous_strides(shape), 0));
}

const bool kRegistered = register_op("Transpose", make_transpose);

}  // namespace
}  // namespace fastinfer::ops
