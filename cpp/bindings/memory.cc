// The tensor pool and the arena planner.
#include <pybind11/numpy.h>
#include <pybind11/pybind11.h>

#include <algorithm>
#include <atomic>
#include <cstdint>
#include <cstring>
#include <random>
#include <string>
#include <thread>
#include <vector>

#include "bindings/array_checks.h"
#include "bindings/pool_array.h"
#include "bindings/registry.h"
#include "fastinfer/planner.h"
#include "fastinfer/pool.h"

namespace py = pybind11;

namespace fastinfer::bindings {

namespace {

// Above this many tensors the O(n^2) planner runs without the GIL.
constexpr size_t kPlanReleaseGil = 256;

// An int (anything with __index__) or a sequence of them, as numpy accepts for a shape.
std::vector<py::ssize_t> parse_shape(const py::handle& obj) {
  auto index = [](const py::handle& v, const std::string& name) -> py::ssize_t {
    if (PyBool_Check(v.ptr()) || !PyIndex_Check(v.ptr())) {
      throw py::type_error(name + " must be an int, got " +
                           std::string(py::str(py::type::handle_of(v).attr("__name__"))));
    }
    return py::reinterpret_steal<py::int_>(py::handle(PyNumber_Index(v.ptr()))).cast<py::ssize_t>();
  };
  if (!PyBool_Check(obj.ptr()) && PyIndex_Check(obj.ptr())) return {index(obj, "shape")};
  if (!py::isinstance<py::sequence>(obj) || py::isinstance<py::str>(obj)) {
    throw py::type_error("shape must be an int or a sequence of ints, got " +
                         std::string(py::str(py::type::handle_of(obj).attr("__name__"))));
  }
  std::vector<py::ssize_t> shape;
  py::sequence seq = py::reinterpret_borrow<py::sequence>(obj);
  for (size_t i = 0; i < seq.size(); ++i) {
    shape.push_back(index(seq[i], "shape[" + std::to_string(i) + "]"));
  }
  return shape;
}

py::dtype parse_dtype(const py::handle& obj) {
  try {
    return py::dtype::from_args(py::reinterpret_borrow<py::object>(obj));
  } catch (py::error_already_set&) {
    throw py::type_error("dtype must be a numpy dtype or something numpy.dtype accepts, got " +
                         std::string(py::repr(obj)));
  }
}

py::dict stats_dict(const PoolStats& s) {
  py::dict d;
  d["bytes_in_use"] = s.bytes_in_use;
  d["peak_bytes"] = s.peak_bytes;
  d["bytes_cached"] = s.bytes_cached;
  d["cached_blocks"] = s.cached_blocks;
  d["max_cached_bytes"] = s.max_cached_bytes;
  d["allocations"] = s.allocations;
  d["hits"] = s.hits;
  d["misses"] = s.misses;
  d["released"] = s.released;
  return d;
}

// Test hook: `threads` C++ threads allocate and free blocks of random sizes in [1, max_bytes]
// without the GIL, each keeping up to 4 alive and stamping them, and checking the stamp on
// free. Returns how many stamps were found overwritten (a block handed out twice) or
// allocations failed; 0 when the pool is sound.
int64_t pool_stress(Pool& pool, int threads, int64_t iterations, size_t max_bytes, uint64_t seed) {
  if (threads < 1 || iterations < 0 || max_bytes < 1) {
    throw py::value_error("threads >= 1, iterations >= 0 and max_bytes >= 1 are required");
  }
  std::atomic<int64_t> errors{0};
  py::gil_scoped_release nogil;
  std::vector<std::thread> workers;
  for (int w = 0; w < threads; ++w) {
    workers.emplace_back([&, w] {
      std::mt19937_64 rng(seed + static_cast<uint64_t>(w));
      std::uniform_int_distribution<size_t> size_dist(1, max_bytes);
      PoolBuffer live[4];
      uint64_t stamps[4] = {};
      // 8 stamp bytes at the head and, when they do not overlap it, 8 at the tail.
      auto stamp = [](const PoolBuffer& b, uint64_t value) {
        std::memcpy(b.data(), &value, std::min<size_t>(8, b.size()));
        if (b.size() >= 16) std::memcpy(static_cast<char*>(b.data()) + b.size() - 8, &value, 8);
      };
      auto stamp_ok = [](const PoolBuffer& b, uint64_t value) {
        if (b.size() < 8) value &= (uint64_t{1} << (8 * b.size())) - 1;  // little-endian
        uint64_t head = 0, tail = value;
        std::memcpy(&head, b.data(), std::min<size_t>(8, b.size()));
        if (b.size() >= 16) std::memcpy(&tail, static_cast<char*>(b.data()) + b.size() - 8, 8);
        return head == value && tail == value;
      };
      for (int64_t i = 0; i < iterations; ++i) {
        const size_t slot = rng() % 4;
        if (live[slot] && !stamp_ok(live[slot], stamps[slot])) ++errors;
        try {
          // The new block is taken before the old one goes back, so both are live at once.
          live[slot] = pool.allocate(size_dist(rng));
        } catch (const std::exception&) {
          ++errors;
          continue;
        }
        stamps[slot] = rng();
        stamp(live[slot], stamps[slot]);
      }
      for (int s = 0; s < 4; ++s) {
        if (live[s] && !stamp_ok(live[s], stamps[s])) ++errors;
      }
    });
  }
  for (auto& t : workers) t.join();
  return errors.load();
}

py::dict plan_arena_py(const py::handle& sizes_obj, const py::handle& first_obj,
                       const py::handle& last_obj, int64_t alignment) {
  auto sizes = as_array<int64_t>(sizes_obj, "sizes");
  auto first = as_array<int64_t>(first_obj, "first_use");
  auto last = as_array<int64_t>(last_obj, "last_use");
  require_ndim(sizes, "sizes", 1, 1);
  require_ndim(first, "first_use", 1, 1);
  require_ndim(last, "last_use", 1, 1);
  const py::ssize_t n = sizes.shape(0);
  if (first.shape(0) != n || last.shape(0) != n) {
    throw py::value_error("sizes, first_use and last_use must have the same length, got " +
                          std::to_string(n) + ", " + std::to_string(first.shape(0)) + " and " +
                          std::to_string(last.shape(0)));
  }
  // Copied before the GIL is released, so other threads may change the arrays meanwhile.
  std::vector<TensorLifetime> tensors(static_cast<size_t>(n));
  for (py::ssize_t i = 0; i < n; ++i) {
    tensors[i] = TensorLifetime{sizes.at(i), first.at(i), last.at(i)};
  }
  ArenaPlan plan;
  if (tensors.size() >= kPlanReleaseGil) {
    py::gil_scoped_release nogil;
    plan = plan_arena(tensors, alignment);
  } else {
    plan = plan_arena(tensors, alignment);
  }
  py::dict out;
  out["offsets"] =
      py::array_t<int64_t>(static_cast<py::ssize_t>(plan.offsets.size()), plan.offsets.data());
  out["arena_bytes"] = plan.arena_bytes;
  out["lower_bound_bytes"] = plan.lower_bound_bytes;
  return out;
}

}  // namespace

void register_memory(py::module_& m) {
  py::class_<Pool>(m, "Pool", "A thread-safe caching pool of 64-byte aligned blocks.")
      .def(py::init<size_t>(), py::arg("max_cached_bytes") = kPoolDefaultMaxCachedBytes)
      .def(
          "empty",
          [](Pool& self, const py::handle& shape, const py::handle& dtype) {
            return pooled_array(parse_dtype(dtype), parse_shape(shape), self);
          },
          py::arg("shape"), py::arg("dtype"))
      .def("stats", [](const Pool& self) { return stats_dict(self.stats()); })
      .def("trim", &Pool::trim)
      .def("reset_peak", &Pool::reset_peak)
      .def_property("max_cached_bytes", &Pool::max_cached_bytes, &Pool::set_max_cached_bytes);
  m.def("default_pool", &default_pool, py::return_value_policy::reference);
  m.def("pool_size_class", &pool_size_class, py::arg("nbytes"));
  m.def("plan_arena", &plan_arena_py, py::arg("sizes"), py::arg("first_use"), py::arg("last_use"),
        py::arg("alignment") = 64);
  m.def("_pool_stress", &pool_stress, py::arg("pool"), py::arg("threads"), py::arg("iterations"),
        py::arg("max_bytes"), py::arg("seed") = 0,
        "Testing hook: a multi-threaded allocate/free loop without the GIL; returns errors.");
}

}  // namespace fastinfer::bindings
