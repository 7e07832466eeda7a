// The epilogue for one output element, shared by the scalar path and the vector paths'
// edge handling, so that every path rounds the same way.
#pragma once

#include <cmath>
#include <cstdint>

#include "fastinfer/gemm_int8.h"

namespace fastinfer::int8 {

static inline int32_t row_zero_point(const Epilogue& ep, int64_t row) {
  return ep.a_zero_points ? ep.a_zero_points[row] : ep.a_zero_point;
}

static inline float row_scale(const Epilogue& ep, int64_t row) {
  return ep.a_scales ? ep.a_scales[row] : ep.a_scale;
}

// Writes element (row, col) of the output from its corrected accumulator c.
static inline void store_one(const Epilogue& ep, const PackedWeights& w, int32_t c, float a_scale,
                             int64_t row, int64_t col, void* out, int64_t ldc) {
  const int64_t at = row * ldc + col;
  if (ep.output == Output::kInt32) {
    static_cast<int32_t*>(out)[at] = c;
    return;
  }
  float y = std::fma(static_cast<float>(c), a_scale * w.scales.data()[col],
                     ep.bias ? ep.bias[col] : 0.0f);
  y = apply_activation_ref(ep.activation, y);
  if (ep.output == Output::kFloat32) {
    static_cast<float*>(out)[at] = y;
    return;
  }
  float q = std::nearbyint(y / ep.out_scale) + static_cast<float>(ep.out_zero_point);
  q = q < 0.0f ? 0.0f : (q > 255.0f ? 255.0f : q);
  static_cast<uint8_t*>(out)[at] = static_cast<uint8_t>(q);
}

// The last, partial group of k values of one row, zero padded to kGroupK bytes (the packed
// weights are zero there too, so the padding contributes nothing).
static inline int32_t load_partial_group(const uint8_t* row, int64_t k) {
  const int64_t start = k / kGroupK * kGroupK;
  int32_t v = 0;
  for (int64_t i = start; i < k; ++i) v |= static_cast<int32_t>(row[i]) << (8 * (i - start));
  return v;
}

static inline int32_t load_group(const uint8_t* row, int64_t g) {
  int32_t v;
  __builtin_memcpy(&v, row + g * kGroupK, sizeof(v));
  return v;
}

}  // namespace fastinfer::int8
