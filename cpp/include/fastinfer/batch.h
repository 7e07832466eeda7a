// Batch packing for variable-length inference requests.
//
// A request is a C-contiguous buffer of shape (L_i, *trailing): L_i rows of `row_bytes`
// bytes each. Everything here is dtype-agnostic: rows are moved with memcpy, and the pad
// value is given as the bytes of one element. No Python types; the bindings validate
// arguments and own the buffers, this layer only checks the preconditions it relies on
// (throwing std::invalid_argument, which the bindings surface as ValueError).
#pragma once

#include <cstdint>
#include <vector>

namespace fastinfer::batch {

// One request (or one unpacked result): `rows` rows of the same row size.
struct RowBlock {
  const void* data;
  int64_t rows;
};

// Same, for a destination the caller has allocated.
struct MutableRowBlock {
  void* data;
  int64_t rows;
};

// Sizes of a packed batch, computed with overflow checks before anything is allocated.
struct PaddedShape {
  int64_t batch;      // B
  int64_t pad_to;     // rows per request in the batch, >= the longest request
  int64_t row_bytes;  // bytes of one row (product of trailing dims times item size)
};

// a * b and a + b for non-negative sizes; throw std::invalid_argument naming `what` on
// overflow of int64 so that a bad shape is an error, never a short allocation.
int64_t checked_size_mul(int64_t a, int64_t b, const char* what);
int64_t checked_size_add(int64_t a, int64_t b, const char* what);

// Longest request; throws if any length is negative. 0 for an empty set.
int64_t max_rows(const RowBlock* requests, int64_t count);

// (B, pad_to, row) batch plus a (B, pad_to) mask of 1 for real rows and 0 for padding.
// `pad_value` holds `item_size` bytes, repeated over every padded element; `row_bytes`
// must be a multiple of `item_size`. `out` holds B * pad_to * row_bytes bytes and `mask`
// B * pad_to bytes; both are fully written. Requires pad_to >= max_rows(requests).
void pack_padded(const RowBlock* requests, const PaddedShape& shape, const void* pad_value,
                 int64_t item_size, void* out, uint8_t* mask);

// Rows of all requests back to back in `out` (sum of rows times row_bytes bytes), and
// `offsets` (count + 1 entries): request i occupies rows [offsets[i], offsets[i + 1]).
void pack_ragged(const RowBlock* requests, int64_t count, int64_t row_bytes, void* out,
                 int64_t* offsets);

// The first outs[i].rows rows of request i of a (B, pad_to, row) batch into outs[i].
// Requires outs[i].rows <= shape.pad_to for every i (B = shape.batch entries in outs).
void unpack_padded(const void* batch, const PaddedShape& shape, const MutableRowBlock* outs);

// Rows [offsets[i], offsets[i + 1]) of `rows` into outs[i] (outs[i].rows must match).
void unpack_ragged(const void* rows, int64_t row_bytes, const int64_t* offsets, int64_t count,
                   const MutableRowBlock* outs);

// Groups of request indices that keep padding bounded. Requests are ordered by length
// (ties by index) and a group is closed when adding the next one would make
// padded-away elements exceed `max_padding_ratio` of the group's padded elements, or when
// it holds `max_batch_size` requests. Groups come shortest first; inside a group indices
// are ascending (arrival order), so the result is deterministic.
std::vector<std::vector<int64_t>> bucket_by_padding(const int64_t* lengths, int64_t count,
                                                    int64_t max_batch_size,
                                                    double max_padding_ratio);

// Groups by fixed boundaries (strictly increasing, positive): bucket k holds lengths in
// (boundaries[k-1], boundaries[k]], and is split into chunks of at most `max_batch_size`
// in arrival order. A length above the last boundary is an error naming the request.
std::vector<std::vector<int64_t>> bucket_by_boundaries(const int64_t* lengths, int64_t count,
                                                       const int64_t* boundaries,
                                                       int64_t num_boundaries,
                                                       int64_t max_batch_size);

}  // namespace fastinfer::batch
