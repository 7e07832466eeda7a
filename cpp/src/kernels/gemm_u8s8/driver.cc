// The portable middle of the int8 GEMM: picks the back end for the active ISA, splits the
// output into tasks for the thread pool, and composes linear_int8.
#include <algorithm>
#include <string>
#include <vector>

#include "fastinfer/cpu_info.h"
#include "fastinfer/gemm_int8.h"
#include "fastinfer/thread_pool.h"
#include "kernels/config_registry.h"
#include "kernels/gemm_u8s8/kernel.h"

namespace fastinfer::int8 {
namespace {

constexpr int kMaxMr = 8;
// Below this many multiply-adds per thread, waking another thread costs more than it saves.
constexpr int64_t kMinMacsPerThread = int64_t{1} << 20;
// Row tiles per task: enough to reuse a weight panel from L2 many times, few enough that
// large problems still split into plenty of tasks. On the AVX2 path (then 4-row tiles) 4, 16 and
// 32 gave the same speed within noise at 128x768x768 .. 512x4096x4096 on Zen 5 (1 MB L2).
// What must stay in L2 is the panel (256 KB at K = 4096); each tile's activations are read
// once. Whether a Zen 3's 512 KB L2 wants a K split could not be measured here.
constexpr int64_t kMaxTilesPerTask = 16;

// The table, filled once for the active path (kernels/config_registry.h).
const KernelSet* g_kernels = &kRefKernels;

void fill_kernels(Isa isa) {
  g_kernels = &kRefKernels;
#if defined(FASTINFER_X86)
  if (isa.has(IsaFeature::kAvx512Vnni)) {
    g_kernels = &kAvx512VnniKernels;
  } else if (isa.has(IsaFeature::kAvx512)) {
    g_kernels = &kAvx512Kernels;
  } else if (isa.has(IsaFeature::kAvxVnni)) {
    g_kernels = &kAvx2VnniKernels;
  } else if (isa.has(IsaFeature::kAvx2Fma)) {
    g_kernels = &kAvx2Kernels;
  }
#else
  (void)isa;
#endif
}

std::string describe_kernels() { return g_kernels->name; }

FASTINFER_KERNEL_FAMILY("gemm_u8s8", fill_kernels, describe_kernels);

const KernelSet& gemm_kernels() { return *g_kernels; }

// Scratch that lives as long as its thread and only grows, so steady-state calls do not
// allocate.
struct Scratch {
  std::vector<uint8_t> q;
  std::vector<float> scales;
  std::vector<int32_t> zero_points;
};
thread_local Scratch t_scratch;

}  // namespace

const char* gemm_kernel_name() { return gemm_kernels().name; }

void gemm_u8s8(const uint8_t* a, int64_t m, int64_t lda, const PackedWeights& w, const Epilogue& ep,
               void* out, int64_t ldc) {
  if (m <= 0) return;
  const KernelSet& ks = gemm_kernels();
  const int mr = std::min(ks.mr, kMaxMr);
  const int64_t m_tiles = (m + mr - 1) / mr;
  const int64_t macs = m * w.k * w.n;
  const int max_threads =
      static_cast<int>(std::max<int64_t>(1, std::min<int64_t>(macs / kMinMacsPerThread, 1024)));
  const int threads = std::min(num_threads(), max_threads);
  // Enough tasks to balance the threads, each as many row tiles as that allows.
  int64_t tiles_per_task = std::min<int64_t>(kMaxTilesPerTask, m_tiles);
  while (tiles_per_task > 1 && w.n_panels * ((m_tiles + tiles_per_task - 1) / tiles_per_task) <
                                   4 * static_cast<int64_t>(threads)) {
    tiles_per_task = (tiles_per_task + 1) / 2;
  }
  const int64_t m_chunks = (m_tiles + tiles_per_task - 1) / tiles_per_task;
  const int64_t panel_bytes = w.k_groups * kPanelN * kGroupK;

  parallel_for(
      w.n_panels * m_chunks,
      [&](int64_t task) {
        // Consecutive tasks share a weight panel, which stays hot in cache.
        const int64_t panel = task / m_chunks;
        const int64_t chunk = task % m_chunks;
        const int64_t col0 = panel * kPanelN;
        const int ncols = static_cast<int>(std::min<int64_t>(kPanelN, w.n - col0));
        alignas(64) int32_t acc[kMaxMr * kPanelN];
        const int64_t tile_end = std::min(m_tiles, (chunk + 1) * tiles_per_task);
        for (int64_t tile = chunk * tiles_per_task; tile < tile_end; ++tile) {
          const int64_t row0 = tile * mr;
          const int rows = static_cast<int>(std::min<int64_t>(mr, m - row0));
          ks.tile(a + row0 * lda, lda, rows, w.data.data() + panel * panel_bytes, w.k, acc);
          ks.epilogue(acc, rows, ncols, row0, col0, w, ep, out, ldc);
        }
      },
      threads);
}

void linear_int8(const float* x, int64_t m, const PackedWeights& w, const float* bias,
                 Activation act, float* y) {
  Scratch& s = t_scratch;
  if (s.q.size() < static_cast<size_t>(m * w.k)) s.q.resize(static_cast<size_t>(m * w.k));
  if (s.scales.size() < static_cast<size_t>(m)) {
    s.scales.resize(static_cast<size_t>(m));
    s.zero_points.resize(static_cast<size_t>(m));
  }
  quantize_rows_u8(x, m, w.k, s.q.data(), s.scales.data(), s.zero_points.data());
  Epilogue ep;
  ep.output = Output::kFloat32;
  ep.a_zero_points = s.zero_points.data();
  ep.a_scales = s.scales.data();
  ep.bias = bias;
  ep.activation = act;
  gemm_u8s8(s.q.data(), m, w.k, w, ep, y, w.n);
}

}  // namespace fastinfer::int8
