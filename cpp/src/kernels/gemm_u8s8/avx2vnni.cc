// AVX-VNNI path (Alder Lake and later, Zen 5 client; VEX-encoded vpdpbusd on ymm, 16
// registers): vpdpbusd multiplies u8 activations by s8 weights and adds groups of four
// products straight into int32 lanes, exact over the full u8 x s8 range, so the
// activations are used as they are.
//
// Tile measured like avx2.cc's (one tile on a hot panel, 1 thread, Zen 5, int8_avx_vnni
// peak 472 Gop/s, shared machine): 2x32 368 Gop/s, 4x16 440, 3x32 478, 6x16 484. 6 rows x
// 16 columns: 12 accumulators, 2 weight registers, 1 broadcast.
#include <immintrin.h>

#include "kernels/gemm_u8s8/epilogue_avx2.h"
#include "kernels/gemm_u8s8/epilogue_ref.h"
#include "kernels/gemm_u8s8/kernel.h"

namespace fastinfer::int8 {
namespace {

constexpr int kMr = 6;  // x 16 columns: 12 accumulators

// c += dot4(a u8, b s8) per int32 lane. Inline asm with a "+x" accumulator, and {vex}
// (written %{vex%}: braces separate asm dialects in GCC templates)
// so that the assembler emits the AVX-VNNI encoding rather than the EVEX one (which needs
// AVX-512 VL). With _mm256_dpbusd_avx_epi32 GCC 12 does not tie the accumulator to the
// output and copies most accumulators through the stack every step (seen in the
// disassembly), as in avx512vnni.cc.
static inline __m256i dpbusd(__m256i c, __m256i a, __m256i b) {
  __asm__("%{vex%} vpdpbusd %[b], %[a], %[c]" : [c] "+x"(c) : [a] "x"(a), [b] "x"(b));
  return c;
}

// Named accumulators and a macro body, for the same reason as avx512vnni.cc: arrays or a
// lambda make GCC keep them in memory.
#define FI_VNNI_ROW(R, WORD)                                 \
  if constexpr (MR > R) {                                    \
    const __m256i av = _mm256_set1_epi32(WORD(a + R * lda)); \
    c##R##0 = dpbusd(c##R##0, av, b0);                       \
    c##R##1 = dpbusd(c##R##1, av, b1);                       \
  }
#define FI_VNNI_STEP(WORD)                                                          \
  {                                                                                 \
    const __m256i b0 = _mm256_load_si256(reinterpret_cast<const __m256i*>(b));      \
    const __m256i b1 = _mm256_load_si256(reinterpret_cast<const __m256i*>(b + 32)); \
    FI_VNNI_ROW(0, WORD)                                                            \
    FI_VNNI_ROW(1, WORD)                                                            \
    FI_VNNI_ROW(2, WORD)                                                            \
    FI_VNNI_ROW(3, WORD)                                                            \
    FI_VNNI_ROW(4, WORD)                                                            \
    FI_VNNI_ROW(5, WORD)                                                            \
    b += kPanelN * kGroupK;                                                         \
  }
#define FI_VNNI_STORE(R)                                                                  \
  if constexpr (MR > R) {                                                                 \
    _mm256_store_si256(reinterpret_cast<__m256i*>(acc + R * kPanelN + col), c##R##0);     \
    _mm256_store_si256(reinterpret_cast<__m256i*>(acc + R * kPanelN + col + 8), c##R##1); \
  }
#define FI_FULL_GROUP(row) load_group(row, g)
#define FI_PARTIAL_GROUP(row) load_partial_group(row, k)

template <int MR>
void tile_vnni(const uint8_t* a, int64_t lda, const int8_t* panel, int64_t k, int32_t* acc) {
  const int64_t full_groups = k / kGroupK;
  for (int col = 0; col < kPanelN; col += 16) {
    const __m256i z = _mm256_setzero_si256();
    __m256i c00 = z, c01 = z, c10 = z, c11 = z, c20 = z, c21 = z;
    __m256i c30 = z, c31 = z, c40 = z, c41 = z, c50 = z, c51 = z;
    const int8_t* b = panel + col * kGroupK;
    for (int64_t g = 0; g < full_groups; ++g) FI_VNNI_STEP(FI_FULL_GROUP)
    if (k % kGroupK) FI_VNNI_STEP(FI_PARTIAL_GROUP)
    FI_VNNI_STORE(0)
    FI_VNNI_STORE(1)
    FI_VNNI_STORE(2)
    FI_VNNI_STORE(3)
    FI_VNNI_STORE(4)
    FI_VNNI_STORE(5)
  }
}

#undef FI_VNNI_ROW
#undef FI_VNNI_STEP
#undef FI_VNNI_STORE
#undef FI_FULL_GROUP
#undef FI_PARTIAL_GROUP

void tile_avx2vnni(const uint8_t* a, int64_t lda, int mr, const int8_t* panel, int64_t k,
                   int32_t* acc) {
  switch (mr) {
    case 1:
      return tile_vnni<1>(a, lda, panel, k, acc);
    case 2:
      return tile_vnni<2>(a, lda, panel, k, acc);
    case 3:
      return tile_vnni<3>(a, lda, panel, k, acc);
    case 4:
      return tile_vnni<4>(a, lda, panel, k, acc);
    case 5:
      return tile_vnni<5>(a, lda, panel, k, acc);
    default:
      return tile_vnni<6>(a, lda, panel, k, acc);
  }
}

}  // namespace

const KernelSet kAvx2VnniKernels = {"qu8s8-gemm-6x16c4-avx2vnni", kMr, tile_avx2vnni,
                                    epilogue_avx2};

}  // namespace fastinfer::int8
