// im2col straight into the packed GEMM layout: the (Cg*kh*kw) x (OH*OW) patch matrix of
// one image and group, written as f32::PackedWeights so that
//   out (Cout/g x OH*OW) = W_g (Cout/g x Cg*kh*kw) @ patches
// is one f32::linear call whose output is already NCHW. Packing the patches is the same
// single pass a row-major im2col would take, and no output transpose is needed.
#pragma once

#include <cstdint>

#include "fastinfer/gemm_f32.h"
#include "ops/conv/window_geometry.h"

namespace fastinfer::ops {

// in: one image's channels [c0, c0 + channels), each an (h.in x w.in) plane.
// One panel of that matrix: output pixels [q0, q1) (at most kPanelWidth), every
// (c, ky, kx) row, row stride kPanelWidth, zero past q1.
void im2col_panel(const float* in, int64_t channels, const Window2d& g, int64_t q0, int64_t q1,
                  float* panel);

namespace detail {
#if FASTINFER_X86
// im2col_panel for w.stride == 1 (any padding, dilation, kernel), AVX-512 path.
void im2col_panel_s1_avx512(const float* in, int64_t channels, const Window2d& g, int64_t q0,
                            int64_t q1, float* panel);

// Direct convolution, no dilation, of one image and group, on a zero-padded copy of its
// input: for stride 1 xp holds channels of (hp x wp) with hp = out_h + kh - 1,
// wp = out_w + kw - 1 (a stride s input is split into its s x s phases first, each such a
// plane, see ConvKernel::run_direct), followed by at least 64 readable floats. Output
// pixel (oy, ox) is flat position oy * wp + ox of the padded grid, and tap kk = (c, ky, kx)
// reads xp at that position plus offs[kk] (stride 1: c * hp * wp + ky * wp + kx), so each
// 32 flat positions are one GEMM panel read in place; positions with ox >= out_w are
// computed and dropped.
struct DirectConvArgs {
  const float* xp;
  const int32_t* offs;  // k entries
  const float*
      w_tiles;  // tiles of 12 rows: element (r, kk) of rows [m0, m0+12) at [m0*k + kk*12 + r]
  int64_t m, k;
  int64_t wp, out_h, out_w, out_plane;
  int64_t q_begin, q_end;  // flat positions to compute, q_begin a multiple of 32
  const float* bias;       // m floats or null
  const float* res;        // m planes of out_plane, or null: added before the activation
  bool relu;
  float* y;  // m planes of out_plane
};
void conv_direct_s1_avx512(const DirectConvArgs& a);

// The same for out_w % 8 == 0 with q_begin, q_end counting output pixels (not flat
// positions): each 8 outputs of a row are contiguous in the padded grid, so no lane
// computes a padding column (a 8x8 output is 64 lanes instead of 80).
void conv_direct_rows_avx512(const DirectConvArgs& a);

// One phase plane of the direct conv's input (hp x wp): dst[r * wp + j] = the input pixel
// (r * sh + row0, j * sw + col0) of src (in_h x in_w), 0 outside it.
// For convs whose output plane is at most 16 pixels (several images share a panel): the
// panel rows (c, tap) of one image, out_plane columns from `panel` on (row stride
// kPanelWidth, other columns untouched); idx holds per tap 16 int32 input-plane indices,
// -1 for padding pixels and lanes past out_plane.
void gather_small_avx512(const float* x, int64_t channels, int64_t in_plane, const int32_t* idx,
                         int64_t taps, int64_t out_plane, float* panel);
// y (m planes of out_plane) = relu?(tile (m rows, stride kPanelWidth) + bias + res).
void epilogue_small_avx512(const float* tile, int64_t m, int64_t out_plane, const float* bias,
                           const float* res, bool relu, float* y);

// For column stride 2: the column phases 0 and 1 of one row phase at once (dst0 reads
// source column 2j + col0, dst1 column 2j + col0 + 1), each source row loaded once.
// wp <= 256.
void pad_phase_pair_avx512(const float* src, int64_t in_h, int64_t in_w, int64_t row0, int64_t col0,
                           int64_t sh, int64_t hp, int64_t wp, float* dst0, float* dst1);

void pad_phase_avx512(const float* src, int64_t in_h, int64_t in_w, int64_t row0, int64_t col0,
                      int64_t sh, int64_t sw, int64_t hp, int64_t wp, float* dst);
#endif
}  // namespace detail

void im2col_packed(const float* in, int64_t channels, const Window2d& g, f32::PackedWeights* out);

}  // namespace fastinfer::ops
