// The seam between the GEMM driver (blocking, threading; portable) and the per-ISA back
// ends (microkernel and epilogue). Each ISA file defines its KernelSets.
#pragma once

#include <cstdint>

#include "fastinfer/gemm_int8.h"

namespace fastinfer::int8 {

// Computes an mr x kPanelN int32 tile acc (row-major, kPanelN per row) =
// a[0:mr, 0:k] @ panel, exactly, where `panel` points at one packed panel.
using TileFn = void (*)(const uint8_t* a, int64_t lda, int mr, const int8_t* panel, int64_t k,
                        int32_t* acc);

// Applies the epilogue to an mr x ncols slice of a tile whose first row is `row0` and
// first column `col0`; writes to out (type per ep.output) with row stride ldc. The tile
// holds sum_k a * w, so the zero-point correction is exact:
// sum_k (a - za) * w = acc - za * col_sum.
using EpilogueFn = void (*)(const int32_t* acc, int mr, int ncols, int64_t row0, int64_t col0,
                            const PackedWeights& w, const Epilogue& ep, void* out, int64_t ldc);

struct KernelSet {
  const char* name;  // e.g. "qu8s8-gemm-6x64c4-avx512vnni"
  int mr;            // rows per tile
  TileFn tile;       // exact over the full u8 x s8 range on every path
  EpilogueFn epilogue;
};

extern const KernelSet kRefKernels;
extern const KernelSet kAvx2Kernels;
extern const KernelSet kAvx2VnniKernels;
extern const KernelSet kAvx512Kernels;
extern const KernelSet kAvx512VnniKernels;

}  // namespace fastinfer::int8
