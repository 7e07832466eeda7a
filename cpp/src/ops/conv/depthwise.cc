#include "ops/conv/depthwise.h"

#include <algorithm>

#include "fastinfer/aligned_buffer.h"
#include "fastinfer/thread_pool.h"
#include "kernels/conv/depthwise_layout.h"
#include "kernels/conv/kernels.h"

namespace fastinfer::ops {
namespace {

int64_t ceil_div(int64_t a, int64_t b) { return (a + b - 1) / b; }

// Per calling thread, grown only, so steady-state runs allocate nothing.
void* scratch(int64_t bytes) {
  thread_local AlignedBuffer<char> buf;
  if (buf.size() < static_cast<size_t>(bytes)) buf = AlignedBuffer<char>(bytes);
  return buf.data();
}

}  // namespace

void run_depthwise(const DepthwiseProblem& p) {
  const Window2d& g = p.g;
  const int64_t planes = p.batch * p.out_c;
  const int64_t out_plane = g.h.out * g.w.out, taps = g.h.kernel * g.w.kernel;
  if (planes == 0 || out_plane == 0) return;
  const int64_t macs = planes * out_plane * taps;
  // A thread per ~32K multiply-adds: below that the wake-up costs more than it saves.
  const int threads = static_cast<int>(std::clamp<int64_t>(macs >> 15, 1, 1 << 20));
  const int64_t runners = std::min<int64_t>(threads, num_threads());
  // Row blocks whose scratch stays in L2 (~128 KiB) while their taps pass, and, with few
  // planes, enough blocks to give every thread several tasks.
  const int64_t per_row =
      std::max<int64_t>(1, conv::dw_scratch_bytes(g, 2) - conv::dw_scratch_bytes(g, 1));
  const int64_t rows_cap = std::max<int64_t>(1, (int64_t{1} << 17) / per_row);
  const int64_t target = runners > 1 ? 4 * runners : 1;
  int64_t row_blocks = std::clamp<int64_t>(ceil_div(target, planes), 1, g.h.out);
  row_blocks = std::max(row_blocks, ceil_div(g.h.out, rows_cap));
  const int64_t rows = ceil_div(g.h.out, row_blocks);
  row_blocks = ceil_div(g.h.out, rows);
  // Several planes per task when they are small (a 7x7 plane is ~0.2 us of work), in
  // whole blocks of 16 (the channel blocks of narrow planes, see depthwise_simd.h).
  const int64_t chunk = std::min(
      planes,
      ceil_div(std::clamp<int64_t>(planes * row_blocks / target, 1, planes), conv::kDwMaxLanes) *
          conv::kDwMaxLanes);
  const int64_t chunks = ceil_div(planes, chunk);
  const conv::DepthwiseFn kernel = conv::conv_kernels().depthwise;
  const int64_t bytes = conv::dw_scratch_bytes(g, rows);
  parallel_for(
      chunks * row_blocks,
      [&](int64_t t) {
        const int64_t c = t / row_blocks, rb = t % row_blocks;
        conv::DepthwiseArgs a;
        a.x = p.x;
        a.w = p.w;
        a.bias = p.bias;
        a.res = p.res;
        a.lo = p.lo;
        a.hi = p.hi;
        a.g = g;
        a.mult = p.mult;
        a.out_c = p.out_c;
        a.p0 = c * chunk;
        a.p1 = std::min(planes, a.p0 + chunk);
        a.oy0 = rb * rows;
        a.oy1 = std::min(g.h.out, a.oy0 + rows);
        a.y = p.y;
        a.scratch = scratch(bytes);
        kernel(a);
      },
      threads);
}

}  // namespace fastinfer::ops
