// A tensor seen as (outer, n, inner) around one axis: element (o, i, j) is at
// (o * n + i) * inner + j. The view of every op that works along a single axis.
#pragma once

#include <cstdint>
#include <vector>

namespace fastinfer::ops {

struct AxisSplit {
  int64_t outer = 1, n = 1, inner = 1;

  AxisSplit() = default;
  // `axis` must already be in [0, rank).
  AxisSplit(const std::vector<int64_t>& shape, int64_t axis) {
    for (int64_t d = 0; d < axis; ++d) outer *= shape[d];
    n = shape[axis];
    for (size_t d = static_cast<size_t>(axis) + 1; d < shape.size(); ++d) inner *= shape[d];
  }
};

}  // namespace fastinfer::ops
