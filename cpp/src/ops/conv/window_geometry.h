// Sliding-window geometry shared by Conv and the pools: per spatial axis the kernel
// extent, stride, dilation and begin/end pads after resolving auto_pad, and the output
// size. 1-D windows are handled as 2-D with a leading axis of size 1.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "fastinfer/plan.h"
#include "kernels/conv/window.h"

namespace fastinfer::ops {

// Reads kernel_shape (or `kernel` when the op takes it from the weights), strides, pads,
// dilations, auto_pad and (pools) ceil_mode for `spatial` input dims (1 or 2), validating
// each; throws std::invalid_argument starting with spec.where().
Window2d resolve_window(const plan::KernelSpec& spec, const std::vector<int64_t>& spatial,
                        const std::vector<int64_t>& kernel, bool allow_ceil_mode);

}  // namespace fastinfer::ops
