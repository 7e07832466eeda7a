// Greedy-by-size arena planning.
//
// Why greedy by size: finding the smallest arena is NP-hard (it is dynamic storage
// allocation), but placing the largest tensors first and letting each later, smaller tensor
// drop into the lowest gap left among the tensors it is live with comes within a few percent
// of the lower bound on real networks (Pisarchyk & Lee, "Efficient Memory Management for Deep
// Neural Net Inference", 2020; the strategy TFLite's arena planner uses). Large tensors are
// the ones that cannot fit in gaps, so they must shape the layout; small ones fill around them.
// It is O(n^2) in the number of tensors, which is fine for graphs of thousands of tensors.
#include "fastinfer/planner.h"

#include <algorithm>
#include <limits>
#include <numeric>
#include <stdexcept>
#include <string>
#include <utility>

namespace fastinfer {

namespace {

constexpr int64_t kMaxI64 = std::numeric_limits<int64_t>::max();

[[noreturn]] void bad_tensor(size_t i, const std::string& why) {
  throw std::invalid_argument("tensor " + std::to_string(i) + ": " + why);
}

int64_t add_checked(int64_t a, int64_t b) {
  int64_t out;
  if (__builtin_add_overflow(a, b, &out)) {
    throw std::overflow_error("plan_arena: the arena size overflows a 64-bit integer");
  }
  return out;
}

// Sizes rounded up to the alignment, after validating every tensor.
std::vector<int64_t> aligned_sizes(const std::vector<TensorLifetime>& tensors, int64_t align) {
  std::vector<int64_t> out(tensors.size());
  for (size_t i = 0; i < tensors.size(); ++i) {
    const TensorLifetime& t = tensors[i];
    if (t.size < 0) bad_tensor(i, "size must be >= 0, got " + std::to_string(t.size));
    if (t.first_use < 0) {
      bad_tensor(i, "first_use must be >= 0, got " + std::to_string(t.first_use));
    }
    if (t.last_use < t.first_use) {
      bad_tensor(i, "last_use (" + std::to_string(t.last_use) + ") must be >= first_use (" +
                        std::to_string(t.first_use) + ")");
    }
    if (t.size > kMaxI64 - (align - 1)) {
      bad_tensor(i, "size " + std::to_string(t.size) + " overflows when aligned");
    }
    out[i] = (t.size + align - 1) / align * align;
  }
  return out;
}

// Sweep over op indices: +size at first_use, -size after last_use; the running maximum is
// the most bytes that must coexist, which no placement can beat.
int64_t live_bytes_bound(const std::vector<TensorLifetime>& tensors,
                         const std::vector<int64_t>& sizes) {
  std::vector<std::pair<int64_t, int64_t>> events;  // (op index, size delta)
  events.reserve(2 * tensors.size());
  for (size_t i = 0; i < tensors.size(); ++i) {
    if (sizes[i] == 0) continue;
    events.emplace_back(tensors[i].first_use, sizes[i]);
    // last_use + 1 cannot overflow meaningfully: an end at INT64_MAX never needs freeing.
    if (tensors[i].last_use < kMaxI64) events.emplace_back(tensors[i].last_use + 1, -sizes[i]);
  }
  // Ties: the frees (negative) sort first, so a tensor ending at op t-1 and one starting at
  // op t are never counted together.
  std::sort(events.begin(), events.end());
  int64_t live = 0, peak = 0;
  for (const auto& [op, delta] : events) {
    live = add_checked(live, delta);
    peak = std::max(peak, live);
  }
  return peak;
}

}  // namespace

ArenaPlan plan_arena(const std::vector<TensorLifetime>& tensors, int64_t alignment) {
  if (alignment <= 0 || (alignment & (alignment - 1)) != 0) {
    throw std::invalid_argument("alignment must be a positive power of two, got " +
                                std::to_string(alignment));
  }
  const size_t n = tensors.size();
  const std::vector<int64_t> sizes = aligned_sizes(tensors, alignment);

  ArenaPlan plan;
  plan.offsets.assign(n, 0);
  plan.lower_bound_bytes = live_bytes_bound(tensors, sizes);

  // Largest first; ties by first use, then index, so the plan is deterministic.
  std::vector<size_t> order(n);
  std::iota(order.begin(), order.end(), size_t{0});
  std::sort(order.begin(), order.end(), [&](size_t a, size_t b) {
    if (sizes[a] != sizes[b]) return sizes[a] > sizes[b];
    if (tensors[a].first_use != tensors[b].first_use) {
      return tensors[a].first_use < tensors[b].first_use;
    }
    return a < b;
  });

  std::vector<size_t> placed;  // tensors placed so far, by ascending offset
  placed.reserve(n);
  for (size_t t : order) {
    if (sizes[t] == 0) continue;  // occupies no bytes: offset 0 overlaps nothing
    const TensorLifetime& lt = tensors[t];
    // Walk the placed tensors in offset order and stop at the first gap, among those live
    // with t, that fits it. `end` is the highest byte taken so far below the candidate.
    int64_t offset = 0;
    for (size_t p : placed) {
      const TensorLifetime& lp = tensors[p];
      if (lp.last_use < lt.first_use || lt.last_use < lp.first_use) continue;
      if (plan.offsets[p] >= add_checked(offset, sizes[t])) break;
      offset = std::max(offset, plan.offsets[p] + sizes[p]);
    }
    plan.offsets[t] = offset;
    plan.arena_bytes = std::max(plan.arena_bytes, add_checked(offset, sizes[t]));
    auto pos = std::upper_bound(placed.begin(), placed.end(), offset,
                                [&](int64_t off, size_t q) { return off < plan.offsets[q]; });
    placed.insert(pos, t);
  }
  return plan;
}

}  // namespace fastinfer
