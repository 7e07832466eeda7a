#include "fastinfer/thread_pool.h"

#include <pthread.h>
#include <sched.h>

#include <atomic>
#include <chrono>
#include <condition_variable>
#include <exception>
#include <mutex>
#include <stdexcept>
#include <string>
#include <thread>
#include <utility>

#include "runtime/core_claim.h"

namespace fastinfer {
namespace {

thread_local bool t_inside_pool_task = false;
thread_local ThreadPool* t_current = nullptr;
// This thread's affinity before fastinfer pinned it (a pool's worker, or a ScopedPool on a
// pinned pool): what available_cores() reports then. nullptr while it is not pinned.
thread_local const std::vector<int>* t_unpinned_cpus = nullptr;

constexpr std::chrono::microseconds kSpinBeforeSleep{200};

std::vector<int> process_cpus() {
  return t_unpinned_cpus ? *t_unpinned_cpus : runtime::thread_cpus(pthread_self());
}

void raise_to(std::atomic<int>& most, int value) {
  int seen = most.load(std::memory_order_relaxed);
  while (seen < value && !most.compare_exchange_weak(seen, value, std::memory_order_relaxed)) {
  }
}

}  // namespace

int available_cores() {
  const int n = static_cast<int>(process_cpus().size());
  if (n > 0) return n;
  const unsigned hw = std::thread::hardware_concurrency();
  return hw > 0 ? static_cast<int>(hw) : 1;
}

int checked_thread_count(int64_t n) {
  if (n < 1) throw std::invalid_argument("num_threads must be >= 1, got " + std::to_string(n));
  const int cores = available_cores();
  if (n > cores) {
    throw std::invalid_argument("num_threads must be <= " + std::to_string(cores) +
                                ", the cores this process may use (its affinity mask), got " +
                                std::to_string(n));
  }
  return static_cast<int>(n);
}

class ThreadPool::Impl {
 public:
  Impl(ThreadPool* owner, int threads, bool claim_cores)
      : owner_(owner), threads_(threads), allowed_(process_cpus()) {
    if (claim_cores) claim_ = runtime::CoreClaim::acquire(allowed_, threads_);
    for (int i = 1; i < threads_; ++i) workers_.emplace_back([this, i] { worker_loop(i); });
    // Pinned from the start (the first job re-steers them around the actual caller).
    if (!claim_.cpus().empty()) pin_workers_around(claim_.cpus().front());
  }
  ~Impl() {
    {
      std::lock_guard<std::mutex> lock(mu_);
      stop_ = true;
      generation_.fetch_add(1, std::memory_order_release);
    }
    cv_.notify_all();
    for (auto& w : workers_) w.join();
  }

  int threads() const { return threads_; }
  const std::vector<int>& cpus() const { return claim_.cpus(); }
  Stats stats() const {
    return Stats{jobs_.load(std::memory_order_relaxed),
                 parallel_jobs_.load(std::memory_order_relaxed),
                 most_threads_.load(std::memory_order_relaxed)};
  }

  // First come, first served turns for ScopedPool.
  void take_turn() {
    std::unique_lock<std::mutex> lock(turn_mu_);
    const uint64_t ticket = next_ticket_++;
    turn_cv_.wait(lock, [&] { return serving_ == ticket; });
  }
  void end_turn() {
    {
      std::lock_guard<std::mutex> lock(turn_mu_);
      ++serving_;
    }
    turn_cv_.notify_all();
  }

