// Requests -> one padded batch, or one ragged block of rows with offsets.
#include <stdexcept>
#include <string>

#include "batch/row_copy.h"
#include "fastinfer/batch.h"

namespace fastinfer::batch {

void pack_padded(const RowBlock* requests, const PaddedShape& shape, const void* pad_value,
                 int64_t item_size, void* out, uint8_t* mask) {
  if (item_size <= 0 || shape.row_bytes % item_size != 0) {
    throw std::invalid_argument("row size " + std::to_string(shape.row_bytes) +
                                " is not a multiple of the item size " + std::to_string(item_size));
  }
  const int64_t longest = max_rows(requests, shape.batch);
  if (shape.pad_to < longest) {
    throw std::invalid_argument("pad_to " + std::to_string(shape.pad_to) +
                                " is shorter than the longest request (" + std::to_string(longest) +
                                " rows)");
  }
  const int64_t request_bytes =
      checked_size_mul(shape.pad_to, shape.row_bytes, "padded request size in bytes");
  const int64_t total = checked_size_mul(shape.batch, request_bytes, "batch size in bytes");
  auto* base = static_cast<unsigned char*>(out);
  detail::for_each_request(shape.batch, total, [&](int64_t i) {
    unsigned char* dst = base + i * request_bytes;
    const int64_t real_bytes = requests[i].rows * shape.row_bytes;
    detail::copy_bytes(dst, requests[i].data, real_bytes);
    detail::fill_pattern(dst + real_bytes, request_bytes - real_bytes, pad_value, item_size);
    uint8_t* m = mask + i * shape.pad_to;
    std::memset(m, 1, static_cast<size_t>(requests[i].rows));
    std::memset(m + requests[i].rows, 0, static_cast<size_t>(shape.pad_to - requests[i].rows));
  });
}

void pack_ragged(const RowBlock* requests, int64_t count, int64_t row_bytes, void* out,
                 int64_t* offsets) {
  max_rows(requests, count);  // rejects negative lengths before offsets are summed
  offsets[0] = 0;
  for (int64_t i = 0; i < count; ++i) {
    offsets[i + 1] = checked_size_add(offsets[i], requests[i].rows, "total number of rows");
  }
  const int64_t total = checked_size_mul(offsets[count], row_bytes, "ragged size in bytes");
  auto* base = static_cast<unsigned char*>(out);
  detail::for_each_request(count, total, [&](int64_t i) {
    detail::copy_bytes(base + offsets[i] * row_bytes, requests[i].data,
                       requests[i].rows * row_bytes);
  });
}

}  // namespace fastinfer::batch
