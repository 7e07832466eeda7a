// Machine-wide claims on cores, so that pools of different processes (Ray actors, gunicorn
// workers) pin to different cores instead of all piling onto the first cores of the mask.
//
// A claim on core c is a non-blocking exclusive flock on <dir>/cpu<c>.lock, where <dir> is
// $FASTINFER_CORE_LOCK_DIR, else /tmp/fastinfer-cores-<uid>. The kernel drops the lock
// when the process dies, so a crash leaves nothing stale. Pools of one process may share
// cores: a claim takes cores no process holds first, then cores this process already holds
// (fewest pools first), and comes back empty (run unpinned) when that is still not enough.
// FASTINFER_PIN=0 turns claims, and so pinning, off.
#pragma once

#include <pthread.h>

#include <vector>

namespace fastinfer::runtime {

class CoreClaim {
 public:
  CoreClaim() = default;
  // Claims n of the `allowed` cores (the process's affinity mask); empty when pinning is
  // off or too few are free.
  static CoreClaim acquire(const std::vector<int>& allowed, int n);
  ~CoreClaim();
  CoreClaim(CoreClaim&& other) noexcept;
  CoreClaim& operator=(CoreClaim&& other) noexcept;
  CoreClaim(const CoreClaim&) = delete;
  CoreClaim& operator=(const CoreClaim&) = delete;

  const std::vector<int>& cpus() const { return cpus_; }

 private:
  void release();
  std::vector<int> cpus_;
};

// Thread affinity helpers; errors are ignored (pinning is an optimisation).
void pin_thread(pthread_t thread, const std::vector<int>& cpus);
std::vector<int> thread_cpus(pthread_t thread);

}  // namespace fastinfer::runtime
