// Conv / FusedConv (NCHW, 1-D or 2-D). The conv kernel table (kernels/conv/) decides
// which routes a path has; this driver picks one per shape and splits it over threads:
//   - one input channel per group (depthwise): the table's depthwise kernel;
//   - output planes of at most 16 pixels: several images per GEMM panel (or, at batch 1,
//     the patches as a dense grid for the direct kernel);
//   - no dilation: the direct kernels on a padded, phase-split copy of the input;
//   - else (and on paths without direct kernels): im2col panels into the fp32 panel GEMM.
// Rows of a GEMM are output channels, so results land in NCHW directly; bias, residual
// and the activation ride in the kernels' epilogues.
#include <algorithm>
#include <iterator>
#include <limits>
#include <map>
#include <memory>
#include <mutex>
#include <string>
#include <tuple>
#include <vector>

#include "fastinfer/aligned_buffer.h"
#include "fastinfer/gemm_f32.h"
#include "fastinfer/plan.h"
#include "fastinfer/thread_pool.h"
#include "kernels/conv/kernels.h"
#include "kernels/conv_blocked/kernels.h"
#include "kernels/gemm_f32/kernels.h"
#include "ops/conv/blocked.h"
#include "ops/conv/depthwise.h"
#include "ops/conv/im2col.h"
#include "ops/conv/window_geometry.h"
#include "ops/linear/spec_checks.h"

namespace fastinfer::ops {
namespace {

// The direct path's input layout (see ConvKernel::run_direct): per channel count_h x
// count_w phase planes of hp x wp; only phases some tap reads are stored.
struct Phases {
  int64_t count_h, count_w, hp, wp;
};
Phases phases(const Window2d& g) {
  return {std::min(g.h.stride, g.h.kernel), std::min(g.w.stride, g.w.kernel),
          g.h.out + (g.h.kernel - 1) / g.h.stride, g.w.out + (g.w.kernel - 1) / g.w.stride};
}
// Floats per phase plane: hp * wp rounded up to 16, so that every plane starts on a cache
// line and a 1x1 conv's B rows (whole planes, blocks of 32 positions) load aligned.
// Measured on 14x14 and 7x7 planes (196 and 49 floats) of ResNet-50's 1x1 convs: 13-25%
// less time than unaligned planes, whose every 16-lane load split two cache lines. The
// gap past hp * wp is zeroed (zero_gaps), so the dropped lanes that read it see no garbage.
int64_t plane_floats(const Phases& ph) { return (ph.hp * ph.wp + 15) / 16 * 16; }
// Zeroes the gap past hp * wp of the phase planes of `channels` padded channels at xp.
void zero_gaps(const Phases& ph, int64_t channels, float* xp) {
  const int64_t pp = plane_floats(ph), used = ph.hp * ph.wp;
  if (pp == used) return;
  const int64_t planes = channels * ph.count_h * ph.count_w;
  for (int64_t p = 0; p < planes; ++p) std::fill(xp + p * pp + used, xp + (p + 1) * pp, 0.0f);
}

// A convolution's weights, (out_c, in_c / groups, kh, kw), and their copies in tiles of mr
// rows per group (element (r, kk) of a tile at [kk * mr + r], zero rows past the group's
// end) for the kernels that read them that way; tiles are built on first use per height,
// since the ISA path is chosen per run.
struct ConvWeights {
  std::vector<float> weights;
  int64_t groups = 1, mg = 0, k = 0;  // output channels per group, inputs per output
  const float* tiled(int64_t mr) const {
    std::lock_guard<std::mutex> lock(mu);
    std::vector<float>& t = tiles[mr];
    if (t.empty()) {
      const int64_t n = (mg + mr - 1) / mr;
      t.assign(groups * n * mr * k, 0.0f);
      for (int64_t gi = 0; gi < groups; ++gi) {
        for (int64_t m = 0; m < mg; ++m) {
          const float* src = weights.data() + (gi * mg + m) * k;
          float* dst = t.data() + (gi * n + m / mr) * mr * k + m % mr;
          for (int64_t kk = 0; kk < k; ++kk) dst[kk * mr] = src[kk];
        }
      }
    }
    return t.data();
  }
  // The blocked route's packing (ops/conv/blocked.h) for groups of max_nb output blocks;
  // groups == 1 only.
  const float* blocked(int64_t max_nb, int64_t in_c, int64_t kh, int64_t kw) const {
    std::lock_guard<std::mutex> lock(mu);
    std::vector<float>& t = blocked_tiles[max_nb];
    if (t.empty()) t = pack_blocked_weights(weights.data(), mg, in_c, kh, kw, max_nb);
    return t.data();
  }
  mutable std::mutex mu;
  mutable std::map<int64_t, std::vector<float>> tiles;  // map nodes are stable
  mutable std::map<int64_t, std::vector<float>> blocked_tiles;
};

// One ConvWeights per constant: kernels built for other input shapes of the same node find
// it by the constant's address while one of them is alive. The plans that hold the kernels
// also keep the constant's memory alive, so an address is not reused meanwhile; the first
// and last values are compared as well, as a guard.
std::shared_ptr<const ConvWeights> shared_conv_weights(const float* w, int64_t numel,
                                                       int64_t groups, int64_t mg, int64_t k) {
  struct Key {
    const float* w;
    int64_t numel, groups;
    bool operator<(const Key& o) const {
      return std::tie(w, numel, groups) < std::tie(o.w, o.numel, o.groups);
    }
  };
  static std::mutex mu;
  static std::map<Key, std::weak_ptr<const ConvWeights>> cache;
  std::lock_guard<std::mutex> lock(mu);
  const Key key{w, numel, groups};
  if (auto it = cache.find(key); it != cache.end()) {
    if (auto alive = it->second.lock()) {
      if (numel == 0 || (alive->weights.front() == w[0] && alive->weights.back() == w[numel - 1])) {
        return alive;
      }
    }
  }
  for (auto it = cache.begin(); it != cache.end();) {  // drop expired entries
    it = it->second.expired() ? cache.erase(it) : std::next(it);
  }
  auto fresh = std::make_shared<ConvWeights>();
  fresh->weights.assign(w, w + numel);
  fresh->groups = groups;
  fresh->mg = mg;
  fresh->k = k;
  cache[key] = fresh;
  return fresh;
}

class ConvKernel final : public plan::Kernel {
 public:
  int64_t batch = 0, in_c = 0, out_c = 0, groups = 1;
  Window2d g;
  // The weights and their tiled copies, shared by every kernel of the same constant (a
  // model binds one plan per input shape; a CNN at many batch sizes must not copy them
  // each time).
  std::shared_ptr<const ConvWeights> cw;
  std::vector<float> bias;  // empty: none
  // The activation as a clamp (Relu: [0, inf), Relu6: [0, 6]); the GEMM path applies
  // `act` (Relu when lo is 0) in its kernel and the upper bound after it.
  Activation act = Activation::kNone;
  float lo = -std::numeric_limits<float>::infinity();
  float hi = std::numeric_limits<float>::infinity();
  bool residual = false;  // FusedConv input 3: added before the activation
  // The plan keeps X / Y / the residual in the blocked layout (ops/conv/blocked.h); any of
  // them blocked takes the blocked route.
  bool blocked_x = false, blocked_y = false, blocked_r = false;
  std::vector<int32_t> blocked_offs;
  std::vector<float> blocked_dw_w;  // a blocked depthwise conv's packed weights

