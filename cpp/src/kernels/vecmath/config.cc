// The float-math table, filled once for the active path (kernels/config_registry.h).
#include <string>

#include "fastinfer/cpu_info.h"
#include "kernels/config_registry.h"
#include "kernels/vecmath/float_math.h"

namespace fastinfer::vecmath {
namespace {

const FloatMath* g_math = &detail::kFloatMathRef;

void fill_math(Isa isa) {
  g_math = &detail::kFloatMathRef;
#if FASTINFER_X86
  if (isa.has(IsaFeature::kAvx512)) {
    g_math = &detail::kFloatMathAvx512;
  } else if (isa.has(IsaFeature::kAvx2Fma)) {
    g_math = &detail::kFloatMathAvx2;
  }
#else
  (void)isa;
#endif
}

std::string describe_math() { return g_math->name; }

FASTINFER_KERNEL_FAMILY("vecmath_f32", fill_math, describe_math);

}  // namespace

const FloatMath& float_math() { return *g_math; }

}  // namespace fastinfer::vecmath
