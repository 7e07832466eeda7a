// OneHot: indices (any numeric type; floats truncated), a constant depth (input 1, any
// numeric scalar or 1-element tensor, cast to int64 as the spec says) and values =
// [off_value, on_value] (input 2, read at run time, the output's dtype). The output is
// indices.shape with an axis of size depth inserted at `axis`. An index in [-depth, -1]
// counts from the end; one outside [-depth, depth) gives a row of off_value only, as the
// spec says (no error).
#include <memory>
#include <vector>

#include "ops/common/dtype_dispatch.h"
#include "ops/common/op_util.h"
#include "ops/indexing/indices.h"

namespace fastinfer::ops {
namespace {

template <class E>
class OneHotKernel final : public plan::Kernel {
 public:
  OneHotKernel(DType indices_dtype, int64_t outer, int64_t depth, int64_t inner)
      : indices_dtype_(indices_dtype), outer_(outer), depth_(depth), inner_(inner) {}

  void run(const void* const* inputs, void* const* outputs) const override {
    const int64_t n = outer_ * inner_;
    std::vector<int64_t> idx(static_cast<size_t>(n));
    read_as_int64(inputs[0], indices_dtype_, n, idx.data());
    const E* values = static_cast<const E*>(inputs[2]);
    E* y = static_cast<E*>(outputs[0]);
    const E off = values[0], on = values[1];
    for (int64_t i = 0; i < outer_ * depth_ * inner_; ++i) y[i] = off;
    for (int64_t o = 0; o < outer_; ++o) {
      for (int64_t j = 0; j < inner_; ++j) {
        int64_t v = idx[o * inner_ + j];
        if (v < 0) v += depth_;
        if (v >= 0 && v < depth_) y[(o * depth_ + v) * inner_ + j] = on;
      }
    }
  }

 private:
  DType indices_dtype_;
  int64_t outer_, depth_, inner_;
};

std::unique_ptr<plan::Kernel> make_one_hot(const KernelSpec& spec) {
  check_arity(spec, 3, 3, 1, 1);
  const std::initializer_list<DType> numeric = {DType::kInt64,   DType::kInt32, DType::kFloat32,
                                                DType::kFloat64, DType::kInt8,  DType::kUint8};
  check_dtype(spec, 0, numeric);
  check_dtype(spec, 1, numeric);
  if (spec.constant_inputs[1] == nullptr) {
    fail(spec, "depth (input 1) must be a constant; shapes are static in a plan");
  }
  if (spec.inputs[1].numel() != 1)
    fail(spec, "depth must hold one value, got " + input_str(spec, 1));
  int64_t depth = 0;
  read_as_int64(spec.constant_inputs[1], spec.inputs[1].dtype, 1, &depth);
  if (depth < 1) fail(spec, "depth must be positive, got " + std::to_string(depth));
  if (spec.inputs[2].numel() != 2) {
    fail(spec, "values must hold [off_value, on_value], got " + input_str(spec, 2));
  }
  const auto& in = spec.inputs[0].shape;
  const auto rank = static_cast<int64_t>(in.size());
  const int64_t axis =
      normalize_axis(spec, plan::attr_int(spec.attrs, "axis", -1), rank + 1, "axis");
  std::vector<int64_t> out = in;
  out.insert(out.begin() + axis, depth);
  check_output(spec, 0, spec.inputs[2].dtype, out);
  const int64_t outer = numel({in.begin(), in.begin() + axis});
  const int64_t inner = numel({in.begin() + axis, in.end()});
  return visit_elem_size(
      plan::dtype_size(spec.inputs[2].dtype), [&](auto* tag) -> std::unique_ptr<plan::Kernel> {
        using E = std::remove_pointer_t<decltype(tag)>;
        return std::make_unique<OneHotKernel<E>>(spec.inputs[0].dtype, outer, depth, inner);
      });
}

const bool kRegistered = register_op("OneHot", make_one_hot);

}  // namespace
}  // namespace fastinfer::ops
