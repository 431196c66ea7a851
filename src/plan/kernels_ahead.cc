#include "plan/kernels_ahead.h"

#include <atomic>

#include "base/thread_pool.h"

namespace onnxrt::plan {

KernelsAhead::KernelsAhead(std::vector<int64_t> item_bytes, int64_t window_bytes,
                           std::function<KernelOrError(size_t)> create)
    : end_(std::move(item_bytes)), window_bytes_(window_bytes), create_(std::move(create)), slots_(end_.size()) {
  for (size_t i = 1; i < end_.size(); ++i) end_[i] += end_[i - 1];
}

KernelsAhead::Slot KernelsAhead::create_slot(size_t i) {
  Slot s;
  try {
    s.result.emplace(create_(i));
  } catch (...) {
    s.exception = std::current_exception();
  }
  return s;
}

Status KernelsAhead::run(ThreadPool& pool, const std::function<Status()>& consume) {
  Status status = Status::ok();
  std::exception_ptr thrown;
  std::atomic<bool> consumer_started{false};
  created_by_helpers_ = 0;
  // One task per thread. The first to start consumes, so that a pool that runs the tasks one
  // after the other on the caller (busy or of one thread) binds everything in order and its
  // helpers find nothing left to claim.
  pool.run_tasks(pool.num_threads(), [&](int64_t) {
    if (consumer_started.exchange(true)) {
      help();
      return;
    }
    try {
      status = consume();
    } catch (...) {
      thrown = std::current_exception();
    }
    {
      std::lock_guard<std::mutex> lock(m_);
      stop_ = true;
    }
    changed_.notify_all();
  });
  if (thrown) std::rethrow_exception(thrown);
  return status;
}

bool KernelsAhead::claimable() const {
  return next_ < slots_.size() && (next_ > 0 ? end_[next_ - 1] : 0) < frontier_ + window_bytes_;
}

void KernelsAhead::create_claimed(std::unique_lock<std::mutex>& lock, size_t i) {
  lock.unlock();
  Slot made = create_slot(i);
  lock.lock();
  slots_[i] = std::move(made);
  changed_.notify_all();
}

void KernelsAhead::help() {
  std::unique_lock<std::mutex> lock(m_);
  for (;;) {
    changed_.wait(lock, [&] { return stop_ || next_ >= slots_.size() || claimable(); });
    if (stop_ || next_ >= slots_.size()) return;
    create_claimed(lock, next_++);
    ++created_by_helpers_;
  }
}

KernelsAhead::KernelOrError KernelsAhead::take(size_t i) {
  std::unique_lock<std::mutex> lock(m_);
  frontier_ = end_[i];
  changed_.notify_all();  // the window moved
  if (next_ <= i) {
    next_ = i + 1;  // nobody claimed it: create it here
    create_claimed(lock, i);
  }
  // A helper is creating it: create the next items meanwhile rather than wait, or a helper that
  // keeps one item ahead would leave this thread idle all along.
  while (!slots_[i].result && !slots_[i].exception) {
    if (claimable()) {
      create_claimed(lock, next_++);
    } else {
      changed_.wait(lock);
    }
  }
  Slot slot = std::move(slots_[i]);
  lock.unlock();
  if (slot.exception) std::rethrow_exception(slot.exception);
  return std::move(*slot.result);
}

}  // namespace onnxrt::plan
