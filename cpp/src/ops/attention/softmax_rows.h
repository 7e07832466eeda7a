// The row softmax of the attention kernel, with the mask add fused in: one pass computes
// s + mask and its max, a second exp and sum, a third the scaling.
#pragma once

#include <cstdint>

namespace fastinfer::ops {

// row[j] = softmax_j(row[j] + mask[j * mask_stride]) over n entries; mask may be null.
// Chooses the AVX-512 / AVX2 / scalar path from active_isa().
void softmax_row(float* row, int64_t n, const float* mask, int64_t mask_stride);

namespace detail {
// row[j] = exp(row[j] - max) for a finite max; returns the sum. One per ISA.
float softmax_exp_sum_ref(float* row, int64_t n, float max);
#if FASTINFER_X86
float softmax_exp_sum_avx512(float* row, int64_t n, float max);
#endif
}  // namespace detail

}  // namespace fastinfer::ops
