// GatherElements: out[i][j][k] = data[indices[i][j][k]][j][k] for axis 0 (likewise for
// any axis); the output has the indices' shape. int32 or int64 indices, checked at run
// time before anything is written (indices.h).
#include <memory>
#include <vector>

#include "ops/common/dtype_dispatch.h"
#include "ops/common/op_util.h"
#include "ops/indexing/indices.h"

namespace fastinfer::ops {
namespace {

template <class E>
class GatherElementsKernel final : public plan::Kernel {
 public:
  GatherElementsKernel(std::string where, std::vector<int64_t> data_shape,
                       std::vector<int64_t> indices_shape, int64_t axis, DType indices_dtype)
      : where_(std::move(where)),
        data_shape_(std::move(data_shape)),
        indices_shape_(std::move(indices_shape)),
        axis_(axis),
        indices_dtype_(indices_dtype) {}

  void run(const void* const* inputs, void* const* outputs) const override {
    const E* x = static_cast<const E*>(inputs[0]);
    E* y = static_cast<E*>(outputs[0]);
    const std::vector<int64_t> off =
        axis_element_offsets(where_, data_shape_, indices_shape_, axis_, inputs[1], indices_dtype_);
    for (size_t e = 0; e < off.size(); ++e) y[e] = x[off[e]];
  }

 private:
  std::string where_;
  std::vector<int64_t> data_shape_, indices_shape_;
  int64_t axis_;
  DType indices_dtype_;
};

std::unique_ptr<plan::Kernel> make_gather_elements(const KernelSpec& spec) {
  check_arity(spec, 2, 2, 1, 1);
  check_dtype(spec, 1, {DType::kInt64, DType::kInt32});
  const auto& data = spec.inputs[0].shape;
  const auto& indices = spec.inputs[1].shape;
  const auto rank = static_cast<int64_t>(data.size());
  if (indices.size() != data.size()) {
    fail(spec,
         "indices " + spec.inputs[1].str() + " must have the rank of data " + spec.inputs[0].str());
  }
  const int64_t axis = normalize_axis(spec, plan::attr_int(spec.attrs, "axis", 0), rank, "axis");
  for (int64_t d = 0; d < rank; ++d) {
    if (d != axis && indices[d] > data[d]) {
      fail(spec, "indices " + spec.inputs[1].str() + " exceed data " + spec.inputs[0].str() +
                     " on axis " + std::to_string(d));
    }
  }
  check_output(spec, 0, spec.inputs[0].dtype, indices);
  return visit_elem_size(plan::dtype_size(spec.inputs[0].dtype),
                         [&](auto* tag) -> std::unique_ptr<plan::Kernel> {
                           using E = std::remove_pointer_t<decltype(tag)>;
                           return std::make_unique<GatherElementsKernel<E>>(
                               spec.where(), data, indices, axis, spec.inputs[1].dtype);
                         });
}

const bool kRegistered = register_op("GatherElements", make_gather_elements);

}  // namespace
}  // namespace fastinfer::ops
