// A kernel that copies input 0 to output 0 byte for byte: Identity and the shape-only ops
// (Reshape, Squeeze, ...) when the planner does not alias them.
#pragma once

#include <cstdint>
#include <memory>

#include "fastinfer/plan.h"

namespace fastinfer::ops {

std::unique_ptr<plan::Kernel> make_copy_kernel(int64_t nbytes);

// memcpy split over the thread pool for large sizes.
void parallel_memcpy(void* dst, const void* src, int64_t nbytes);

}  // namespace fastinfer::ops
