// Depthwise convolution (one input channel per group, with an optional channel multiplier)
// of a batch: a GEMM with K = kh*kw would spend its time on edges, so the conv table's
// depthwise kernel (kernels/conv/) accumulates each output plane directly; this driver
// splits the planes and their rows over threads.
#pragma once

#include <cstdint>

#include "kernels/conv/window.h"

namespace fastinfer::ops {

struct DepthwiseProblem {
  const float* x;     // batch x in_c planes (g.h.in x g.w.in)
  const float* w;     // out_c x kh x kw
  const float* bias;  // out_c, or null
  const float* res;   // output-shaped residual added before the clamp, or null
  float lo, hi;       // the activation as a clamp (see kernels/conv/kernels.h)
  Window2d g;
  int64_t batch, out_c, mult;  // mult: output channels per input channel
  float* y;                    // batch x out_c planes (g.h.out x g.w.out)
};

void run_depthwise(const DepthwiseProblem& p);

}  // namespace fastinfer::ops
