// Where(condition, x, y) with three-way numpy broadcasting.
#include <cstdint>
#include <memory>

#include "ops/common/broadcast.h"
#include "ops/common/op_util.h"
#include "ops/common/parallel.h"

namespace fastinfer::ops {
namespace {

template <class T>
class WhereKernel final : public plan::Kernel {
 public:
  explicit WhereKernel(Broadcast bc) : bc_(std::move(bc)) {}

  void run(const void* const* inputs, void* const* outputs) const override {
    const auto* c = static_cast<const uint8_t*>(inputs[0]);
    const T* x = static_cast<const T*>(inputs[1]);
    const T* y = static_cast<const T*>(inputs[2]);
    T* out = static_cast<T*>(outputs[0]);
    const int64_t sc = bc_.inner_stride(0), sx = bc_.inner_stride(1), sy = bc_.inner_stride(2);
    parallel_chunks(bc_.numel(), kParallelGrain, [&](int64_t begin, int64_t end) {
      bc_.for_segments(begin, end, [&](const int64_t* off, int64_t o, int64_t n) {
        const uint8_t* __restrict pc = c + off[0];
        const T* __restrict px = x + off[1];
        const T* __restrict py = y + off[2];
        T* __restrict po = out + o;
        if (sc && sx && sy) {  // equal shapes (the attention-mask case after Expand)
          for (int64_t i = 0; i < n; ++i) po[i] = pc[i] ? px[i] : py[i];
        } else if (sc && sx) {  // Where(mask, scores, -inf): a scalar fill value
          const T v = *py;
          for (int64_t i = 0; i < n; ++i) po[i] = pc[i] ? px[i] : v;
        } else if (sc && sy) {
          const T v = *px;
          for (int64_t i = 0; i < n; ++i) po[i] = pc[i] ? v : py[i];
        } else {
          for (int64_t i = 0; i < n; ++i) po[i] = pc[i * sc] ? px[i * sx] : py[i * sy];
        }
      });
    });
  }

 private:
  Broadcast bc_;
};

std::unique_ptr<plan::Kernel> make_where(const KernelSpec& spec) {
  check_arity(spec, 3, 3, 1, 1);
  check_dtype(spec, 0, {DType::kBool});
  check_dtype(spec, 1,
              {DType::kFloat32, DType::kFloat64, DType::kInt32, DType::kInt64, DType::kInt8,
               DType::kUint8, DType::kBool});
  check_same_dtype(spec, 1, 2);
  std::vector<std::vector<int64_t>> shapes = {spec.inputs[0].shape, spec.inputs[1].shape,
                                              spec.inputs[2].shape};
  const auto shape = broadcast_shape(shapes);
  if (!shape) {
    fail(spec, "shapes " + shape_str(shapes[0]) + ", " + shape_str(shapes[1]) + " and " +
                   shape_str(shapes[2]) + " do not broadcast");
  }
  check_output(spec, 0, spec.inputs[1].dtype, *shape);
  Broadcast bc(shapes, *shape);
  switch (spec.inputs[1].dtype) {
    case DType::kInt32:
      return std::make_unique<WhereKernel<int32_t>>(std::move(bc));
    case DType::kInt64:
    case DType::kFloat64:  // only selected, never computed: same-size storage will do
      return std::make_unique<WhereKernel<int64_t>>(std::move(bc));
    case DType::kInt8:
    case DType::kUint8:
    case DType::kBool:
      return std::make_unique<WhereKernel<uint8_t>>(std::move(bc));
    default:
      return std::make_unique<WhereKernel<float>>(std::move(bc));
  }
}

const bool kRegistered = register_op("Where", make_where);

}  // namespace
}  // namespace fastinfer::ops
