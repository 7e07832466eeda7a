// Scalar reference path: plain loops over the packed layout. Always built; the other
// paths are tested against it and against numpy.
#include <cstring>

#include "kernels/gemm_u8s8/epilogue_ref.h"
#include "kernels/gemm_u8s8/kernel.h"

namespace fastinfer::int8 {
namespace {

constexpr int kMr = 4;

void tile_ref(const uint8_t* a, int64_t lda, int mr, const int8_t* panel, int64_t k, int32_t* acc) {
  std::memset(acc, 0, sizeof(int32_t) * mr * kPanelN);
  for (int r = 0; r < mr; ++r) {
    const uint8_t* row = a + r * lda;
    int32_t* out = acc + r * kPanelN;
    for (int64_t kk = 0; kk < k; ++kk) {
      const int8_t* group = panel + (kk / kGroupK) * kPanelN * kGroupK + kk % kGroupK;
      const int32_t av = row[kk];
      for (int c = 0; c < kPanelN; ++c) out[c] += av * group[c * kGroupK];
    }
  }
}

void epilogue_ref(const int32_t* acc, int mr, int ncols, int64_t row0, int64_t col0,
                  const PackedWeights& w, const Epilogue& ep, void* out, int64_t ldc) {
  for (int r = 0; r < mr; ++r) {
    const int32_t zp = row_zero_point(ep, row0 + r);
    const float sa = row_scale(ep, row0 + r);
    for (int c = 0; c < ncols; ++c) {
      const int32_t corrected = acc[r * kPanelN + c] - zp * w.col_sums.data()[col0 + c];
      store_one(ep, w, corrected, sa, row0 + r, col0 + c, out, ldc);
    }
  }
}

}  // namespace

const KernelSet kRefKernels = {"qu8s8-gemm-4x64c4-scalar", kMr, tile_ref, epilogue_ref};

}  // namespace fastinfer::int8
