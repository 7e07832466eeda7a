// Kernels made of strided copies: each step copies input `in` to output `out` through a
// StridedCopy. Concat (one step per input), Split (one per output), Slice, Expand and
// Tile (one step) are all built from it.
#pragma once

#include <memory>
#include <utility>
#include <vector>

#include "fastinfer/plan.h"
#include "ops/common/strided_copy.h"

namespace fastinfer::ops {

struct CopyStep {
  int in = 0, out = 0;
  StridedCopy copy;
};

class StridedCopyKernel final : public plan::Kernel {
 public:
  explicit StridedCopyKernel(std::vector<CopyStep> steps) : steps_(std::move(steps)) {}
  void run(const void* const* inputs, void* const* outputs) const override {
    for (const CopyStep& s : steps_) s.copy.run(inputs[s.in], outputs[s.out]);
  }

 private:
  std::vector<CopyStep> steps_;
};

}  // namespace fastinfer::ops
