#include "batch/row_copy.h"

#include <algorithm>

#include "fastinfer/thread_pool.h"

namespace fastinfer::batch::detail {

namespace {
// Below this many bytes per thread, waking workers costs more than the copy saves.
constexpr int64_t kBytesPerThread = int64_t{4} << 20;
}  // namespace

void fill_pattern(void* dst, int64_t bytes, const void* pattern, int64_t item_size) {
  if (bytes <= 0) return;
  auto* out = static_cast<unsigned char*>(dst);
  const auto* pat = static_cast<const unsigned char*>(pattern);
  // A pattern of one repeated byte (zero, false, true, -1) is a plain memset.
  if (std::all_of(pat, pat + item_size, [&](unsigned char c) { return c == pat[0]; })) {
    std::memset(out, pat[0], static_cast<size_t>(bytes));
    return;
  }
  // Otherwise write one element and double the filled prefix: O(log n) memcpy calls.
  std::memcpy(out, pat, static_cast<size_t>(item_size));
  int64_t filled = item_size;
  while (filled < bytes) {
    const int64_t chunk = std::min(filled, bytes - filled);
    std::memcpy(out + filled, out, static_cast<size_t>(chunk));
    filled += chunk;
  }
}

void for_each_request(int64_t count, int64_t total_bytes, const std::function<void(int64_t)>& fn) {
  const int64_t want = total_bytes / kBytesPerThread;
  const int threads = static_cast<int>(std::clamp<int64_t>(want, 1, num_threads()));
  if (threads <= 1) {
    for (int64_t i = 0; i < count; ++i) fn(i);
    return;
  }
  parallel_for(count, fn, threads);
}

}  // namespace fastinfer::batch::detail
