// Grouping of requests into batches whose padding stays bounded. Pure index arithmetic:
// a dynamic batcher calls this on the lengths of queued requests, then packs each group.
#include <algorithm>
#include <cmath>
#include <numeric>
#include <stdexcept>
#include <string>

#include "fastinfer/batch.h"

namespace fastinfer::batch {

namespace {

void check_common(const int64_t* lengths, int64_t count, int64_t max_batch_size) {
  if (max_batch_size < 1) {
    throw std::invalid_argument("max_batch_size must be >= 1, got " +
                                std::to_string(max_batch_size));
  }
  for (int64_t i = 0; i < count; ++i) {
    if (lengths[i] < 0) {
      throw std::invalid_argument("request " + std::to_string(i) + " has negative length " +
                                  std::to_string(lengths[i]));
    }
  }
}

}  // namespace

std::vector<std::vector<int64_t>> bucket_by_padding(const int64_t* lengths, int64_t count,
                                                    int64_t max_batch_size,
                                                    double max_padding_ratio) {
  check_common(lengths, count, max_batch_size);
  if (!(max_padding_ratio >= 0.0 && max_padding_ratio <= 1.0)) {  // also rejects NaN
    throw std::invalid_argument("max_padding_ratio must be in [0, 1], got " +
                                std::to_string(max_padding_ratio));
  }
  std::vector<int64_t> order(static_cast<size_t>(count));
  std::iota(order.begin(), order.end(), int64_t{0});
  std::stable_sort(order.begin(), order.end(),
                   [&](int64_t a, int64_t b) { return lengths[a] < lengths[b]; });

  std::vector<std::vector<int64_t>> groups;
  std::vector<int64_t> group;
  int64_t real = 0;  // elements (rows) of real data in `group`
  for (int64_t idx : order) {
    const int64_t len = lengths[idx];
    bool fits = !group.empty() && static_cast<int64_t>(group.size()) < max_batch_size;
    if (fits) {
      // Sorted ascending, so `len` becomes the group's padded length.
      const int64_t size = static_cast<int64_t>(group.size()) + 1;
      const int64_t padded = checked_size_mul(len, size, "padded elements of a bucket");
      const int64_t with = checked_size_add(real, len, "real elements of a bucket");
      // Same expression as a caller checking (padded - real) / padded <= ratio.
      fits = padded == 0 ||
             static_cast<double>(padded - with) / static_cast<double>(padded) <= max_padding_ratio;
    }
    if (!fits && !group.empty()) {
      groups.push_back(std::move(group));
      group.clear();
      real = 0;
    }
    group.push_back(idx);
    real += len;
  }
  if (!group.empty()) groups.push_back(std::move(group));
  // Arrival order inside a group keeps a FIFO batcher fair among equal-cost requests.
  for (auto& g : groups) std::sort(g.begin(), g.end());
  return groups;
}

std::vector<std::vector<int64_t>> bucket_by_boundaries(const int64_t* lengths, int64_t count,
                                                       const int64_t* boundaries,
                                                       int64_t num_boundaries,
                                                       int64_t max_batch_size) {
  check_common(lengths, count, max_batch_size);
  if (num_boundaries < 1) throw std::invalid_argument("boundaries must not be empty");
  for (int64_t k = 0; k < num_boundaries; ++k) {
    if (boundaries[k] < 1 || (k > 0 && boundaries[k] <= boundaries[k - 1])) {
      throw std::invalid_argument(
          "boundaries must be positive and strictly increasing, got boundaries[" +
          std::to_string(k) + "] = " + std::to_string(boundaries[k]));
    }
  }
  const int64_t* end = boundaries + num_boundaries;
  std::vector<std::vector<int64_t>> per_boundary(static_cast<size_t>(num_boundaries));
  for (int64_t i = 0; i < count; ++i) {
    const int64_t* b = std::lower_bound(boundaries, end, lengths[i]);  // first >= length
    if (b == end) {
      throw std::invalid_argument("request " + std::to_string(i) + " has length " +
                                  std::to_string(lengths[i]) + ", above the last boundary " +
                                  std::to_string(end[-1]));
    }
    per_boundary[static_cast<size_t>(b - boundaries)].push_back(i);
  }
  std::vector<std::vector<int64_t>> groups;
  for (const auto& bucket : per_boundary) {
    for (size_t start = 0; start < bucket.size(); start += static_cast<size_t>(max_batch_size)) {
      const size_t stop = std::min(bucket.size(), start + static_cast<size_t>(max_batch_size));
      groups.emplace_back(bucket.begin() + static_cast<std::ptrdiff_t>(start),
                          bucket.begin() + static_cast<std::ptrdiff_t>(stop));
    }
  }
  return groups;
}

}  // namespace fastinfer::batch
