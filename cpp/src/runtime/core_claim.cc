#include "runtime/core_claim.h"

#include <fcntl.h>
#include <sched.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <cstdlib>
#include <map>
#include <mutex>
#include <string>
#include <utility>

namespace fastinfer::runtime {
namespace {

struct Held {
  int fd;     // holds the flock while open
  int users;  // claims (pools) of this process on the core
};

std::mutex g_mu;
std::map<int, Held> g_held;  // guarded by g_mu

bool pinning_enabled() {
  const char* env = std::getenv("FASTINFER_PIN");
  return !(env && std::string(env) == "0");
}

// The lock folder, created if missing; empty when it cannot be used. A folder someone else
// owns is refused: it could hold links planted to make us open other files.
std::string lock_dir() {
  // One place per user whatever the environment ($XDG_RUNTIME_DIR is set in login sessions
  // only), so every process of the user sees the same locks.
  const char* env = std::getenv("FASTINFER_CORE_LOCK_DIR");
  const std::string dir =
      env && *env ? std::string(env) : "/tmp/fastinfer-cores-" + std::to_string(getuid());
  mkdir(dir.c_str(), 0700);
  struct stat st;
  if (lstat(dir.c_str(), &st) != 0 || !S_ISDIR(st.st_mode) || st.st_uid != getuid()) return {};
  return dir;
}

// An fd holding core c's lock, or -1 when another process holds it (or it cannot be made).
int lock_core(const std::string& dir, int c) {
  const std::string path = dir + "/cpu" + std::to_string(c) + ".lock";
  const int fd = open(path.c_str(), O_RDWR | O_CREAT | O_CLOEXEC | O_NOFOLLOW, 0600);
  if (fd < 0) return -1;
  if (flock(fd, LOCK_EX | LOCK_NB) != 0) {
    close(fd);
    return -1;
  }
  return fd;
}

void unlock_core(int c) {
  auto it = g_held.find(c);
  if (--it->second.users > 0) return;
  close(it->second.fd);
  g_held.erase(it);
}

}  // namespace

CoreClaim CoreClaim::acquire(const std::vector<int>& allowed, int n) {
  CoreClaim claim;
  if (!pinning_enabled()) return claim;
  if (static_cast<int>(allowed.size()) < n) return claim;
  const std::string dir = lock_dir();
  if (dir.empty()) return claim;

  std::lock_guard<std::mutex> lock(g_mu);
  std::vector<int> chosen;
  for (int c : allowed) {
    if (static_cast<int>(chosen.size()) == n) break;
    if (g_held.count(c)) continue;
    const int fd = lock_core(dir, c);
    if (fd < 0) continue;
    g_held[c] = Held{fd, 0};
    chosen.push_back(c);
  }
  std::vector<int> shared;
  for (int c : allowed) {
    if (g_held.count(c) && std::find(chosen.begin(), chosen.end(), c) == chosen.end())
      shared.push_back(c);
  }
  std::stable_sort(shared.begin(), shared.end(),
                   [](int a, int b) { return g_held[a].users < g_held[b].users; });
  for (int c : shared) {
    if (static_cast<int>(chosen.size()) == n) break;
    chosen.push_back(c);
  }
  for (int c : chosen) ++g_held[c].users;
  if (static_cast<int>(chosen.size()) < n) {
    for (int c : chosen) unlock_core(c);  // gives back the cores locked above
    return claim;
  }
  std::sort(chosen.begin(), chosen.end());
  claim.cpus_ = std::move(chosen);
  return claim;
}

CoreClaim::~CoreClaim() { release(); }

CoreClaim::CoreClaim(CoreClaim&& other) noexcept : cpus_(std::move(other.cpus_)) {
  other.cpus_.clear();
}

CoreClaim& CoreClaim::operator=(CoreClaim&& other) noexcept {
  if (this != &other) {
    release();
    cpus_ = std::move(other.cpus_);
    other.cpus_.clear();
  }
  return *this;
}

void CoreClaim::release() {
  if (cpus_.empty()) return;
  std::lock_guard<std::mutex> lock(g_mu);
  for (int c : cpus_) unlock_core(c);
  cpus_.clear();
}

void pin_thread(pthread_t thread, const std::vector<int>& cpus) {
  cpu_set_t set;
  CPU_ZERO(&set);
  for (int c : cpus) CPU_SET(c, &set);
  pthread_setaffinity_np(thread, sizeof(set), &set);
}

std::vector<int> thread_cpus(pthread_t thread) {
  std::vector<int> out;
  cpu_set_t set;
  CPU_ZERO(&set);
  if (pthread_getaffinity_np(thread, sizeof(set), &set) != 0) return out;
  for (int c = 0; c < CPU_SETSIZE; ++c)
    if (CPU_ISSET(c, &set)) out.push_back(c);
  return out;
}

}  // namespace fastinfer::runtime
