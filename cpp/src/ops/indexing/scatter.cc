// ScatterElements and ScatterND: the output is a copy of data with the updates written at
// the indexed places, replacing (reduction 'none') or combined by 'add', 'mul', 'max' or
// 'min' (opset 16/18). Updates go in index order, so with 'none' a repeated index keeps
// the last update, as the ONNX reference does. Indices are checked before anything is
// written (indices.h).
//   ScatterElements: updates has the shape of indices; element e goes to the data position
//                    of indices element e with its axis coordinate replaced by the value.
//   ScatterND:       indices[..., k] are tuples into the first k axes of data; updates
//                    is indices.shape[:-1] + data.shape[k:], one slice per tuple.
#include <cstring>
#include <memory>
#include <string>
#include <vector>

#include "ops/common/copy_kernel.h"
#include "ops/common/dtype_dispatch.h"
#include "ops/common/op_util.h"
#include "ops/common/wrap_arith.h"
#include "ops/indexing/indices.h"

namespace fastinfer::ops {
namespace {

enum class Reduction { kNone, kAdd, kMul, kMax, kMin };

Reduction reduction_of(const KernelSpec& spec) {
  const std::string r = plan::attr_string(spec.attrs, "reduction", "none");
  if (r == "none") return Reduction::kNone;
  if (r == "add") return Reduction::kAdd;
  if (r == "mul") return Reduction::kMul;
  if (r == "max") return Reduction::kMax;
  if (r == "min") return Reduction::kMin;
  fail(spec, "reduction '" + r + "' is not supported (none, add, mul, max, min)");
}

template <class T>
T combine(Reduction r, T a, T u) {
  switch (r) {
    case Reduction::kAdd:
      return wrap_add(a, u);
    case Reduction::kMul:
      return wrap_mul(a, u);
    case Reduction::kMax:
      return (a < u || u != u) ? u : a;  // NaN propagates, as np.maximum does
    case Reduction::kMin:
      return (u < a || u != u) ? u : a;
    default:
      return u;
  }
}

// Where the update slices go: ScatterElements looks up one axis, ScatterND index tuples.
struct Targets {
  int64_t axis = -1;  // ScatterElements; -1 for ScatterND
  int64_t tuples = 0;
  std::vector<int64_t> dims, strides;  // ScatterND: the indexed axes, strides in elements
};

// Both ops: out = data; then for every update slice s (of `slice` elements) out[off[s] + i]
// combined with updates[s * slice + i]. Only the offsets differ.
template <class T>
class ScatterKernel final : public plan::Kernel {
 public:
  ScatterKernel(const KernelSpec& spec, Reduction r, int64_t slice, Targets targets)
      : where_(spec.where()),
        data_shape_(spec.inputs[0].shape),
        indices_shape_(spec.inputs[1].shape),
        indices_dtype_(spec.inputs[1].dtype),
        data_bytes_(spec.inputs[0].nbytes()),
        reduction_(r),
        slice_(slice),
        t_(std::move(targets)) {}

  void run(const void* const* inputs, void* const* outputs) const override {
    const std::vector<int64_t> off =
        t_.axis >= 0
            ? axis_element_offsets(where_, data_shape_, indices_shape_, t_.axis, inputs[1],
                                   indices_dtype_)
            : tuple_offsets(where_, inputs[1], indices_dtype_, t_.tuples, t_.dims, t_.strides);
    parallel_memcpy(outputs[0], inputs[0], data_bytes_);
    const T* u = static_cast<const T*>(inputs[2]);
    T* y = static_cast<T*>(outputs[0]);
    for (size_t s = 0; s < off.size(); ++s) {
      T* dst = y + off[s];
      const T* src = u + static_cast<int64_t>(s) * slice_;
      for (int64_t i = 0; i < slice_; ++i) dst[i] = combine(reduction_, dst[i], src[i]);
    }
  }

 private:
  std::string where_;
  std::vector<int64_t> data_shape_, indices_shape_;
  DType indices_dtype_;
  int64_t data_bytes_;
  Reduction reduction_;
  int64_t slice_;
  Targets t_;
};

std::unique_ptr<plan::Kernel> make_scatter(const KernelSpec& spec, bool elements) {
  check_arity(spec, 3, 3, 1, 1);
  check_dtype(spec, 1, {DType::kInt64, DType::kInt32});
  check_same_dtype(spec, 0, 2);
  const Reduction r = reduction_of(spec);
  if (r != Reduction::kNone && spec.inputs[0].dtype == DType::kBool) {
    fail(spec, "reduction on bool data is not supported");
  }
  const auto& data = spec.inputs[0].shape;
  const auto& indices = spec.inputs[1].shape;
  const auto& updates = spec.inputs[2].shape;
  const auto rank = static_cast<int64_t>(data.size());
  if (rank == 0) fail(spec, "cannot scatter into a scalar");
  check_output(spec, 0, spec.inputs[0].dtype, data);
  Targets targets;
  int64_t slice = 1;
  if (elements) {
    const int64_t axis = normalize_axis(spec, plan::attr_int(spec.attrs, "axis", 0), rank, "axis");
    targets.axis = axis;
    if (indices.size() != data.size() || updates != indices) {
      fail(spec, "indices " + spec.inputs[1].str() + " and updates " + spec.inputs[2].str() +
                     " must have the same shape, of the rank of data " + spec.inputs[0].str());
    }
    for (int64_t d = 0; d < rank; ++d) {
      if (d != axis && indices[d] > data[d]) {
        fail(spec, "indices " + spec.inputs[1].str() + " exceed data " + spec.inputs[0].str() +
                       " on axis " + std::to_string(d));
      }
    }
  } else {
    const int64_t k = indices.empty() ? 0 : indices.back();
    if (k < 1 || k > rank) {
      fail(spec, "the last dimension of indices " + spec.inputs[1].str() + " must be in [1, " +
                     std::to_string(rank) + "]");
    }
    std::vector<int64_t> want(indices.begin(), indices.end() - 1);
    want.insert(want.end(), data.begin() + k, data.end());
    if (updates != want) {
      fail(spec, "updates " + spec.inputs[2].str() + " must have the shape " + shape_str(want));
    }
    slice = numel({data.begin() + k, data.end()});
    targets.tuples = numel({indices.begin(), indices.end() - 1});
    targets.dims.assign(data.begin(), data.begin() + k);
    targets.strides.assign(k, slice);
    for (int64_t c = k - 1; c > 0; --c) targets.strides[c - 1] = targets.strides[c] * data[c];
  }
  return visit_dtype<float, double, int32_t, int64_t, int8_t, uint8_t>(
      spec.inputs[0].dtype, [&](auto* tag) -> std::unique_ptr<plan::Kernel> {
        using T = std::remove_pointer_t<decltype(tag)>;
        return std::make_unique<ScatterKernel<T>>(spec, r, slice, targets);
      });
}

const bool kRegistered = [] {
  register_op("ScatterElements", [](const KernelSpec& s) { return make_scatter(s, true); });
  register_op("ScatterND", [](const KernelSpec& s) { return make_scatter(s, false); });
  return true;
}();

}  // namespace
}  // namespace fastinfer::ops
