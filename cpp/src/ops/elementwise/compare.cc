// Comparisons (Equal, Greater, Less, GreaterOrEqual, LessOrEqual) to bool, and the logical
// ops (And, Or, Xor) on bool, all with numpy broadcasting. bool is one byte, 0 or 1.
// Comparisons with NaN are false (Equal(NaN, NaN) too), as in IEEE and numpy.
#include <cstdint>
#include <memory>

#include "ops/common/binary_kernel.h"

namespace fastinfer::ops {
namespace {

template <class T>
struct EqualOp {
  uint8_t operator()(T a, T b) const { return a == b; }
};
template <class T>
struct GreaterOp {
  uint8_t operator()(T a, T b) const { return a > b; }
};
template <class T>
struct LessOp {
  uint8_t operator()(T a, T b) const { return a < b; }
};
template <class T>
struct GreaterEqualOp {
  uint8_t operator()(T a, T b) const { return a >= b; }
};
template <class T>
struct LessEqualOp {
  uint8_t operator()(T a, T b) const { return a <= b; }
};
struct AndOp {
  uint8_t operator()(uint8_t a, uint8_t b) const { return (a != 0) & (b != 0); }
};
struct OrOp {
  uint8_t operator()(uint8_t a, uint8_t b) const { return (a != 0) | (b != 0); }
};
struct XorOp {
  uint8_t operator()(uint8_t a, uint8_t b) const { return (a != 0) ^ (b != 0); }
};

template <template <class> class Op>
std::unique_ptr<plan::Kernel> compare(const KernelSpec& spec, bool allow_bool) {
  check_arity(spec, 2, 2, 1, 1);
  if (allow_bool) {
    check_dtype(spec, 0,
                {DType::kFloat32, DType::kFloat64, DType::kInt32, DType::kInt64, DType::kInt8,
                 DType::kUint8, DType::kBool});
  } else {
    check_dtype(spec, 0,
                {DType::kFloat32, DType::kFloat64, DType::kInt32, DType::kInt64, DType::kInt8,
                 DType::kUint8});
  }
  const DType out = DType::kBool;
  Broadcast bc = binary_broadcast(spec, &out);
  switch (spec.inputs[0].dtype) {
    case DType::kInt32:
      return std::make_unique<BinaryKernel<int32_t, uint8_t, Op<int32_t>>>(std::move(bc));
    case DType::kInt64:
      return std::make_unique<BinaryKernel<int64_t, uint8_t, Op<int64_t>>>(std::move(bc));
    case DType::kFloat64:
      return std::make_unique<BinaryKernel<double, uint8_t, Op<double>>>(std::move(bc));
    case DType::kInt8:
      return std::make_unique<BinaryKernel<int8_t, uint8_t, Op<int8_t>>>(std::move(bc));
    case DType::kUint8:
    case DType::kBool:
      return std::make_unique<BinaryKernel<uint8_t, uint8_t, Op<uint8_t>>>(std::move(bc));
    default:
      return std::make_unique<BinaryKernel<float, uint8_t, Op<float>>>(std::move(bc));
  }
}

template <class Op>
std::unique_ptr<plan::Kernel> logical(const KernelSpec& spec) {
  check_arity(spec, 2, 2, 1, 1);
  check_dtype(spec, 0, {DType::kBool});
  const DType out = DType::kBool;
  Broadcast bc = binary_broadcast(spec, &out);
  return std::make_unique<BinaryKernel<uint8_t, uint8_t, Op>>(std::move(bc));
}

const bool kRegistered = [] {
  register_op("Equal", [](const KernelSpec& s) { return compare<EqualOp>(s, true); });
  register_op("Greater", [](const KernelSpec& s) { return compare<GreaterOp>(s, false); });
  register_op("Less", [](const KernelSpec& s) { return compare<LessOp>(s, false); });
  register_op("GreaterOrEqual",
              [](const KernelSpec& s) { return compare<GreaterEqualOp>(s, false); });
  register_op("LessOrEqual", [](const KernelSpec& s) { return compare<LessEqualOp>(s, false); });
  register_op("And", logical<AndOp>);
  register_op("Or", logical<OrOp>);
  register_op("Xor", logical<XorOp>);
  return true;
}();

}  // namespace
}  // namespace fastinfer::ops
