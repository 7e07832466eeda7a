// Arenas shared by every plan of one model. A plan needs one arena per concurrent run; with
// a plan per input shape, per-plan arenas would multiply memory by the number of shapes
// seen. The pool instead keeps one buffer per concurrent run, grown to the largest arena
// asked of it, so a model's arena memory is (concurrent runs) x (largest plan's arena).
#pragma once

#include <cstdint>
#include <mutex>
#include <vector>

#include "fastinfer/aligned_buffer.h"

namespace fastinfer {

class ArenaPool {
 public:
  // A buffer of at least `bytes`; give it back with release().
  AlignedBuffer<uint8_t> acquire(int64_t bytes);
  void release(AlignedBuffer<uint8_t> buffer);
  // Frees the idle buffers (a model can call it after a burst of large shapes).
  void trim();

  int64_t bytes_held() const;  // in idle and lent buffers
  int64_t buffers() const;     // buffers that exist (idle or lent)
  int64_t peak_bytes() const;  // high-water mark of bytes_held
  int64_t grows() const;       // times a buffer was (re)allocated

 private:
  mutable std::mutex mu_;
  std::vector<AlignedBuffer<uint8_t>> idle_;
  int64_t held_ = 0, buffers_ = 0, peak_ = 0, grows_ = 0;
};

}  // namespace fastinfer
