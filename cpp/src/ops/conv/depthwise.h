// Direct convolution for one input channel per group (depthwise, with an optional channel
// multiplier): a GEMM with K = kh*kw would spend its time on edges, so each output plane
// is accumulated row by row with the valid column range computed once per tap.
#pragma once

#include <cstdint>

#include "fastinfer/activation.h"
#include "ops/conv/window_geometry.h"

namespace fastinfer::ops {

// in: (h.in x w.in) plane; weights: kh*kw taps; out: (h.out x w.out) plane, overwritten
// with act(conv + bias).
void depthwise_plane(const float* in, const float* weights, float bias, Activation act,
                     const Window2d& g, float* out);

namespace detail {
#if FASTINFER_X86
void depthwise_plane_avx2(const float* in, const float* weights, float bias, Activation act,
                          const Window2d& g, float* out);
#endif
}  // namespace detail

}  // namespace fastinfer::ops
