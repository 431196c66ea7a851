// A cache of aligned buffers for values whose shape is known only at run time. Sizes are rounded
// up to power-of-two buckets so buffers are reused across runs whose shapes differ a little.
// trim() drops what the last run did not use, so memory follows the current shapes instead of
// growing with every shape ever seen.
#pragma once

#include <cstddef>
#include <cstdint>
#include <map>
#include <vector>

namespace onnxrt::runtime {

class BufferPool {
 public:
  BufferPool() = default;
  BufferPool(const BufferPool&) = delete;
  BufferPool& operator=(const BufferPool&) = delete;
  ~BufferPool();

  // A buffer of at least `bytes`; nullptr when the allocation fails.
  void* acquire(size_t bytes);
  void release(void* p);
  // Frees the buffers that no acquire() asked for since the previous trim().
  void trim();
  size_t cached_bytes() const;

 private:
  struct Entry {
    void* ptr;
    bool used_since_trim;
  };
  std::map<size_t, std::vector<Entry>> free_;  // bucket size -> idle buffers
  std::map<void*, size_t> live_;               // handed out -> bucket size
};

}  // namespace onnxrt::runtime
