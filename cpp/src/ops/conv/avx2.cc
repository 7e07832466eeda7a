// The depthwise plane loop built with AVX2 flags (see depthwise_impl.h).
#include "ops/conv/depthwise.h"
#include "ops/conv/depthwise_impl.h"

namespace fastinfer::ops::detail {

void depthwise_plane_avx2(const float* in, const float* weights, float bias, Activation act,
                          const Window2d& g, float* out) {
  depthwise_plane_impl(in, weights, bias, act, g, out);
}

}  // namespace fastinfer::ops::detail
