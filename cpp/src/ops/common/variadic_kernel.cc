#include "ops/common/variadic_kernel.h"

namespace fastinfer::ops {

std::vector<Broadcast> variadic_steps(const KernelSpec& spec) {
  const size_t n = spec.inputs.size();
  std::vector<std::vector<int64_t>> shapes;
  for (size_t i = 0; i < n; ++i) {
    check_same_dtype(spec, 0, i);
    shapes.push_back(spec.inputs[i].shape);
  }
  const auto shape = broadcast_shape(shapes);
  if (!shape) fail(spec, "the input shapes do not broadcast");
  check_output(spec, 0, spec.inputs[0].dtype, *shape);
  std::vector<Broadcast> steps;
  if (n == 1) return steps;
  steps.emplace_back(std::vector<std::vector<int64_t>>{shapes[0], shapes[1]}, *shape);
  for (size_t i = 2; i < n; ++i) {
    steps.emplace_back(std::vector<std::vector<int64_t>>{*shape, shapes[i]}, *shape);
  }
  return steps;
}

}  // namespace fastinfer::ops
