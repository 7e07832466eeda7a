// Pad (opset 11+: pads as a constant input, optional constant_value input read at run time,
// optional constant axes input from opset 18) in modes constant, reflect, edge and wrap.
// Negative pads crop. Each output axis gets a table from output to input coordinate (-1:
// the constant) at build time; run() copies the output row by row, the part of a row
// that maps straight onto the input with one memcpy. reflect and wrap repeat as often as
// the pads need (numpy.pad's rule). CenterCropPad is the same kernel with the pads that
// centre the input in the target shape.
#include <algorithm>
#include <cstring>
#include <memory>
#include <string>
#include <vector>

#include "ops/common/dtype_dispatch.h"
#include "ops/common/op_util.h"
#include "ops/common/parallel.h"
#include "ops/common/strided_copy.h"

namespace fastinfer::ops {
namespace {

enum class Mode { kConstant, kReflect, kEdge, kWrap };

// Input coordinate of output coordinate `o` on an axis of size `dim` padded by `before`.
int64_t source_index(Mode mode, int64_t o, int64_t before, int64_t dim) {
  const int64_t i = o - before;
  if (i >= 0 && i < dim) return i;
  switch (mode) {
    case Mode::kConstant:
      return -1;
    case Mode::kEdge:
      return std::clamp<int64_t>(i, 0, dim - 1);
    case Mode::kWrap:
      return ((i % dim) + dim) % dim;
    default: {  // reflect: mirror without repeating the edge, period 2 * (dim - 1)
      if (dim == 1) return 0;
      const int64_t period = 2 * (dim - 1), m = ((i % period) + period) % period;
      return m < dim ? m : period - m;
    }
  }
}

template <class E>
class PadKernel final : public plan::Kernel {
 public:
  // maps[d][o]: input coordinate of output coordinate o on axis d, or -1.
  PadKernel(std::vector<std::vector<int64_t>> maps, std::vector<int64_t> in_strides, bool has_value)
      : maps_(std::move(maps)), in_strides_(std::move(in_strides)), has_value_(has_value) {
    const std::vector<int64_t>& last = maps_.back();
    // The longest run of the last axis that maps onto consecutive input elements.
    for (size_t j = 0; j < last.size();) {
      size_t e = j + 1;
      while (last[j] >= 0 && e < last.size() && last[e] == last[e - 1] + 1) ++e;
      if (last[j] >= 0 && static_cast<int64_t>(e - j) > run_end_ - run_begin_) {
        run_begin_ = static_cast<int64_t>(j);
        run_end_ = static_cast<int64_t>(e);
      }
      j = e;
    }
  }

  void run(const void* const* inputs, void* const* outputs) const override {
    const E* x = static_cast<const E*>(inputs[0]);
    E* y = static_cast<E*>(outputs[0]);
    E value{};
    if (has_value_) value = *static_cast<const E*>(inputs[2]);
    const size_t rank = maps_.size();
    const std::vector<int64_t>& last = maps_.back();
    const auto width = static_cast<int64_t>(last.size());
    int64_t rows = 1;
    for (size_t d = 0; d + 1 < rank; ++d) rows *= static_cast<int64_t>(maps_[d].size());
    parallel_chunks(rows, std::max<int64_t>(1, kParallelGrain / std::max<int64_t>(width, 1)),
                    [&](int64_t r0, int64_t r1) {
                      for (int64_t r = r0; r < r1; ++r) {
                        E* dst = y + r * width;
                        // The input row this output row reads, or -1 on a constant row.
                        int64_t src = 0, rem = r;
                        for (size_t d = rank - 1; d-- > 0 && src >= 0;) {
                          const auto n = static_cast<int64_t>(maps_[d].size());
                          const int64_t i = maps_[d][rem % n];
                          rem /= n;
                          src = i < 0 ? -1 : src + i * in_strides_[d];
                        }
                        if (src < 0) {
                          std::fill(dst, dst + width, value);
                          continue;
                        }
                        const E* row = x + src;
                        for (int64_t j = 0; j < run_begin_; ++j) {
                          dst[j] = last[j] < 0 ? value : row[last[j]];
                        }
                        if (run_end_ > run_begin_) {
                          std::memcpy(dst + run_begin_, row + last[run_begin_],
                                      static_cast<size_t>(run_end_ - run_begin_) * sizeof(E));
                        }
                        for (int64_t j = run_end_; j < width; ++j) {
                          dst[j] = last[j] < 0 ? value : row[last[j]];
                        }
                      }
                    });
  }

