// GatherND with batch_dims b: indices[..., m] hold tuples into the axes b..b+m-1 of data
// (within the batch their first b coordinates name); each tuple selects one contiguous
// slice of data.shape[b+m:], copied with memcpy. Output: indices.shape[:-1] +
// data.shape[b+m:]. Indices are checked at run time before any copy (indices.h).
#include <cstring>
#include <memory>
#include <vector>

#include "ops/common/op_util.h"
#include "ops/indexing/indices.h"

namespace fastinfer::ops {
namespace {

class GatherNDKernel final : public plan::Kernel {
 public:
  GatherNDKernel(std::string where, DType indices_dtype, int64_t batches, int64_t tuples,
                 std::vector<int64_t> dims, std::vector<int64_t> strides, int64_t batch_stride,
                 int64_t slice_bytes)
      : where_(std::move(where)),
        indices_dtype_(indices_dtype),
        batches_(batches),
        tuples_(tuples),
        dims_(std::move(dims)),
        strides_(std::move(strides)),
        batch_stride_(batch_stride),
        slice_bytes_(slice_bytes) {}

  void run(const void* const* inputs, void* const* outputs) const override {
    const auto* x = static_cast<const char*>(inputs[0]);
    auto* y = static_cast<char*>(outputs[0]);
    const std::vector<int64_t> off =
        tuple_offsets(where_, inputs[1], indices_dtype_, batches_ * tuples_, dims_, strides_);
    for (int64_t t = 0; t < batches_ * tuples_; ++t) {
      const int64_t src = (t / tuples_) * batch_stride_ + off[t] * slice_bytes_;
      std::memcpy(y + t * slice_bytes_, x + src, static_cast<size_t>(slice_bytes_));
    }
  }

 private:
  std::string where_;
  DType indices_dtype_;
  int64_t batches_, tuples_;
  std::vector<int64_t> dims_, strides_;  // of the indexed axes, in slices
  int64_t batch_stride_, slice_bytes_;   // in bytes
};

std::unique_ptr<plan::Kernel> make_gather_nd(const KernelSpec& spec) {
  check_arity(spec, 2, 2, 1, 1);
  check_dtype(spec, 1, {DType::kInt64, DType::kInt32});
  const auto& data = spec.inputs[0].shape;
  const auto& indices = spec.inputs[1].shape;
  const auto r = static_cast<int64_t>(data.size()), q = static_cast<int64_t>(indices.size());
  const int64_t b = plan::attr_int(spec.attrs, "batch_dims", 0);
  if (r < 1 || q < 1) fail(spec, "data and indices must have at least one dimension");
  if (b < 0 || b >= std::min(r, q)) {
    fail(spec, "batch_dims " + std::to_string(b) + " must be less than the ranks of data and " +
                   "indices");
  }
  for (int64_t d = 0; d < b; ++d) {
    if (data[d] != indices[d]) {
      fail(spec, "the batch dimensions of data " + spec.inputs[0].str() + " and indices " +
                     spec.inputs[1].str() + " differ");
    }
  }
  const int64_t m = indices.back();
  if (m < 1 || m > r - b) {
    fail(spec, "the last dimension of indices " + spec.inputs[1].str() + " must be in [1, " +
                   std::to_string(r - b) + "]");
  }
  std::vector<int64_t> out(indices.begin(), indices.end() - 1);
  out.insert(out.end(), data.begin() + b + m, data.end());
  check_output(spec, 0, spec.inputs[0].dtype, out);
  const auto elem = static_cast<int64_t>(plan::dtype_size(spec.inputs[0].dtype));
  const int64_t slice = numel({data.begin() + b + m, data.end()});
  std::vector<int64_t> dims(data.begin() + b, data.begin() + b + m), strides(m, 1);
  for (int64_t c = m - 1; c > 0; --c) strides[c - 1] = strides[c] * dims[c];
  const int64_t batches = numel({data.begin(), data.begin() + b});
  const int64_t tuples = numel({indices.begin() + b, indices.end() - 1});
  const int64_t batch_stride = numel({data.begin() + b, data.end()}) * elem;
  return std::make_unique<GatherNDKernel>(spec.where(), spec.inputs[1].dtype, batches, tuples,
                                          std::move(dims), std::move(strides), batch_stride,
                                          slice * elem);
}

const bool kRegistered = register_op("GatherND", make_gather_nd);

}  // namespace
}  // namespace fastinfer::ops
