// Data types and attribute accessors of the plan.
#include <stdexcept>
#include <string>

#include "fastinfer/plan.h"

namespace fastinfer::plan {

size_t dtype_size(DType t) {
  switch (t) {
    case DType::kFloat32:
    case DType::kInt32:
      return 4;
    case DType::kUint8:
    case DType::kInt8:
    case DType::kBool:
      return 1;
    case DType::kInt64:
    case DType::kFloat64:
      return 8;
  }
  throw std::invalid_argument("unknown dtype code " + std::to_string(static_cast<int>(t)));
}

const char* dtype_name(DType t) {
  switch (t) {
    case DType::kFloat32:
      return "float32";
    case DType::kUint8:
      return "uint8";
    case DType::kInt8:
      return "int8";
    case DType::kInt32:
      return "int32";
    case DType::kInt64:
      return "int64";
    case DType::kBool:
      return "bool";
    case DType::kFloat64:
      return "float64";
  }
  return "unknown";
}

DType dtype_from_code(int32_t code) {
  switch (code) {
    case 1:
    case 2:
    case 3:
    case 6:
    case 7:
    case 9:
    case 11:
      return static_cast<DType>(code);
    default:
      throw std::invalid_argument("dtype code " + std::to_string(code) +
                                  " is not supported by the native backend (float32, float64, "
                                  "int64, int32, int8, uint8, bool)");
  }
}

int64_t TensorDesc::numel() const {
  int64_t n = 1;
  for (int64_t d : shape) n *= d;
  return n;
}

int64_t TensorDesc::nbytes() const { return numel() * static_cast<int64_t>(dtype_size(dtype)); }

std::string TensorDesc::str() const {
  std::string s = std::string(dtype_name(dtype)) + "[";
  for (size_t i = 0; i < shape.size(); ++i) s += (i ? ", " : "") + std::to_string(shape[i]);
  return s + "]";
}

namespace {

template <typename T>
const T* find(const Attrs& a, const std::string& name, const char* want) {
  auto it = a.find(name);
  if (it == a.end()) return nullptr;
  const T* v = std::get_if<T>(&it->second);
  if (!v) throw std::invalid_argument("attribute '" + name + "' must be " + want);
  return v;
}

}  // namespace

int64_t attr_int(const Attrs& a, const std::string& name, int64_t fallback) {
  const int64_t* v = find<int64_t>(a, name, "an int");
  return v ? *v : fallback;
}

double attr_float(const Attrs& a, const std::string& name, double fallback) {
  auto it = a.find(name);
  if (it != a.end()) {
    if (const int64_t* i = std::get_if<int64_t>(&it->second)) return static_cast<double>(*i);
  }
  const double* v = find<double>(a, name, "a float");
  return v ? *v : fallback;
}

std::string attr_string(const Attrs& a, const std::string& name, const std::string& fallback) {
  const std::string* v = find<std::string>(a, name, "a string");
  return v ? *v : fallback;
}

std::vector<int64_t> attr_ints(const Attrs& a, const std::string& name,
                               const std::vector<int64_t>& fallback) {
  const auto* v = find<std::vector<int64_t>>(a, name, "a list of ints");
  return v ? *v : fallback;
}

std::vector<double> attr_floats(const Attrs& a, const std::string& name,
                                const std::vector<double>& fallback) {
  auto it = a.find(name);
  if (it != a.end()) {
    if (const auto* i = std::get_if<std::vector<int64_t>>(&it->second)) {
      return std::vector<double>(i->begin(), i->end());
    }
  }
  const auto* v = find<std::vector<double>>(a, name, "a list of floats");
  return v ? *v : fallback;
}

}  // namespace fastinfer::plan
