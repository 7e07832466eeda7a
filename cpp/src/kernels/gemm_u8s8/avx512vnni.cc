// AVX-512 VNNI path: vpdpbusd multiplies u8 activations by s8 weights and adds groups of
// four products straight into int32 lanes: exact, no intermediate saturation.
#include <immintrin.h>

#include "kernels/gemm_u8s8/epilogue_avx512.h"
#include "kernels/gemm_u8s8/kernel.h"

namespace fastinfer::int8 {
namespace {

constexpr int kMr = 6;  // 6 rows x 4 zmm = 24 accumulators, 4 weight registers, 1 broadcast

// c += dot4(a u8, b s8) per int32 lane. Inline asm with a "+v" accumulator instead of
// _mm512_dpbusd_epi32: GCC 12 does not tie the intrinsic's accumulator to its output and
// copies every accumulator through the stack each step (seen in the disassembly).
static inline __m512i dpbusd(__m512i c, __m512i a, __m512i b) {
  __asm__("vpdpbusd %[b], %[a], %[c]" : [c] "+v"(c) : [a] "v"(a), [b] "v"(b));
  return c;
}

// Accumulators are named variables, not an array, and the loop body is a macro rather than
// a lambda: either of those makes GCC keep the 24 accumulators in memory instead of zmm
// registers (seen in the disassembly), which costs a third of the throughput.
#define FI_VNNI_ROW(R, WORD)                                 \
  if constexpr (MR > R) {                                    \
    const __m512i av = _mm512_set1_epi32(WORD(a + R * lda)); \
    c##R##0 = dpbusd(c##R##0, av, b0);                       \
    c##R##1 = dpbusd(c##R##1, av, b1);                       \
    c##R##2 = dpbusd(c##R##2, av, b2);                       \
    c##R##3 = dpbusd(c##R##3, av, b3);                       \
  }
#define FI_VNNI_STEP(WORD)                         \
  {                                                \
    const __m512i b0 = _mm512_load_si512(b);       \
    const __m512i b1 = _mm512_load_si512(b + 64);  \
    const __m512i b2 = _mm512_load_si512(b + 128); \
    const __m512i b3 = _mm512_load_si512(b + 192); \
    FI_VNNI_ROW(0, WORD)                           \
    FI_VNNI_ROW(1, WORD)                           \
    FI_VNNI_ROW(2, WORD)                           \
    FI_VNNI_ROW(3, WORD)                           \
    FI_VNNI_ROW(4, WORD)                           \
    FI_VNNI_ROW(5, WORD)                           \
    b += kPanelN * kGroupK;                        \
  }
#define FI_VNNI_STORE(R)                                 \
  if constexpr (MR > R) {                                \
    _mm512_store_si512(acc + R * kPanelN + 0, c##R##0);  \
    _mm512_store_si512(acc + R * kPanelN + 16, c##R##1); \
    _mm512_store_si512(acc + R * kPanelN + 32, c##R##2); \
    _mm512_store_si512(acc + R * kPanelN + 48, c##R##3); \
  }
#define FI_FULL_GROUP(row) load_group(row, g)
#define FI_PARTIAL_GROUP(row) load_partial_group(row, k)

template <int MR>
void tile_vnni(const uint8_t* a, int64_t lda, const int8_t* panel, int64_t k, int32_t* acc) {
  const __m512i z = _mm512_setzero_si512();
  __m512i c00 = z, c01 = z, c02 = z, c03 = z, c10 = z, c11 = z, c12 = z, c13 = z;
  __m512i c20 = z, c21 = z, c22 = z, c23 = z, c30 = z, c31 = z, c32 = z, c33 = z;
  __m512i c40 = z, c41 = z, c42 = z, c43 = z, c50 = z, c51 = z, c52 = z, c53 = z;
  const int64_t full_groups = k / kGroupK;
  const int8_t* b = panel;
  for (int64_t g = 0; g < full_groups; ++g) FI_VNNI_STEP(FI_FULL_GROUP)
  if (k % kGroupK) FI_VNNI_STEP(FI_PARTIAL_GROUP)
  FI_VNNI_STORE(0)
  FI_VNNI_STORE(1)
  FI_VNNI_STORE(2)
  FI_VNNI_STORE(3)
  FI_VNNI_STORE(4)
  FI_VNNI_STORE(5)
}

#undef FI_VNNI_ROW
#undef FI_VNNI_STEP
#undef FI_VNNI_STORE
#undef FI_FULL_GROUP
#undef FI_PARTIAL_GROUP

void tile_avx512vnni(const uint8_t* a, int64_t lda, int mr, const int8_t* panel, int64_t k,
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

const KernelSet kAvx512VnniKernels = {"qu8s8-gemm-6x64c4-avx512vnni", kMr, tile_avx512vnni,
                                      epilogue_avx512};

}  // namespace fastinfer::int8
