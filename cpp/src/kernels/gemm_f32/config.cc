// fp32 GEMM driver: the per-ISA kernel table, cache blocking and the split over threads.
//
// Tasks are (row block, panel group) pairs, group-major (see linear()).
// Loop nest of one task (a block of <= mc rows times a group of panels):
//   for each K block (kc deep):        x block (rows x kc) stays in L2
//     for each panel in the group:     B slice (kc x 32) stays in L1
//       kernel: all row tiles of the block against that slice
// K blocks after the first accumulate into y; the last one applies bias and activation.
#include <algorithm>
#include <stdexcept>
#include <string>

#include "fastinfer/cpu_info.h"
#include "fastinfer/gemm_f32.h"
#include "fastinfer/thread_pool.h"
#include "kernels/config_registry.h"
#include "kernels/gemm_f32/kernels.h"

namespace fastinfer::f32 {
namespace {

struct GemmConfig {
  const char* name;
  detail::PanelKernel kernel;
  int64_t mr;   // rows per register tile; row blocks are multiples of it
  bool pack_x;  // the kernel prefers x in tiles of mr rows where they are free (kernels.h)
  detail::Blocking blocking;
};

constexpr GemmConfig kRef{"f32-gemm-1x32-scalar", &detail::panel_f32_ref, 1, false, {256, 144}};
#if FASTINFER_X86
// kc = 128: the two 16-wide halves of a 128 x 32 slice (16 KiB) stay in a 32 KiB L1 (Zen 2/3,
// most Intel client cores) beside the 3 KiB x tile; 256 fills such an L1 with B alone. On Zen
// 5 (48 KiB) 128 measured 1-2% faster than 256 too. pack_x: the kernel reads x in tiles of 6
// rows when they come free (a conv's weight rows, tiled once at load); linear() reads x in
// place (see there).
constexpr GemmConfig kAvx2{"f32-gemm-6x16-avx2", &detail::panel_f32_avx2, 6, true, {128, 144}};
// x stays row-major for AVX-512: on Zen 5 packing it (a scalar transpose of all of x, ~5%
// of the time at 128x768x768 in perf) cost 2-3% at M=128..512 and bought nothing back, even for K a
// multiple of 1024 where the 12 rows share L1 sets; onnxruntime's MLAS likewise reads x in place.
// Blocking: the kc x 32 B slice (32 KiB) stays in L1 (48 KiB on Zen 5) next to the x tile;
// the mc x kc x block (144 KiB) stays in L2 while the group's panels pass.
constexpr GemmConfig kAvx512{
    "f32-gemm-12x32-avx512", &detail::panel_f32_avx512, 12, false, {256, 144}};
#endif

// The table, filled once for the active path (kernels/config_registry.h).
GemmConfig g_config = kRef;

void fill_config(Isa isa) {
#if FASTINFER_X86
  if (isa.has(IsaFeature::kAvx512)) {
    g_config = kAvx512;  // VNNI adds nothing for fp32
    return;
  }
  if (isa.has(IsaFeature::kAvx2Fma)) {
    g_config = kAvx2;
    return;
  }
#endif
  (void)isa;
  g_config = kRef;
}

std::string describe_config() { return g_config.name; }

FASTINFER_KERNEL_FAMILY("gemm_f32", fill_config, describe_config);

constexpr int64_t kMaxGroup = 8;  // panels per task
// Enough tasks per thread that a thread slowed by a neighbour does not hold up the call.
constexpr int64_t kTasksPerThread = 4;
// Below this many multiply-adds waking the pool costs more than it saves. Workers spin
// briefly between calls, so even (1, 784, 256) (~6 us on one core, bound by the bandwidth
// of streaming the weights) gains from a second core (MLP batch 1: 12 -> 9 us).
constexpr int64_t kSerialMacs = int64_t{1} << 16;
int64_t ceil_div(int64_t a, int64_t b) { return (a + b - 1) / b; }

}  // namespace

namespace detail {
PanelGemm active_panel_gemm() {
  const GemmConfig& cfg = g_config;
  return {cfg.kernel, cfg.mr, cfg.pack_x, cfg.blocking.kc};
}

Blocking blocking() { return g_config.blocking; }

void set_blocking(Blocking b) {
  if (b.kc <= 0 || b.mc <= 0) {
    throw std::invalid_argument("blocking: kc and mc must be positive, got kc=" +
                                std::to_string(b.kc) + ", mc=" + std::to_string(b.mc));
  }
  g_config.blocking = b;
}
}  // namespace detail

const char* kernel_name() { return g_config.name; }

void linear(const float* x, int64_t m, int64_t k, const PackedWeights& w, const float* bias,
            Activation act, float* y) {
  if (k != w.k) {
    throw std::invalid_argument("linear: x has K=" + std::to_string(k) +
                                " but the packed weights have K=" + std::to_string(w.k));
  }
  if (m <= 0) return;
  const GemmConfig& cfg = g_config;
  const int64_t n = w.n;
  const int64_t panels = w.panels();

  // A few rows of x are reused too little for K blocking to pay; otherwise split K into
  // equal blocks of at most kc.
  const int64_t k_blocks = m <= cfg.mr ? 1 : ceil_div(k, cfg.blocking.kc);
  const int64_t kc = ceil_div(k, k_blocks);
  const int64_t m_blocks = ceil_div(m, cfg.blocking.mc);
  const int64_t mc = ceil_div(ceil_div(m, m_blocks), cfg.mr) * cfg.mr;

  const bool serial = m * n * k < kSerialMacs;
  const int64_t threads = serial ? 1 : num_threads();
  const int64_t group =
      std::clamp<int64_t>(panels * m_blocks / (kTasksPerThread * threads), 1, kMaxGroup);
  const int64_t n_groups = ceil_div(panels, group);

  // x is read in place, never packed per call. Packing all of x into 6-row tiles (a scalar
  // interleave, once per call) cost more than it saved on the AVX2 path at every shape
  // measured on Zen 5 forced to AVX2 (1 thread, Gflop/s packed -> in place): 25088x384x96
  // 64 -> 105, 6272x768x192 95 -> 123, 1024x768x3072 111 -> 127, 512x4096x4096 123 -> 127;
  // onnxruntime's MLAS likewise reads x in place. Few output columns (ConvNeXt's N = 96)
  // amortise the pack least.
  //
  // Tasks run group-major: the row blocks of one panel group follow each other, so the
  // group's B (up to 8 x K x 32 floats) is read from memory once and re-read from L3 by the
  // next row blocks, while x (re-read per group) is the smaller stream. Row-block-major
  // order streamed all of B once per row block. Sapphire Rapids, 1 thread, against
  // onnxruntime in the same process (three interleaved runs each): 512x4096x4096
  // 0.82-0.88 -> 0.94-0.97x on avx512 and 0.88-0.91 -> 0.91-0.94x on avx2, 512x1024x4096
  // 0.85-0.91 -> 0.95-0.99x on both. Capping the group so its B fits L2, and prefetching
  // x's next K slice into L2, measured no better.
  auto task = [&](int64_t t) {
    const int64_t mb = t % m_blocks, g = t / m_blocks;
    const int64_t m0 = mb * mc, rows = std::min(mc, m - m0);
    if (rows <= 0) return;
    const int64_t p_end = std::min(panels, (g + 1) * group);
    for (int64_t k0 = 0; k0 < k; k0 += kc) {
      const int64_t kcur = std::min(kc, k - k0);
      for (int64_t p = g * group; p < p_end; ++p) {
        const int64_t n0 = p * kPanelWidth;
        detail::PanelArgs a;
        a.x = x + m0 * k + k0;
        a.ldx = k;
        a.x_packed = false;
        a.b = w.panel(p) + k0 * kPanelWidth;
        a.m = rows;
        a.kc = kcur;
        a.nc = std::min(kPanelWidth, n - n0);
        a.y = y + m0 * n + n0;
        a.ldy = n;
        a.accumulate = k0 > 0;
        a.last = k0 + kcur >= k;
        a.bias = bias ? bias + n0 : nullptr;
        a.act = act;
        // The slice this task computes next: the following panel, or the group's first
        // panel in the next K block.
        const bool more_panels = p + 1 < p_end;
        const int64_t k_next = more_panels ? k0 : k0 + kcur;
        a.next_b =
            k_next < k ? w.panel(more_panels ? p + 1 : g * group) + k_next * kPanelWidth : nullptr;
        a.next_kc = std::min(kc, k - k_next);
        cfg.kernel(a);
      }
    }
  };
  parallel_for(m_blocks * n_groups, task, static_cast<int>(threads));
}

}  // namespace fastinfer::f32
