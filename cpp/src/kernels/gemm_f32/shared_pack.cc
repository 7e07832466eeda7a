// A process-wide cache of packed constant weights, shared by the plans of one model.
#include <algorithm>
#include <cstring>
#include <map>
#include <mutex>
#include <stdexcept>
#include <string>
#include <tuple>

#include "fastinfer/gemm_f32.h"

namespace fastinfer::f32 {
namespace {

// Sampled values guard against an address reused by different data while a stale entry
// is still held: a plan's kernels and its constants are released separately.
uint64_t sample_hash(const float* w, int64_t count) {
  uint64_t h = 1469598103934665603ull;
  const int64_t step = count > 256 ? count / 256 : 1;
  for (int64_t i = 0; i < count; i += step) {
    uint32_t bits;
    std::memcpy(&bits, w + i, sizeof(bits));
    h = (h ^ bits) * 1099511628211ull;
  }
  return h;
}

using Key = std::tuple<const float*, int64_t, int64_t, uint64_t>;

std::mutex& cache_mutex() {
  static std::mutex* mu = new std::mutex();
  return *mu;
}

std::map<Key, std::weak_ptr<const PackedWeights>>& cache() {
  static auto* c = new std::map<Key, std::weak_ptr<const PackedWeights>>();
  return *c;
}

}  // namespace

std::shared_ptr<const PackedWeights> shared_pack(const float* w, int64_t k, int64_t n) {
  const Key key{w, k, n, sample_hash(w, k * n)};
  std::lock_guard<std::mutex> lock(cache_mutex());
  auto& entries = cache();
  auto it = entries.find(key);
  if (it != entries.end()) {
    if (auto alive = it->second.lock()) return alive;
  }
  // Drop expired entries now and then so the map does not grow without bound.
  for (auto e = entries.begin(); e != entries.end();) {
    e = e->second.expired() ? entries.erase(e) : std::next(e);
  }
  auto packed = std::make_shared<const PackedWeights>(pack(w, k, n));
  entries[key] = packed;
  return packed;
}

namespace {

std::map<std::string, std::weak_ptr<const PackedWeights>>& id_cache() {
  static auto* c = new std::map<std::string, std::weak_ptr<const PackedWeights>>();
  return *c;
}

}  // namespace

std::shared_ptr<const PackedWeights> find_packed(const std::string& id) {
  std::lock_guard<std::mutex> lock(cache_mutex());
  auto it = id_cache().find(id);
  return it == id_cache().end() ? nullptr : it->second.lock();
}

std::shared_ptr<const PackedWeights> shared_pack_by_id(const std::string& id, const float* w,
                                                       int64_t k, int64_t n) {
  if (auto alive = find_packed(id); alive && alive->k == k && alive->n == n) return alive;
  if (!w) {
    throw std::invalid_argument("packed weights '" + id +
                                "' were released and no plan holds them any more");
  }
  auto packed = shared_pack(w, k, n);
  std::lock_guard<std::mutex> lock(cache_mutex());
  id_cache()[id] = packed;
  return packed;
}

void unpack(const PackedWeights& p, float* w) {
  for (int64_t q = 0; q < p.panels(); ++q) {
    const int64_t n0 = q * kPanelWidth;
    const int64_t width = std::min(kPanelWidth, p.n - n0);
    const float* src = p.panel(q);
    for (int64_t kk = 0; kk < p.k; ++kk) {
      std::memcpy(w + kk * p.n + n0, src + kk * kPanelWidth, static_cast<size_t>(width) * 4);
    }
  }
}

}  // namespace fastinfer::f32
