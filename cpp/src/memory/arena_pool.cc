#include "fastinfer/arena_pool.h"

#include <algorithm>

namespace fastinfer {

AlignedBuffer<uint8_t> ArenaPool::acquire(int64_t bytes) {
  const size_t want = static_cast<size_t>(std::max<int64_t>(bytes, 1));
  std::lock_guard<std::mutex> lock(mu_);
  if (!idle_.empty()) {
    // The largest idle buffer: it is the most likely to fit, and growing it keeps the
    // number of buffers at the number of concurrent runs.
    auto it = std::max_element(idle_.begin(), idle_.end(),
                               [](const auto& a, const auto& b) { return a.size() < b.size(); });
    AlignedBuffer<uint8_t> buf = std::move(*it);
    idle_.erase(it);
    if (buf.size() >= want) return buf;
    held_ -= static_cast<int64_t>(buf.size());
    --buffers_;
  }
  // Grow by a quarter more than asked, so a stream of slowly growing shapes (one more
  // token each time) reallocates a few times, not on every shape.
  const size_t size = want + want / 4;
  AlignedBuffer<uint8_t> fresh(size);
  held_ += static_cast<int64_t>(size);
  ++buffers_;
  ++grows_;
  peak_ = std::max(peak_, held_);
  return fresh;
}

void ArenaPool::release(AlignedBuffer<uint8_t> buffer) {
  std::lock_guard<std::mutex> lock(mu_);
  idle_.push_back(std::move(buffer));
}

void ArenaPool::trim() {
  std::lock_guard<std::mutex> lock(mu_);
  for (const auto& b : idle_) held_ -= static_cast<int64_t>(b.size());
  buffers_ -= static_cast<int64_t>(idle_.size());
  idle_.clear();
}

int64_t ArenaPool::bytes_held() const {
  std::lock_guard<std::mutex> lock(mu_);
  return held_;
}
int64_t ArenaPool::buffers() const {
  std::lock_guard<std::mutex> lock(mu_);
  return buffers_;
}
int64_t ArenaPool::peak_bytes() const {
  std::lock_guard<std::mutex> lock(mu_);
  return peak_;
}
int64_t ArenaPool::grows() const {
  std::lock_guard<std::mutex> lock(mu_);
  return grows_;
}

}  // namespace fastinfer
