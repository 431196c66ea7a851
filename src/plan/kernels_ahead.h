// Kernel creation ahead of the plan's thread. Creating a kernel that packs a large weight costs
// milliseconds (allocating and faulting the packed copy, then packing: most of GPT-2's session
// creation), and the plan used to do all of it on one thread while the session's pool sat idle.
// KernelsAhead lets the pool's other threads create those kernels ("items", in plan order) while
// one thread, the consumer, binds every node in order as before and takes each item's kernel when
// it gets there: created already, not yet claimed (it creates it), or being created by a helper
// (meanwhile it creates the next unclaimed items, so that no thread idles).
//
// Helpers claim items in order and stay within `window_bytes` of constant data past the item the
// consumer is at: a weight is released once its readers are bound in order (ConstantReleaser), so
// running far ahead would hold more originals next to their packed copies and raise the peak.
//
// Exceptions from a helper's create (bad_alloc) reach the consumer when it takes that item, and
// the consumer's own reach run()'s caller: none escapes into the pool.
#pragma once

#include <condition_variable>
#include <cstdint>
#include <exception>
#include <functional>
#include <memory>
#include <mutex>
#include <optional>
#include <vector>

#include "kernels/kernel.h"
#include "onnxrt/status.h"

namespace onnxrt {
class ThreadPool;
}

namespace onnxrt::plan {

class KernelsAhead {
 public:
  using KernelOrError = Expected<std::unique_ptr<kernels::Kernel>>;
  // `create(i)` creates item i's kernel; it is called once per item, on any thread, so it may
  // read only what no thread writes while run() lasts. `item_bytes[i]`: item i's constant bytes.
  KernelsAhead(std::vector<int64_t> item_bytes, int64_t window_bytes, std::function<KernelOrError(size_t)> create);

  // Runs `consume` on one thread of `pool` and helpers on the others; returns its status once
  // every helper has stopped. `consume` calls take(i) for items in increasing order.
  Status run(ThreadPool& pool, const std::function<Status()>& consume);

  // Item i's kernel, or the error its creation returned (for the consumer only); rethrows what
  // its creation threw.
  KernelOrError take(size_t i);

  // Kernels created by helpers in the last run (the rest were created by the consumer).
  int64_t created_by_helpers() const { return created_by_helpers_; }

 private:
  struct Slot {
    std::optional<KernelOrError> result;  // set once created (or failed)
    std::exception_ptr exception;         // what create threw, if it did
  };
  void help();
  Slot create_slot(size_t i);
  bool claimable() const;  // under m_: item next_ exists and is within the window
  // Creates item i (claimed by this thread) with m_ released, then stores it; returns locked.
  void create_claimed(std::unique_lock<std::mutex>& lock, size_t i);

  std::vector<int64_t> end_;  // end_[i]: constant bytes of items 0..i
  int64_t window_bytes_;
  std::function<KernelOrError(size_t)> create_;

  std::mutex m_;
  std::condition_variable changed_;  // an item finished, the consumer moved on, or it stopped
  std::vector<Slot> slots_;
  size_t next_ = 0;          // first item nobody has claimed
  int64_t frontier_ = 0;     // end_ of the item the consumer took last
  bool stop_ = false;
  int64_t created_by_helpers_ = 0;
};

}  // namespace onnxrt::plan
