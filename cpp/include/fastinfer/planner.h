// Static arena planning: given each tensor's size and the op interval in which it is live,
// assign offsets in one arena so that tensors alive at the same time never share bytes.
#pragma once

#include <cstdint>
#include <vector>

namespace fastinfer {

struct TensorLifetime {
  int64_t size = 0;       // bytes, >= 0
  int64_t first_use = 0;  // index of the first op that reads or writes it, >= 0
  int64_t last_use = 0;   // index of the last such op (inclusive), >= first_use
};

struct ArenaPlan {
  std::vector<int64_t> offsets;  // one per tensor, each a multiple of the alignment
  int64_t arena_bytes = 0;       // the arena size the offsets need
  // max over op indices of the aligned bytes live at that op: no placement can do better.
  int64_t lower_bound_bytes = 0;
};

// Greedy-by-size placement (as TFLite's arena planner). Throws std::invalid_argument naming
// the tensor index for a negative size or op index, last_use < first_use, a size that
// overflows when aligned, or an alignment that is not a positive power of two; and
// std::overflow_error if the arena would not fit in int64.
ArenaPlan plan_arena(const std::vector<TensorLifetime>& tensors, int64_t alignment = 64);

}  // namespace fastinfer
