// A tensor seen as (outer, n, inner) around one axis: element (o, i, j) is at
// (o * n + i) * inner + j. The view of every op that works along a single axis.
#pragma once

#include <cstdint>
#include <vector>

#include "ops/common/op_util.h"

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

// Input 0's 'axis' attribute (default `fallback`) in [0, rank); input 0 must not be a
// scalar.
inline int64_t axis_attr(const KernelSpec& spec, int64_t fallback) {
  const auto rank = static_cast<int64_t>(spec.inputs[0].shape.size());
  if (rank == 0) fail(spec, "the input must have at least one dimension");
  return normalize_axis(spec, plan::attr_int(spec.attrs, "axis", fallback), rank, "axis");
}

}  // namespace fastinfer::ops
