#include "fastinfer/cpu_info.h"

#include <atomic>
#include <cstdint>
#include <cstring>
#include <iterator>
#include <stdexcept>

#include "kernels/config_registry.h"

#if defined(FASTINFER_X86)
#include <cpuid.h>
#endif

namespace fastinfer {
namespace {

#if defined(FASTINFER_X86)
uint64_t read_xcr0() {
  uint32_t eax, edx;
  // xgetbv without needing -mxsave on this file.
  __asm__ volatile("xgetbv" : "=a"(eax), "=d"(edx) : "c"(0));
  return (static_cast<uint64_t>(edx) << 32) | eax;
}

CpuFeatures detect() {
  CpuFeatures f;
  unsigned a = 0, b = 0, c = 0, d = 0;
  unsigned max_leaf = __get_cpuid_max(0, nullptr);
  __cpuid(0, a, b, c, d);
  char vendor[13] = {};
  std::memcpy(vendor, &b, 4);
  std::memcpy(vendor + 4, &d, 4);
  std::memcpy(vendor + 8, &c, 4);
  f.vendor = vendor;

  if (__get_cpuid_max(0x80000000, nullptr) >= 0x80000004) {
    char brand[49] = {};
    for (unsigned i = 0; i < 3; ++i) {
      __cpuid(0x80000002 + i, a, b, c, d);
      std::memcpy(brand + 16 * i, &a, 4);
      std::memcpy(brand + 16 * i + 4, &b, 4);
      std::memcpy(brand + 16 * i + 8, &c, 4);
      std::memcpy(brand + 16 * i + 12, &d, 4);
    }
    f.brand = brand;
    while (!f.brand.empty() && f.brand.back() == ' ') f.brand.pop_back();
  }

  __cpuid(1, a, b, c, d);
  f.sse42 = c & (1u << 20);
  f.fma = c & (1u << 12);
  f.f16c = c & (1u << 29);
  bool osxsave = c & (1u << 27);
  f.avx = c & (1u << 28);
  if (osxsave) {
    uint64_t xcr0 = read_xcr0();
    f.os_avx = (xcr0 & 0x6) == 0x6;       // SSE and AVX state
    f.os_avx512 = (xcr0 & 0xE6) == 0xE6;  // + opmask, ZMM_Hi256, Hi16_ZMM
  }
  if (max_leaf >= 7) {
    __cpuid_count(7, 0, a, b, c, d);
    f.avx2 = b & (1u << 5);
    f.avx512f = b & (1u << 16);
    f.avx512dq = b & (1u << 17);
    f.avx512bw = b & (1u << 30);
    f.avx512vl = b & (1u << 31);
    f.avx512vnni = c & (1u << 11);
    f.amx_int8 = d & (1u << 25);
    __cpuid_count(7, 1, a, b, c, d);
    f.avx_vnni = a & (1u << 4);
    f.avx512bf16 = a & (1u << 5);
  }
  // Features the OS does not save state for are unusable.
  if (!f.os_avx) f.avx = f.avx2 = f.fma = f.f16c = f.avx_vnni = false;
  if (!f.os_avx512)
    f.avx512f = f.avx512bw = f.avx512dq = f.avx512vl = f.avx512vnni = f.avx512bf16 = false;
  return f;
}
#else
CpuFeatures detect() { return CpuFeatures{}; }
#endif

// The named paths, most capable first (best_supported_isa takes the first supported).
constexpr Isa kPaths[] = {Isa::kAvx512Vnni, Isa::kAvx512, Isa::kAvx2Vnni, Isa::kAvx2, Isa::kScalar};

std::atomic<uint32_t>& active_bits() {
  static std::atomic<uint32_t> bits{Isa::kScalar.bits()};
  return bits;
}

}  // namespace

const CpuFeatures& cpu_features() {
  static const CpuFeatures features = detect();
  return features;
}

bool isa_supported(Isa isa) {
  const CpuFeatures& f = cpu_features();
  const bool avx2 = f.avx2 && f.fma && f.f16c;
  const bool avx512 = avx2 && f.avx512f && f.avx512bw && f.avx512dq && f.avx512vl;
  if (isa.has(IsaFeature::kAvx2Fma) && !avx2) return false;
  if (isa.has(IsaFeature::kAvx512) && !avx512) return false;
  if (isa.has(IsaFeature::kAvx512Vnni) && !(avx512 && f.avx512vnni)) return false;
  if (isa.has(IsaFeature::kAvxVnni) && !(avx2 && f.avx_vnni)) return false;
  return true;
}

Isa best_supported_isa() {
  for (Isa isa : kPaths) {
    if (isa_supported(isa)) return isa;
  }
  return Isa::kScalar;
}

const char* isa_name(Isa isa) {
  if (isa == Isa::kScalar) return "scalar";
  if (isa == Isa::kAvx2) return "avx2";
  if (isa == Isa::kAvx2Vnni) return "avx2_vnni";
  if (isa == Isa::kAvx512) return "avx512";
  if (isa == Isa::kAvx512Vnni) return "avx512_vnni";
  return "unknown";
}

Isa parse_isa(const std::string& name) {
  for (Isa isa : kPaths) {
    if (name == isa_name(isa)) return isa;
  }
  throw std::invalid_argument("unknown ISA '" + name +
                              "': expected one of scalar, avx2, avx2_vnni, avx512, avx512_vnni");
}

std::vector<Isa> supported_isas() {
  std::vector<Isa> out;
  // Listed from the most portable up, as tests and benchmarks print them.
  for (auto it = std::rbegin(kPaths); it != std::rend(kPaths); ++it) {
    if (isa_supported(*it)) out.push_back(*it);
  }
  return out;
}

Isa active_isa() {
  const uint32_t bits = active_bits().load(std::memory_order_relaxed);
  for (Isa isa : kPaths) {
    if (isa.bits() == bits) return isa;
  }
  return Isa::kScalar;
}

void set_active_isa(Isa isa) {
  if (!isa_supported(isa)) {
    throw std::invalid_argument(std::string("ISA '") + isa_name(isa) +
                                "' is not supported by this CPU/OS (best available: '" +
                                isa_name(best_supported_isa()) + "')");
  }
  active_bits().store(isa.bits(), std::memory_order_relaxed);
  kernels::configure_all(isa);
}

}  // namespace fastinfer
