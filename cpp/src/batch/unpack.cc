// A batched or ragged model result -> one block of rows per request. The result's row size
// may differ from the inputs' (a model changes the feature dims); only the leading
// structure (lengths or offsets) is shared with the packed inputs.
#include <stdexcept>
#include <string>

#include "batch/row_copy.h"
#include "fastinfer/batch.h"

namespace fastinfer::batch {

void unpack_padded(const void* batch, const PaddedShape& shape, const MutableRowBlock* outs) {
  const int64_t request_bytes =
      checked_size_mul(shape.pad_to, shape.row_bytes, "padded request size in bytes");
  const int64_t total = checked_size_mul(shape.batch, request_bytes, "batch size in bytes");
  for (int64_t i = 0; i < shape.batch; ++i) {
    if (outs[i].rows < 0 || outs[i].rows > shape.pad_to) {
      throw std::invalid_argument("length " + std::to_string(outs[i].rows) + " of request " +
                                  std::to_string(i) + " is outside [0, " +
                                  std::to_string(shape.pad_to) + "]");
    }
  }
  const auto* base = static_cast<const unsigned char*>(batch);
  detail::for_each_request(shape.batch, total, [&](int64_t i) {
    detail::copy_bytes(outs[i].data, base + i * request_bytes, outs[i].rows * shape.row_bytes);
  });
}

void unpack_ragged(const void* rows, int64_t row_bytes, const int64_t* offsets, int64_t count,
                   const MutableRowBlock* outs) {
  if (count > 0 && offsets[0] != 0) {
    throw std::invalid_argument("offsets[0] must be 0, got " + std::to_string(offsets[0]));
  }
  for (int64_t i = 0; i < count; ++i) {
    if (offsets[i + 1] < offsets[i]) {
      throw std::invalid_argument("offsets must be non-decreasing, but offsets[" +
                                  std::to_string(i + 1) + "] < offsets[" + std::to_string(i) + "]");
    }
    if (outs[i].rows != offsets[i + 1] - offsets[i]) {
      throw std::invalid_argument("output " + std::to_string(i) + " has " +
                                  std::to_string(outs[i].rows) + " rows, offsets give " +
                                  std::to_string(offsets[i + 1] - offsets[i]));
    }
  }
  const int64_t total = checked_size_mul(offsets[count], row_bytes, "ragged size in bytes");
  const auto* base = static_cast<const unsigned char*>(rows);
  detail::for_each_request(count, total, [&](int64_t i) {
    detail::copy_bytes(outs[i].data, base + offsets[i] * row_bytes, outs[i].rows * row_bytes);
  });
}

}  // namespace fastinfer::batch
