#include "ops/conv/depthwise.h"

#include "fastinfer/cpu_info.h"
#include "ops/conv/depthwise_impl.h"

namespace fastinfer::ops {

void depthwise_plane(const float* in, const float* weights, float bias, Activation act,
                     const Window2d& g, float* out) {
#if FASTINFER_X86
  // The AVX-2 build serves AVX-512 too: rows are often 7-28 wide, and GCC's 16-lane loop
  // leaves them to its scalar tail (measured 2.5x slower on a 14x14 depthwise layer).
  if (active_isa().has(IsaFeature::kAvx2Fma)) {
    detail::depthwise_plane_avx2(in, weights, bias, act, g, out);
    return;
  }
#endif
  detail::depthwise_plane_impl(in, weights, bias, act, g, out);
}

}  // namespace fastinfer::ops
