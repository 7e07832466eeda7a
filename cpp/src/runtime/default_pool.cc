// The process default pool (what set_num_threads sizes) and the dispatch of parallel_for
// and num_threads to the calling thread's current pool.
#include <algorithm>
#include <memory>
#include <mutex>

#include "fastinfer/thread_pool.h"

namespace fastinfer {
namespace {

std::mutex g_mu;
int g_threads = 0;  // set_num_threads' value; 0: every core of the affinity mask
std::shared_ptr<ThreadPool> g_pool;

// Clamped so a mask narrowed after set_num_threads cannot make the pool invalid.
int default_size() {
  return g_threads > 0 ? std::min(g_threads, available_cores()) : available_cores();
}

std::shared_ptr<ThreadPool> default_pool() {
  std::lock_guard<std::mutex> lock(g_mu);
  if (!g_pool) g_pool = std::make_shared<ThreadPool>(default_size(), /*scoped=*/false);
  return g_pool;
}

}  // namespace

int num_threads() {
  if (const ThreadPool* p = ScopedPool::current()) return p->num_threads();
  std::lock_guard<std::mutex> lock(g_mu);
  return g_pool ? g_pool->num_threads() : default_size();
}

void set_num_threads(int64_t n) {
  const int threads = checked_thread_count(n);
  std::shared_ptr<ThreadPool> old;
  {
    std::lock_guard<std::mutex> lock(g_mu);
    g_threads = threads;
    if (g_pool && g_pool->num_threads() != threads) old = std::move(g_pool);
  }
  // `old` joins its workers here, or when the last running job releases it.
}

void parallel_for(int64_t n_tasks, const std::function<void(int64_t)>& fn, int max_threads) {
  if (n_tasks <= 0) return;
  if (ThreadPool* p = ScopedPool::current()) {
    p->run(n_tasks, fn, max_threads);
    return;
  }
  std::shared_ptr<ThreadPool> p = default_pool();  // keeps it alive across set_num_threads
  p->run(n_tasks, fn, max_threads);
}

}  // namespace fastinfer
