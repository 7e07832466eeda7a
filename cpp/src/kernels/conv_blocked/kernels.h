// The seam between the Conv driver (ops/conv/) and the per-ISA kernels of the channel-blocked
// convolution: one table per path (config.cc fills it when the module loads or a test forces
// a path). Free of intrinsics; each kernel is defined in the file named after its ISA.
//
// Layout ("blocked", NCHW16c): a tensor (N, C, H, W) with C % 16 == 0 is stored as
// (N, C / 16, H, W, 16): channel c of pixel p at [((n * C/16 + c / 16) * H * W + p) * 16 +
// c % 16]. The plan keeps a chain of convolutions in this layout (compile/conv_layout.py),
// so that a conv's tile broadcasts one input pixel's channel and loads 16 output channels
// per vector from a contiguous weight row, and its output and residual are contiguous runs
// of 64-byte pixels, instead of one stream per channel plane.
#pragma once

#include <cstdint>

namespace fastinfer::conv_blocked {

constexpr int64_t kC = 16;  // channels per block, on every path (plans are path-agnostic)

// One pass of the blocked direct convolution over output pixels [p_begin, p_end) of one image
// and one group of nb output-channel blocks, taps [t_begin, t_end).
//   xp: the image's input, zero-padded: in_cb planes of (hp x wp) pixels of 16 floats.
//   offs[t]: float offset of tap t = (icb, ky, kx) from a pixel's window origin:
//     icb * hp * wp * 16 + (ky * wp + kx) * 16. Output pixel (oy, ox)'s window origin is
//     (oy * sh * wp + ox * sw) * 16.
//   w: the group's packed weights, tap t's 16 x (nb * 16) rows at w + t * 16 * nb * 16
//     (row l is input channel icb * 16 + l, columns the group's output channels).
//   y (and res): the group's first output block, blocks out_plane * 16 floats apart.
// first: the pass starts the sums (else it adds to y); last: it applies
//   y = min(hi, max(lo, sum + bias + res)) (NaN kept). Passes split the taps so that one
// pass's weights stay in L1 while it sweeps its pixels.
struct BlockedConvArgs {
  const float* xp;
  int64_t wp;
  const int32_t* offs;
  int64_t t_begin, t_end;
  const float* w;
  int64_t nb;
  int64_t sh, sw, out_w, out_plane;
  int64_t p_begin, p_end;
  bool first, last;
  const float* bias;  // nb * 16 floats, or null
  const float* res;   // or null
  float lo, hi;
  float* y;
};
using BlockedConvFn = void (*)(const BlockedConvArgs& a);

struct ConvBlockedKernels {
  const char* name;
  int64_t max_nb;     // output blocks per group (the weights are packed in groups of max_nb)
  int64_t pass_taps;  // taps per pass
  BlockedConvFn conv;
};

extern const ConvBlockedKernels kConvBlockedRef;
#if FASTINFER_X86
extern const ConvBlockedKernels kConvBlockedAvx2;
extern const ConvBlockedKernels kConvBlockedAvx512;
#endif

// The table of the active path (kernels/config_registry.h).
const ConvBlockedKernels& conv_blocked_kernels();

}  // namespace fastinfer::conv_blocked
