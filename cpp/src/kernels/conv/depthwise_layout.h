// The depthwise kernels' scratch layout, shared by the driver (which owns the scratch) and
// the per-ISA kernels. Static: this header is included by files built with ISA flags.
#pragma once

#include <cstdint>

#include "kernels/conv/window.h"

namespace fastinfer::conv {

// One vector of flat positions of the padded rows (see depthwise_simd.h): lane 0 at flat
// position q; its n valid lanes (output pixels) are consecutive outputs from index o on;
// mask: those lanes; perm: their lane numbers, in order (the AVX2 compress permutation).
struct DwFlatVector {
  int64_t q, o;
  int32_t n;
  uint32_t mask;
  uint8_t perm[16];
};

struct DwLayout {
  int64_t ph_h, ph_w;  // row and column phases the taps read (2 for stride 2, else 1)
  int64_t hp, wp, pp;  // rows, columns and floats of one padded phase plane
  int64_t planes;      // floats of all phase planes
  int64_t flat_max;    // flat vectors of at least 8 lanes covering the rows
  int64_t flat_bytes;  // their descriptors, rounded up to 64 bytes
  int64_t bytes;       // scratch for one task: descriptors, planes, 32 floats of zeros
};

// Phases an axis' taps read: 2 when the stride is 2 and some tap lands on an odd column.
static inline int64_t dw_phases(const ops::WindowAxis& a) {
  return a.stride == 2 && a.kernel > 1 && a.dilation % 2 == 1 ? 2 : 1;
}

// For output rows [oy0, oy0 + rows) of a plane (strides 1 or 2).
static inline DwLayout dw_layout(const ops::Window2d& g, int64_t rows) {
  DwLayout l;
  l.ph_h = dw_phases(g.h);
  l.ph_w = dw_phases(g.w);
  l.hp = rows + (g.h.kernel - 1) * g.h.dilation / g.h.stride;
  l.wp = g.w.out + (g.w.kernel - 1) * g.w.dilation / g.w.stride;
  l.pp = l.hp * l.wp;
  l.planes = l.ph_h * l.ph_w * l.pp;
  l.flat_max = ((rows - 1) * l.wp + g.w.out) / 8 + 2;
  l.flat_bytes = (l.flat_max * static_cast<int64_t>(sizeof(DwFlatVector)) + 63) / 64 * 64;
  l.bytes = l.flat_bytes + (l.planes + 32) * static_cast<int64_t>(sizeof(float));
  return l;
}

}  // namespace fastinfer::conv
