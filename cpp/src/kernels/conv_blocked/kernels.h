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

// Depthwise convolution (one input channel per output channel, no dilation) of one image,
// blocked in and out, channel blocks [cb_begin, cb_end), output rows [oy_begin, oy_end):
//   y = min(hi, max(lo, sum over the window's taps inside the input + bias + res)) (NaN kept).
// The input is read unpadded: the kernel skips taps outside it (rows per output row, columns
// only for the few edge pixels, so the interior runs without tests). Why not the conv's
// padded copy: depthwise conv does 9 FMAs per input float, so one more pass over its input
// would cost as much as the conv.
//   x: in_h x in_w pixels of 16 floats per block, block cb at cb * in_h * in_w * 16.
//   w: per block kh * kw taps of 16 floats, block cb at cb * kh * kw * 16.
//   bias: 16 floats per block from block 0 (or null); y and res: blocks of out_h * out_w.
struct BlockedDwArgs {
  const float* x;
  int64_t in_h, in_w, pad_t, pad_l;
  int64_t kh, kw, sh, sw, out_h, out_w;
  const float* w;
  const float* bias;
  const float* res;
  float lo, hi;
  int64_t cb_begin, cb_end, oy_begin, oy_end;
  float* y;
};
using BlockedDwFn = void (*)(const BlockedDwArgs& a);

// The columns [ox_begin, ox_end) of output row oy whose taps all lie inside the input's
// columns; the kernels' vector tiles cover them, the edge pixels go one at a time.
struct DwInterior {
  int64_t ox_begin, ox_end;
};
DwInterior dw_interior(const BlockedDwArgs& a);

// The pixels [p0, plane) of a reorder, one float at a time (the vector paths' tails).
void reorder_tail(const float* src, int64_t plane, int64_t p0, float* dst, bool to_blocked);

// Layout changes at a chain's ends, one block of 16 channels: to_blocked reads 16 planes of
// `plane` floats (plane floats apart) and writes plane pixels of 16 floats; from_blocked
// the inverse. The vector paths transpose 16 x 16 tiles in registers (pixel-strided
// scalar stores touched a new cache line per float).
using ReorderFn = void (*)(const float* src, int64_t plane, float* dst);

struct ConvBlockedKernels {
  const char* name;
  int64_t max_nb;       // output blocks per group (the weights are packed in groups of max_nb)
  int64_t pass_taps;    // taps per pass
  int64_t tile_pixels;  // output pixels per register tile
  BlockedConvFn conv;
  const char* dw_name;
  BlockedDwFn dw;
  ReorderFn to_blocked, from_blocked;
};

extern const ConvBlockedKernels kConvBlockedRef;
#if FASTINFER_X86
extern const ConvBlockedKernels kConvBlockedAvx2;
extern const ConvBlockedKernels kConvBlockedAvx512;
#endif

// The table of the active path (kernels/config_registry.h).
const ConvBlockedKernels& conv_blocked_kernels();

}  // namespace fastinfer::conv_blocked
