// A caching pool of 64-byte aligned blocks for tensor outputs and kernel scratch.
//
// Inference allocates the same few sizes over and over (one set per layer, per call), so a
// freed block is kept in a cache keyed by its size class and handed back out on the next
// request of that class instead of going to the allocator (and the page-fault cost of fresh
// memory). The cache is bounded: a block freed while the cache is full is released to the OS.
//
// Ownership: a PoolBuffer holds a shared_ptr to the pool's state, so a buffer may outlive the
// Pool object that made it (a Python Pool deleted while its arrays live); the state and its
// cache go away with the last of them.
#pragma once

#include <cstddef>
#include <cstdint>
#include <memory>

namespace fastinfer {

namespace detail {
struct PoolState;
}

constexpr size_t kPoolAlignment = 64;
// The smallest block; every block size is a multiple of it.
constexpr size_t kPoolMinBlock = 64;
// Requests above this are rejected (std::length_error) rather than rounded into overflow.
constexpr size_t kPoolMaxRequest = size_t{1} << 60;
constexpr size_t kPoolDefaultMaxCachedBytes = size_t{256} << 20;

// The block size that serves a request of `bytes`: four classes per power of two
// (2^k, 1.25 * 2^k, 1.5 * 2^k, 1.75 * 2^k), rounded up to a multiple of 64, at least 64.
// At most 25% of a block is wasted, and only a handful of classes exist per octave, so
// requests of slightly different sizes still share cached blocks.
size_t pool_size_class(size_t bytes);

struct PoolStats {
  size_t bytes_in_use = 0;  // block bytes (size classes) held by live buffers
  size_t peak_bytes = 0;    // high-water mark of bytes_in_use since creation or reset_peak()
  size_t bytes_cached = 0;  // block bytes sitting in the cache
  size_t cached_blocks = 0;
  size_t max_cached_bytes = 0;
  uint64_t allocations = 0;  // allocate() calls; hits + misses
  uint64_t hits = 0;         // served from the cache
  uint64_t misses = 0;       // served by a fresh block from the OS
  uint64_t released = 0;     // blocks given back to the OS (cache full, trim, shrink)
};

// An owned pooled block; returns itself to its pool on destruction. Move-only.
class PoolBuffer {
 public:
  PoolBuffer() = default;
  PoolBuffer(PoolBuffer&& o) noexcept;
  PoolBuffer& operator=(PoolBuffer&& o) noexcept;
  PoolBuffer(const PoolBuffer&) = delete;
  PoolBuffer& operator=(const PoolBuffer&) = delete;
  ~PoolBuffer() { reset(); }

  void* data() const { return data_; }
  size_t size() const { return size_; }          // bytes requested
  size_t capacity() const { return capacity_; }  // bytes of the block (its size class)
  explicit operator bool() const { return data_ != nullptr; }
  // Returns the block to the pool now.
  void reset() noexcept;

 private:
  friend class Pool;
  PoolBuffer(std::shared_ptr<detail::PoolState> state, void* data, size_t size, size_t capacity)
      : state_(std::move(state)), data_(data), size_(size), capacity_(capacity) {}

  std::shared_ptr<detail::PoolState> state_;
  void* data_ = nullptr;
  size_t size_ = 0;
  size_t capacity_ = 0;
};

// Thread safe: every member may be called concurrently; the mutex is held only for the
// bookkeeping, never across the system allocator.
class Pool {
 public:
  explicit Pool(size_t max_cached_bytes = kPoolDefaultMaxCachedBytes);
  // Releases the cached blocks now; outstanding buffers stay valid (they keep the state).
  ~Pool();
  Pool(const Pool&) = delete;
  Pool& operator=(const Pool&) = delete;

  // A block of at least `bytes` (uninitialised), 64-byte aligned. Throws std::length_error
  // above kPoolMaxRequest and std::bad_alloc when the OS refuses even after a trim().
  PoolBuffer allocate(size_t bytes);

  PoolStats stats() const;
  // Releases every cached block to the OS.
  void trim();
  void reset_peak();
  size_t max_cached_bytes() const;
  // Lowering the bound releases cached blocks (largest first) until the cache fits.
  void set_max_cached_bytes(size_t bytes);

 private:
  std::shared_ptr<detail::PoolState> state_;
};

// The process-wide pool the kernels use for outputs and scratch. Created on first use and
// never destroyed, so buffers freed during interpreter or static teardown stay safe.
Pool& default_pool();

}  // namespace fastinfer
