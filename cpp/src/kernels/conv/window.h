// Sliding-window geometry of one 2-D window (conv or pool), free of intrinsics: per axis the
// input size, kernel extent, stride, dilation, begin/end pads (auto_pad resolved) and the
// output size. 1-D windows are 2-D with a leading axis of size 1.
#pragma once

#include <cstdint>

namespace fastinfer::ops {

struct WindowAxis {
  int64_t in = 0, kernel = 1, stride = 1, dilation = 1, pad_begin = 0, pad_end = 0, out = 0;
};

struct Window2d {
  WindowAxis h, w;
};

}  // namespace fastinfer::ops
