// The seam between the GEMM driver (blocking, threading; portable) and the per-ISA back
// ends (microkernel and epilogue). Each ISA file defines its KernelSets.
#pragma once

#include <cstdint>

#include "fastinfer/gemm_int8.h"

namespace fastinfer::int8 {

// Computes an mr x kPanelN int32 tile acc (row-major, kPanelN per row) =
// (a[0:mr, 0:k] - a_offset) @ panel, where `panel` points at one packed panel and a_offset
// is the KernelSet's (a tile may shift the activations to make its arithmetic exact).
using TileFn = void (*)(const uint8_t* a, int64_t lda, int mr, const int8_t* panel, int64_t k,
                        int32_t* acc);

// Applies the epilogue to an mr x ncols slice of a tile whose first row is `row0` and
// first column `col0`; writes to out (type per ep.output) with row stride ldc. The tile
// holds sum_k (a - a_offset) * w, so the zero-point correction uses (za - a_offset):
// sum_k (a - za) * w = acc - (za - a_offset) * col_sum, exactly.
using EpilogueFn = void (*)(const int32_t* acc, int mr, int ncols, int64_t row0, int64_t col0,
                            const PackedWeights& w, const Epilogue& ep, int32_t a_offset, void* out,
                            int64_t ldc);

struct KernelSet {
  const char* name;  // e.g. "qu8s8-gemm-6x64c4-avx512vnni"
  int mr;            // rows per tile
  TileFn tile;
  int32_t a_offset;  // what `tile` subtracts from every activation (0 or 128)
  EpilogueFn epilogue;
  // For weights containing -128 (PackedWeights::has_int8_min), which `tile` cannot multiply
  // exactly; null when `tile` is exact over the full s8 range.
  const KernelSet* int8_min_fallback;
};

extern const KernelSet kRefKernels;
extern const KernelSet kAvx2Kernels;
extern const KernelSet kAvx2SplitKernels;
extern const KernelSet kAvx2VnniKernels;
extern const KernelSet kAvx512Kernels;
extern const KernelSet kAvx512VnniKernels;

}  // namespace fastinfer::int8
