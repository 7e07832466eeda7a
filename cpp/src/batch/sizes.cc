// Size arithmetic shared by packing and bucketing: every product or sum that becomes an
// allocation size is checked, so a hostile shape is an error instead of a short buffer.
#include <limits>
#include <stdexcept>
#include <string>

#include "fastinfer/batch.h"

namespace fastinfer::batch {

int64_t checked_size_mul(int64_t a, int64_t b, const char* what) {
  if (a < 0 || b < 0) throw std::invalid_argument(std::string(what) + " is negative");
  if (a != 0 && b > std::numeric_limits<int64_t>::max() / a) {
    throw std::invalid_argument(std::string(what) + " overflows a 64-bit size");
  }
  return a * b;
}

int64_t checked_size_add(int64_t a, int64_t b, const char* what) {
  if (a < 0 || b < 0) throw std::invalid_argument(std::string(what) + " is negative");
  if (b > std::numeric_limits<int64_t>::max() - a) {
    throw std::invalid_argument(std::string(what) + " overflows a 64-bit size");
  }
  return a + b;
}

int64_t max_rows(const RowBlock* requests, int64_t count) {
  int64_t longest = 0;
  for (int64_t i = 0; i < count; ++i) {
    if (requests[i].rows < 0) {
      throw std::invalid_argument("request " + std::to_string(i) + " has negative length " +
                                  std::to_string(requests[i].rows));
    }
    if (requests[i].rows > longest) longest = requests[i].rows;
  }
  return longest;
}

}  // namespace fastinfer::batch
