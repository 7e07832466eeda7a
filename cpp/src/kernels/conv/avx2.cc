// The AVX2 conv kernels (8 lanes, 16 ymm registers, no mask registers): direct conv tiles
// of 6 rows x 16 pixels, the phase-split padding, im2col for stride 1, the small-output
// gather and epilogue, and the depthwise loop (depthwise_simd.h).
//
// Register blocking: 6 x 16 is 12 accumulators, 2 B vectors and a broadcast weight, 15 of
// the 16 registers (the AVX-512 tile is 12 x 32 in 24 of 32: halving it would leave 12
// rows x 1 vector, twice the weight broadcasts per FMA). Per tap that is 2 unaligned loads
// and 6 broadcasts for 12 FMAs, within Zen 3's two loads a cycle at two FMAs a cycle.
//
// Masked stores (vmaskmovps) are slow on Zen 2/3, so panels and phase planes are written
// with full vectors wherever the lanes past a row's end land on memory that is written
// again later (rows are written in ascending order) or must be zero anyway; only a plane's
// last partial vector is masked.
#include <immintrin.h>

#include <algorithm>
#include <cstdint>

#include "kernels/conv/kernels.h"

namespace fastinfer::conv {
namespace {

constexpr int kMr = 6;

int64_t ceil_div(int64_t a, int64_t b) { return (a + b - 1) / b; }

// All-ones in lanes [a, b), a and b in [0, 8].
inline __m256i range_mask(int64_t a, int64_t b) {
  const __m256i lanes = _mm256_setr_epi32(0, 1, 2, 3, 4, 5, 6, 7);
  const __m256i ge_a = _mm256_cmpgt_epi32(lanes, _mm256_set1_epi32(static_cast<int>(a) - 1));
  const __m256i lt_b = _mm256_cmpgt_epi32(_mm256_set1_epi32(static_cast<int>(b)), lanes);
  return _mm256_and_si256(ge_a, lt_b);
}
inline __m256i first_lanes(int64_t n) { return range_mask(0, n); }

// min(hi, max(lo, v)): maxps/minps return their second operand when one is NaN, so NaN
// passes through as in the GEMM path and onnxruntime.
inline __m256 clamp(__m256 v, __m256 lo, __m256 hi) {
  return _mm256_min_ps(hi, _mm256_max_ps(lo, v));
}

// Lanes 0..7 of the even (odd) source lanes of a 16-lane window [a | b].
inline __m256 even_lanes(__m256 a, __m256 b) {
  const __m256 e = _mm256_shuffle_ps(a, b, _MM_SHUFFLE(2, 0, 2, 0));
  return _mm256_castpd_ps(_mm256_permute4x64_pd(_mm256_castps_pd(e), _MM_SHUFFLE(3, 1, 2, 0)));
}
inline __m256 odd_lanes(__m256 a, __m256 b) {
  const __m256 o = _mm256_shuffle_ps(a, b, _MM_SHUFFLE(3, 1, 3, 1));
  return _mm256_castpd_ps(_mm256_permute4x64_pd(_mm256_castps_pd(o), _MM_SHUFFLE(3, 1, 2, 0)));
}

// Stores the first n lanes of v at p: a full store when n == 8.
inline void store_n(float* p, __m256 v, int64_t n) {
  if (n == 8) {
    _mm256_storeu_ps(p, v);
  } else if (n > 0) {
    _mm256_maskstore_ps(p, first_lanes(n), v);
  }
}

// -- im2col, stride 1 --------------------------------------------------------------------

void im2col_panel_s1(const float* in, int64_t channels, const Window2d& g, int64_t q0, int64_t q1,
                     float* panel) {
  const WindowAxis &h = g.h, &w = g.w;
  const int64_t plane = h.in * w.in, cols = q1 - q0;
  struct Segment {
    int64_t col, len, oy, ox;
  };
  Segment segs[kBlock];
  int64_t n_segs = 0;
  for (int64_t q = q0; q < q1;) {
    const int64_t oy = q / w.out, ox = q - oy * w.out;
    const int64_t len = std::min(q1 - q, w.out - ox);
    segs[n_segs++] = {q - q0, len, oy, ox};
    q += len;
  }
  const __m256 zero = _mm256_setzero_ps();
  float* dst = panel;
  for (int64_t c = 0; c < channels; ++c) {
    const float* src_c = in + c * plane;
    for (int64_t ky = 0; ky < h.kernel; ++ky) {
      for (int64_t kx = 0; kx < w.kernel; ++kx, dst += kBlock) {
        // Columns past the panel's pixels stay zero: the kernel multiplies them too.
        if (cols < kBlock) {
          for (int v = 0; v < 4; ++v) _mm256_store_ps(dst + 8 * v, zero);
        }
        for (int64_t si = 0; si < n_segs; ++si) {
          const Segment& sg = segs[si];
          float* d = dst + sg.col;
          const int64_t iy = sg.oy * h.stride - h.pad_begin + ky * h.dilation;
          const int64_t base = sg.ox - w.pad_begin + kx * w.dilation;
          int64_t lo = 0, hi = 0;
          if (iy >= 0 && iy < h.in) {
            lo = std::clamp<int64_t>(-base, 0, sg.len);
            hi = std::clamp<int64_t>(w.in - base, lo, sg.len);
          }
          const float* s = src_c + iy * w.in + base;
          // Full stores: lanes past the segment are zero (not loaded) and land on the next
          // segment, the zero columns past the pixels, or the next row (all written after
          // this one), or the panel's slack.
          for (int64_t t = 0; t < sg.len; t += 8) {
            const int64_t n = std::min<int64_t>(8, sg.len - t);
            const int64_t a = std::clamp<int64_t>(lo - t, 0, n);
            const int64_t b = std::clamp<int64_t>(hi - t, a, n);
            const __m256 v = b > a ? _mm256_maskload_ps(s + t, range_mask(a, b)) : zero;
            _mm256_storeu_ps(d + t, v);
          }
        }
      }
    }
  }
}

// -- direct conv -----------------------------------------------------------------------

// The first row tile of each block prefetches the next block's B lines, one tap at a time
// (why: see prefetch_b in avx512.cc); a block here is 16 floats, at most two lines.
inline void prefetch_b(const float* p) {
  _mm_prefetch(reinterpret_cast<const char*>(p), _MM_HINT_T0);
  _mm_prefetch(reinterpret_cast<const char*>(p + 15), _MM_HINT_T0);
}

// Where one block of 16 flat positions goes: per 8-lane vector the permutation that packs
// its output-pixel lanes (ox < out_w) to the front, how many there are, and the output
// index of the first. Output pixels are in flat order, so a vector's valid lanes are
// consecutive outputs: the epilogue packs them in a register (vpermps, AVX2 has no
// compress) and stores them at once.
struct BlockOut {
  __m256i perm[2];
  int64_t n[2];
  int64_t o[2];
  const float* bias;  // this tile's rows, or null
  const float* res;   // plane of the tile's row 0, or null
  float* y;           // plane of the tile's row 0
  int64_t out_plane;
  __m256 lo, hi;
};

// Rows [0, MR) of one weight tile against 8 * NV consecutive flat pixels starting at xq:
// the B row of tap kk is xq + offs[kk] in the padded input, read unaligned.
template <int MR, int NV>
void direct_tile(const float* wt, const int32_t* offs, int64_t k, const float* xq,
                 const BlockOut& e, const float* pf) {
  __m256 acc[MR][NV];
#pragma GCC unroll 8
  for (int r = 0; r < MR; ++r) {
#pragma GCC unroll 2
    for (int v = 0; v < NV; ++v) acc[r][v] = _mm256_setzero_ps();
  }
  for (int64_t kk = 0; kk < k; ++kk) {
    const float* b = xq + offs[kk];
    if (pf) prefetch_b(pf + offs[kk]);
    __m256 bv[NV];
#pragma GCC unroll 2
    for (int v = 0; v < NV; ++v) bv[v] = _mm256_loadu_ps(b + 8 * v);
#pragma GCC unroll 8
    for (int r = 0; r < MR; ++r) {
      const __m256 wv = _mm256_broadcast_ss(wt + kk * kMr + r);
#pragma GCC unroll 2
      for (int v = 0; v < NV; ++v) acc[r][v] = _mm256_fmadd_ps(wv, bv[v], acc[r][v]);
    }
  }
#pragma GCC unroll 8
  for (int r = 0; r < MR; ++r) {
    const __m256 bias = _mm256_set1_ps(e.bias ? e.bias[r] : 0.0f);
#pragma GCC unroll 2
    for (int v = 0; v < NV; ++v) {
      if (!e.n[v]) continue;
      const int64_t o = r * e.out_plane + e.o[v];
      __m256 val = _mm256_permutevar8x32_ps(_mm256_add_ps(acc[r][v], bias), e.perm[v]);
      if (e.res) {
        val = _mm256_add_ps(val, e.n[v] == 8 ? _mm256_loadu_ps(e.res + o)
                                             : _mm256_maskload_ps(e.res + o, first_lanes(e.n[v])));
      }
      store_n(e.y + o, clamp(val, e.lo, e.hi), e.n[v]);
    }
  }
}

using TileFn = void (*)(const float*, const int32_t*, int64_t, const float*, const BlockOut&,
                        const float*);
template <int NV, int... R>
struct Tiles {
  static constexpr TileFn fns[] = {nullptr, &direct_tile<R, NV>...};
};

void direct_flat(const DirectConvArgs& a) {
  using Table = Tiles<2, 1, 2, 3, 4, 5, 6>;
  using HalfTable = Tiles<1, 1, 2, 3, 4, 5, 6>;
  const int64_t flat_end = (a.out_h - 1) * a.wp + a.out_w;
  BlockOut e;
  e.out_plane = a.out_plane;
  e.lo = _mm256_set1_ps(a.lo);
  e.hi = _mm256_set1_ps(a.hi);
  for (int64_t q = a.q_begin; q < a.q_end; q += 16) {
    const int64_t end = std::min({q + 16, flat_end, a.q_end});
    bool any = false;
    for (int v = 0; v < 2; ++v) {
      alignas(32) int32_t perm[8] = {0, 0, 0, 0, 0, 0, 0, 0};
      int64_t n = 0, o = 0;
      for (int64_t l = 0; l < 8 && q + 8 * v + l < end; ++l) {
        const int64_t p = q + 8 * v + l, oy = p / a.wp, ox = p - oy * a.wp;
        if (ox >= a.out_w) continue;
        if (n == 0) o = oy * a.out_w + ox;
        perm[n++] = static_cast<int32_t>(l);
      }
      e.perm[v] = _mm256_load_si256(reinterpret_cast<const __m256i*>(perm));
      e.n[v] = n;
      e.o[v] = o;
      any = any || n > 0;
    }
    if (!any) continue;  // only padding columns (kernels wider than 16)
    const TileFn* fns = end - q <= 8 ? HalfTable::fns : Table::fns;
    for (int64_t m0 = 0; m0 < a.m; m0 += kMr) {
      const int64_t rows = std::min<int64_t>(kMr, a.m - m0);
      e.bias = a.bias ? a.bias + m0 : nullptr;
      e.res = a.res ? a.res + m0 * a.out_plane : nullptr;
      e.y = a.y + m0 * a.out_plane;
      fns[rows](a.w_tiles + m0 * a.k, a.offs, a.k, a.xp + q, e,
                m0 == 0 && q + 16 < a.q_end ? a.xp + q + 16 : nullptr);
    }
  }
}

// Rows [0, MR) of one weight tile against NV 8-pixel runs of output rows (out_w % 8 == 0):
// run v starts at padded position base[v], so tap kk reads base[v] + offs[kk]. The output
// is dense: every lane is a pixel, and the epilogue stores whole vectors.
template <int MR, int NV>
void rows_tile(const float* wt, const int32_t* offs, int64_t k, const float* const* base,
               const float* bias, const float* res, float* y, int64_t out_plane, __m256 lo,
               __m256 hi, const float* pf) {
  __m256 acc[MR][NV];
#pragma GCC unroll 8
  for (int r = 0; r < MR; ++r) {
#pragma GCC unroll 2
    for (int v = 0; v < NV; ++v) acc[r][v] = _mm256_setzero_ps();
  }
  for (int64_t kk = 0; kk < k; ++kk) {
    const int64_t off = offs[kk];
    if (pf) prefetch_b(pf + off);
    __m256 bv[NV];
#pragma GCC unroll 2
    for (int v = 0; v < NV; ++v) bv[v] = _mm256_loadu_ps(base[v] + off);
#pragma GCC unroll 8
    for (int r = 0; r < MR; ++r) {
      const __m256 wv = _mm256_broadcast_ss(wt + kk * kMr + r);
#pragma GCC unroll 2
      for (int v = 0; v < NV; ++v) acc[r][v] = _mm256_fmadd_ps(wv, bv[v], acc[r][v]);
    }
  }
#pragma GCC unroll 8
  for (int r = 0; r < MR; ++r) {
    const __m256 b = _mm256_set1_ps(bias ? bias[r] : 0.0f);
#pragma GCC unroll 2
    for (int v = 0; v < NV; ++v) {
      const int64_t o = r * out_plane + 8 * v;
      __m256 val = _mm256_add_ps(acc[r][v], b);
      if (res) val = _mm256_add_ps(val, _mm256_loadu_ps(res + o));
      _mm256_storeu_ps(y + o, clamp(val, lo, hi));
    }
  }
}

using RowsFn = void (*)(const float*, const int32_t*, int64_t, const float* const*, const float*,
                        const float*, float*, int64_t, __m256, __m256, const float*);
template <int NV, int... R>
struct RowsTiles {
  static constexpr RowsFn fns[] = {nullptr, &rows_tile<R, NV>...};
};

void direct_rows(const DirectConvArgs& a) {
  using T2 = RowsTiles<2, 1, 2, 3, 4, 5, 6>;
  using T1 = RowsTiles<1, 1, 2, 3, 4, 5, 6>;
  const __m256 lo = _mm256_set1_ps(a.lo), hi = _mm256_set1_ps(a.hi);
  for (int64_t q = a.q_begin; q < a.q_end; q += 16) {
    // The output plane is a multiple of 8 pixels, so a block is one or two whole runs.
    const int64_t n = std::min<int64_t>(16, a.q_end - q);
    const float* base[2];
    for (int v = 0; v < 2; ++v) {
      const int64_t p = q + 8 * std::min<int64_t>(v, (n - 1) / 8);
      const int64_t oy = p / a.out_w, ox = p - oy * a.out_w;
      base[v] = a.xp + oy * a.wp + ox;
    }
    const RowsFn* fns = n <= 8 ? T1::fns : T2::fns;
    // The next block's first run, which the first row tile prefetches tap by tap.
    const float* next = nullptr;
    if (q + 16 < a.q_end) {
      const int64_t oy = (q + 16) / a.out_w;
      next = a.xp + oy * a.wp + (q + 16 - oy * a.out_w);
    }
    for (int64_t m0 = 0; m0 < a.m; m0 += kMr) {
      const int64_t rows = std::min<int64_t>(kMr, a.m - m0);
      fns[rows](a.w_tiles + m0 * a.k, a.offs, a.k, base, a.bias ? a.bias + m0 : nullptr,
                a.res ? a.res + m0 * a.out_plane + q : nullptr, a.y + m0 * a.out_plane + q,
                a.out_plane, lo, hi, m0 == 0 ? next : nullptr);
    }
  }
}

// -- phase-split padding -----------------------------------------------------------------

// Why vector code: rows here are 10 to 70 floats, where per-row fill/copy library calls
// and the scalar stride-2 gather made this copy ~15% of the network's time. Masked loads
// do not touch masked-off lanes, so lanes outside the input read nothing and come out 0.
void pad_phase(const float* src, int64_t in_h, int64_t in_w, int64_t row0, int64_t col0, int64_t sh,
               int64_t sw, int64_t hp, int64_t wp, float* dst) {
  // Columns j whose source column j * sw + col0 lies in [0, in_w).
  const int64_t j_lo = std::min(wp, col0 >= 0 ? int64_t{0} : ceil_div(-col0, sw));
  const int64_t j_hi =
      std::clamp<int64_t>(in_w - col0 > 0 ? ceil_div(in_w - col0, sw) : 0, j_lo, wp);
  const __m256 zero = _mm256_setzero_ps();
  const int64_t chunks = (wp + 7) / 8, tail = wp - 8 * (chunks - 1);
  if (sw > 2) {
    for (int64_t r = 0; r < hp; ++r) {
      float* d = dst + r * wp;
      const int64_t iy = r * sh + row0;
      const bool inside = iy >= 0 && iy < in_h;
      const float* s = src + iy * in_w + col0;
      for (int64_t j = 0; j < wp; ++j) d[j] = inside && j >= j_lo && j < j_hi ? s[j * sw] : 0.0f;
    }
    return;
  }
  // The column masks depend on the chunk only, not on the row: computed once, so a row is
  // just its loads and stores. Stride 2 loads 16 source lanes per chunk, as two masks.
  constexpr int64_t kMaxChunks = 32;
  __m256i m0[kMaxChunks], m1[kMaxChunks];
  bool any[kMaxChunks];
  const bool cached = chunks <= kMaxChunks;
  auto masks = [&](int64_t c, __m256i* lo, __m256i* hi) {
    const int64_t j0 = 8 * c, n = std::min<int64_t>(8, wp - j0);
    const int64_t a = std::clamp<int64_t>(j_lo - j0, 0, n);
    const int64_t b = std::clamp<int64_t>(j_hi - j0, a, n);
    if (sw == 1) {
      *lo = range_mask(a, b);
      *hi = _mm256_setzero_si256();
    } else {
      // Lanes t in [a, b) read source offsets 2t: all of [2a, 2b - 1) is in the row.
      const int64_t s0 = 2 * a, s1 = b > a ? 2 * b - 1 : s0;
      *lo = range_mask(std::min<int64_t>(s0, 8), std::clamp<int64_t>(s1, 0, 8));
      *hi = range_mask(std::clamp<int64_t>(s0 - 8, 0, 8), std::clamp<int64_t>(s1 - 8, 0, 8));
    }
    return b > a;
  };
  if (cached) {
    for (int64_t c = 0; c < chunks; ++c) any[c] = masks(c, &m0[c], &m1[c]);
  }
  const float* plane_end = dst + hp * wp;
  for (int64_t r = 0; r < hp; ++r) {
    float* d = dst + r * wp;
    const int64_t iy = r * sh + row0;
    const bool inside = iy >= 0 && iy < in_h;
    const float* s = src + iy * in_w + col0;
    for (int64_t c = 0; c < chunks; ++c) {
      __m256 v = zero;
      if (inside) {
        __m256i lo, hi;
        const bool some = cached ? (lo = m0[c], hi = m1[c], any[c]) : masks(c, &lo, &hi);
        if (some) {
          if (sw == 1) {
            v = _mm256_maskload_ps(s + 8 * c, lo);
          } else {
            v = even_lanes(_mm256_maskload_ps(s + 16 * c, lo),
                           _mm256_maskload_ps(s + 16 * c + 8, hi));
          }
        }
      }
      // The lanes past a row's end land on the next rows, written after this one; only a
      // vector that would run past the plane is masked.
      if (d + 8 * c + 8 <= plane_end) {
        _mm256_storeu_ps(d + 8 * c, v);
      } else {
        store_n(d + 8 * c, v, c + 1 < chunks ? 8 : tail);
      }
    }
  }
}

void pad_phase_pair(const float* src, int64_t in_h, int64_t in_w, int64_t row0, int64_t col0,
                    int64_t sh, int64_t hp, int64_t wp, float* dst0, float* dst1) {
  // Output column j of chunk c reads window lane 2j (phase 0) and 2j + 1 (phase 1) of the
  // 16 source columns from col0 + 16c; a lane is loaded iff its column is in the row.
  const int64_t chunks = (wp + 7) / 8, tail = wp - 8 * (chunks - 1);
  __m256i lo_m[32], hi_m[32];
  for (int64_t c = 0; c < chunks; ++c) {
    const int64_t first = col0 + 16 * c;  // source column of window lane 0
    const int64_t a = std::clamp<int64_t>(-first, 0, 16);
    const int64_t b = std::clamp<int64_t>(in_w - first, a, 16);
    lo_m[c] = range_mask(std::min<int64_t>(a, 8), std::min<int64_t>(b, 8));
    hi_m[c] = range_mask(std::clamp<int64_t>(a - 8, 0, 8), std::clamp<int64_t>(b - 8, 0, 8));
  }
  const __m256 zero = _mm256_setzero_ps();
  for (int64_t r = 0; r < hp; ++r) {
    float* d0 = dst0 + r * wp;
    float* d1 = dst1 + r * wp;
    const int64_t iy = r * sh + row0;
    const bool inside = iy >= 0 && iy < in_h;
    const float* s = src + iy * in_w + col0;
    for (int64_t c = 0; c < chunks; ++c) {
      __m256 e = zero, o = zero;
      if (inside) {
        const __m256 lo = _mm256_maskload_ps(s + 16 * c, lo_m[c]);
        const __m256 hi = _mm256_maskload_ps(s + 16 * c + 8, hi_m[c]);
        e = even_lanes(lo, hi);
        o = odd_lanes(lo, hi);
      }
      // As in pad_phase: full stores unless they would run past the plane.
      if (r * wp + 8 * c + 8 <= hp * wp) {
        _mm256_storeu_ps(d0 + 8 * c, e);
        _mm256_storeu_ps(d1 + 8 * c, o);
      } else {
        const int64_t n = c + 1 < chunks ? 8 : tail;
        store_n(d0 + 8 * c, e, n);
        store_n(d1 + 8 * c, o, n);
      }
    }
  }
}

// -- small output planes -------------------------------------------------------------------

void gather_small(const float* x, int64_t channels, int64_t in_plane, const int32_t* idx,
                  int64_t taps, int64_t out_plane, float* panel) {
  const __m256i cols[2] = {first_lanes(std::min<int64_t>(out_plane, 8)),
                           first_lanes(std::clamp<int64_t>(out_plane - 8, 0, 8))};
  const int nv = out_plane > 8 ? 2 : 1;
  const __m256i neg = _mm256_set1_epi32(-1);
  for (int64_t c = 0; c < channels; ++c, x += in_plane) {
    for (int64_t t = 0; t < taps; ++t, panel += kBlock) {
      for (int v = 0; v < nv; ++v) {
        const __m256i iv =
            _mm256_loadu_si256(reinterpret_cast<const __m256i*>(idx + t * 16 + 8 * v));
        // Lanes of padding pixels (index -1) and past out_plane are not loaded: zero.
        const __m256i valid = _mm256_cmpgt_epi32(iv, neg);
        const __m256 g =
            _mm256_mask_i32gather_ps(_mm256_setzero_ps(), x, iv, _mm256_castsi256_ps(valid), 4);
        // Masked: the columns past out_plane belong to the next image of the panel.
        _mm256_maskstore_ps(panel + 8 * v, cols[v], g);
      }
    }
  }
}

void epilogue_small(const float* tile, int64_t m, int64_t out_plane, const float* bias,
                    const float* res, float lo, float hi, float* y) {
  const __m256i cols[2] = {first_lanes(std::min<int64_t>(out_plane, 8)),
                           first_lanes(std::clamp<int64_t>(out_plane - 8, 0, 8))};
  const int nv = out_plane > 8 ? 2 : 1;
  const __m256 lo_v = _mm256_set1_ps(lo), hi_v = _mm256_set1_ps(hi);
  for (int64_t r = 0; r < m; ++r, tile += kBlock, y += out_plane) {
    const __m256 b = _mm256_set1_ps(bias ? bias[r] : 0.0f);
    for (int v = 0; v < nv; ++v) {
      __m256 val = _mm256_add_ps(_mm256_loadu_ps(tile + 8 * v), b);
      if (res) val = _mm256_add_ps(val, _mm256_maskload_ps(res + r * out_plane + 8 * v, cols[v]));
      _mm256_maskstore_ps(y + 8 * v, cols[v], clamp(val, lo_v, hi_v));
    }
  }
}

// -- depthwise -------------------------------------------------------------------------------

// Vector traits for depthwise_simd.h.
struct V8 {
  using R = __m256;
  static constexpr int L = 8;
  static constexpr bool kMasked = false;  // tails as an overlapping vector
  static R set1(float v) { return _mm256_set1_ps(v); }
  static R loadu(const float* p) { return _mm256_loadu_ps(p); }
  static R fmadd(R a, R b, R c) { return _mm256_fmadd_ps(a, b, c); }
  static R add(R a, R b) { return _mm256_add_ps(a, b); }
  static R clamp(R v, R lo, R hi) { return conv::clamp(v, lo, hi); }
  static R load(const float* p, int n) {
    return n == L ? _mm256_loadu_ps(p) : _mm256_maskload_ps(p, first_lanes(n));
  }
  static void store(float* p, R v, int n) { store_n(p, v, n); }
  static R zero() { return _mm256_setzero_ps(); }
  static R loada(const float* p) { return _mm256_load_ps(p); }
  static void storea(float* p, R v) { _mm256_store_ps(p, v); }
  // r[i][j] <- r[j][i]: unpack pairs, 4x4 blocks within 128-bit lanes, then lanes.
  static void transpose(R (&r)[8]) {
    R t[8];
    for (int i = 0; i < 8; i += 2) {
      t[i] = _mm256_unpacklo_ps(r[i], r[i + 1]);
      t[i + 1] = _mm256_unpackhi_ps(r[i], r[i + 1]);
    }
    for (int i = 0; i < 8; i += 4) {
      r[i] = _mm256_shuffle_ps(t[i], t[i + 2], _MM_SHUFFLE(1, 0, 1, 0));
      r[i + 1] = _mm256_shuffle_ps(t[i], t[i + 2], _MM_SHUFFLE(3, 2, 3, 2));
      r[i + 2] = _mm256_shuffle_ps(t[i + 1], t[i + 3], _MM_SHUFFLE(1, 0, 1, 0));
      r[i + 3] = _mm256_shuffle_ps(t[i + 1], t[i + 3], _MM_SHUFFLE(3, 2, 3, 2));
    }
    for (int i = 0; i < 4; ++i) {
      t[i] = _mm256_permute2f128_ps(r[i], r[i + 4], 0x20);
      t[i + 4] = _mm256_permute2f128_ps(r[i], r[i + 4], 0x31);
    }
    for (int i = 0; i < 8; ++i) r[i] = t[i];
  }
};

}  // namespace
}  // namespace fastinfer::conv

#include "kernels/conv/depthwise_simd.h"

namespace fastinfer::conv {
namespace {

void depthwise(const DepthwiseArgs& a) { depthwise_simd<V8>(a, &pad_phase, &pad_phase_pair); }

}  // namespace

const ConvKernels kConvAvx2 = {
    "f32-conv-direct-6x16-avx2",
    kMr,
    &direct_flat,
    &direct_rows,
    &pad_phase,
    &pad_phase_pair,
    &gather_small,
    &epilogue_small,
    &im2col_panel_s1,
    "f32-dwconv-8x8-avx2",
    &depthwise,
};

}  // namespace fastinfer::conv
