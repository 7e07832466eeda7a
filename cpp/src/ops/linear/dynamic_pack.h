// Packing of matrices that are only known at run time (MatMul of two activations, Gemm
// with transposes) into f32::PackedWeights, so every GEMM in the nn kernels goes through
// f32::linear. Packing is O(k * n) against the GEMM's O(m * k * n), so for m beyond a few
// rows it is cheap; the per-thread buffer keeps steady-state runs free of allocations.
#pragma once

#include <cstdint>

#include "fastinfer/gemm_f32.h"

namespace fastinfer::ops {

// Packs the k x n matrix whose element (r, c) is alpha * src[r * row_stride + c * col_stride]
// into `w`, reusing its buffer when it is large enough (the layout of f32::pack: panels of
// kPanelWidth columns, K rows each, zero past n).
void pack_strided(const float* src, int64_t k, int64_t n, int64_t row_stride, int64_t col_stride,
                  float alpha, f32::PackedWeights* w);

// A packed buffer owned by the calling thread, for per-call packing. Each call of a kernel
// uses it for one matrix at a time; concurrent runs on other threads have their own.
f32::PackedWeights& thread_packed_scratch();

// Ensures `w` holds room for k x n packed and sets its shape (contents undefined).
void reserve_packed(f32::PackedWeights* w, int64_t k, int64_t n);

}  // namespace fastinfer::ops
