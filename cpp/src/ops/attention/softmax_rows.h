// The row softmax of the attention kernel, with the mask add fused in: one pass computes
// s + mask and its max, a second exp and sum, a third the scaling.
#pragma once

#include <cstdint>

namespace fastinfer::ops {

// row[j] = softmax_j(row[j] + mask[j * mask_stride]) over n entries; mask may be null.
// exp and its sum come from the float-math table (kernels/vecmath/float_math.h).
void softmax_row(float* row, int64_t n, const float* mask, int64_t mask_stride);

namespace detail {
// row[j] = exp(row[j] - max); returns the sum. For a non-finite max (a fully masked row).
float softmax_exp_sum_ref(float* row, int64_t n, float max);
}  // namespace detail

}  // namespace fastinfer::ops
