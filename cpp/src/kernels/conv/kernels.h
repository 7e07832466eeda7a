// The seam between the Conv driver (ops/conv/) and the per-ISA conv kernels: one table of
// kernel pointers per path (config.cc fills it when the module loads or a test forces a
// path). A null pointer means the path has no such kernel and the driver takes its generic
// route (im2col + the fp32 panel GEMM). Free of intrinsics; each kernel is defined in the
// file named after its ISA.
#pragma once

#include <cstdint>

#include "kernels/conv/window.h"

namespace fastinfer::conv {

using ops::Window2d;
using ops::WindowAxis;

// Width of the blocks the drivers hand out: one fp32 GEMM panel (f32::kPanelWidth).
constexpr int64_t kBlock = 32;

// Direct convolution, no dilation, of one image and group, on a zero-padded copy of its
// input: for stride 1 xp holds channels of (hp x wp) with hp = out_h + kh - 1,
// wp = out_w + kw - 1, each plane pp = hp * wp rounded up to 16 floats (a stride s input is
// split into its s x s phases first, each such a plane, see ConvKernel::run_direct),
// followed by at least 64 readable floats. Output pixel (oy, ox) is flat position
// oy * wp + ox of the padded grid, and tap kk = (c, ky, kx) reads xp at that position plus
// offs[kk] (stride 1: c * pp + ky * wp + kx), so each
// kBlock flat positions are one GEMM panel read in place; positions with ox >= out_w are
// computed and dropped.
//
// The epilogue: y = min(hi, max(lo, acc + bias + res)), NaN kept (none: lo = -inf,
// hi = inf; Relu: lo = 0; Relu6: lo = 0, hi = 6).
struct DirectConvArgs {
  const float* xp;
  const int32_t* offs;  // k entries
  // Tiles of the table's direct_mr rows: element (r, kk) of rows [m0, m0 + mr) at
  // [m0 * k + kk * mr + r], zero rows past m.
  const float* w_tiles;
  int64_t m, k;
  int64_t wp, out_h, out_w, out_plane;
  int64_t q_begin, q_end;  // flat positions to compute, q_begin a multiple of kBlock
  const float* bias;       // m floats or null
  const float* res;        // m planes of out_plane, or null: added before the clamp
  float lo, hi;
  float* y;  // m planes of out_plane
};
// direct_flat: as above. direct_rows: for out_w % 8 == 0, with q_begin, q_end counting
// output pixels (not flat positions): each 8 outputs of a row are contiguous in the padded
// grid, so no lane computes a padding column (an 8x8 output is 64 lanes instead of 80).
using DirectFn = void (*)(const DirectConvArgs& a);

// One phase plane of the direct conv's input (hp x wp): dst[r * wp + j] = the input pixel
// (r * sh + row0, j * sw + col0) of src (in_h x in_w), 0 outside it.
using PadPhaseFn = void (*)(const float* src, int64_t in_h, int64_t in_w, int64_t row0,
                            int64_t col0, int64_t sh, int64_t sw, int64_t hp, int64_t wp,
                            float* dst);
// For column stride 2: the column phases 0 and 1 of one row phase at once (dst0 reads
// source column 2j + col0, dst1 column 2j + col0 + 1), each source row loaded once.
// wp <= 256.
using PadPhasePairFn = void (*)(const float* src, int64_t in_h, int64_t in_w, int64_t row0,
                                int64_t col0, int64_t sh, int64_t hp, int64_t wp, float* dst0,
                                float* dst1);

// For convs whose output plane is at most 16 pixels (several images share a panel): the
// panel rows (c, tap) of one image, out_plane columns from `panel` on (row stride kBlock,
// other columns untouched); idx holds per tap 16 int32 input-plane indices, -1 for padding
// pixels and lanes past out_plane.
using GatherSmallFn = void (*)(const float* x, int64_t channels, int64_t in_plane,
                               const int32_t* idx, int64_t taps, int64_t out_plane, float* panel);
// y (m planes of out_plane) = clamp(tile (m rows, stride kBlock) + bias + res, lo, hi).
using EpilogueSmallFn = void (*)(const float* tile, int64_t m, int64_t out_plane, const float* bias,
                                 const float* res, float lo, float hi, float* y);

// im2col panel rows for w.stride == 1 (any padding, dilation, kernel): output pixels
// [q0, q1) (at most kBlock) of `channels` input planes, every (c, ky, kx) row, row stride
// kBlock, zero past q1. The panel must have kBlock floats of slack past its last row.
using Im2colFn = void (*)(const float* in, int64_t channels, const Window2d& g, int64_t q0,
                          int64_t q1, float* panel);

// True when the table's depthwise kernel takes the window's fast path (strides 1 or 2, at
// most 64 taps); other windows run the reference loop, which needs no scratch.
bool depthwise_fast_fits(const Window2d& g);

// Depthwise convolution (one input channel per group, `mult` output channels per input
// channel) of output planes [p0, p1) of the batch (plane p = n * out_c + c reads input
// plane p / mult), output rows [oy0, oy1) of each:
//   y = min(hi, max(lo, conv + bias[c] + res)).
struct DepthwiseArgs {
  const float* x;     // the batch's input planes (h.in x w.in each)
  const float* w;     // out_c x kh x kw
  const float* bias;  // out_c, or null
  const float* res;   // output-shaped, or null
  float lo, hi;
  Window2d g;
  int64_t mult, out_c;
  int64_t p0, p1, oy0, oy1;
  float* y;  // the batch's output planes (h.out x w.out each)
  // 64-byte aligned, dw_scratch_bytes(g, oy1 - oy0) (depthwise_layout.h); the kernels own
  // no memory, so that no container code is built with ISA flags.
  void* scratch;
};
using DepthwiseFn = void (*)(const DepthwiseArgs& a);
// The portable loop (ref.cc): any window; the vector kernels call it for windows that
// depthwise_fast_fits rejects.
void depthwise_ref(const DepthwiseArgs& a);

struct ConvKernels {
  const char* name;   // the direct kernel (or "none"), for logs and kernel_configs()
  int64_t direct_mr;  // rows of the direct kernels' weight tiles; 0 without them
  DirectFn direct_flat;
  DirectFn direct_rows;
  PadPhaseFn pad_phase;
  PadPhasePairFn pad_phase_pair;
  GatherSmallFn gather_small;
  EpilogueSmallFn epilogue_small;
  Im2colFn im2col_s1;
  const char* depthwise_name;
  DepthwiseFn depthwise;  // always set
};

extern const ConvKernels kConvRef;
#if FASTINFER_X86
extern const ConvKernels kConvAvx2;
extern const ConvKernels kConvAvx512;
#endif

// The table of the active path (kernels/config_registry.h).
const ConvKernels& conv_kernels();

}  // namespace fastinfer::conv
