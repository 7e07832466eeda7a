// The seam between the fp32 GEMM driver (config.cc) and the per-ISA kernels.
// Free of intrinsics; each kernel is defined in the file named after its ISA.
#pragma once

#include <cstdint>

#include "fastinfer/activation.h"

namespace fastinfer::f32::detail {

// One call computes a block of rows against one packed panel over one K range:
//   y[0:m, 0:nc] (+)= x[0:m, 0:kc] @ b[0:kc, 0:nc]
// x: the block's rows at its first k, in one of two layouts:
//   x_packed = false: row-major with row stride ldx;
//   x_packed = true:  tiles of the kernel's MR rows, tile t at x + t * ldx, element
//                     (r, k) of a tile at [k * MR + r] (see pack_rows in config.cc).
// b: the panel at its first k; row stride kPanelWidth, zero-padded past nc.
// y: row stride ldy, offset to the block's first row and the panel's first column.
// accumulate: add to y (a later K block) instead of overwriting it.
// last: the final K block, so apply the epilogue: + bias[0:nc] (if non-null), then act.
// next_b, next_kc: the B slice the driver will pass next (null if none); a kernel may
// prefetch it while it computes, so the first tile of the next call does not wait on
// memory. Only a hint.
struct PanelArgs {
  const float* x;
  int64_t ldx;
  bool x_packed;
  const float* b;
  int64_t m, kc, nc;
  float* y;
  int64_t ldy;
  bool accumulate;
  bool last;
  const float* bias;
  Activation act;
  const float* next_b;
  int64_t next_kc;
};

using PanelKernel = void (*)(const PanelArgs& a);

void panel_f32_ref(const PanelArgs& a);
#if FASTINFER_X86
void panel_f32_avx2(const PanelArgs& a);
void panel_f32_avx512(const PanelArgs& a);
#endif

// Cache blocking of one ISA path. kc: K rows per block, so that the kc x kPanelWidth B
// slice stays in L1 while the row tiles pass; mc: rows per block, so that the mc x kc x
// block stays in L2 while a group of panels passes. f32::linear splits K into equal
// blocks of at most kc (rounded) and M into blocks of at most mc (a multiple of mr).
struct Blocking {
  int64_t kc;
  int64_t mc;
};

// The panel kernel f32::linear uses on the active ISA path, for ops that drive it panel by
// panel themselves (Conv fuses im2col and its epilogue around each panel). pack_x: the
// kernel reads x in tiles of mr rows (x_packed layout above); otherwise x is row-major.
// kc: the path's K block (Blocking::kc).
struct PanelGemm {
  PanelKernel kernel;
  int64_t mr;
  bool pack_x;
  int64_t kc;
};
PanelGemm active_panel_gemm();

// The active path's blocking, and an override of it for tests and benchmarks (sweeping
// block sizes, or forcing many K blocks on small shapes). The override lasts until the
// next set_active_isa refills the table. Not thread-safe against concurrent linear calls.
// Throws std::invalid_argument unless kc and mc are positive.
Blocking blocking();
void set_blocking(Blocking b);

}  // namespace fastinfer::f32::detail
