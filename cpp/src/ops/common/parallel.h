// Splits [0, n) into contiguous chunks and runs them on the thread pool, or inline when
// the work is too small for waking the pool to pay off.
#pragma once

#include <algorithm>
#include <cstdint>

#include "fastinfer/thread_pool.h"

namespace fastinfer::ops {

// Below about this many elements of simple arithmetic, one core finishes before the pool
// would have woken (a few microseconds).
constexpr int64_t kParallelGrain = int64_t{1} << 15;

// fn(begin, end) over chunks of at least `grain` items.
template <class Fn>
void parallel_chunks(int64_t n, int64_t grain, const Fn& fn) {
  if (n <= 0) return;
  grain = std::max<int64_t>(grain, 1);
  const int64_t threads = num_threads();
  if (threads <= 1 || n < 2 * grain) {
    fn(int64_t{0}, n);
    return;
  }
  // A few chunks per thread so a thread slowed by a neighbour does not hold up the call.
  const int64_t chunks = std::min<int64_t>((n + grain - 1) / grain, threads * 4);
  const int64_t step = (n + chunks - 1) / chunks;
  parallel_for((n + step - 1) / step, [&](int64_t task) {
    const int64_t begin = task * step;
    fn(begin, std::min(n, begin + step));
  });
}

}  // namespace fastinfer::ops