  void run(const void* const* inputs, void* const* outputs) const override {
    const float* x = static_cast<const float*>(inputs[0]);
    float* y = static_cast<float*>(outputs[0]);
    const int64_t cg = in_c / groups, mg = out_c / groups;
    const int64_t in_plane = g.h.in * g.w.in, out_plane = g.h.out * g.w.out;
    const int64_t taps = g.h.kernel * g.w.kernel, k = cg * taps;
    const float* res = residual ? static_cast<const float*>(inputs[3]) : nullptr;
    if (cg == 1 && (blocked_x || blocked_y || blocked_r)) {
      BlockedDwProblem p;
      p.x = x;
      p.w = blocked_dw_w.data();
      p.bias = bias.empty() ? nullptr : bias.data();
      p.res = res;
      p.lo = lo;
      p.hi = hi;
      p.g = g;
      p.batch = batch;
      p.channels = out_c;
      p.x_blocked = blocked_x;
      p.y_blocked = blocked_y;
      p.r_blocked = blocked_r;
      p.y = y;
      run_blocked_depthwise(p);
      return;
    }
    if (cg == 1) {
      DepthwiseProblem p;
      p.x = x;
      p.w = cw->weights.data();
      p.bias = bias.empty() ? nullptr : bias.data();
      p.res = res;
      p.lo = lo;
      p.hi = hi;
      p.g = g;
      p.batch = batch;
      p.out_c = out_c;
      p.mult = mg;
      p.y = y;
      run_depthwise(p);
      return;
    }
    if (blocked_x || blocked_y || blocked_r) {
      BlockedConvProblem p;
      p.x = x;
      p.w = cw->blocked(conv_blocked::conv_blocked_kernels().max_nb, in_c, g.h.kernel, g.w.kernel);
      p.offs = blocked_offs.data();
      p.bias = bias.empty() ? nullptr : bias.data();
      p.res = res;
      p.lo = lo;
      p.hi = hi;
      p.g = g;
      p.batch = batch;
      p.in_c = in_c;
      p.out_c = out_c;
      p.x_blocked = blocked_x;
      p.y_blocked = blocked_y;
      p.r_blocked = blocked_r;
      p.y = y;
      run_blocked_conv(p);
      return;
    }
    // direct_flat set: the path has the whole direct family (see kernels/conv/kernels.h).
    const conv::ConvKernels& cfg = conv::conv_kernels();
    if (cfg.direct_flat && !small_idx.empty()) {
      run_images_per_panel(cfg, x, y, res);
      return;
    }
    if (cfg.direct_flat && !direct_offs.empty()) {
      run_direct(cfg, x, y, res);
      return;
    }
    const f32::detail::PanelGemm gemm = f32::detail::active_panel_gemm();
    const float* w_rows = gemm.pack_x ? cw->tiled(gemm.mr) : cw->weights.data();
    // Floats from one group's weights to the next in w_rows (tiles padded to mr rows).
    const int64_t w_group = gemm.pack_x ? ceil_div(mg, gemm.mr) * gemm.mr * k : mg * k;
    const int64_t panels = ceil_div(out_plane, f32::kPanelWidth);
    // K blocks of at most the path's kc rows keep the panel slice in L1 while the row tiles
    // pass (the same blocking as f32::linear).
    const int64_t k_blocks = ceil_div(k, gemm.kc), kc = ceil_div(k, k_blocks);
    const int64_t macs = batch * out_c * k * out_plane;
    // Below ~256K multiply-adds per thread waking the pool costs more than it gains.
    const int threads = static_cast<int>(std::clamp<int64_t>(macs >> 18, 1, 1 << 20));
    // Enough panels per task to amortise the hand-out, few enough to balance the threads.
    const int64_t per_panel = mg * k * f32::kPanelWidth;
    const int64_t chunk =
        std::clamp<int64_t>(std::min<int64_t>((int64_t{1} << 16) / per_panel + 1,
                                              batch * groups * panels / (4 * threads)),
                            1, panels);
    const int64_t chunks = ceil_div(panels, chunk);
    parallel_for(
        batch * groups * chunks,
        [&](int64_t t) {
          const int64_t ng = t / chunks, c = t % chunks;  // ng = n * groups + gi
          const int64_t gi = ng % groups;
          const float* img = x + ng * cg * in_plane;  // (n * in_c + gi * cg) * in_plane
          float* out = y + ng * mg * out_plane;
          const float* res_g = res ? res + ng * mg * out_plane : nullptr;
          const float* bias_g = bias.empty() ? nullptr : bias.data() + gi * mg;
          float* panel = panel_scratch((k + 1) * f32::kPanelWidth);  // + the im2col slack
          const int64_t p_end = std::min(panels, (c + 1) * chunk);
          for (int64_t p = c * chunk; p < p_end; ++p) {
            const int64_t q0 = p * f32::kPanelWidth;
            const int64_t nc = std::min(f32::kPanelWidth, out_plane - q0);
            im2col_panel(img, cg, g, q0, q0 + nc, panel);
            // Bias is per row (output channel) and the kernel's is per column, so it and
            // the residual seed the output tile, which the kernel then accumulates into;
            // the tile is in L1 when the kernel reads it back.
            const bool seeded = bias_g || res_g;
            if (seeded)
              seed_tile(bias_g, res_g ? res_g + q0 : nullptr, mg, nc, out_plane, out + q0);
            for (int64_t k0 = 0; k0 < k; k0 += kc) {
              f32::detail::PanelArgs a;
              a.x = w_rows + gi * w_group + (gemm.pack_x ? k0 * gemm.mr : k0);
              a.ldx = gemm.pack_x ? gemm.mr * k : k;
              a.x_packed = gemm.pack_x;
              a.b = panel + k0 * f32::kPanelWidth;
              a.m = mg;
              a.kc = std::min(kc, k - k0);
              a.nc = nc;
              a.y = out + q0;
              a.ldy = out_plane;
              a.accumulate = seeded || k0 > 0;
              a.last = k0 + a.kc >= k;
              a.bias = nullptr;
              a.act = act;
              a.next_b = nullptr;
              a.next_kc = 0;
              gemm.kernel(a);
            }
            if (hi < std::numeric_limits<float>::infinity())
              clamp_tile(mg, nc, out_plane, out + q0);
          }
        },
        threads);
  }

