// Intra-op thread pools. A ThreadPool has n threads, the caller included: a job posted to
// it runs on the calling thread and n - 1 workers. Kernels call parallel_for, which uses the
// calling thread's current pool: the one a ScopedPool installed, else the process default
// pool (sized by set_num_threads, created at its first job).
//
// One job runs on a pool at a time. A call made while the pool is busy (another thread
// sharing the default pool, or a nested call from inside a task) runs inline on the caller
// instead of waiting. ScopedPool gives a thread the pool to itself for its scope: other
// threads installing the same pool wait their turn (first come, first served), so a pool
// of n keeps at most n cores busy however many threads call the model that owns it.
#pragma once

#include <cstdint>
#include <functional>
#include <memory>
#include <vector>

namespace fastinfer {

// Cores this process may run on (its affinity mask), at least 1.
int available_cores();

// n as a thread count: throws std::invalid_argument unless 1 <= n <= available_cores().
int checked_thread_count(int64_t n);

class ThreadPool {
 public:
  struct Stats {
    int64_t jobs = 0;           // parallel_for calls this pool took
    int64_t parallel_jobs = 0;  // of those, posted to the workers
    int most_threads = 0;       // most threads that ran tasks of one job
  };

  // Starts n - 1 workers (n checked by checked_thread_count). Pins its threads when it can
  // claim n cores machine-wide (cpp/src/runtime/core_claim.h), else leaves them to the OS.
  // scoped = false: a pool used without ScopedPool (the default pool), whose caller is never
  // pinned; with one thread it then has nothing to pin and claims no core.
  explicit ThreadPool(int64_t n, bool scoped = true);
  ~ThreadPool();  // joins the workers; must not run while a job is in flight
  ThreadPool(const ThreadPool&) = delete;
  ThreadPool& operator=(const ThreadPool&) = delete;

  int num_threads() const;
  // The cores this pool claimed and pins its threads to, ascending; empty when unpinned.
  const std::vector<int>& cpus() const;
  Stats stats() const;

  // fn(task) for task in [0, n_tasks); see parallel_for.
  void run(int64_t n_tasks, const std::function<void(int64_t)>& fn, int max_threads);

 private:
  friend class ScopedPool;
  class Impl;
  std::unique_ptr<Impl> impl_;
};

// Makes `pool` the calling thread's current pool for its lifetime: waits until no other
// thread holds it, and pins the caller to the pool's cores (restoring its affinity after).
// Installing the pool that is already current is a no-op, so scopes nest.
class ScopedPool {
 public:
  explicit ScopedPool(ThreadPool& pool);
  ~ScopedPool();
  ScopedPool(const ScopedPool&) = delete;
  ScopedPool& operator=(const ScopedPool&) = delete;

  // The calling thread's current pool, or nullptr when it uses the default pool.
  static ThreadPool* current();

 private:
  ThreadPool* pool_;
  ThreadPool* previous_;
  bool owns_turn_;  // false when `pool` was already current
  bool pinned_ = false;
  std::vector<int> saved_cpus_;  // the caller's affinity before pinning
  const std::vector<int>* previous_unpinned_ = nullptr;
};

// Threads of the current pool.
int num_threads();
// Sizes the default pool (checked by checked_thread_count); the old one is dropped once
// its running jobs finish.
void set_num_threads(int64_t n);

// Runs fn(task) for task in [0, n_tasks), spread over the current pool. Tasks are handed
// out dynamically in order, so neighbouring tasks tend to land on the same thread.
// `max_threads` caps the threads used (0: all) so small problems stay on one core.
void parallel_for(int64_t n_tasks, const std::function<void(int64_t)>& fn, int max_threads = 0);

}  // namespace fastinfer
