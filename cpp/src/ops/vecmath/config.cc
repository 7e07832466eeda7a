#include "fastinfer/cpu_info.h"
#include "ops/vecmath/float_math.h"

namespace fastinfer::ops {

const FloatMath& float_math() {
  switch (active_isa()) {
#if FASTINFER_X86
    case Isa::kAvx512:
    case Isa::kAvx512Vnni:
      return detail::kFloatMathAvx512;
    case Isa::kAvx2:
      return detail::kFloatMathAvx2;
#endif
    default:
      return detail::kFloatMathRef;
  }
}

}  // namespace fastinfer::ops
