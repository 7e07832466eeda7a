// Helpers private to cpp/src/batch: byte copies that tolerate empty ranges, pattern fill
// for pad values, and the policy for spreading per-request copies over the thread pool.
#pragma once

#include <cstdint>
#include <cstring>
#include <functional>

namespace fastinfer::batch::detail {

// memcpy with a zero size is fine, but with a null pointer it is undefined behaviour, and
// numpy may hand out null data pointers for empty arrays.
inline void copy_bytes(void* dst, const void* src, int64_t bytes) {
  if (bytes > 0) std::memcpy(dst, src, static_cast<size_t>(bytes));
}

// Fills `bytes` bytes (a multiple of item_size) with the `item_size`-byte pattern.
void fill_pattern(void* dst, int64_t bytes, const void* pattern, int64_t item_size);

// Runs fn(i) for each of `count` requests. Copies are memory-bound, so extra threads only
// pay off for large batches: one thread per few MiB moved, capped by the pool size.
void for_each_request(int64_t count, int64_t total_bytes, const std::function<void(int64_t)>& fn);

}  // namespace fastinfer::batch::detail
