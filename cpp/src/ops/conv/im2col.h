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

void im2col_packed(const float* in, int64_t channels, const Window2d& g, f32::PackedWeights* out);

}  // namespace fastinfer::ops
