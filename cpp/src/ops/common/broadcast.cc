#include "ops/common/broadcast.h"

#include <algorithm>
#include <stdexcept>

namespace fastinfer::ops {

std::optional<std::vector<int64_t>> broadcast_shape(
    const std::vector<std::vector<int64_t>>& shapes) {
  size_t rank = 0;
  for (const auto& s : shapes) rank = std::max(rank, s.size());
  std::vector<int64_t> out(rank, 1);
  for (const auto& s : shapes) {
    const size_t pad = rank - s.size();
    for (size_t d = 0; d < s.size(); ++d) {
      int64_t& o = out[pad + d];
      if (s[d] == o) continue;
      if (o == 1) {
        o = s[d];
      } else if (s[d] != 1) {
        return std::nullopt;
      }
    }
  }
  return out;
}

Broadcast::Broadcast(const std::vector<std::vector<int64_t>>& shapes,
                     const std::vector<int64_t>& out_shape) {
  n_ = static_cast<int>(shapes.size());
  if (n_ > kMaxInputs) throw std::invalid_argument("Broadcast: too many inputs");
  numel_ = 1;
  for (int64_t d : out_shape) numel_ *= d;
  const size_t rank = out_shape.size();
  // Per output dim, which inputs are broadcast (size 1 against a larger output dim).
  std::vector<int64_t> dims;
  std::vector<unsigned> masks;
  std::vector<std::vector<int64_t>> in_dims(n_);
  for (size_t d = 0; d < rank; ++d) {
    if (out_shape[d] == 1) continue;  // size-1 dims carry no index
    unsigned mask = 0;
    for (int i = 0; i < n_; ++i) {
      const size_t pad = rank - shapes[i].size();
      const int64_t in = d < pad ? 1 : shapes[i][d - pad];
      if (in == 1 && out_shape[d] != 1) mask |= 1u << i;
    }
    if (!dims.empty() && masks.back() == mask) {
      dims.back() *= out_shape[d];  // same pattern as the previous dim: one merged dim
    } else {
      dims.push_back(out_shape[d]);
      masks.push_back(mask);
    }
  }
  if (dims.empty()) {
    dims.push_back(1);
    masks.push_back(0);
  }
  if (dims.size() > 16) throw std::invalid_argument("Broadcast: more than 16 dims after merging");
  dims_ = dims;
  inner_ = dims.back();
  strides_.assign(n_, std::vector<int64_t>(dims.size(), 0));
  for (int i = 0; i < n_; ++i) {
    int64_t stride = 1;
    for (size_t d = dims.size(); d-- > 0;) {
      const bool bcast = masks[d] & (1u << i);
      strides_[i][d] = bcast ? 0 : stride;
      if (!bcast) stride *= dims[d];
    }
    inner_stride_[i] = strides_[i].back();
  }
  if (numel_ == 0) inner_ = std::max<int64_t>(inner_, 1);
}

bool Broadcast::all_same() const {
  if (dims_.size() != 1) return false;
  for (int i = 0; i < n_; ++i) {
    if (inner_stride_[i] != 1 && inner_ != 1) return false;
  }
  return true;
}

}  // namespace fastinfer::ops
