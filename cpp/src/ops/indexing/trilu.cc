// Trilu: keeps the upper (upper=1: column - row >= k) or lower (column - row <= k)
// triangle of each matrix in the last two axes and zeroes the rest. k (input 1, optional,
// default 0) is a scalar read at run time, so it may be computed from input data. Each row
// is one kept run (memcpy) and one zeroed run (memset: all-zero bytes are 0 in every dtype).
#include <algorithm>
#include <cstring>
#include <memory>

#include "ops/common/op_util.h"
#include "ops/indexing/indices.h"

namespace fastinfer::ops {
namespace {

class TriluKernel final : public plan::Kernel {
 public:
  TriluKernel(int64_t matrices, int64_t rows, int64_t cols, int64_t elem, bool upper, bool has_k,
              DType k_dtype)
      : matrices_(matrices),
        rows_(rows),
        cols_(cols),
        elem_(elem),
        upper_(upper),
        has_k_(has_k),
        k_dtype_(k_dtype) {}

  void run(const void* const* inputs, void* const* outputs) const override {
    int64_t k = 0;
    if (has_k_) read_as_int64(inputs[1], k_dtype_, 1, &k);
    // Beyond +-(rows + cols) every row is all kept or all zeroed; clamping keeps i + k
    // from overflowing.
    k = std::clamp<int64_t>(k, -(rows_ + cols_), rows_ + cols_);
    const auto* x = static_cast<const char*>(inputs[0]);
    auto* y = static_cast<char*>(outputs[0]);
    const int64_t row_bytes = cols_ * elem_;
    for (int64_t r = 0; r < matrices_ * rows_; ++r) {
      const int64_t i = r % rows_;
      // Columns [begin, end) are kept.
      const int64_t begin = upper_ ? std::clamp<int64_t>(i + k, 0, cols_) : 0;
      const int64_t end = upper_ ? cols_ : std::clamp<int64_t>(i + k + 1, 0, cols_);
      const char* src = x + r * row_bytes;
      char* dst = y + r * row_bytes;
      std::memset(dst, 0, static_cast<size_t>(row_bytes));
      std::memcpy(dst + begin * elem_, src + begin * elem_,
                  static_cast<size_t>(std::max<int64_t>(end - begin, 0) * elem_));
    }
  }

 private:
  int64_t matrices_, rows_, cols_, elem_;
  bool upper_, has_k_;
  DType k_dtype_;
};

std::unique_ptr<plan::Kernel> make_trilu(const KernelSpec& spec) {
  check_arity(spec, 1, 2, 1, 1);
  const auto& in = spec.inputs[0].shape;
  if (in.size() < 2)
    fail(spec, "the input must have at least two dimensions, got " + input_str(spec, 0));
  const bool has_k = present(spec, 1);
  if (has_k) {
    check_dtype(spec, 1, {DType::kInt64});
    if (spec.inputs[1].numel() != 1) fail(spec, "k must be a scalar, got " + input_str(spec, 1));
  }
  check_output(spec, 0, spec.inputs[0].dtype, in);
  const int64_t rows = in[in.size() - 2], cols = in.back();
  const int64_t matrices = numel({in.begin(), in.end() - 2});
  const auto elem = static_cast<int64_t>(plan::dtype_size(spec.inputs[0].dtype));
  return std::make_unique<TriluKernel>(matrices, rows, cols, elem,
                                       plan::attr_int(spec.attrs, "upper", 1) != 0, has_k,
                                       has_k ? spec.inputs[1].dtype : DType::kInt64);
}

const bool kRegistered = register_op("Trilu", make_trilu);

}  // namespace
}  // namespace fastinfer::ops
