// The caching block pool. See fastinfer/pool.h for the policy.
#include "fastinfer/pool.h"

#include <cstdlib>
#include <map>
#include <mutex>
#include <new>
#include <stdexcept>
#include <string>
#include <utility>
#include <vector>

namespace fastinfer {

namespace detail {

struct PoolState {
  std::mutex mu;
  // size class -> cached blocks of that class. An ordered map so that shrinking the bound can
  // evict the largest blocks first (fewest frees for the most bytes).
  std::map<size_t, std::vector<void*>> cache;
  PoolStats stats;

  ~PoolState() {
    for (auto& [cls, blocks] : cache) {
      for (void* p : blocks) std::free(p);
    }
  }

  // Takes a block back from a buffer: cached if it fits under the bound, else freed.
  void give_back(void* p, size_t capacity) noexcept {
    bool keep = false;
    {
      std::lock_guard<std::mutex> lock(mu);
      stats.bytes_in_use -= capacity;
      if (stats.bytes_cached + capacity <= stats.max_cached_bytes) {
        try {
          cache[capacity].push_back(p);
          keep = true;
        } catch (const std::bad_alloc&) {
          // No memory for the cache's own bookkeeping: release the block instead.
        }
      }
      if (keep) {
        stats.bytes_cached += capacity;
        ++stats.cached_blocks;
      } else {
        ++stats.released;
      }
    }
    if (!keep) std::free(p);
  }

  // Unlinks cached blocks (largest classes first) until at most `bound` bytes stay cached.
  // Called with `mu` held; the caller frees the returned blocks after unlocking.
  std::vector<void*> evict_to(size_t bound) {
    std::vector<void*> out;
    for (auto it = cache.rbegin(); it != cache.rend() && stats.bytes_cached > bound; ++it) {
      std::vector<void*>& blocks = it->second;
      while (!blocks.empty() && stats.bytes_cached > bound) {
        out.push_back(blocks.back());
        blocks.pop_back();
        stats.bytes_cached -= it->first;
        --stats.cached_blocks;
        ++stats.released;
      }
    }
    return out;
  }
};

}  // namespace detail

size_t pool_size_class(size_t bytes) {
  if (bytes <= kPoolMinBlock) return kPoolMinBlock;
  // 2^k < bytes <= 2^(k+1); the classes in that octave are 2^k + i * 2^(k-2), i = 1..4.
  const int k = 63 - __builtin_clzll(static_cast<unsigned long long>(bytes - 1));
  const size_t quarter = size_t{1} << (k - 2);  // k >= 6 here
  const size_t cls = (bytes + quarter - 1) / quarter * quarter;
  return (cls + kPoolAlignment - 1) / kPoolAlignment * kPoolAlignment;
}

PoolBuffer::PoolBuffer(PoolBuffer&& o) noexcept
    : state_(std::move(o.state_)), data_(o.data_), size_(o.size_), capacity_(o.capacity_) {
  o.data_ = nullptr;
  o.size_ = o.capacity_ = 0;
}

PoolBuffer& PoolBuffer::operator=(PoolBuffer&& o) noexcept {
  if (this != &o) {
    reset();
    state_ = std::move(o.state_);
    data_ = o.data_;
    size_ = o.size_;
    capacity_ = o.capacity_;
    o.data_ = nullptr;
    o.size_ = o.capacity_ = 0;
  }
  return *this;
}

void PoolBuffer::reset() noexcept {
  if (data_) state_->give_back(data_, capacity_);
  // Dropping the state last: if this was its final owner, the cache is freed here.
  state_.reset();
  data_ = nullptr;
  size_ = capacity_ = 0;
}

Pool::Pool(size_t max_cached_bytes) : state_(std::make_shared<detail::PoolState>()) {
  state_->stats.max_cached_bytes = max_cached_bytes;
}

// Buffers still alive keep the state; with the bound at 0 they free their blocks on return
// instead of parking them in a cache nobody can reach.
Pool::~Pool() {
  try {
    set_max_cached_bytes(0);
  } catch (const std::bad_alloc&) {
    // No memory to list the evictions: the cache is then freed with the state instead.
    std::lock_guard<std::mutex> lock(state_->mu);
    state_->stats.max_cached_bytes = 0;
  }
}

PoolBuffer Pool::allocate(size_t bytes) {
  if (bytes > kPoolMaxRequest) {
    throw std::length_error("pool: a request of " + std::to_string(bytes) +
                            " bytes exceeds the largest block (2^60 bytes)");
  }
  const size_t cls = pool_size_class(bytes);
  detail::PoolState& s = *state_;
  {
    std::lock_guard<std::mutex> lock(s.mu);
    ++s.stats.allocations;
    auto it = s.cache.find(cls);
    if (it != s.cache.end() && !it->second.empty()) {
      void* p = it->second.back();
      it->second.pop_back();
      ++s.stats.hits;
      s.stats.bytes_cached -= cls;
      --s.stats.cached_blocks;
      s.stats.bytes_in_use += cls;
      if (s.stats.bytes_in_use > s.stats.peak_bytes) s.stats.peak_bytes = s.stats.bytes_in_use;
      return PoolBuffer(state_, p, bytes, cls);
    }
    ++s.stats.misses;
  }
  // A miss: the system allocator runs outside the lock. If it refuses, the cache may be
  // holding the memory it needs, so release the cache and try once more.
  void* p = std::aligned_alloc(kPoolAlignment, cls);
  if (!p) {
    trim();
    p = std::aligned_alloc(kPoolAlignment, cls);
    if (!p) throw std::bad_alloc();
  }
  {
    std::lock_guard<std::mutex> lock(s.mu);
    s.stats.bytes_in_use += cls;
    if (s.stats.bytes_in_use > s.stats.peak_bytes) s.stats.peak_bytes = s.stats.bytes_in_use;
  }
  return PoolBuffer(state_, p, bytes, cls);
}

PoolStats Pool::stats() const {
  std::lock_guard<std::mutex> lock(state_->mu);
  return state_->stats;
}

void Pool::trim() {
  std::vector<void*> freed;
  {
    std::lock_guard<std::mutex> lock(state_->mu);
    freed = state_->evict_to(0);
  }
  for (void* p : freed) std::free(p);
}

void Pool::reset_peak() {
  std::lock_guard<std::mutex> lock(state_->mu);
  state_->stats.peak_bytes = state_->stats.bytes_in_use;
}

size_t Pool::max_cached_bytes() const {
  std::lock_guard<std::mutex> lock(state_->mu);
  return state_->stats.max_cached_bytes;
}

void Pool::set_max_cached_bytes(size_t bytes) {
  std::vector<void*> freed;
  {
    std::lock_guard<std::mutex> lock(state_->mu);
    state_->stats.max_cached_bytes = bytes;
    freed = state_->evict_to(bytes);
  }
  for (void* p : freed) std::free(p);
}

Pool& default_pool() {
  // Leaked on purpose: arrays freed during interpreter teardown, after static destructors
  // have started, still return their blocks to a live pool.
  static Pool* pool = new Pool();
  return *pool;
}

}  // namespace fastinfer
