// Numpy-style multidirectional broadcasting, resolved at build time: the output shape is
// checked, dimensions that broadcast the same way for every input are merged, and run()
// only walks the output in row segments where each input is either contiguous (stride 1)
// or fixed (stride 0).
#pragma once

#include <cstdint>
#include <optional>
#include <vector>

namespace fastinfer::ops {

// The broadcast of `shapes`, or nullopt when two dimensions differ and neither is 1.
std::optional<std::vector<int64_t>> broadcast_shape(
    const std::vector<std::vector<int64_t>>& shapes);

class Broadcast {
 public:
  static constexpr int kMaxInputs = 3;

  Broadcast() = default;
  // `shapes` must broadcast to `out_shape` (checked by the caller with broadcast_shape).
  Broadcast(const std::vector<std::vector<int64_t>>& shapes, const std::vector<int64_t>& out_shape);

  int64_t numel() const { return numel_; }
  int64_t inner() const { return inner_; }  // length of the innermost merged dimension
  // Stride of input i along the innermost merged dimension: 1 or 0.
  int64_t inner_stride(int i) const { return inner_stride_[i]; }
  bool all_same() const;  // every input has the output's shape

  // Calls seg(offsets, out_offset, len) for the output elements [begin, end), split at
  // row ends; offsets[i] is input i's element offset of the segment's first element.
  template <class Fn>
  void for_segments(int64_t begin, int64_t end, const Fn& seg) const {
    if (begin >= end) return;
    const int rank = static_cast<int>(dims_.size());
    int64_t row = begin / inner_, col = begin % inner_;
    // Odometer over the outer dimensions, started from `row`.
    int64_t idx[16] = {0};
    int64_t off[kMaxInputs] = {0, 0, 0};
    int64_t r = row;
    for (int d = rank - 2; d >= 0; --d) {
      idx[d] = r % dims_[d];
      r /= dims_[d];
      for (int i = 0; i < n_; ++i) off[i] += idx[d] * strides_[i][d];
    }
    int64_t pos = begin;
    while (pos < end) {
      const int64_t len = std::min(inner_ - col, end - pos);
      int64_t o[kMaxInputs];
      for (int i = 0; i < n_; ++i) o[i] = off[i] + col * inner_stride_[i];
      seg(o, pos, len);
      pos += len;
      col = 0;
      for (int d = rank - 2; d >= 0; --d) {
        for (int i = 0; i < n_; ++i) off[i] += strides_[i][d];
        if (++idx[d] < dims_[d]) break;
        for (int i = 0; i < n_; ++i) off[i] -= idx[d] * strides_[i][d];
        idx[d] = 0;
      }
    }
  }

 private:
  int n_ = 0;
  int64_t numel_ = 0, inner_ = 1;
  std::vector<int64_t> dims_;                  // merged output dims
  std::vector<std::vector<int64_t>> strides_;  // per input, per merged dim
  int64_t inner_stride_[kMaxInputs] = {0, 0, 0};
};

}  // namespace fastinfer::ops
