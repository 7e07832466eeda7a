#include "fastinfer/thread_pool.h"

#include <pthread.h>
#include <sched.h>

#include <atomic>
#include <chrono>
#include <condition_variable>
#include <cstdlib>
#include <exception>
#include <memory>
#include <mutex>
#include <stdexcept>
#include <string>
#include <thread>
#include <vector>

namespace fastinfer {
namespace {

thread_local bool t_inside_pool_task = false;
constexpr std::chrono::microseconds kSpinBeforeSleep{200};

class ThreadPool {
 public:
  explicit ThreadPool(int threads) : threads_(threads) {
    for (int i = 1; i < threads_; ++i) workers_.emplace_back([this, i] { worker_loop(i); });
    load_cpus();
  }
  ~ThreadPool() {
    {
      std::lock_guard<std::mutex> lock(mu_);
      stop_ = true;
      generation_.fetch_add(1, std::memory_order_release);
    }
    cv_.notify_all();
    for (auto& w : workers_) w.join();
  }
  int threads() const { return threads_; }

  void run(int64_t n_tasks, const std::function<void(int64_t)>& fn, int max_threads) {
    int use = threads_;
    if (max_threads > 0 && max_threads < use) use = max_threads;
    if (n_tasks < use) use = static_cast<int>(n_tasks);
    std::unique_lock<std::mutex> busy(run_mu_, std::try_to_lock);
    if (use <= 1 || t_inside_pool_task || !busy.owns_lock()) {
      run_inline(n_tasks, fn);
      return;
    }
    steer_workers_off_caller();
    fn_ = &fn;
    n_tasks_ = n_tasks;
    next_.store(0, std::memory_order_relaxed);
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
    fn_ = nullptr;
    if (error_) std::rethrow_exception(error_);
  }

 private:
  // Workers are pinned, each to its own core of the process's affinity mask, and steered
  // off the core the caller is on at the time of the call. Without this the kernel's
  // wake-affine placement puts a woken worker on the caller's core, where the two
  // time-slice for tens of milliseconds while the other core idles (measured on 2 cores:
  // 2 threads 2x slower than 1 until the balancer moved one; a spinning worker counts as
  // cache hot and is not migrated). FASTINFER_PIN_THREADS=0 turns it off.
  void load_cpus() {
    const char* env = std::getenv("FASTINFER_PIN_THREADS");
    if (env && std::string(env) == "0") return;
    cpu_set_t allowed;
    CPU_ZERO(&allowed);
    if (sched_getaffinity(0, sizeof(allowed), &allowed) != 0) return;
    for (int c = 0; c < CPU_SETSIZE; ++c)
      if (CPU_ISSET(c, &allowed)) cpus_.push_back(c);
    if (static_cast<int>(cpus_.size()) < threads_) cpus_.clear();  // oversubscribed: leave it
  }

  // Called by the thread that posts a job, before posting it.
  void steer_workers_off_caller() {
    if (cpus_.empty()) return;
    const int here = sched_getcpu();
    if (here == caller_cpu_) return;
    caller_cpu_ = here;
    size_t next = 0;
    for (int w = 0; w < static_cast<int>(workers_.size()); ++w) {
      while (next < cpus_.size() && cpus_[next] == here) ++next;
      if (next >= cpus_.size()) break;
      cpu_set_t one;
      CPU_ZERO(&one);
      CPU_SET(cpus_[next], &one);
      pthread_setaffinity_np(workers_[static_cast<size_t>(w)].native_handle(), sizeof(one), &one);
      ++next;
    }
  }

  static void run_inline(int64_t n_tasks, const std::function<void(int64_t)>& fn) {
    for (int64_t t = 0; t < n_tasks; ++t) fn(t);
  }

  void drain() {
    for (;;) {
      int64_t t = next_.fetch_add(1, std::memory_order_relaxed);
      if (t >= n_tasks_) return;
      try {
        (*fn_)(t);
      } catch (...) {
        std::lock_guard<std::mutex> lock(err_mu_);
        if (!error_) error_ = std::current_exception();
        next_.store(n_tasks_, std::memory_order_relaxed);  // stop handing out tasks
      }
    }
  }

  void worker_loop(int index) {
    uint64_t seen = 0;
    t_inside_pool_task = true;
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

  const int threads_;
  std::vector<std::thread> workers_;
  std::vector<int> cpus_;  // the affinity mask, empty when pinning is off
  int caller_cpu_ = -1;    // where the last caller ran; guarded by run_mu_
  std::mutex run_mu_;      // one job at a time
  std::mutex mu_;
  std::condition_variable cv_, done_cv_;
  std::atomic<uint64_t> generation_{0};
  bool stop_ = false;
  const std::function<void(int64_t)>* fn_ = nullptr;
  int64_t n_tasks_ = 0;
  int active_workers_ = 0;
  std::atomic<int64_t> next_{0};
  std::atomic<int> pending_{0};
  std::mutex err_mu_;
  std::exception_ptr error_;
};

std::mutex g_pool_mu;
std::shared_ptr<ThreadPool> g_pool;

std::shared_ptr<ThreadPool> pool() {
  std::lock_guard<std::mutex> lock(g_pool_mu);
  if (!g_pool) g_pool = std::make_shared<ThreadPool>(available_cores());
  return g_pool;
}

}  // namespace

int available_cores() {
  cpu_set_t set;
  CPU_ZERO(&set);
  if (sched_getaffinity(0, sizeof(set), &set) == 0) {
    int n = CPU_COUNT(&set);
    if (n > 0) return n;
  }
  unsigned hw = std::thread::hardware_concurrency();
  return hw > 0 ? static_cast<int>(hw) : 1;
}

int num_threads() { return pool()->threads(); }

void set_num_threads(int n) {
  if (n < 1) throw std::invalid_argument("num_threads must be >= 1, got " + std::to_string(n));
  if (n > 1024)
    throw std::invalid_argument("num_threads must be <= 1024, got " + std::to_string(n));
  std::shared_ptr<ThreadPool> old;
  {
    std::lock_guard<std::mutex> lock(g_pool_mu);
    if (g_pool && g_pool->threads() == n) return;
    old = std::move(g_pool);
    g_pool = std::make_shared<ThreadPool>(n);
  }
  // `old` joins its workers when the last running job releases it.
}

void parallel_for(int64_t n_tasks, const std::function<void(int64_t)>& fn, int max_threads) {
  if (n_tasks <= 0) return;
  std::shared_ptr<ThreadPool> p = pool();  // keeps the pool alive across set_num_threads
  p->run(n_tasks, fn, max_threads);
}

}  // namespace fastinfer
