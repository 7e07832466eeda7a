// ReverseSequence: for batch entry b, the first sequence_lens[b] steps along time_axis are
// reversed and the rest copied. time_axis and batch_axis are 0 and 1 (either way round),
// so every (time, batch) pair owns one contiguous block of the remaining axes, copied with
// memcpy. sequence_lens (int64) is read at run time; a length outside [0, time steps]
// throws std::out_of_range naming the node.
#include <cstring>
#include <memory>
#include <stdexcept>
#include <string>

#include "ops/common/op_util.h"

namespace fastinfer::ops {
namespace {

class ReverseSequenceKernel final : public plan::Kernel {
 public:
  ReverseSequenceKernel(std::string where, int64_t steps, int64_t batch, int64_t step_stride,
                        int64_t batch_stride, int64_t block_bytes)
      : where_(std::move(where)),
        steps_(steps),
        batch_(batch),
        step_stride_(step_stride),
        batch_stride_(batch_stride),
        block_bytes_(block_bytes) {}

  void run(const void* const* inputs, void* const* outputs) const override {
    const auto* x = static_cast<const char*>(inputs[0]);
    const auto* lens = static_cast<const int64_t*>(inputs[1]);
    auto* y = static_cast<char*>(outputs[0]);
    for (int64_t b = 0; b < batch_; ++b) {
      if (lens[b] < 0 || lens[b] > steps_) {
        throw std::out_of_range(where_ + ": sequence_lens[" + std::to_string(b) +
                                "] = " + std::to_string(lens[b]) + " is outside [0, " +
                                std::to_string(steps_) + "]");
      }
    }
    for (int64_t b = 0; b < batch_; ++b) {
      for (int64_t t = 0; t < steps_; ++t) {
        const int64_t from = t < lens[b] ? lens[b] - 1 - t : t;
        std::memcpy(y + t * step_stride_ + b * batch_stride_,
                    x + from * step_stride_ + b * batch_stride_, static_cast<size_t>(block_bytes_));
      }
    }
  }

 private:
  std::string where_;
  int64_t steps_, batch_, step_stride_, batch_stride_, block_bytes_;  // strides in bytes
};

std::unique_ptr<plan::Kernel> make_reverse_sequence(const KernelSpec& spec) {
  check_arity(spec, 2, 2, 1, 1);
  check_dtype(spec, 1, {DType::kInt64});
  const auto& in = spec.inputs[0].shape;
  if (in.size() < 2) fail(spec, "the input must have at least two dimensions");
  const int64_t time_axis = plan::attr_int(spec.attrs, "time_axis", 0);
  const int64_t batch_axis = plan::attr_int(spec.attrs, "batch_axis", 1);
  if (!((time_axis == 0 && batch_axis == 1) || (time_axis == 1 && batch_axis == 0))) {
    fail(spec, "time_axis and batch_axis must be 0 and 1, got " + std::to_string(time_axis) +
                   " and " + std::to_string(batch_axis));
  }
  if (spec.inputs[1].shape != std::vector<int64_t>{in[batch_axis]}) {
    fail(spec, "sequence_lens " + spec.inputs[1].str() + " must have one entry per batch (" +
                   std::to_string(in[batch_axis]) + ")");
  }
  check_output(spec, 0, spec.inputs[0].dtype, in);
  const int64_t block = numel({in.begin() + 2, in.end()}) *
                        static_cast<int64_t>(plan::dtype_size(spec.inputs[0].dtype));
  // Axis 0 has stride in[1] blocks, axis 1 one block.
  const int64_t stride0 = in[1] * block;
  const int64_t step_stride = time_axis == 0 ? stride0 : block;
  const int64_t batch_stride = time_axis == 0 ? block : stride0;
  return std::make_unique<ReverseSequenceKernel>(spec.where(), in[time_axis], in[batch_axis],
                                                 step_stride, batch_stride, block);
}

const bool kRegistered = register_op("ReverseSequence", make_reverse_sequence);

}  // namespace
}  // namespace fastinfer::ops
