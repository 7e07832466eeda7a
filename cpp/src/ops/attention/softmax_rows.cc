#include "ops/attention/softmax_rows.h"

#include <algorithm>
#include <cmath>

#include "kernels/vecmath/float_math.h"

namespace fastinfer::ops {
namespace detail {

// row[j] = exp(row[j] - max); returns the sum.
float softmax_exp_sum_ref(float* row, int64_t n, float max) {
  float sum = 0.0f;
  for (int64_t j = 0; j < n; ++j) {
    row[j] = std::exp(row[j] - max);
    sum += row[j];
  }
  return sum;
}

}  // namespace detail

void softmax_row(float* row, int64_t n, const float* mask, int64_t mask_stride) {
  float max = -INFINITY;
  if (mask) {
    for (int64_t j = 0; j < n; ++j) {
      row[j] += mask[j * mask_stride];
      max = std::max(max, row[j]);
    }
  } else {
    for (int64_t j = 0; j < n; ++j) max = std::max(max, row[j]);
  }
  // A fully masked row (all -inf): the reference gives NaN; keep it rather than inventing
  // a distribution.
  const float sum = std::isfinite(max) ? vecmath::float_math().exp_shift_sum(row, row, n, max)
                                       : detail::softmax_exp_sum_ref(row, n, max);
  const float inv = 1.0f / sum;
  for (int64_t j = 0; j < n; ++j) row[j] *= inv;
}

}  // namespace fastinfer::ops
