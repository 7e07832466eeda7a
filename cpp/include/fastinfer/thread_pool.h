// Intra-op thread pool. The calling thread takes part in the work; the pool runs one
// parallel_for at a time, and a call made while it is busy (another Python thread, or a
// nested call from inside a task) runs inline on the caller instead of waiting.
#pragma once

#include <cstdint>
#include <functional>

namespace fastinfer {

// Cores this process may run on (its affinity mask), at least 1.
int available_cores();

int num_threads();
// n >= 1 threads in total, the caller included. Throws std::invalid_argument otherwise.
void set_num_threads(int n);

// Runs fn(task) for task in [0, n_tasks), spread over the pool. Tasks are handed out
// dynamically in order, so neighbouring tasks tend to land on the same thread.
// `max_threads` caps the threads used (0: all) so small problems stay on one core.
void parallel_for(int64_t n_tasks, const std::function<void(int64_t)>& fn, int max_threads = 0);

}  // namespace fastinfer
