// cpu_info, ISA selection and the thread pool.
#include <pthread.h>
#include <pybind11/pybind11.h>
#include <pybind11/stl.h>

#include <stdexcept>

#include "bindings/registry.h"
#include "fastinfer/cpu_info.h"
#include "fastinfer/thread_pool.h"
#include "kernels/config_registry.h"
#include "kernels/peak/peak.h"
#include "runtime/core_claim.h"

namespace py = pybind11;

namespace fastinfer::bindings {

void register_runtime(py::module_& m) {
  m.def("cpu_info", [] {
    const CpuFeatures& f = cpu_features();
    py::dict features;
    features["sse4_2"] = f.sse42;
    features["avx"] = f.avx;
    features["avx2"] = f.avx2;
    features["fma"] = f.fma;
    features["f16c"] = f.f16c;
    features["avx512f"] = f.avx512f;
    features["avx512bw"] = f.avx512bw;
    features["avx512dq"] = f.avx512dq;
    features["avx512vl"] = f.avx512vl;
    features["avx512_vnni"] = f.avx512vnni;
    features["avx512_bf16"] = f.avx512bf16;
    features["avx_vnni"] = f.avx_vnni;
    features["amx_int8"] = f.amx_int8;
    features["os_saves_ymm"] = f.os_avx;
    features["os_saves_zmm"] = f.os_avx512;
    py::list supported;
    for (Isa isa : supported_isas()) supported.append(isa_name(isa));
    py::dict info;
    info["isa"] = isa_name(active_isa());
    info["best_isa"] = isa_name(best_supported_isa());
    info["supported_isas"] = supported;
    info["features"] = features;
    info["vendor"] = f.vendor;
    info["brand"] = f.brand;
    info["num_threads"] = num_threads();
    info["available_cores"] = available_cores();
    return info;
  });
  m.def("active_isa", [] { return std::string(isa_name(active_isa())); });
  m.def("supported_isas", [] {
    std::vector<std::string> out;
    for (Isa isa : supported_isas()) out.emplace_back(isa_name(isa));
    return out;
  });
  m.def(
      "_force_isa", [](const std::string& name) { set_active_isa(parse_isa(name)); },
      py::arg("name"), "Testing hook: switch the kernel path. Not thread safe with running calls.");
  m.def(
      "kernel_configs",
      [] {
        py::dict out;
        for (const auto& [family, kernels] : kernels::chosen_kernels())
          out[family.c_str()] = kernels;
        return out;
      },
      "The kernels each family's configuration table chose for the active path.");
  m.def("set_num_threads", &set_num_threads, py::arg("n"));
  py::class_<ThreadPool>(m, "ThreadPool",
                         "An intra-op thread pool of num_threads threads, the caller included. "
                         "Plan.run(pool=) runs on it.")
      .def(py::init<int64_t>(), py::arg("num_threads"))
      .def_property_readonly("num_threads", &ThreadPool::num_threads)
      .def_property_readonly("cpus", &ThreadPool::cpus,
                             "Cores claimed and pinned to, ascending; empty when unpinned.")
      .def(
          "stats",
          [](const ThreadPool& p) {
            const ThreadPool::Stats s = p.stats();
            py::dict d;
            d["jobs"] = s.jobs;
            d["parallel_jobs"] = s.parallel_jobs;
            d["most_threads"] = s.most_threads;
            return d;
          },
          "jobs: parallel_for calls taken; parallel_jobs: those posted to the workers; "
          "most_threads: most threads that ran tasks of one job.")
      .def(
          "_caller_cpus",
          [](ThreadPool& p) {
            py::gil_scoped_release release;
            ScopedPool scope(p);
            return runtime::thread_cpus(pthread_self());
          },
          "Testing hook: the calling thread's affinity while the pool is installed.");
  m.def("get_num_threads", &num_threads);
  m.def("available_cores", &available_cores);
  m.def(
      "_measure_peak",
      [](const std::string& kind, int64_t iterations) {
        if (iterations < 1) throw std::invalid_argument("iterations must be >= 1");
        struct Kind {
          const char* name;
          Isa needs;
          double (*loop)(int64_t);
        };
        static const Kind kinds[] = {
            {"int8_vnni", Isa::kAvx512Vnni, &peak::int8_vnni_ops_per_second},
            {"fp32_fma", Isa::kAvx512, &peak::fp32_fma_flops_per_second},
            {"fp32_fma_ymm", Isa::kAvx2, &peak::fp32_fma_ymm_flops_per_second},
            {"int8_maddubs", Isa::kAvx2, &peak::int8_maddubs_ops_per_second},
            {"int8_avx_vnni", Isa::kAvx2Vnni, &peak::int8_avx_vnni_ops_per_second},
            {"int8_maddubs_zmm", Isa::kAvx512, &peak::int8_maddubs_zmm_ops_per_second},
        };
        for (const Kind& k : kinds) {
          if (kind != k.name) continue;
          if (!isa_supported(k.needs)) {
            throw std::invalid_argument(std::string("peak '") + k.name + "' needs the " +
                                        isa_name(k.needs) + " path, which this CPU lacks");
          }
          py::gil_scoped_release release;
          return k.loop(iterations);
        }
        throw std::invalid_argument(
            "kind must be one of int8_vnni, fp32_fma, fp32_fma_ymm, "
            "int8_maddubs, int8_avx_vnni, int8_maddubs_zmm; got '" +
            kind + "'");
      },
      py::arg("kind"), py::arg("iterations") = 20000000,
      "Single-thread arithmetic peak (ops/s) from a register-only throughput loop.");
}

}  // namespace fastinfer::bindings
