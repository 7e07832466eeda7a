// The seam between the fp32 GEMM driver (config.cc) and the per-ISA kernels.
// Free of intrinsics; each kernel is defined in the file named after its ISA.
#pragma once

#include <cstdint>

#include "fastinfer/activation.h"

namespace fastinfer::f32::detail {

// One call computes a block of rows against one packed panel over one K range:
//   y[0:m, 0:nc] (+)= x[0:m, 0:kc] @ b[0:kc, 0:nc]
// x: row stride ldx, already offset to the block's first row and first k.
// b: the panel at its first k; row stride kPanelWidth, zero-padded past nc.
// y: row stride ldy, offset to the block's first row and the panel's first column.
// accumulate: add to y (a later K block) instead of overwriting it.
// last: the final K block, so apply the epilogue: + bias[0:nc] (if non-null), then act.
struct PanelArgs {
  const float* x;
  int64_t ldx;
  const float* b;
  int64_t m, kc, nc;
  float* y;
  int64_t ldy;
  bool accumulate;
  bool last;
  const float* bias;
  Activation act;
};

using PanelKernel = void (*)(const PanelArgs& a);

void panel_f32_ref(const PanelArgs& a);
#if FASTINFER_X86
void panel_f32_avx2(const PanelArgs& a);
void panel_f32_avx512(const PanelArgs& a);
#endif

}  // namespace fastinfer::f32::detail