  void run(int64_t n_tasks, const std::function<void(int64_t)>& fn, int max_threads) {
    jobs_.fetch_add(1, std::memory_order_relaxed);
    int use = threads_;
    if (max_threads > 0 && max_threads < use) use = max_threads;
    if (n_tasks < use) use = static_cast<int>(n_tasks);
    std::unique_lock<std::mutex> busy(run_mu_, std::try_to_lock);
    if (use <= 1 || t_inside_pool_task || !busy.owns_lock()) {
      for (int64_t t = 0; t < n_tasks; ++t) fn(t);
      raise_to(most_threads_, 1);
      return;
    }
    parallel_jobs_.fetch_add(1, std::memory_order_relaxed);
    steer_workers_off_caller();
    fn_ = &fn;
    n_tasks_ = n_tasks;
    next_.store(0, std::memory_order_relaxed);
    joined_.store(0, std::memory_order_relaxed);
    error_ = nullptr;
    active_workers_ = use - 1;
    pending_.store(use - 1, std::memory_order_relaxed);
    {
      // Under the mutex so a worker between its check and its wait cannot miss the bump.
      std::lock_guard<std::mutex> lock(mu_);
      generation_.fetch_add(1, std::memory_order_release);
    }
    cv_.notify_all();
    t_inside_pool_task = true;
    drain();
    t_inside_pool_task = false;
    // Wait for the workers that joined this job; spin briefly, then sleep.
    for (int spin = 0; pending_.load(std::memory_order_acquire) != 0; ++spin) {
      if (spin > 20000) {
        std::unique_lock<std::mutex> lock(mu_);
        done_cv_.wait(lock, [&] { return pending_.load(std::memory_order_acquire) == 0; });
        break;
      }
      // pause, not sched_yield, for the first spins: the other thread is usually on its
      // last task, and a yield syscall (~1 us) per check delays the next layer by as much.
      if (spin < 4096) {
#if defined(__x86_64__) || defined(__i386__)
        __builtin_ia32_pause();
#endif
      } else {
        std::this_thread::yield();
      }
    }
    raise_to(most_threads_, joined_.load(std::memory_order_relaxed));
    fn_ = nullptr;
    if (error_) std::rethrow_exception(error_);
  }

 private:
  // Workers are pinned, each to its own core of the pool's claim, and steered off the core
  // the caller is on at the time of the call. Without this the kernel's wake-affine
  // placement puts a woken worker on the caller's core, where the two time-slice for tens
  // of milliseconds while the other core idles (measured on 2 cores: 2 threads 2x slower
  // than 1 until the balancer moved one; a spinning worker counts as cache hot and is not
  // migrated). Without a claim (FASTINFER_PIN=0, or other processes hold the cores) the
  // OS places them.
  // Called by the thread that posts a job, before posting it.
  void steer_workers_off_caller() {
    if (claim_.cpus().empty()) return;
    const int here = sched_getcpu();
    if (here == caller_cpu_) return;
    caller_cpu_ = here;
    pin_workers_around(here);
  }

  // Pins each worker to its own claimed core other than `here`.
  void pin_workers_around(int here) {
    const std::vector<int>& cpus = claim_.cpus();
    size_t next = 0;
    for (auto& worker : workers_) {
      while (next < cpus.size() && cpus[next] == here) ++next;
      if (next >= cpus.size()) break;
      runtime::pin_thread(worker.native_handle(), {cpus[next]});
      ++next;
    }
  }

  void drain() {
    bool ran = false;
    for (;;) {
      int64_t t = next_.fetch_add(1, std::memory_order_relaxed);
      if (t >= n_tasks_) break;
      ran = true;
      try {
        (*fn_)(t);
      } catch (...) {
        std::lock_guard<std::mutex> lock(err_mu_);
        if (!error_) error_ = std::current_exception();
        next_.store(n_tasks_, std::memory_order_relaxed);  // stop handing out tasks
      }
    }
    if (ran) joined_.fetch_add(1, std::memory_order_relaxed);
  }

