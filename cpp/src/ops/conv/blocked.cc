// The blocked conv driver (see blocked.h): layout changes at the chain's ends, padding,
// and the split of (image, output-block group, pixel segment) tasks over threads.
#include "ops/conv/blocked.h"

#include <algorithm>
#include <cstring>

#include "fastinfer/aligned_buffer.h"
#include "fastinfer/thread_pool.h"
#include "kernels/conv_blocked/kernels.h"

namespace fastinfer::ops {
namespace {

using conv_blocked::kC;

int64_t ceil_div(int64_t a, int64_t b) { return (a + b - 1) / b; }

// Grown only, per calling thread and purpose, so steady-state runs allocate nothing.
float* scratch(int which, int64_t count) {
  thread_local AlignedBuffer<float> bufs[3];
  AlignedBuffer<float>& buf = bufs[which];
  if (buf.size() < static_cast<size_t>(count)) buf = AlignedBuffer<float>(count);
  return buf.data();
}

// NCHW planes -> blocked planes: blocks [b0, b1) of (n, cb) = n * cb_count + cb.
void to_blocked(const float* x, int64_t plane, int64_t b0, int64_t b1, float* xb) {
  const conv_blocked::ReorderFn fn = conv_blocked::conv_blocked_kernels().to_blocked;
  for (int64_t b = b0; b < b1; ++b) fn(x + b * kC * plane, plane, xb + b * kC * plane);
}

void from_blocked(const float* xb, int64_t plane, int64_t b0, int64_t b1, float* x) {
  const conv_blocked::ReorderFn fn = conv_blocked::conv_blocked_kernels().from_blocked;
  for (int64_t b = b0; b < b1; ++b) fn(xb + b * kC * plane, plane, x + b * kC * plane);
}

// Runs fn(b0, b1) over `blocks` planes of `plane` pixels in tasks of ~16K floats.
template <typename Fn>
void over_blocks(int64_t blocks, int64_t plane, Fn fn) {
  const int64_t per = std::max<int64_t>(1, (int64_t{1} << 10) / std::max<int64_t>(plane, 1));
  parallel_for(
      ceil_div(blocks, per), [&](int64_t t) { fn(t * per, std::min(blocks, (t + 1) * per)); },
      static_cast<int>(std::clamp<int64_t>(blocks * plane * kC >> 14, 1, 1 << 20)));
}

// `src` (batch x channels planes of `plane` pixels) as blocked: itself when it already is,
// else reordered into scratch `which`.
const float* as_blocked(const float* src, bool is_blocked, int64_t batch, int64_t channels,
                        int64_t plane, int which) {
  if (is_blocked) return src;
  float* buf = scratch(which, batch * channels * plane);
  over_blocks(batch * channels / kC, plane,
              [&](int64_t b0, int64_t b1) { to_blocked(src, plane, b0, b1, buf); });
  return buf;
}

}  // namespace

std::vector<int32_t> blocked_offsets(const Window2d& g, int64_t in_c) {
  const int64_t wp = g.w.in + g.w.pad_begin + g.w.pad_end;
  const int64_t pplane = (g.h.in + g.h.pad_begin + g.h.pad_end) * wp * kC;
  std::vector<int32_t> offs;
  for (int64_t cb = 0; cb < in_c / kC; ++cb) {
    for (int64_t ky = 0; ky < g.h.kernel; ++ky) {
      for (int64_t kx = 0; kx < g.w.kernel; ++kx) {
        offs.push_back(static_cast<int32_t>(cb * pplane + (ky * wp + kx) * kC));
      }
    }
  }
  return offs;
}

std::vector<float> pack_blocked_weights(const float* w, int64_t out_c, int64_t in_c, int64_t kh,
                                        int64_t kw, int64_t max_nb) {
  const int64_t ocb = out_c / kC, icb = in_c / kC, taps = icb * kh * kw;
  const int64_t groups = ceil_div(ocb, max_nb), gstride = taps * kC * max_nb * kC;
  std::vector<float> packed(groups * gstride, 0.0f);
  for (int64_t oc = 0; oc < out_c; ++oc) {
    const int64_t gi = oc / (max_nb * kC), o = oc % (max_nb * kC);
    const int64_t nb = std::min(max_nb, ocb - gi * max_nb);
    float* dst = packed.data() + gi * gstride + o;
    for (int64_t ic = 0; ic < in_c; ++ic) {
      for (int64_t ky = 0; ky < kh; ++ky) {
        for (int64_t kx = 0; kx < kw; ++kx) {
          const int64_t t = (ic / kC * kh + ky) * kw + kx;
          dst[(t * kC + ic % kC) * nb * kC] = w[((oc * in_c + ic) * kh + ky) * kw + kx];
        }
      }
    }
  }
  return packed;
}

void run_blocked_conv(const BlockedConvProblem& p) {
  const conv_blocked::ConvBlockedKernels& cfg = conv_blocked::conv_blocked_kernels();
  const WindowAxis &h = p.g.h, &w = p.g.w;
  const int64_t icb = p.in_c / kC, ocb = p.out_c / kC;
  const int64_t in_plane = h.in * w.in, out_plane = h.out * w.out;
  // Padded planes: every tap of every output pixel lies inside, so the kernel tests nothing.
  const int64_t hp = h.in + h.pad_begin + h.pad_end, wp = w.in + w.pad_begin + w.pad_end;
  const bool padded = hp != h.in || wp != w.in;
  const int64_t pplane = hp * wp * kC;

  // The input as blocked planes of (hp x wp): read in place when it already is. Unpadded:
  // reordered into scratch 0; padded: reordered into scratch 1, then copied into scratch 0's
  // padded planes (scratch 1 is free again for the residual).
  const float* xp = p.x;
  if (!padded) {
    xp = as_blocked(p.x, p.x_blocked, p.batch, p.in_c, in_plane, 0);
  } else {
    float* buf = scratch(0, p.batch * icb * pplane);
    const float* xb = as_blocked(p.x, p.x_blocked, p.batch, p.in_c, in_plane, 1);
    over_blocks(p.batch * icb, hp * wp, [&](int64_t b0, int64_t b1) {
      for (int64_t b = b0; b < b1; ++b) {
        float* dst = buf + b * pplane;
        const float* src = xb + b * in_plane * kC;
        std::memset(dst, 0, sizeof(float) * h.pad_begin * wp * kC);
        for (int64_t iy = 0; iy < h.in; ++iy) {
          float* row = dst + (iy + h.pad_begin) * wp * kC;
          std::memset(row, 0, sizeof(float) * w.pad_begin * kC);
          std::memcpy(row + w.pad_begin * kC, src + iy * w.in * kC, sizeof(float) * w.in * kC);
          std::memset(row + (w.pad_begin + w.in) * kC, 0, sizeof(float) * w.pad_end * kC);
        }
        std::memset(dst + (h.pad_begin + h.in) * wp * kC, 0, sizeof(float) * h.pad_end * wp * kC);
      }
    });
    xp = buf;
  }
  // The residual blocked (the kernel reads it so).
  const float* res =
      p.res ? as_blocked(p.res, p.r_blocked, p.batch, p.out_c, out_plane, 1) : nullptr;
  float* yb = p.y_blocked ? p.y : scratch(2, p.batch * p.out_c * out_plane);

  const int64_t taps = icb * h.kernel * w.kernel;
  const int64_t groups = ceil_div(ocb, cfg.max_nb);
  const int64_t gstride = taps * kC * cfg.max_nb * kC;
  // Why segments of about 48 pixels: a pass sweeps its segment once per tap pass, so the
  // segment's partial sums (48 x 64 channels = 12 KB) stay in L1 beside the pass's weights.
  // Segments of 24 to 96 and passes of 4 to 16 taps measured the same on ResNet-50
  // (avx512, 1 thread); all taps in one pass was 7% slower. Why equal segments of whole
  // tiles, at most kMaxSeg: each segment streams the group's weights again, and late
  // stages have small planes and large weights (7 x 7 = 49 pixels against 2.4 MB for a
  // 3 x 3 512 -> 512 conv): one segment of 49, not 48 + 1.
  constexpr int64_t kMaxSeg = 64;
  const int64_t kPass = cfg.pass_taps;
  const int64_t tile = cfg.tile_pixels;
  const int64_t kSeg = ceil_div(ceil_div(out_plane, ceil_div(out_plane, kMaxSeg)), tile) * tile;
  const int64_t segs = ceil_div(out_plane, kSeg);
  const int64_t macs = p.batch * p.out_c * p.in_c * h.kernel * w.kernel * out_plane;
  const int threads = static_cast<int>(std::clamp<int64_t>(macs >> 18, 1, 1 << 20));
  const int64_t runners = std::min<int64_t>(threads, num_threads());
  const int64_t per =
      std::clamp<int64_t>(p.batch * groups * segs / (2 * runners), 1, segs);  // segs per task
  const int64_t chunks = ceil_div(segs, per);
  parallel_for(
      p.batch * groups * chunks,
      [&](int64_t task) {
        const int64_t n = task / (groups * chunks), gi = task / chunks % groups;
        const int64_t c = task % chunks;
        conv_blocked::BlockedConvArgs a;
        a.xp = xp + n * icb * pplane;
        a.wp = wp;
        a.offs = p.offs;
        a.w = p.w + gi * gstride;
        a.nb = std::min(cfg.max_nb, ocb - gi * cfg.max_nb);
        a.sh = h.stride;
        a.sw = w.stride;
        a.out_w = w.out;
        a.out_plane = out_plane;
        const int64_t first_block = n * ocb + gi * cfg.max_nb;
        a.bias = p.bias ? p.bias + gi * cfg.max_nb * kC : nullptr;
        a.res = res ? res + first_block * out_plane * kC : nullptr;
        a.lo = p.lo;
        a.hi = p.hi;
        a.y = yb + first_block * out_plane * kC;
        for (int64_t s = c * per; s < std::min(segs, (c + 1) * per); ++s) {
          a.p_begin = s * kSeg;
          a.p_end = std::min(out_plane, a.p_begin + kSeg);
          for (int64_t t0 = 0; t0 < taps; t0 += kPass) {
            a.t_begin = t0;
            a.t_end = std::min(taps, t0 + kPass);
            a.first = t0 == 0;
            a.last = a.t_end == taps;
            cfg.conv(a);
          }
        }
      },
      threads);
  if (!p.y_blocked) {
    over_blocks(p.batch * ocb, out_plane,
                [&](int64_t b0, int64_t b1) { from_blocked(yb, out_plane, b0, b1, p.y); });
  }
}

std::vector<float> pack_blocked_dw_weights(const float* w, int64_t channels, int64_t taps) {
  std::vector<float> packed(channels * taps);
  for (int64_t c = 0; c < channels; ++c) {
    for (int64_t t = 0; t < taps; ++t) packed[(c / kC * taps + t) * kC + c % kC] = w[c * taps + t];
  }
  return packed;
}

void run_blocked_depthwise(const BlockedDwProblem& p) {
  const conv_blocked::ConvBlockedKernels& cfg = conv_blocked::conv_blocked_kernels();
  const WindowAxis &h = p.g.h, &w = p.g.w;
  const int64_t cbs = p.channels / kC;
  const int64_t in_plane = h.in * w.in, out_plane = h.out * w.out;
  const float* x = as_blocked(p.x, p.x_blocked, p.batch, p.channels, in_plane, 0);
  const float* res =
      p.res ? as_blocked(p.res, p.r_blocked, p.batch, p.channels, out_plane, 1) : nullptr;
  float* yb = p.y_blocked ? p.y : scratch(2, p.batch * p.channels * out_plane);

  const int64_t macs = p.batch * p.channels * out_plane * h.kernel * w.kernel;
  const int threads = static_cast<int>(std::clamp<int64_t>(macs >> 17, 1, 1 << 20));
  const int64_t runners = std::min<int64_t>(threads, num_threads());
  // Rows per task: about four tasks per runner, so that uneven rows (edges) even out.
  const int64_t rows = std::clamp<int64_t>(p.batch * cbs * h.out / (4 * runners), 1, h.out);
  const int64_t chunks = ceil_div(h.out, rows);
  parallel_for(
      p.batch * cbs * chunks,
      [&](int64_t task) {
        const int64_t n = task / (cbs * chunks), cb = task / chunks % cbs, c = task % chunks;
        conv_blocked::BlockedDwArgs a;
        a.x = x + n * p.channels * in_plane;
        a.in_h = h.in;
        a.in_w = w.in;
        a.pad_t = h.pad_begin;
        a.pad_l = w.pad_begin;
        a.kh = h.kernel;
        a.kw = w.kernel;
        a.sh = h.stride;
        a.sw = w.stride;
        a.out_h = h.out;
        a.out_w = w.out;
        a.w = p.w;
        a.bias = p.bias;
        a.res = res ? res + n * p.channels * out_plane : nullptr;
        a.lo = p.lo;
        a.hi = p.hi;
        a.cb_begin = cb;
        a.cb_end = cb + 1;
        a.oy_begin = c * rows;
        a.oy_end = std::min(h.out, a.oy_begin + rows);
        a.y = yb + n * p.channels * out_plane;
        cfg.dw(a);
      },
      threads);
  if (!p.y_blocked) {
    over_blocks(p.batch * cbs, out_plane,
                [&](int64_t b0, int64_t b1) { from_blocked(yb, out_plane, b0, b1, p.y); });
  }
}

}  // namespace fastinfer::ops
