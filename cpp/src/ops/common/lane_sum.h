// Float sums and moments with 16 partial accumulators: the compiler vectorises the loop,
// and the rounding error grows with n / 16 instead of n. For the normalisation ops.
#pragma once

#include <cstdint>

namespace fastinfer::ops {

// sum of f(i) for i in [0, n).
template <class F>
float lane_sum(int64_t n, const F& f) {
  constexpr int kLanes = 16;
  float acc[kLanes] = {};
  int64_t i = 0;
  for (; i + kLanes <= n; i += kLanes) {
    for (int j = 0; j < kLanes; ++j) acc[j] += f(i + j);
  }
  for (int j = 0; i < n; ++i, ++j) acc[j] += f(i);
  for (int w = kLanes / 2; w > 0; w /= 2) {
    for (int j = 0; j < w; ++j) acc[j] += acc[j + w];
  }
  return acc[0];
}

struct Moments {
  float mean, var;
};

// Mean and (population) variance of f(i) for i in [0, n), n > 0. The variance is the mean
// of squared deviations (a second pass), not E[x^2] - E[x]^2, which cancels badly.
template <class F>
Moments moments(int64_t n, const F& f) {
  const float mean = lane_sum(n, f) / static_cast<float>(n);
  const float var = lane_sum(n,
                             [&](int64_t i) {
                               const float d = f(i) - mean;
                               return d * d;
                             }) /
                    static_cast<float>(n);
  return {mean, var};
}

}  // namespace fastinfer::ops
