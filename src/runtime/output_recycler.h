// Storage for graph outputs. Outputs go to the caller, who frees them whenever it drops them; a
// decode loop drops each step's outputs right after the next step made its own. Freed through
// malloc, GPT-2's 2 x 4.7 MB stacked caches came back as fresh pages for most of the next step
// (malloc trims and regrows its heap: ~460 page faults a step, 0.7-1.8 ms of a 20 ms step at 2
// threads on this VM). Large outputs therefore come back here when dropped and serve a later
// output of the same size class (sizes rounded up by at most 1/8, so that a KV cache growing
// by one position a step reuses its block for several steps). At most kMaxIdleBytes wait idle.
#pragma once

#include <cstddef>
#include <map>
#include <memory>
#include <mutex>

#include "onnxrt/tensor.h"

namespace onnxrt::runtime {

class OutputRecycler : public std::enable_shared_from_this<OutputRecycler> {
 public:
  static constexpr size_t kMinBytes = size_t{64} << 10;  // smaller ones stay with malloc
  static constexpr size_t kMaxIdleBytes = size_t{64} << 20;

  OutputRecycler() = default;
  OutputRecycler(const OutputRecycler&) = delete;
  OutputRecycler& operator=(const OutputRecycler&) = delete;
  ~OutputRecycler();

  // Uninitialised storage, like allocate_uninitialized (which serves strings and small outputs).
  // Must be called on an OutputRecycler owned by a shared_ptr.
  Tensor allocate(DType dtype, Shape shape);
  size_t idle_bytes() const;

  // Bytes reserved for an output of `bytes`: the next of 8 steps per power of two, 64-aligned.
  static size_t size_class(size_t bytes);

 private:
  void give_back(void* p, size_t capacity);

  mutable std::mutex mu_;
  std::multimap<size_t, void*> idle_;  // capacity -> block
  size_t idle_bytes_ = 0;
};

}  // namespace onnxrt::runtime