  // The upper bound of a clamp activation (Relu6) over a GEMM output tile, while in cache.
  void clamp_tile(int64_t rows, int64_t nc, int64_t ldy, float* y) const {
    for (int64_t m = 0; m < rows; ++m) {
      float* yr = y + m * ldy;
      for (int64_t j = 0; j < nc; ++j) yr[j] = yr[j] > hi ? hi : yr[j];  // keeps NaN
    }
  }

  // Why: with out_plane <= 16 (e.g. a 4x4 output) one image fills at most half of a
  // 32-column panel, so per-image panels (im2col or direct) spend half the multiply-adds
  // on padding columns. Here one panel holds 32 / out_plane whole images: each image's
  // patches are picked straight from the unpadded input into its column slice (no padded
  // or phase-split copy), the GEMM writes a tile, and the epilogue (bias, residual,
  // activation) scatters the tile to NCHW.
  void run_images_per_panel(const conv::ConvKernels& cfg, const float* x, float* y,
                            const float* res) const {
    if (batch == 1) {
      run_one_small_image(cfg, x, y, res);
      return;
    }
    const f32::detail::PanelGemm gemm = f32::detail::active_panel_gemm();
    const float* w_rows = gemm.pack_x ? cw->tiled(gemm.mr) : cw->weights.data();
    const int64_t in_plane = g.h.in * g.w.in, out_plane = g.h.out * g.w.out;
    const int64_t k = in_c * g.h.kernel * g.w.kernel;
    const int64_t per = f32::kPanelWidth / out_plane;  // images per panel
    const int64_t panels = ceil_div(batch, per);
    const int64_t taps = g.h.kernel * g.w.kernel;
    const int64_t k_blocks = ceil_div(k, gemm.kc), kc = ceil_div(k, k_blocks);
    const int64_t macs = batch * out_c * k * out_plane;
    // Higher than the GEMM path's bar: a panel here is a whole-layer slice already, and
    // at batch 2..8 a second thread's wake-up costs about as much as the panel.
    const int threads = static_cast<int>(std::clamp<int64_t>(macs >> 20, 1, 1 << 20));
    parallel_for(
        panels,
        [&](int64_t p) {
          const int64_t n0 = p * per, imgs = std::min(per, batch - n0);
          float* panel = panel_scratch(k * f32::kPanelWidth + out_c * f32::kPanelWidth);
          float* tile = panel + k * f32::kPanelWidth;
          for (int64_t i = 0; i < imgs; ++i) {
            cfg.gather_small(x + (n0 + i) * in_c * in_plane, in_c, in_plane, small_idx.data(), taps,
                             out_plane, panel + i * out_plane);
          }
          const int64_t nc = imgs * out_plane;
          if (nc < f32::kPanelWidth) {
            for (int64_t r = 0; r < k; ++r) {
              std::fill(panel + r * f32::kPanelWidth + nc, panel + (r + 1) * f32::kPanelWidth,
                        0.0f);
            }
          }
          for (int64_t k0 = 0; k0 < k; k0 += kc) {
            f32::detail::PanelArgs a;
            a.x = w_rows + (gemm.pack_x ? k0 * gemm.mr : k0);
            a.ldx = gemm.pack_x ? gemm.mr * k : k;
            a.x_packed = gemm.pack_x;
            a.b = panel + k0 * f32::kPanelWidth;
            a.m = out_c;
            a.kc = std::min(kc, k - k0);
            a.nc = nc;
            a.y = tile;
            a.ldy = f32::kPanelWidth;
            a.accumulate = k0 > 0;
            a.last = k0 + a.kc >= k;
            a.bias = nullptr;
            a.act = Activation::kNone;
            a.next_b = nullptr;
            a.next_kc = 0;
            gemm.kernel(a);
          }
          for (int64_t i = 0; i < imgs; ++i) {
            cfg.epilogue_small(tile + i * out_plane, out_c, out_plane,
                               bias.empty() ? nullptr : bias.data(),
                               res ? res + (n0 + i) * out_c * out_plane : nullptr, lo, hi,
                               y + (n0 + i) * out_c * out_plane);
          }
        },
        threads);
  }
  // Batch 1: no second image to fill the panel's other half, so the patches (k rows of
  // 16 lanes, zero past out_plane) go to the direct kernel as a grid of out_h x out_w
  // with no padding columns: its 16-lane tiles then compute only the output pixels,
  // instead of 32 flat positions of the padded grid for at most 16 outputs.
  void run_one_small_image(const conv::ConvKernels& cfg, const float* x, float* y,
                           const float* res) const {
    const int64_t in_plane = g.h.in * g.w.in, out_plane = g.h.out * g.w.out;
    const int64_t k = in_c * g.h.kernel * g.w.kernel;
    float* panel = panel_scratch(k * f32::kPanelWidth + 64);
    cfg.gather_small(x, in_c, in_plane, small_idx.data(), g.h.kernel * g.w.kernel, 16, panel);
    conv::DirectConvArgs a;
    a.xp = panel;
    a.offs = small_offs.data();
    a.w_tiles = cw->tiled(cfg.direct_mr);
    a.m = out_c;
    a.k = k;
    a.wp = g.w.out;
    a.out_h = g.h.out;
    a.out_w = g.w.out;
    a.out_plane = out_plane;
    a.q_begin = 0;
    a.q_end = out_plane;
    a.bias = bias.empty() ? nullptr : bias.data();
    a.res = res;
    a.lo = lo;
    a.hi = hi;
    a.y = y;
    cfg.direct_flat(a);
  }

