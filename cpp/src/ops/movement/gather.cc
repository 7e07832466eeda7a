// Gather along one axis with int64 or int32 indices (negative counts from the end).
// Every output row is one contiguous block of the input (the axes after `axis`), so the
// kernel is a memcpy per index; with axis 0 this is the embedding lookup, split over the
// thread pool by index. Out-of-range indices are checked before any copy: at build time
// for constant indices, else at run time (std::out_of_range naming the node).
#include <cstring>
#include <memory>
#include <stdexcept>
#include <string>
#include <vector>

#include "ops/common/op_util.h"
#include "ops/common/parallel.h"

namespace fastinfer::ops {
namespace {

template <class I>
class GatherKernel final : public plan::Kernel {
 public:
  GatherKernel(std::string where, int64_t outer, int64_t axis_dim, int64_t n_idx, int64_t row_bytes)
      : where_(std::move(where)),
        outer_(outer),
        axis_dim_(axis_dim),
        n_idx_(n_idx),
        row_bytes_(row_bytes) {}

  void check(const I* idx) const {
    for (int64_t j = 0; j < n_idx_; ++j) {
      const auto v = static_cast<int64_t>(idx[j]);
      if (v < -axis_dim_ || v >= axis_dim_) {
        throw std::out_of_range(where_ + ": index " + std::to_string(v) +
                                " is out of range for an axis of size " +
                                std::to_string(axis_dim_));
      }
    }
  }

  void run(const void* const* inputs, void* const* outputs) const override {
    const auto* src = static_cast<const char*>(inputs[0]);
    const I* idx = static_cast<const I*>(inputs[1]);
    auto* dst = static_cast<char*>(outputs[0]);
    check(idx);
    const int64_t rows = outer_ * n_idx_;
    const int64_t grain =
        std::max<int64_t>(1, (int64_t{1} << 16) / std::max<int64_t>(row_bytes_, 1));
    parallel_chunks(rows, grain, [&](int64_t r0, int64_t r1) {
      for (int64_t r = r0; r < r1; ++r) {
        const int64_t o = r / n_idx_, j = r % n_idx_;
        int64_t v = static_cast<int64_t>(idx[j]);
        if (v < 0) v += axis_dim_;
        std::memcpy(dst + r * row_bytes_, src + (o * axis_dim_ + v) * row_bytes_,
                    static_cast<size_t>(row_bytes_));
      }
    });
  }

 private:
  std::string where_;
  int64_t outer_, axis_dim_, n_idx_, row_bytes_;
};

std::unique_ptr<plan::Kernel> make_gather(const KernelSpec& spec) {
  check_arity(spec, 2, 2, 1, 1);
  check_dtype(spec, 1, {DType::kInt64, DType::kInt32});
  const auto& data = spec.inputs[0].shape;
  const auto& indices = spec.inputs[1].shape;
  const auto rank = static_cast<int64_t>(data.size());
  if (rank == 0) fail(spec, "cannot gather from a scalar");
  const int64_t axis = normalize_axis(spec, plan::attr_int(spec.attrs, "axis", 0), rank, "axis");
  std::vector<int64_t> out(data.begin(), data.begin() + axis);
  out.insert(out.end(), indices.begin(), indices.end());
  out.insert(out.end(), data.begin() + axis + 1, data.end());
  check_output(spec, 0, spec.inputs[0].dtype, out);
  int64_t outer = 1, inner = 1;
  for (int64_t d = 0; d < axis; ++d) outer *= data[d];
  for (int64_t d = axis + 1; d < rank; ++d) inner *= data[d];
  const int64_t row_bytes = inner * static_cast<int64_t>(plan::dtype_size(spec.inputs[0].dtype));
  const int64_t n_idx = numel(indices);
  auto build = [&](auto* tag) -> std::unique_ptr<plan::Kernel> {
    using I = std::remove_pointer_t<decltype(tag)>;
    auto k = std::make_unique<GatherKernel<I>>(spec.where(), outer, data[axis], n_idx, row_bytes);
    if (spec.constant_inputs[1]) {
      try {
        k->check(static_cast<const I*>(spec.constant_inputs[1]));
      } catch (const std::out_of_range& e) {
        throw std::invalid_argument(e.what());
      }
    }
    return k;
  };
  if (spec.inputs[1].dtype == DType::kInt32) return build(static_cast<int32_t*>(nullptr));
  return build(static_cast<int64_t*>(nullptr));
}

const bool kRegistered = register_op("Gather", make_gather);

}  // namespace
}  // namespace fastinfer::ops
