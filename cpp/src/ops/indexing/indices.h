// Index tensors read at run time (GatherElements, GatherND, ScatterElements, ScatterND,
// OneHot). Every index is validated and turned into an element offset before the kernel
// writes anything, so a bad index leaves no half-written output: an index outside
// [-dim, dim) throws std::out_of_range "<where>: index 5 is out of range for an axis of
// size 3" (IndexError in Python); negative indices count from the end, as ONNX says.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "fastinfer/plan.h"

namespace fastinfer::ops {

// n values of a numeric tensor (floats truncated toward zero), as int64.
void read_as_int64(const void* data, plan::DType t, int64_t n, int64_t* out);

// For GatherElements / ScatterElements: the element offset into `data_shape` of each
// element of `indices` (row-major over `indices_shape`, same rank): its own position on
// every axis but `axis`, where it takes the index value instead.
std::vector<int64_t> axis_element_offsets(const std::string& where,
                                          const std::vector<int64_t>& data_shape,
                                          const std::vector<int64_t>& indices_shape, int64_t axis,
                                          const void* indices, plan::DType indices_dtype);

// For GatherND / ScatterND: `n` index tuples of length dims.size(), component c on an
// axis of size dims[c]; each tuple's offset is sum(index_c * strides[c]).
std::vector<int64_t> tuple_offsets(const std::string& where, const void* indices,
                                   plan::DType indices_dtype, int64_t n,
                                   const std::vector<int64_t>& dims,
                                   const std::vector<int64_t>& strides);

}  // namespace fastinfer::ops