  // Direct path (set up by make_conv): per tap the offset into the padded, phase-split input
  // (the weights are read in tiles of the table's direct_mr rows per group). Empty: not
  // eligible.
  std::vector<int32_t> direct_offs;
  // Small-output path (run_images_per_panel; set up by make_conv): per tap 16 input-plane
  // indices of the output pixels, -1 for padding and past the plane. Empty: not eligible.
  std::vector<int32_t> small_idx;
  std::vector<int32_t> small_offs;  // batch 1: row kk of the patches at kk * kPanelWidth

 private:
  // Why: for stride 1 every im2col row is a shifted copy of the input, and with few output
  // channels writing those rows cost as much as the GEMM on them. Padding the input once
  // (1/taps of the im2col traffic) lets the kernel read its B rows in place. A stride s
  // conv is a stride-1 conv on the s x s phases of the padded input (phase (py, px) holds
  // its pixels (s*i + py, s*j + px)), so those convs copy the input once, split by phase,
  // and run the same kernel instead of a strided scalar im2col per panel.
  void run_direct(const conv::ConvKernels& cfg, const float* x, float* y, const float* res) const {
    const int64_t cg = in_c / groups, mg = out_c / groups;
    const int64_t k = cg * g.h.kernel * g.w.kernel;
    const Phases ph = phases(g);
    const int64_t wp = ph.wp, pp = plane_floats(ph);
    const int64_t out_plane = g.h.out * g.w.out;
    const int64_t chan = ph.count_h * ph.count_w * pp;
    // Rows of whole 8-pixel runs: blocks of output pixels, else of flat positions.
    const bool rows = g.w.out % 8 == 0;
    const int64_t flat = rows ? out_plane : (g.h.out - 1) * wp + g.w.out;
    const int64_t panels = ceil_div(flat, f32::kPanelWidth);
    const int64_t macs = batch * out_c * k * out_plane;
    const int threads = static_cast<int>(std::clamp<int64_t>(macs >> 18, 1, 1 << 20));
    const int64_t per_panel = mg * k * f32::kPanelWidth;
    // Tasks of up to ~1M multiply-adds, but at least 2 per thread that will run (not per
    // thread the size would allow): contiguous pixel blocks per thread keep its padded rows
    // and output in its own cache; one-panel tasks scaled only ~1.5x at 2 threads.
    const int64_t runners = std::min(threads, num_threads());
    const int64_t chunk =
        std::clamp<int64_t>(std::min<int64_t>((int64_t{1} << 20) / per_panel + 1,
                                              batch * groups * panels / (2 * runners)),
                            1, panels);
    const int64_t chunks = ceil_div(panels, chunk);
    const int64_t mr = cfg.direct_mr;
    const int64_t w_group = ceil_div(mg, mr) * mr * k;
    // Why: with more than one thread, a separate padding pass was a second pool call per
    // conv and, below its thread bar, serial. The rows kernel reads only the padded rows of
    // its own output rows (plus the taps' halo), so each task pads just those into its
    // thread's buffer (same layout) and convolves from there; the halo is padded twice.
    // Why: a 1x1 stride-1 conv without padding on a plane of whole cache lines reads its
    // input exactly as pad_input would lay it out, and the rows kernel reads nothing past a
    // plane, so it reads x in place. The copy cost a third of the conv's time on ResNet's
    // 256 -> 64 at 56x56 (a 3.2 MB copy before 103 Mflop).
    const bool in_place = rows && g.h.kernel == 1 && g.w.kernel == 1 && g.h.stride == 1 &&
                          g.w.stride == 1 && g.h.pad_begin == 0 && g.w.pad_begin == 0 &&
                          g.h.out == g.h.in && g.w.out == g.w.in && pp == g.h.in * g.w.in;
    const bool own_pad = !in_place && rows && runners > 1;
    const float* xp = in_place ? x : own_pad ? nullptr : pad_input(cfg, x);
    const int64_t halo = (g.h.kernel - 1) / g.h.stride;
    parallel_for(
        batch * groups * chunks,
        [&](int64_t t) {
          const int64_t ng = t / chunks, c = t % chunks, gi = ng % groups;
          conv::DirectConvArgs a;
          a.q_begin = c * chunk * f32::kPanelWidth;
          a.q_end = std::min(flat, (c + 1) * chunk * f32::kPanelWidth);
          if (own_pad) {
            // The 64 zeros past the last plane, as pad_input leaves them, for vector loads
            // that run past it.
            float* buf = pad_scratch(batch * in_c * chan + 64);
            std::fill(buf + batch * in_c * chan, buf + batch * in_c * chan + 64, 0.0f);
            float* mine = buf + ng * cg * chan;
            pad_rows(cfg, x + ng * cg * g.h.in * g.w.in, cg, a.q_begin / g.w.out,
                     (a.q_end - 1) / g.w.out + halo + 1, mine);
            a.xp = mine;
          } else {
            a.xp = xp + ng * cg * chan;
          }
          a.offs = direct_offs.data();
          a.w_tiles = cw->tiled(mr) + gi * w_group;
          a.m = mg;
          a.k = k;
          a.wp = wp;
          a.out_h = g.h.out;
          a.out_w = g.w.out;
          a.out_plane = out_plane;
          a.bias = bias.empty() ? nullptr : bias.data() + gi * mg;
          a.res = res ? res + ng * mg * out_plane : nullptr;
          a.lo = lo;
          a.hi = hi;
          a.y = y + ng * mg * out_plane;
          (rows ? cfg.direct_rows : cfg.direct_flat)(a);
        },
        threads);
  }

