// im2col panels for the Conv GEMM path: the (Cg*kh*kw) x (OH*OW) patch matrix of one image
// and group, one fp32 GEMM panel (kPanelWidth output pixels) at a time, laid out as the
// panel kernel reads B, so that
//   out (Cout/g x panel) = W_g (Cout/g x Cg*kh*kw) @ patches
// lands in NCHW directly.
#pragma once

#include <cstdint>

#include "kernels/conv/window.h"

namespace fastinfer::ops {

// in: one image's channels [c0, c0 + channels), each an (h.in x w.in) plane.
// One panel of that matrix: output pixels [q0, q1) (at most kPanelWidth), every
// (c, ky, kx) row, row stride kPanelWidth, zero past q1. `panel` needs kPanelWidth floats
// of slack past its last row (the vector kernels store whole vectors).
void im2col_panel(const float* in, int64_t channels, const Window2d& g, int64_t q0, int64_t q1,
                  float* panel);

}  // namespace fastinfer::ops