  void worker_loop(int index) {
    uint64_t seen = 0;
    t_inside_pool_task = true;
    t_current = owner_;  // nested num_threads() calls see this pool, as on the caller
    t_unpinned_cpus = &allowed_;
    for (;;) {
      // Spin briefly before sleeping: back-to-back kernel calls (a model's layers, a
      // benchmark loop) then start without a futex wake-up, which costs 10+ us.
      const auto spin_until = std::chrono::steady_clock::now() + kSpinBeforeSleep;
      uint64_t g = generation_.load(std::memory_order_acquire);
      for (int i = 0; g == seen; ++i) {
        if ((i & 63) == 63 && std::chrono::steady_clock::now() > spin_until) break;
#if defined(__x86_64__) || defined(__i386__)
        __builtin_ia32_pause();
#endif
        g = generation_.load(std::memory_order_acquire);
      }
      if (g == seen) {
        std::unique_lock<std::mutex> lock(mu_);
        cv_.wait(lock, [&] { return generation_.load(std::memory_order_acquire) != seen; });
        g = generation_.load(std::memory_order_acquire);
      }
      seen = g;
      {
        std::lock_guard<std::mutex> lock(mu_);
        if (stop_) return;
      }
      if (index <= active_workers_) {
        drain();
        if (pending_.fetch_sub(1, std::memory_order_acq_rel) == 1) {
          std::lock_guard<std::mutex> lock(mu_);
          done_cv_.notify_all();
        }
      }
    }
  }

  ThreadPool* const owner_;
  const int threads_;
  const std::vector<int> allowed_;  // the process's affinity mask when the pool was made
  runtime::CoreClaim claim_;        // empty: unpinned
  std::vector<std::thread> workers_;
  int caller_cpu_ = -1;  // where the last caller ran; guarded by run_mu_
  std::mutex run_mu_;    // one job at a time
  std::mutex mu_;
  std::condition_variable cv_, done_cv_;
  std::atomic<uint64_t> generation_{0};
  bool stop_ = false;
  const std::function<void(int64_t)>* fn_ = nullptr;
  int64_t n_tasks_ = 0;
  int active_workers_ = 0;
  std::atomic<int64_t> next_{0};
  std::atomic<int> pending_{0};
  std::atomic<int> joined_{0};  // threads that ran a task of the current job
  std::mutex err_mu_;
  std::exception_ptr error_;
  std::atomic<int64_t> jobs_{0}, parallel_jobs_{0};
  std::atomic<int> most_threads_{0};
  std::mutex turn_mu_;
  std::condition_variable turn_cv_;
  uint64_t next_ticket_ = 0, serving_ = 0;  // guarded by turn_mu_
};

ThreadPool::ThreadPool(int64_t n, bool scoped)
    : impl_(std::make_unique<Impl>(this, checked_thread_count(n), scoped || n > 1)) {}
ThreadPool::~ThreadPool() = default;
int ThreadPool::num_threads() const { return impl_->threads(); }
const std::vector<int>& ThreadPool::cpus() const { return impl_->cpus(); }
ThreadPool::Stats ThreadPool::stats() const { return impl_->stats(); }
void ThreadPool::run(int64_t n_tasks, const std::function<void(int64_t)>& fn, int max_threads) {
  impl_->run(n_tasks, fn, max_threads);
}

ScopedPool::ScopedPool(ThreadPool& pool)
    : pool_(&pool), previous_(t_current), owns_turn_(t_current != &pool) {
  if (!owns_turn_) return;
  pool.impl_->take_turn();
  t_current = &pool;
  if (pool.cpus().empty()) return;
  saved_cpus_ = runtime::thread_cpus(pthread_self());
  previous_unpinned_ = t_unpinned_cpus;
  if (!t_unpinned_cpus) t_unpinned_cpus = &saved_cpus_;
  runtime::pin_thread(pthread_self(), pool.cpus());
  pinned_ = true;
}

ScopedPool::~ScopedPool() {
  if (!owns_turn_) return;
  if (pinned_) {
    runtime::pin_thread(pthread_self(), saved_cpus_);
    t_unpinned_cpus = previous_unpinned_;
  }
  t_current = previous_;
  pool_->impl_->end_turn();
}

ThreadPool* ScopedPool::current() { return t_current; }

}  // namespace fastinfer
