// Scalar attention rows: the portable reference, one query row at a time. Scores and the
// softmax sum in float, as the vector paths (their results agree to rounding).
#include <algorithm>
#include <cmath>
#include <vector>

#include "kernels/attention/kernel.h"

namespace fastinfer::attention {
namespace {

void attention_rows_ref(const AttentionArgs& a) {
  thread_local std::vector<float> scores;
  scores.resize(static_cast<size_t>(a.sk));
  float* s = scores.data();
  for (int64_t i = 0; i < a.rows; ++i) {
    const float* q = a.q + i * a.d;
    const int64_t keys = a.causal ? std::min(a.sk, a.first_row + i + 1) : a.sk;
    std::fill(s, s + a.sk, 0.0f);
    for (int64_t p = 0; p < a.d; ++p) {  // k_t row by row: contiguous, vectorisable
      const float qp = q[p];
      const float* kt = a.kt + p * a.sk;
      for (int64_t j = 0; j < keys; ++j) s[j] += qp * kt[j];
    }
    float max = -INFINITY;
    for (int64_t j = 0; j < keys; ++j) {
      s[j] *= a.scale;
      if (a.mask) s[j] += a.mask[i * a.mask_row + j * a.mask_col];
      max = s[j] > max ? s[j] : max;  // NaN compares false: skipped
    }
    float sum = NAN;
    if (max > -INFINITY) {
      sum = 0.0f;
      for (int64_t j = 0; j < keys; ++j) {
        s[j] = std::exp(s[j] - max);
        sum += s[j];
      }
    }
    float* y = a.y + i * a.dv;
    if (std::isnan(sum)) {  // see AttentionArgs::nan_probs_to_zero
      std::fill(y, y + a.dv, a.nan_probs_to_zero ? 0.0f : NAN);
      continue;
    }
    std::fill(y, y + a.dv, 0.0f);
    for (int64_t j = 0; j < keys; ++j) {
      const float p = s[j];
      const float* v = a.v + j * a.dv;
      for (int64_t c = 0; c < a.dv; ++c) y[c] += p * v[c];
    }
    const float inv = 1.0f / sum;
    for (int64_t c = 0; c < a.dv; ++c) y[c] *= inv;
  }
}

}  // namespace

const AttentionKernels kAttentionRef{"f32-attention-scalar", attention_rows_ref};

}  // namespace fastinfer::attention
