// The channel-blocked (NCHW16c) route of Conv / FusedConv, for convs inside a chain that
// the plan keeps blocked (compile/conv_layout.py sets the kernel's blocked_x / blocked_y
// attributes): the input is read blocked or reordered into blocked padded planes, the
// table's blocked kernel (kernels/conv_blocked/) computes groups of output blocks, and the
// output is left blocked or reordered back to NCHW. Depthwise convs in a chain take the
// table's blocked depthwise kernel the same way.
#pragma once

#include <cstdint>
#include <vector>

#include "kernels/conv/window.h"

namespace fastinfer::ops {

struct BlockedConvProblem {
  const float* x;       // blocked (x_blocked) or NCHW, batch x in_c x (h.in x w.in)
  const float* w;       // packed by pack_blocked_weights for the active table's max_nb
  const int32_t* offs;  // blocked_offsets(g, in_c)
  const float* bias;    // out_c, or null
  const float* res;     // output-shaped, blocked (r_blocked) or NCHW, or null
  float lo, hi;
  Window2d g;
  int64_t batch, in_c, out_c;  // both multiples of 16
  bool x_blocked, y_blocked, r_blocked;
  float* y;
};

void run_blocked_conv(const BlockedConvProblem& p);

// Depthwise conv (group == channels, one output channel per input channel) in the chain:
// the table's blocked depthwise kernel reads the input unpadded, so a blocked input is read
// in place (an NCHW one is reordered first).
struct BlockedDwProblem {
  const float* x;     // blocked (x_blocked) or NCHW, batch x channels x (h.in x w.in)
  const float* w;     // packed by pack_blocked_dw_weights
  const float* bias;  // channels, or null
  const float* res;   // output-shaped, blocked (r_blocked) or NCHW, or null
  float lo, hi;
  Window2d g;
  int64_t batch, channels;  // a multiple of 16
  bool x_blocked, y_blocked, r_blocked;
  float* y;
};

void run_blocked_depthwise(const BlockedDwProblem& p);

// W (channels, 1, kh, kw) as blocks of 16 channels, block cb's tap t at (cb * taps + t) * 16.
std::vector<float> pack_blocked_dw_weights(const float* w, int64_t channels, int64_t taps);

// Per tap (icb, ky, kx) its offset from a pixel's window origin in the padded blocked input
// (see kernels/conv_blocked/kernels.h); built once per kernel.
std::vector<int32_t> blocked_offsets(const Window2d& g, int64_t in_c);

// W (out_c, in_c, kh, kw) in groups of max_nb output blocks: group gi (nb blocks, the last
// may have fewer) at gi * taps * 16 * max_nb * 16 floats, tap t = (icb, ky, kx)'s 16 rows of
// nb * 16 output channels each (see kernels/conv_blocked/kernels.h).
std::vector<float> pack_blocked_weights(const float* w, int64_t out_c, int64_t in_c, int64_t kh,
                                        int64_t kw, int64_t max_nb);

}  // namespace fastinfer::ops
