// "Copy": a plain byte copy the lowering inserts where a graph output is an input, a
// constant or an alias of another tensor (outputs must live in the caller's buffer).
#include <cstring>
#include <stdexcept>

#include "fastinfer/plan.h"

namespace fastinfer::plan {
namespace {

class CopyKernel final : public Kernel {
 public:
  explicit CopyKernel(int64_t bytes) : bytes_(bytes) {}
  void run(const void* const* inputs, void* const* outputs) const override {
    if (bytes_ > 0 && outputs[0] != inputs[0]) {
      std::memcpy(outputs[0], inputs[0], static_cast<size_t>(bytes_));
    }
  }

 private:
  int64_t bytes_;
};

std::unique_ptr<Kernel> make_copy(const KernelSpec& spec) {
  if (spec.inputs.size() != 1 || spec.outputs.size() != 1 || !spec.input_present[0]) {
    throw std::invalid_argument(spec.where() + ": Copy takes one input and one output");
  }
  if (spec.inputs[0].nbytes() != spec.outputs[0].nbytes() ||
      spec.inputs[0].dtype != spec.outputs[0].dtype) {
    throw std::invalid_argument(spec.where() + ": input " + spec.inputs[0].str() + " and output " +
                                spec.outputs[0].str() + " differ");
  }
  return std::make_unique<CopyKernel>(spec.inputs[0].nbytes());
}

const bool kRegistered = register_kernel("Copy", make_copy);

}  // namespace
}  // namespace fastinfer::plan