  // Rows [r_lo, r_hi) of every phase plane of `channels` input planes from src into xp
  // (laid out as pad_input does).
  void pad_rows(const conv::ConvKernels& cfg, const float* src, int64_t channels, int64_t r_lo,
                int64_t r_hi, float* xp) const {
    const Phases ph = phases(g);
    const int64_t wp = ph.wp, pp = plane_floats(ph), chan = ph.count_h * ph.count_w * pp;
    const bool pair = g.w.stride == 2 && ph.count_w == 2 && wp <= 256;
    if (r_hi >= ph.hp) zero_gaps(ph, channels, xp);
    for (int64_t c = 0; c < channels; ++c) {
      const float* plane = src + c * g.h.in * g.w.in;
      for (int64_t py = 0; py < ph.count_h; ++py) {
        float* dst = xp + c * chan + py * ph.count_w * pp + r_lo * wp;
        const int64_t row0 = py - g.h.pad_begin + r_lo * g.h.stride;
        if (pair) {
          cfg.pad_phase_pair(plane, g.h.in, g.w.in, row0, -g.w.pad_begin, g.h.stride, r_hi - r_lo,
                             wp, dst, dst + pp);
          continue;
        }
        for (int64_t px = 0; px < ph.count_w; ++px) {
          cfg.pad_phase(plane, g.h.in, g.w.in, row0, px - g.w.pad_begin, g.h.stride, g.w.stride,
                        r_hi - r_lo, wp, dst + px * pp);
        }
      }
    }
  }

