#include "ops/common/strided_copy.h"

#include <algorithm>
#include <cstring>
#include <stdexcept>

#include "kernels/transpose/kernels.h"
#include "ops/common/parallel.h"

namespace fastinfer::ops {

std::vector<int64_t> StridedCopy::contiguous_strides(const std::vector<int64_t>& shape) {
  std::vector<int64_t> s(shape.size());
  int64_t stride = 1;
  for (size_t d = shape.size(); d-- > 0;) {
    s[d] = stride;
    stride *= shape[d];
  }
  return s;
}

StridedCopy::StridedCopy(int64_t elem_size, std::vector<int64_t> shape,
                         std::vector<int64_t> src_strides, int64_t src_offset,
                         std::vector<int64_t> dst_strides, int64_t dst_offset)
    : elem_(elem_size), src_offset_(src_offset), dst_offset_(dst_offset) {
  if (elem_ != 1 && elem_ != 2 && elem_ != 4 && elem_ != 8) {
    throw std::invalid_argument("StridedCopy: element size must be 1, 2, 4 or 8");
  }
  numel_ = 1;
  for (int64_t d : shape) numel_ *= d;
  if (numel_ == 0) return;
  // Drop size-1 dims, then merge a dim into the previous one when both views step over
  // it contiguously.
  for (size_t d = 0; d < shape.size(); ++d) {
    if (shape[d] == 1) continue;
    if (!shape_.empty() && src_strides_.back() == src_strides[d] * shape[d] &&
        dst_strides_.back() == dst_strides[d] * shape[d]) {
      shape_.back() *= shape[d];
      src_strides_.back() = src_strides[d];
      dst_strides_.back() = dst_strides[d];
    } else {
      shape_.push_back(shape[d]);
      src_strides_.push_back(src_strides[d]);
      dst_strides_.push_back(dst_strides[d]);
    }
  }
  if (shape_.empty()) {
    shape_ = {1};
    src_strides_ = {1};
    dst_strides_ = {1};
  }
  const size_t r = shape_.size();
  if (r > 16) throw std::invalid_argument("StridedCopy: more than 16 dims after merging");
  const int64_t ss = src_strides_[r - 1], ds = dst_strides_[r - 1];
  if (ss == 1 && ds == 1) {
    mode_ = Mode::kMemcpy;
  } else if (ss == 0 && ds == 1) {
    mode_ = Mode::kFill;
  } else if (r >= 2 && ds == 1 && src_strides_[r - 2] == 1 && shape_[r - 1] >= 8 &&
             shape_[r - 2] >= 8) {
    mode_ = Mode::kTile;  // the last two axes swap: a 2-D transpose per outer index
    inner_dims_ = 2;
  }
  row_elems_ = shape_[r - 1] * (inner_dims_ == 2 ? shape_[r - 2] : 1);
  rows_ = numel_ / row_elems_;
}

template <class T>
void StridedCopy::tile(const T* src, T* dst, int64_t i_begin, int64_t i_end) const {
  const size_t r = shape_.size();
  const int64_t n_j = shape_[r - 1];
  const int64_t s_j = src_strides_[r - 1], d_i = dst_strides_[r - 2];
  src += i_begin;
  dst += i_begin * d_i;
  if constexpr (sizeof(T) == 4) {  // floats and int32: the per-ISA register transposes
    transpose::transpose_kernels().transpose32(src, s_j, dst, d_i, i_end - i_begin, n_j);
  } else {
    transpose::transpose_tiles(src, s_j, dst, d_i, i_end - i_begin, n_j);
  }
}

void StridedCopy::outer_offsets(int64_t row, int64_t* idx, int64_t* so, int64_t* dof) const {
  for (int d = static_cast<int>(shape_.size()) - inner_dims_ - 1; d >= 0; --d) {
    idx[d] = row % shape_[d];
    row /= shape_[d];
    *so += idx[d] * src_strides_[d];
    *dof += idx[d] * dst_strides_[d];
  }
}

template <class T>
void StridedCopy::rows(const char* src_base, char* dst_base, int64_t r0, int64_t r1) const {
  const T* src = reinterpret_cast<const T*>(src_base) + src_offset_;
  T* dst = reinterpret_cast<T*>(dst_base) + dst_offset_;
  const int outer = static_cast<int>(shape_.size()) - inner_dims_;
  int64_t idx[16] = {0};
  int64_t so = 0, dof = 0;
  outer_offsets(r0, idx, &so, &dof);
  const int64_t n = shape_.back(), ss = src_strides_.back(), ds = dst_strides_.back();
  for (int64_t row = r0; row < r1; ++row) {
    const T* s = src + so;
    T* d = dst + dof;
    switch (mode_) {
      case Mode::kMemcpy:
        std::memcpy(d, s, static_cast<size_t>(n) * sizeof(T));
        break;
      case Mode::kFill:
        std::fill(d, d + n, *s);
        break;
      case Mode::kTile:
        tile(s, d, 0, shape_[shape_.size() - 2]);
        break;
      case Mode::kElements:
        for (int64_t j = 0; j < n; ++j) d[j * ds] = s[j * ss];
        break;
    }
    for (int d2 = outer - 1; d2 >= 0; --d2) {
      so += src_strides_[d2];
      dof += dst_strides_[d2];
      if (++idx[d2] < shape_[d2]) break;
      so -= idx[d2] * src_strides_[d2];
      dof -= idx[d2] * dst_strides_[d2];
      idx[d2] = 0;
    }
  }
}

void StridedCopy::run(const void* src, void* dst) const {
  if (numel_ == 0) return;
  const auto* s = static_cast<const char*>(src);
  auto* d = static_cast<char*>(dst);
  if (mode_ == Mode::kTile && elem_ == 4 && rows_ < 4) {
    // Few 2-D transposes (a batch of 1 or 2): split each by its rows of 16, so that a
    // single image's transpose still uses every thread.
    const int64_t n_i = shape_[shape_.size() - 2];
    const int64_t per = std::max<int64_t>(16, ((int64_t{1} << 16) / shape_.back() + 15) / 16 * 16);
    const int64_t chunks = (n_i + per - 1) / per;
    parallel_chunks(rows_ * chunks, 1, [&](int64_t t0, int64_t t1) {
      for (int64_t t = t0; t < t1; ++t) {
        int64_t idx[16], so = 0, dof = 0;
        outer_offsets(t / chunks, idx, &so, &dof);
        const int64_t i0 = t % chunks * per;
        tile(reinterpret_cast<const uint32_t*>(s) + src_offset_ + so,
             reinterpret_cast<uint32_t*>(d) + dst_offset_ + dof, i0, std::min(n_i, i0 + per));
      }
    });
    return;
  }
  // Copies are bandwidth bound: split only past ~256 KiB.
  const int64_t grain = std::max<int64_t>(1, (int64_t{1} << 18) / (row_elems_ * elem_));
  parallel_chunks(rows_, grain, [&](int64_t r0, int64_t r1) {
    switch (elem_) {
      case 1:
        rows<uint8_t>(s, d, r0, r1);
        break;
      case 2:
        rows<uint16_t>(s, d, r0, r1);
        break;
      case 4:
        rows<uint32_t>(s, d, r0, r1);
        break;
      default:
        rows<uint64_t>(s, d, r0, r1);
        break;
    }
  });
}

}  // namespace fastinfer::ops
