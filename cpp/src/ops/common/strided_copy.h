// A copy between two strided views, resolved at build time. Transpose, Slice, Expand,
// Tile, Concat and Split are all this one loop nest with different strides:
//   dst[dst_offset + sum(i_d * dst_stride_d)] = src[src_offset + sum(i_d * src_stride_d)]
// for every index i over `shape`. Strides are in elements and may be 0 (broadcast) or
// negative (a reversed slice). Dimensions that are contiguous in both views are merged,
// so run() copies whole rows with memcpy where it can, fills rows where the source
// stride is 0, and transposes 2-D blocks (the per-ISA register transposes of
// kernels/transpose for 32-bit elements) when the last two axes swap.
#pragma once

#include <cstdint>
#include <vector>

namespace fastinfer::ops {

class StridedCopy {
 public:
  StridedCopy() = default;
  StridedCopy(int64_t elem_size, std::vector<int64_t> shape, std::vector<int64_t> src_strides,
              int64_t src_offset, std::vector<int64_t> dst_strides, int64_t dst_offset);

  // Row-major strides of a contiguous tensor of `shape`.
  static std::vector<int64_t> contiguous_strides(const std::vector<int64_t>& shape);

  void run(const void* src, void* dst) const;
  int64_t numel() const { return numel_; }

 private:
  enum class Mode { kMemcpy, kFill, kTile, kElements };
  template <class T>
  void rows(const char* src, char* dst, int64_t r0, int64_t r1) const;
  template <class T>
  void tile(const T* src, T* dst, int64_t i_begin, int64_t i_end) const;  // rows [i_begin, i_end)
  // Index (idx[d] per outer dim) and source and destination offsets (elements, added to
  // *so and *dof) of outer row `row`.
  void outer_offsets(int64_t row, int64_t* idx, int64_t* so, int64_t* dof) const;

  int64_t elem_ = 1, numel_ = 0;
  std::vector<int64_t> shape_, src_strides_, dst_strides_;
  int64_t src_offset_ = 0, dst_offset_ = 0;
  Mode mode_ = Mode::kElements;
  int inner_dims_ = 1;  // dims handled inside one "row" (2 for kTile)
  int64_t rows_ = 0, row_elems_ = 1;
};

}  // namespace fastinfer::ops