  // The input zero-padded and split by phase: per image and channel count_h x count_w
  // (hp x wp) planes, followed by 64 zeros (the kernels read past the last plane).
  const float* pad_input(const conv::ConvKernels& cfg, const float* x) const {
    const Phases ph = phases(g);
    const int64_t wp = ph.wp, pp = plane_floats(ph);
    const int64_t planes = batch * in_c;
    // Per input channel its phases, each an (hp x wp) plane.
    const int64_t chan = ph.count_h * ph.count_w * pp;
    float* xp = pad_scratch(planes * chan + 64);
    std::fill(xp + planes * chan, xp + planes * chan + 64, 0.0f);
    const bool pair = g.w.stride == 2 && ph.count_w == 2 && wp <= 256;
    // Tasks are runs of whole planes (all their phases), ~4K floats each: one task per
    // phase plane (289 floats for a 17 x 17 phase) made the shared task counter, not the
    // copy, the cost at batch 8, and left half the tasks empty on the paired path.
    const int64_t per_task = std::max<int64_t>(1, (int64_t{1} << 12) / chan);
    // A thread per 16K floats: at 64K the copies of 8x8 and 16x16 layers ran on one
    // thread while the other waited for the GEMM.
    parallel_for(
        ceil_div(planes, per_task),
        [&](int64_t t) {
          const int64_t p_end = std::min(planes, (t + 1) * per_task);
          zero_gaps(ph, p_end - t * per_task, xp + t * per_task * chan);
          for (int64_t p = t * per_task; p < p_end; ++p) {
            const float* src = x + p * g.h.in * g.w.in;
            for (int64_t py = 0; py < ph.count_h; ++py) {
              float* dst = xp + p * chan + py * ph.count_w * pp;
              if (pair) {
                // Both column phases of this row phase from one pass over the source rows.
                cfg.pad_phase_pair(src, g.h.in, g.w.in, py - g.h.pad_begin, -g.w.pad_begin,
                                   g.h.stride, ph.hp, wp, dst, dst + pp);
                continue;
              }
              for (int64_t px = 0; px < ph.count_w; ++px) {
                cfg.pad_phase(src, g.h.in, g.w.in, py - g.h.pad_begin, px - g.w.pad_begin,
                              g.h.stride, g.w.stride, ph.hp, wp, dst + px * pp);
              }
            }
          }
        },
        static_cast<int>(std::clamp<int64_t>(planes * chan >> 14, 1, 1 << 20)));
    return xp;
  }

