// CPU feature detection and the once-chosen kernel path.
// Free of intrinsics: safe to include from any translation unit.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

namespace fastinfer {

struct CpuFeatures {
  // What cpuid reports and the OS has enabled (XCR0 via xgetbv).
  bool sse42 = false, avx = false, avx2 = false, fma = false, f16c = false;
  bool avx512f = false, avx512bw = false, avx512dq = false, avx512vl = false;
  bool avx512vnni = false, avx512bf16 = false, avx_vnni = false, amx_int8 = false;
  bool os_avx = false;     // XCR0 saves YMM state
  bool os_avx512 = false;  // XCR0 saves opmask and ZMM state
  std::string vendor, brand;
};

const CpuFeatures& cpu_features();  // detected once, cached

// Instruction-set features a kernel may rely on. A path is a set of them, not a rung on a
// ladder: AVX-VNNI (Alder Lake, Zen 5 client) comes without AVX-512, and a NEON path would
// share nothing with x86, so kernel tables ask `has(feature)` instead of comparing paths.
enum class IsaFeature : uint32_t {
  kAvx2Fma = 1u << 0,     // AVX2 + FMA3 + F16C: 16 ymm registers
  kAvx512 = 1u << 1,      // AVX-512 F/BW/DQ/VL: 32 zmm registers and masks
  kAvx512Vnni = 1u << 2,  // EVEX vpdpbusd zmm
  kAvxVnni = 1u << 3,     // VEX vpdpbusd ymm
};

// A kernel path: the features its kernels may use. Named paths are the values FASTINFER_ISA
// accepts; there is deliberately no ordering between them.
class Isa {
 public:
  static const Isa kScalar, kAvx2, kAvx2Vnni, kAvx512, kAvx512Vnni;

  constexpr bool has(IsaFeature f) const { return (bits_ & static_cast<uint32_t>(f)) != 0; }
  constexpr uint32_t bits() const { return bits_; }
  constexpr bool operator==(Isa o) const { return bits_ == o.bits_; }
  constexpr bool operator!=(Isa o) const { return bits_ != o.bits_; }

 private:
  constexpr explicit Isa(uint32_t bits) : bits_(bits) {}
  uint32_t bits_;
};

constexpr uint32_t operator|(IsaFeature a, IsaFeature b) {
  return static_cast<uint32_t>(a) | static_cast<uint32_t>(b);
}
constexpr uint32_t operator|(uint32_t a, IsaFeature b) { return a | static_cast<uint32_t>(b); }

inline constexpr Isa Isa::kScalar{0};
inline constexpr Isa Isa::kAvx2{static_cast<uint32_t>(IsaFeature::kAvx2Fma)};
inline constexpr Isa Isa::kAvx2Vnni{IsaFeature::kAvx2Fma | IsaFeature::kAvxVnni};
inline constexpr Isa Isa::kAvx512{IsaFeature::kAvx2Fma | IsaFeature::kAvx512};
inline constexpr Isa Isa::kAvx512Vnni{IsaFeature::kAvx2Fma | IsaFeature::kAvx512 |
                                      IsaFeature::kAvx512Vnni};

bool isa_supported(Isa isa);
// The fastest path this CPU runs: the first supported of avx512_vnni, avx512, avx2_vnni,
// avx2, scalar.
Isa best_supported_isa();
const char* isa_name(Isa isa);
// Parses "scalar" | "avx2" | "avx2_vnni" | "avx512" | "avx512_vnni"; throws
// std::invalid_argument otherwise.
Isa parse_isa(const std::string& name);
std::vector<Isa> supported_isas();

// The path kernels use. Chosen once when the module loads (FASTINFER_ISA or cpuid), which
// fills every kernel family's table (kernels/config_registry.h); set_active_isa exists so
// tests can force each path in turn on one machine, and refills the tables.
Isa active_isa();
// Throws std::invalid_argument if this CPU/OS cannot run `isa`.
void set_active_isa(Isa isa);

}  // namespace fastinfer
