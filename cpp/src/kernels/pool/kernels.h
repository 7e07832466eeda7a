// The seam between the pooling ops (ops/pool) and their per-ISA kernels. MaxPool and
// AveragePool over a 2-D window are separable: a vertical pass reduces the window's rows
// of input into one row c, a horizontal pass reduces kw taps of c per output. The op pads c
// with the reduction's identity (-inf or 0), so neither pass tests for padding. Free of
// intrinsics; each table is defined in the file named after its ISA.
#pragma once

#include <cstdint>

namespace fastinfer::pool {

struct PoolKernels {
  const char* name;
  // c[i] = max (sum) over r in [0, rows) of src[r * ld + i], for i in [0, n); rows >= 1.
  // max_rows returns whether an input was NaN; c is then not what MaxPool wants (the op
  // recomputes the plane with NaN propagated). Without NaN every order of maxima gives
  // the same bits.
  bool (*max_rows)(const float* src, int64_t ld, int64_t rows, int64_t n, float* c);
  void (*sum_rows)(const float* src, int64_t ld, int64_t rows, int64_t n, float* c);
  // out[j] = max over t in [0, kw) of c[j * sw + t], for j in [0, n); kw >= 1. c
  // must hold kSlack readable floats past the last tap: the kernels load whole vectors
  // (of pairs, for stride 2) and keep the lanes they need.
  void (*max_cols)(const float* c, int64_t kw, int64_t sw, int64_t n, float* out);
  // AveragePool's: the sum over the taps divided by row_taps * col_taps[j], the window's
  // count (at least 1: a window of padding alone sums to 0).
  void (*avg_cols)(const float* c, int64_t kw, int64_t sw, int64_t n, float row_taps,
                   const float* col_taps, float* out);
};

// Floats of c past the last tap that the horizontal pass may read (and ignore).
constexpr int64_t kSlack = 32;

const PoolKernels& pool_kernels();  // for the active ISA

extern const PoolKernels kPoolRef;
#if FASTINFER_X86
extern const PoolKernels kPoolAvx2;
extern const PoolKernels kPoolAvx512;
#endif

}  // namespace fastinfer::pool
