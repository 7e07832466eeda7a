// CPU feature detection and the once-chosen instruction-set path.
// Free of intrinsics: safe to include from any translation unit.
#pragma once

#include <string>
#include <vector>

namespace fastinfer {

// Kernel paths, ordered from most portable to most capable.
enum class Isa { kScalar = 0, kAvx2 = 1, kAvx512 = 2, kAvx512Vnni = 3 };

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
bool isa_supported(Isa isa);
Isa best_supported_isa();
const char* isa_name(Isa isa);
// Parses "scalar" | "avx2" | "avx512" | "avx512_vnni"; throws std::invalid_argument otherwise.
Isa parse_isa(const std::string& name);
std::vector<Isa> supported_isas();

// The path kernels use. Chosen once when the module loads (FASTINFER_ISA or cpuid);
// set_active_isa exists so tests can force each path in turn on one machine.
Isa active_isa();
// Throws std::invalid_argument if this CPU/OS cannot run `isa`.
void set_active_isa(Isa isa);

}  // namespace fastinfer
