// The depthwise kernels' scratch layout, shared by the driver (which owns the scratch) and
// the per-ISA kernels (depthwise_simd.h). Static: this header is included by files built
// with ISA flags.
#pragma once

#include <algorithm>
#include <cstdint>

#include "kernels/conv/window.h"

namespace fastinfer::conv {

// Widest vector of any path (AVX-512): the layouts are sized for it.
constexpr int64_t kDwMaxLanes = 16;

// Row mode (output rows of at least one vector): per channel its rows, zero-padded and
// split by phase.
struct DwRowLayout {
  int64_t ph_h, ph_w;  // row and column phases the taps read (2 for stride 2, else 1)
  int64_t hp, wp, pp;  // rows, columns and floats of one padded phase plane
  int64_t planes;      // floats of all phase planes of one channel
};

// Channel-block mode (narrower rows): L channels' padded rows, pixel-major, L lanes a
// pixel (as onnxruntime's NCHWc blocks), and the per-tap weights of those channels.
struct DwBlockLayout {
  int64_t hp, wp;  // padded rows and columns the output rows read
  int64_t floats;  // hp * wp * L for the widest L
};

// Phases an axis' taps read: 2 when the stride is 2 and some tap lands on an odd column.
static inline int64_t dw_phases(const ops::WindowAxis& a) {
  return a.stride == 2 && a.kernel > 1 && a.dilation % 2 == 1 ? 2 : 1;
}

// For output rows [oy0, oy0 + rows) of a plane (strides 1 or 2).
static inline DwRowLayout dw_row_layout(const ops::Window2d& g, int64_t rows) {
  DwRowLayout l;
  l.ph_h = dw_phases(g.h);
  l.ph_w = dw_phases(g.w);
  l.hp = rows + (g.h.kernel - 1) * g.h.dilation / g.h.stride;
  l.wp = g.w.out + (g.w.kernel - 1) * g.w.dilation / g.w.stride;
  l.pp = l.hp * l.wp;
  l.planes = l.ph_h * l.ph_w * l.pp;
  return l;
}

static inline DwBlockLayout dw_block_layout(const ops::Window2d& g, int64_t rows) {
  DwBlockLayout l;
  l.hp = (rows - 1) * g.h.stride + (g.h.kernel - 1) * g.h.dilation + 1;
  l.wp = (g.w.out - 1) * g.w.stride + (g.w.kernel - 1) * g.w.dilation + 1;
  l.floats = l.hp * l.wp * kDwMaxLanes;
  return l;
}

// Scratch bytes of one task (64-byte aligned): row mode's two sets of padded planes (one
// padded while the other is convolved) and 32 floats of zeros, or channel-block mode's
// pixels, weights (64 taps) and pixel offsets, whichever is larger.
static inline int64_t dw_scratch_bytes(const ops::Window2d& g, int64_t rows) {
  const DwRowLayout r = dw_row_layout(g, rows);
  const int64_t row_floats = 2 * r.planes + 32;
  int64_t block_floats = 0;
  if (g.w.out < kDwMaxLanes) {
    const DwBlockLayout b = dw_block_layout(g, rows);
    block_floats = b.floats + 64 * kDwMaxLanes + rows * g.w.out + 64 + 32;
  }
  return std::max(row_floats, block_floats) * static_cast<int64_t>(sizeof(float)) + 64;
}

}  // namespace fastinfer::conv
