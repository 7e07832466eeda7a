// Batch packing bindings: validate Python arguments (naming the offending request), keep
// every numpy buffer referenced, then run the byte copies in fastinfer::batch with the
// GIL released. The typed, documented API is python/fastinfer/batch.py.
#include "fastinfer/batch.h"

#include <pybind11/numpy.h>
#include <pybind11/pybind11.h>
#include <pybind11/stl.h>

#include <cstring>
#include <optional>
#include <string>
#include <vector>

#include "bindings/array_checks.h"
#include "bindings/registry.h"

namespace py = pybind11;

namespace fastinfer::bindings {

namespace {

using Dims = std::vector<py::ssize_t>;

std::string dims_str(const Dims& d) {
  std::string s = "(";
  for (size_t i = 0; i < d.size(); ++i) s += (i ? ", " : "") + std::to_string(d[i]);
  return s + (d.size() == 1 ? ",)" : ")");
}

std::string type_name(const py::handle& obj) {
  return py::str(py::type::handle_of(obj).attr("__name__"));
}

Dims trailing_dims(const py::array& a) { return Dims(a.shape() + 1, a.shape() + a.ndim()); }

bool is_c_contiguous(const py::array& a) {
  return (py::detail::array_proxy(a.ptr())->flags & py::detail::npy_api::NPY_ARRAY_C_CONTIGUOUS_) !=
         0;
}

// Raw bytes are copied, so a dtype holding Python object pointers would corrupt refcounts.
void require_plain_dtype(const py::dtype& dt, const std::string& name) {
  if (dt.attr("hasobject").cast<bool>()) {
    throw py::type_error(name + " has dtype " + std::string(py::str(dt)) +
                         ", which holds Python objects; only fixed-size dtypes can be packed");
  }
  if (dt.itemsize() <= 0) {
    throw py::type_error(name + " has dtype " + std::string(py::str(dt)) + " of size 0");
  }
}

// Bytes of one row: product of the trailing dims times the item size, overflow-checked.
int64_t row_bytes_of(const Dims& trailing, int64_t item_size) {
  int64_t bytes = item_size;
  for (py::ssize_t d : trailing) bytes = checked_mul(bytes, d, "row size in bytes");
  return bytes;
}

Dims with_leading(std::initializer_list<py::ssize_t> lead, const Dims& trailing) {
  Dims shape(lead);
  shape.insert(shape.end(), trailing.begin(), trailing.end());
  return shape;
}

// Validated requests. `arrays` holds a reference to every buffer in `blocks`, so the
// copies stay valid with the GIL released even if the caller's list is mutated meanwhile.
struct Requests {
  std::vector<py::array> arrays;
  std::vector<batch::RowBlock> blocks;
  py::dtype dtype;
  Dims trailing;
  int64_t row_bytes = 0;
  int64_t longest = 0;
  int64_t longest_index = 0;
};

Requests collect_requests(const py::sequence& seq) {
  const auto count = static_cast<int64_t>(py::len(seq));
  if (count == 0) {
    throw py::value_error("requests is empty; pass at least one array to pack");
  }
  Requests r;
  r.arrays.reserve(static_cast<size_t>(count));
  r.blocks.reserve(static_cast<size_t>(count));
  for (int64_t i = 0; i < count; ++i) {
    const std::string name = "request " + std::to_string(i);
    py::object obj = seq[static_cast<size_t>(i)];
    if (!py::isinstance<py::array>(obj)) {
      throw py::type_error(name + " must be a numpy.ndarray, got " + type_name(obj));
    }
    auto arr = py::reinterpret_borrow<py::array>(obj);
    if (arr.ndim() == 0) {
      throw py::value_error(name +
                            " is 0-dimensional; a request needs a leading (sequence) axis, "
                            "shape (L, *features)");
    }
    if (i == 0) {
      require_plain_dtype(arr.dtype(), name);
      r.dtype = arr.dtype();
      r.trailing = trailing_dims(arr);
    } else if (!arr.dtype().equal(r.dtype)) {
      throw py::type_error(name + " has dtype " + std::string(py::str(arr.dtype())) +
                           " but request 0 has " + std::string(py::str(r.dtype)));
    } else if (trailing_dims(arr) != r.trailing) {
      throw py::value_error(name + " has trailing shape " + dims_str(trailing_dims(arr)) +
                            " but request 0 has " + dims_str(r.trailing));
    }
    if (!is_c_contiguous(arr)) {
      throw py::value_error(name + " with shape " + shape_str(arr) +
                            " is not C-contiguous; pass numpy.ascontiguousarray(request)");
    }
    const int64_t rows = arr.shape(0);
    if (rows > r.longest) {
      r.longest = rows;
      r.longest_index = i;
    }
    r.blocks.push_back({arr.data(), rows});
    r.arrays.push_back(std::move(arr));
  }
  r.row_bytes = row_bytes_of(r.trailing, r.dtype.itemsize());
  return r;
}

// The pad element as bytes. None means all-zero bytes (0, 0.0, False). Anything else must
// already be a numpy scalar of the requests' dtype: converting a Python value (and
// rejecting 300 for uint8 or 1.5 for int32) is done by fastinfer.batch.pack_padded.
std::vector<unsigned char> pad_bytes(const py::object& pad_value, const py::dtype& dtype) {
  std::vector<unsigned char> bytes(static_cast<size_t>(dtype.itemsize()), 0);
  if (pad_value.is_none()) return bytes;
  py::module_ np = py::module_::import("numpy");
  const bool numpy_value =
      py::isinstance<py::array>(pad_value) || py::isinstance(pad_value, np.attr("generic"));
  if (!numpy_value) {
    throw py::type_error("pad_value must be None or a numpy scalar of dtype " +
                         std::string(py::str(dtype)) + ", got " + type_name(pad_value) +
                         " (fastinfer.batch.pack_padded converts Python values)");
  }
  py::array value = np.attr("ascontiguousarray")(pad_value);
  if (value.size() != 1 || !value.dtype().equal(dtype)) {
    throw py::type_error("pad_value must be a single value of dtype " +
                         std::string(py::str(dtype)) + ", got dtype " +
                         std::string(py::str(value.dtype())) + " with shape " + shape_str(value));
  }
  std::memcpy(bytes.data(), value.data(), bytes.size());
  return bytes;
}

py::tuple pack_padded(const py::sequence& seq, const py::object& pad_value,
                      std::optional<int64_t> pad_to) {
  Requests r = collect_requests(seq);
  const auto count = static_cast<int64_t>(r.blocks.size());
  int64_t pad = r.longest;
  if (pad_to) {
    if (*pad_to < r.longest) {
      throw py::value_error(
          "pad_to=" + std::to_string(*pad_to) + " is shorter than the longest request (request " +
          std::to_string(r.longest_index) + " has " + std::to_string(r.longest) + " rows)");
    }
    pad = *pad_to;
  }
  checked_mul(checked_mul(count, pad, "batch rows"), r.row_bytes, "batch size in bytes");
  const std::vector<unsigned char> pad_value_bytes = pad_bytes(pad_value, r.dtype);

  py::array out(r.dtype, with_leading({count, pad}, r.trailing));
  py::array_t<bool> mask({count, pad});
  py::array_t<int64_t> lengths(count);
  for (int64_t i = 0; i < count; ++i) lengths.mutable_data()[i] = r.blocks[i].rows;
  const batch::PaddedShape shape{count, pad, r.row_bytes};
  void* out_data = out.mutable_data();
  auto* mask_data = reinterpret_cast<uint8_t*>(mask.mutable_data());
  {
    py::gil_scoped_release release;
    batch::pack_padded(r.blocks.data(), shape, pad_value_bytes.data(), r.dtype.itemsize(), out_data,
                       mask_data);
  }
  return py::make_tuple(out, lengths, mask);
}

py::tuple pack_ragged(const py::sequence& seq) {
  Requests r = collect_requests(seq);
  const auto count = static_cast<int64_t>(r.blocks.size());
  int64_t total_rows = 0;
  for (const auto& b : r.blocks) total_rows = batch::checked_size_add(total_rows, b.rows, "rows");
  checked_mul(total_rows, r.row_bytes, "ragged size in bytes");

  py::array out(r.dtype, with_leading({total_rows}, r.trailing));
  py::array_t<int64_t> offsets(count + 1);
  void* out_data = out.mutable_data();
  int64_t* offsets_data = offsets.mutable_data();
  {
    py::gil_scoped_release release;
    batch::pack_ragged(r.blocks.data(), count, r.row_bytes, out_data, offsets_data);
  }
  return py::make_tuple(out, offsets);
}

// A packed model result: any fixed-size dtype, C-contiguous, at least `min_ndim` dims.
py::array checked_result(const py::object& obj, const char* name, int min_ndim) {
  if (!py::isinstance<py::array>(obj)) {
    throw py::type_error(std::string(name) + " must be a numpy.ndarray, got " + type_name(obj));
  }
  auto arr = py::reinterpret_borrow<py::array>(obj);
  require_plain_dtype(arr.dtype(), name);
  if (arr.ndim() < min_ndim) {
    throw py::value_error(std::string(name) + " must have at least " + std::to_string(min_ndim) +
                          " dimensions, got shape " + shape_str(arr));
  }
  if (!is_c_contiguous(arr)) {
    throw py::value_error(std::string(name) + " with shape " + shape_str(arr) +
                          " is not C-contiguous; pass numpy.ascontiguousarray(" + name + ")");
  }
  return arr;
}

py::list unpack_padded(const py::object& batch_obj, const py::object& lengths_obj) {
  py::array result = checked_result(batch_obj, "batch", 2);
  auto lengths = as_array<int64_t>(lengths_obj, "lengths");
  require_ndim(lengths, "lengths", 1, 1);
  const int64_t count = result.shape(0);
  const int64_t pad = result.shape(1);
  if (lengths.shape(0) != count) {
    throw py::value_error("lengths has " + std::to_string(lengths.shape(0)) +
                          " entries but batch has " + std::to_string(count) + " requests (shape " +
                          shape_str(result) + ")");
  }
  Dims trailing(result.shape() + 2, result.shape() + result.ndim());
  const int64_t row_bytes = row_bytes_of(trailing, result.dtype().itemsize());

  std::vector<py::array> outs;
  std::vector<batch::MutableRowBlock> blocks;
  outs.reserve(static_cast<size_t>(count));
  blocks.reserve(static_cast<size_t>(count));
  for (int64_t i = 0; i < count; ++i) {
    const int64_t len = lengths.data()[i];
    if (len < 0 || len > pad) {
      throw py::value_error("lengths[" + std::to_string(i) + "] = " + std::to_string(len) +
                            " is outside [0, " + std::to_string(pad) + "] for batch shape " +
                            shape_str(result));
    }
    py::array out(result.dtype(), with_leading({len}, trailing));
    blocks.push_back({out.mutable_data(), len});
    outs.push_back(std::move(out));
  }
  const batch::PaddedShape shape{count, pad, row_bytes};
  const void* src = result.data();
  {
    py::gil_scoped_release release;
    batch::unpack_padded(src, shape, blocks.data());
  }
  py::list list;
  for (auto& o : outs) list.append(o);
  return list;
}

py::list unpack_ragged(const py::object& rows_obj, const py::object& offsets_obj) {
  py::array rows = checked_result(rows_obj, "rows", 1);
  auto offsets = as_array<int64_t>(offsets_obj, "offsets");
  require_ndim(offsets, "offsets", 1, 1);
  if (offsets.shape(0) < 1) {
    throw py::value_error("offsets must have at least one entry (0 for no requests)");
  }
  const int64_t count = offsets.shape(0) - 1;
  // Validated and used from one copy, so sizes cannot change between check and copy.
  const std::vector<int64_t> off(offsets.data(), offsets.data() + count + 1);
  if (off[0] != 0) {
    throw py::value_error("offsets[0] must be 0, got " + std::to_string(off[0]));
  }
  for (int64_t i = 0; i < count; ++i) {
    if (off[i + 1] < off[i]) {
      throw py::value_error("offsets must be non-decreasing, but offsets[" + std::to_string(i + 1) +
                            "] = " + std::to_string(off[i + 1]) + " < offsets[" +
                            std::to_string(i) + "] = " + std::to_string(off[i]));
    }
  }
  if (off[count] != rows.shape(0)) {
    throw py::value_error("offsets[-1] = " + std::to_string(off[count]) + " but rows has " +
                          std::to_string(rows.shape(0)) + " rows (shape " + shape_str(rows) + ")");
  }
  Dims trailing(rows.shape() + 1, rows.shape() + rows.ndim());
  const int64_t row_bytes = row_bytes_of(trailing, rows.dtype().itemsize());

  std::vector<py::array> outs;
  std::vector<batch::MutableRowBlock> blocks;
  for (int64_t i = 0; i < count; ++i) {
    py::array out(rows.dtype(), with_leading({off[i + 1] - off[i]}, trailing));
    blocks.push_back({out.mutable_data(), off[i + 1] - off[i]});
    outs.push_back(std::move(out));
  }
  const void* src = rows.data();
  {
    py::gil_scoped_release release;
    batch::unpack_ragged(src, row_bytes, off.data(), count, blocks.data());
  }
  py::list list;
  for (auto& o : outs) list.append(o);
  return list;
}

py::list groups_to_list(const std::vector<std::vector<int64_t>>& groups) {
  py::list list;
  for (const auto& g : groups) {
    py::array_t<int64_t> idx(static_cast<py::ssize_t>(g.size()));
    if (!g.empty()) std::memcpy(idx.mutable_data(), g.data(), g.size() * sizeof(int64_t));
    list.append(idx);
  }
  return list;
}

py::list bucket_by_length(const py::object& lengths_obj, int64_t max_batch_size,
                          double max_padding_ratio, const py::object& boundaries_obj) {
  auto lengths = as_array<int64_t>(lengths_obj, "lengths");
  require_ndim(lengths, "lengths", 1, 1);
  const int64_t count = lengths.shape(0);
  if (boundaries_obj.is_none()) {
    return groups_to_list(
        batch::bucket_by_padding(lengths.data(), count, max_batch_size, max_padding_ratio));
  }
  auto boundaries = as_array<int64_t>(boundaries_obj, "boundaries");
  require_ndim(boundaries, "boundaries", 1, 1);
  return groups_to_list(batch::bucket_by_boundaries(lengths.data(), count, boundaries.data(),
                                                    boundaries.shape(0), max_batch_size));
}

}  // namespace

void register_batch(py::module_& m) {
  m.def("pack_padded", &pack_padded, py::arg("requests"), py::arg("pad_value") = py::none(),
        py::arg("pad_to") = py::none(),
        "requests (L_i, *trailing) -> (batch (B, pad_to, *trailing), lengths int64 (B,), "
        "mask bool (B, pad_to)). pad_value: None (zero bytes) or a numpy scalar of the "
        "requests' dtype.");
  m.def("pack_ragged", &pack_ragged, py::arg("requests"),
        "requests (L_i, *trailing) -> (rows (sum L_i, *trailing), offsets int64 (B + 1,)).");
  m.def("unpack_padded", &unpack_padded, py::arg("batch"), py::arg("lengths"),
        "batch (B, L_pad, *trailing), lengths int64 (B,) -> list of (L_i, *trailing) copies.");
  m.def("unpack_ragged", &unpack_ragged, py::arg("rows"), py::arg("offsets"),
        "rows (N, *trailing), offsets int64 (B + 1,) -> list of (L_i, *trailing) copies.");
  m.def("bucket_by_length", &bucket_by_length, py::arg("lengths"), py::arg("max_batch_size"),
        py::arg("max_padding_ratio"), py::arg("boundaries") = py::none(),
        "lengths int64 (N,) -> list of int64 index arrays, one per bucket.");
}

}  // namespace fastinfer::bindings
