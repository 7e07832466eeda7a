// fp32 GEMM driver: the per-ISA kernel table, cache blocking and the split over threads.
//
// Loop nest of one task (a block of <= kMc rows times a group of panels):
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
#include "kernels/gemm_f32/kernels.h"

namespace fastinfer::f32 {
namespace {

struct GemmConfig {
  const char* name;
  detail::PanelKernel kernel;
  int64_t mr;  // rows per register tile; row blocks are multiples of it
};

constexpr GemmConfig kRef{"f32-gemm-1x32-scalar", &detail::panel_f32_ref, 1};
#if FASTINFER_X86
constexpr GemmConfig kAvx2{"f32-gemm-6x16-avx2", &detail::panel_f32_avx2, 6};
constexpr GemmConfig kAvx512{"f32-gemm-12x32-avx512", &detail::panel_f32_avx512, 12};
#endif

const GemmConfig& config_for(Isa isa) {
  switch (isa) {
#if FASTINFER_X86
    case Isa::kAvx512Vnni:  // VNNI adds nothing for fp32
    case Isa::kAvx512:
      return kAvx512;
    case Isa::kAvx2:
      return kAvx2;
#endif
    default:
      return kRef;
  }
}

constexpr int64_t kKc = 256;            // B slice of 256 x 32 floats = 32 KiB, held in L1
constexpr int64_t kMc = 144;            // x block of 144 x 256 floats = 144 KiB, held in L2
constexpr int64_t kMaxGroup = 8;        // panels per task
constexpr int64_t kTasksPerThread = 4;  // enough tasks to balance uneven thread speed
// Below this many multiply-adds waking the pool costs more than it saves.
constexpr int64_t kSerialMacs = int64_t{1} << 17;

int64_t ceil_div(int64_t a, int64_t b) { return (a + b - 1) / b; }

}  // namespace

const char* kernel_name() { return config_for(active_isa()).name; }

void linear(const float* x, int64_t m, int64_t k, const PackedWeights& w, const float* bias,
            Activation act, float* y) {
  if (k != w.k) {
    throw std::invalid_argument("linear: x has K=" + std::to_string(k) +
                                " but the packed weights have K=" + std::to_string(w.k));
  }
  if (m <= 0) return;
  const GemmConfig& cfg = config_for(active_isa());
  const int64_t n = w.n;
  const int64_t panels = w.panels();

  // A few rows of x are reused too little for K blocking to pay; otherwise split K into
  // equal blocks of at most kKc.
  const int64_t k_blocks = m <= cfg.mr ? 1 : ceil_div(k, kKc);
  const int64_t kc = ceil_div(k, k_blocks);
  const int64_t m_blocks = ceil_div(m, kMc);
  const int64_t mc = ceil_div(ceil_div(m, m_blocks), cfg.mr) * cfg.mr;

  const bool serial = m * n * k < kSerialMacs;
  const int64_t threads = serial ? 1 : num_threads();
  const int64_t group =
      std::clamp<int64_t>(panels * m_blocks / (kTasksPerThread * threads), 1, kMaxGroup);
  const int64_t n_groups = ceil_div(panels, group);

  auto task = [&](int64_t t) {
    const int64_t mb = t / n_groups, g = t % n_groups;
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
        cfg.kernel(a);
      }
    }
  };
  parallel_for(m_blocks * n_groups, task, static_cast<int>(threads));
}

}  // namespace fastinfer::f32