 private:
  std::vector<std::vector<int64_t>> maps_;
  std::vector<int64_t> in_strides_;
  bool has_value_;
  int64_t run_begin_ = 0, run_end_ = 0;
};

Mode mode_of(const KernelSpec& spec) {
  const std::string m = plan::attr_string(spec.attrs, "mode", "constant");
  if (m == "constant") return Mode::kConstant;
  if (m == "reflect") return Mode::kReflect;
  if (m == "edge") return Mode::kEdge;
  if (m == "wrap") return Mode::kWrap;
  fail(spec, "mode '" + m + "' is not supported (constant, reflect, edge, wrap)");
}

// Axes given by the node (negative from the end, no repeats) in [0, rank); all of them
// when `given` is null.
std::vector<int64_t> node_axes(const KernelSpec& spec, int64_t rank,
                               const std::vector<int64_t>* given) {
  std::vector<int64_t> axes;
  std::vector<bool> seen(rank, false);
  for (int64_t i = 0; i < (given ? static_cast<int64_t>(given->size()) : rank); ++i) {
    const int64_t a = given ? normalize_axis(spec, (*given)[i], rank, "axis") : i;
    if (seen[a]) fail(spec, "axis " + std::to_string((*given)[i]) + " is repeated");
    seen[a] = true;
    axes.push_back(a);
  }
  return axes;
}

// The kernel padding input 0 by before[d] / after[d] (negative: cropping) on each axis d.
std::unique_ptr<plan::Kernel> pad_kernel(const KernelSpec& spec, Mode mode,
                                         const std::vector<int64_t>& before,
                                         const std::vector<int64_t>& after, bool has_value) {
  std::vector<int64_t> in = spec.inputs[0].shape;
  const auto rank = static_cast<int64_t>(in.size());
  std::vector<int64_t> out(rank);
  std::vector<std::vector<int64_t>> maps;
  for (int64_t d = 0; d < rank; ++d) {
    out[d] = in[d] + before[d] + after[d];
    if (out[d] < 0) {
      fail(spec, "the padding crops axis " + std::to_string(d) + " of " + spec.inputs[0].str() +
                     " below size 0");
    }
    if (mode != Mode::kConstant && in[d] == 0 && out[d] > 0) {
      fail(spec, "cannot pad the empty axis " + std::to_string(d) + " in this mode");
    }
    std::vector<int64_t> map(out[d]);
    for (int64_t o = 0; o < out[d]; ++o) map[o] = source_index(mode, o, before[d], in[d]);
    maps.push_back(std::move(map));
  }
  check_output(spec, 0, spec.inputs[0].dtype, out);
  if (rank == 0) {  // a scalar (nothing to pad): a 1-element vector with no padding
    in = {1};
    maps = {{0}};
  }
  std::vector<int64_t> strides = StridedCopy::contiguous_strides(in);
  return visit_elem_size(plan::dtype_size(spec.inputs[0].dtype),
                         [&](auto* tag) -> std::unique_ptr<plan::Kernel> {
                           using E = std::remove_pointer_t<decltype(tag)>;
                           return std::make_unique<PadKernel<E>>(maps, strides, has_value);
                         });
}

std::unique_ptr<plan::Kernel> make_pad(const KernelSpec& spec) {
  check_arity(spec, 2, 4, 1, 1);
  const Mode mode = mode_of(spec);
  const auto rank = static_cast<int64_t>(spec.inputs[0].shape.size());
  const std::vector<int64_t> pads = constant_ints(spec, 1, "pads");
  std::vector<int64_t> given;
  if (present(spec, 3)) given = constant_ints(spec, 3, "axes");
  const std::vector<int64_t> axes = node_axes(spec, rank, present(spec, 3) ? &given : nullptr);
  const auto n_axes = static_cast<int64_t>(axes.size());
  if (static_cast<int64_t>(pads.size()) != 2 * n_axes) {
    fail(spec, "pads " + shape_str(pads) + " must have 2 values per padded axis (" +
                   std::to_string(n_axes) + " axes)");
  }
  std::vector<int64_t> before(rank, 0), after(rank, 0);
  for (int64_t i = 0; i < n_axes; ++i) {
    before[axes[i]] = pads[i];
    after[axes[i]] = pads[n_axes + i];
  }
  const bool has_value = present(spec, 2);
  if (has_value) {
    check_same_dtype(spec, 0, 2);
    if (spec.inputs[2].numel() != 1) {
      fail(spec, "constant_value must be a scalar, got " + input_str(spec, 2));
    }
  }
  return pad_kernel(spec, mode, before, after, has_value);
}

// CenterCropPad (opset 18): each listed axis (the 'axes' attribute, default all) cropped
// or zero-padded to the constant shape input around its centre; an odd difference puts
// the extra element at the end, as the ONNX reference does.
std::unique_ptr<plan::Kernel> make_center_crop_pad(const KernelSpec& spec) {
  check_arity(spec, 2, 2, 1, 1);
  const auto& in = spec.inputs[0].shape;
  const auto rank = static_cast<int64_t>(in.size());
  const std::vector<int64_t> shape = constant_ints(spec, 1, "shape");
  const auto it = spec.attrs.find("axes");
  const std::vector<int64_t> given = plan::attr_ints(spec.attrs, "axes", {});
  const std::vector<int64_t> axes =
      node_axes(spec, rank, it != spec.attrs.end() ? &given : nullptr);
  if (shape.size() != axes.size()) {
    fail(spec, "shape " + shape_str(shape) + " must have one entry per axis (" +
                   std::to_string(axes.size()) + ")");
  }
  std::vector<int64_t> before(rank, 0), after(rank, 0);
  for (size_t i = 0; i < axes.size(); ++i) {
    if (shape[i] < 0) fail(spec, "shape " + shape_str(shape) + " has a negative dimension");
    const int64_t diff = shape[i] - in[axes[i]];  // > 0 pads, < 0 crops
    before[axes[i]] = diff >= 0 ? diff / 2 : -((-diff) / 2);
    after[axes[i]] = diff - before[axes[i]];
  }
  return pad_kernel(spec, Mode::kConstant, before, after, false);
}

const bool kRegistered = [] {
  register_op("Pad", make_pad);
  register_op("CenterCropPad", make_center_crop_pad);
  return true;
}();

}  // namespace
}  // namespace fastinfer::ops