  static float* pad_scratch(int64_t count) {
    thread_local AlignedBuffer<float> buf;
    if (buf.size() < static_cast<size_t>(count)) buf = AlignedBuffer<float>(count);
    return buf.data();
  }

  static int64_t ceil_div(int64_t a, int64_t b) { return (a + b - 1) / b; }

  // Per calling thread, grown only, so steady-state runs allocate nothing.
  static float* panel_scratch(int64_t count) {
    thread_local AlignedBuffer<float> buf;
    if (buf.size() < static_cast<size_t>(count)) buf = AlignedBuffer<float>(count);
    return buf.data();
  }

  // y[m * ldy + j] = bias[m] + res[m * ldy + j] for rows m < rows, columns j < nc.
  static void seed_tile(const float* b, const float* res, int64_t rows, int64_t nc, int64_t ldy,
                        float* y) {
    for (int64_t m = 0; m < rows; ++m) {
      float* yr = y + m * ldy;
      const float bm = b ? b[m] : 0.0f;
      if (res) {
        const float* rr = res + m * ldy;
        for (int64_t j = 0; j < nc; ++j) yr[j] = rr[j] + bm;
      } else {
        for (int64_t j = 0; j < nc; ++j) yr[j] = bm;
      }
    }
  }
};

// Enables the direct path when the window allows it (see run_direct).
void setup_direct(ConvKernel* kern) {
  const Window2d& g = kern->g;
  const int64_t cg = kern->in_c / kern->groups;
  const bool ok = cg > 1 && g.h.stride >= 1 && g.w.stride >= 1 && g.h.dilation == 1 &&
                  g.w.dilation == 1 && g.h.out > 0 && g.w.out > 0;
  if (!ok) return;
  const Phases ph = phases(g);
  const int64_t pp = plane_floats(ph), chan = ph.count_h * ph.count_w * pp;
  if (chan * cg >= (int64_t{1} << 30)) return;
  const int64_t out_plane = g.h.out * g.w.out;
  // Output planes of at most 16 pixels: several images per GEMM panel, or at batch 1
  // one image's patches as a dense grid for the direct kernel (run_images_per_panel).
  if (kern->groups == 1 && 2 * out_plane <= f32::kPanelWidth &&
      g.h.in * g.w.in < (int64_t{1} << 30)) {
    for (int64_t ky = 0; ky < g.h.kernel; ++ky) {
      for (int64_t kx = 0; kx < g.w.kernel; ++kx) {
        for (int64_t q = 0; q < 16; ++q) {
          const int64_t oy = q / g.w.out, ox = q % g.w.out;
          const int64_t iy = oy * g.h.stride - g.h.pad_begin + ky;
          const int64_t ix = ox * g.w.stride - g.w.pad_begin + kx;
          const bool in = q < out_plane && iy >= 0 && iy < g.h.in && ix >= 0 && ix < g.w.in;
          kern->small_idx.push_back(in ? static_cast<int32_t>(iy * g.w.in + ix) : -1);
        }
      }
    }
    for (int64_t kk = 0; kk < cg * g.h.kernel * g.w.kernel; ++kk) {
      kern->small_offs.push_back(static_cast<int32_t>(kk * f32::kPanelWidth));
    }
  }
  for (int64_t c = 0; c < cg; ++c) {
    for (int64_t ky = 0; ky < g.h.kernel; ++ky) {
      for (int64_t kx = 0; kx < g.w.kernel; ++kx) {
        const int64_t phase = (ky % g.h.stride) * ph.count_w + kx % g.w.stride;
        kern->direct_offs.push_back(static_cast<int32_t>(
            c * chan + phase * pp + ky / g.h.stride * ph.wp + kx / g.w.stride));
      }
    }
  }
}

std::unique_ptr<plan::Kernel> make_conv(const plan::KernelSpec& spec) {
  require_f32_io(spec, 2, spec.op == "FusedConv" ? 4 : 3, 1);
  require_output_f32(spec, 0);
  const auto& xs = spec.inputs[0].shape;
  const auto& ws = spec.inputs[1].shape;
  if (xs.size() != 3 && xs.size() != 4) {
    fail(spec,
         "only 1-D and 2-D convolutions (input rank 3 or 4) are supported, X is " + shape_str(xs));
  }
  if (ws.size() != xs.size()) {
    fail(spec, "W " + shape_str(ws) + " must have the rank of X " + shape_str(xs));
  }
  const void* w_data = constant_input(spec, 1);
  if (!w_data) fail(spec, "W must be a constant initializer");
  auto kern = std::make_unique<ConvKernel>();
  kern->batch = xs[0];
  kern->in_c = xs[1];
  kern->out_c = ws[0];
  kern->groups = plan::attr_int(spec.attrs, "group", 1);
  const int64_t groups = kern->groups;
  if (groups < 1 || kern->in_c % groups != 0 || kern->out_c % groups != 0) {
    fail(spec, "group " + std::to_string(groups) + " must divide the input channels (" +
                   std::to_string(kern->in_c) + ") and output channels (" +
                   std::to_string(kern->out_c) + ")");
  }
  if (ws[1] != kern->in_c / groups) {
    fail(spec, "W " + shape_str(ws) + " needs " + std::to_string(kern->in_c / groups) +
                   " input channels per group (X " + shape_str(xs) + ", group " +
                   std::to_string(groups) + ")");
  }
  const std::vector<int64_t> spatial(xs.begin() + 2, xs.end());
  const std::vector<int64_t> kernel(ws.begin() + 2, ws.end());
  kern->g = resolve_window(spec, spatial, kernel, /*allow_ceil_mode=*/false);
  std::vector<int64_t> out{kern->batch, kern->out_c};
  if (xs.size() == 4) out.push_back(kern->g.h.out);
  out.push_back(kern->g.w.out);
  require_output_shape(spec, 0, out);
  if (product(out, 0, out.size()) > 0 && kern->in_c == 0) fail(spec, "X has no channels");

  kern->cw = shared_conv_weights(static_cast<const float*>(w_data), product(ws, 0, ws.size()),
                                 groups, kern->out_c / groups, product(ws, 1, ws.size()));
  if (has_input(spec, 2)) {
    if (spec.inputs[2].shape != std::vector<int64_t>{kern->out_c}) {
      fail(spec, "B must have shape [" + std::to_string(kern->out_c) + "], got " +
                     shape_str(spec.inputs[2].shape));
    }
    const void* b = constant_input(spec, 2);
    if (!b) fail(spec, "B must be a constant initializer");
    kern->bias.assign(static_cast<const float*>(b), static_cast<const float*>(b) + kern->out_c);
  }
  if (spec.op == "FusedConv") {
    const std::string act = plan::attr_string(spec.attrs, "activation", "");
    if (!act.empty() && act != "relu" && act != "relu6") {
      fail(spec, "activation '" + act + "' is not supported (expected '', 'relu' or 'relu6')");
    }
    if (!act.empty()) {
      kern->act = Activation::kRelu;
      kern->lo = 0.0f;
      if (act == "relu6") kern->hi = 6.0f;
    }
    if (has_input(spec, 3)) {
      if (spec.inputs[3].shape != out) {
        fail(spec, "residual " + shape_str(spec.inputs[3].shape) + " must have the output shape " +
                       shape_str(out));
      }
      kern->residual = true;
    }
  }
  kern->blocked_x = plan::attr_int(spec.attrs, "blocked_x", 0) != 0;
  kern->blocked_y = plan::attr_int(spec.attrs, "blocked_y", 0) != 0;
  kern->blocked_r = kern->residual && plan::attr_int(spec.attrs, "blocked_r", 0) != 0;
  if (kern->blocked_x || kern->blocked_y || kern->blocked_r) {
    const Window2d& g = kern->g;
    const bool depthwise = groups == kern->in_c && kern->out_c == kern->in_c;
    if (xs.size() != 4 || (groups != 1 && !depthwise) || kern->in_c % conv_blocked::kC != 0 ||
        kern->out_c % conv_blocked::kC != 0 || g.h.dilation != 1 || g.w.dilation != 1) {
      fail(spec,
           "the blocked layout needs a 2-D conv with group 1 (or depthwise, one output "
           "channel per input channel), no dilation and channels in multiples of 16, got X " +
               shape_str(xs) + ", W " + shape_str(ws) + ", group " + std::to_string(groups));
    }
    if (depthwise) {
      kern->blocked_dw_w =
          pack_blocked_dw_weights(kern->cw->weights.data(), kern->out_c, g.h.kernel * g.w.kernel);
    } else {
      kern->blocked_offs = blocked_offsets(g, kern->in_c);
    }
    return kern;
  }
  setup_direct(kern.get());
  return kern;
}

const bool kRegistered =
    plan::register_kernel("Conv", make_conv) && plan::register_kernel("FusedConv", make_conv);

}  // namespace
}  // namespace fastinfer::ops
