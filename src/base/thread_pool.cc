#include "base/thread_pool.h"

#include <algorithm>
#include <atomic>
#include <chrono>
#include <condition_variable>
#include <exception>
#include <mutex>
#include <thread>
#include <utility>
#include <vector>

#if defined(__x86_64__) || defined(__i386__)
#include <immintrin.h>
#define ONNXRT_CPU_RELAX() _mm_pause()
#else
#define ONNXRT_CPU_RELAX() ((void)0)
#endif

namespace onnxrt {

// Below this many operations in total, a parallel_for runs on the caller alone: even with a
// spinning worker, handing out a job and joining it costs about a microsecond, which is what 64K
// multiply-adds take on one core.
constexpr double kMinParallelCost = 65536.0;
// How long an idle worker polls for the next job before it sleeps on a futex. The kernels of one
// run() follow each other within microseconds, and a sleeping worker costs a syscall to wake plus
// 10-50 us of scheduler latency per op; a spin this short costs nothing measurable once the model
// has finished.
constexpr auto kSpinTime = std::chrono::microseconds(300);
constexpr auto kLeaverSpinTime = std::chrono::microseconds(100);

struct ThreadPool::Impl {
  std::vector<std::thread> workers;
  std::mutex owner;  // held by the thread whose job is being run; others run inline

  // The job slot. `task` and `num_tasks` change only under `m`, and only while no worker is
  // inside a job (active == 0), so a worker that joins under `m` reads a consistent pair.
  std::mutex m;
  std::condition_variable wake;
  std::atomic<uint64_t> generation{0};
  std::atomic<bool> stop{false};
  int sleepers = 0;  // workers blocked on `wake` (guarded by m)
  const std::function<void(int64_t)>* task = nullptr;
  int64_t num_tasks = 0;
  std::atomic<int64_t> next{0};
  // Workers that joined the current job and have not left it. Atomic so that leaving and waiting
  // for the leavers need no lock: the caller spins on it instead of sleeping, since the wait is
  // usually shorter than a futex round trip.
  std::atomic<int> active{0};
  std::mutex leave_m;  // only for a caller that stopped spinning on `active`
  std::condition_variable left;
  std::atomic<bool> caller_blocked{false};
  // The first exception a task of the current job threw (kernels check values, e.g. indices, as
  // they go). It must not leave a worker thread (std::terminate) nor the caller's drain early
  // (workers would go on calling a function whose frame is gone): it is kept here and rethrown
  // by the caller once every worker has left the job.
  std::mutex error_m;
  std::exception_ptr error;

  void drain(const std::function<void(int64_t)>* fn, int64_t n) {
    // `fn` is dereferenced only for a claimed task: a worker that joins after the caller has
    // returned finds every task claimed and never touches the (gone) function.
    for (int64_t t = next.fetch_add(1, std::memory_order_relaxed); t < n;
         t = next.fetch_add(1, std::memory_order_relaxed)) {
      try {
        (*fn)(t);
      } catch (...) {
        {
          std::lock_guard<std::mutex> lock(error_m);
          if (!error) error = std::current_exception();
        }
        // The job has failed: leave its unclaimed tasks alone (every later claim is >= n).
        next.store(n, std::memory_order_relaxed);
        return;
      }
    }
  }

  bool spin_for_job(uint64_t seen) {
    const auto deadline = std::chrono::steady_clock::now() + kSpinTime;
    for (;;) {
      for (int i = 0; i < 64; ++i) {
        if (generation.load(std::memory_order_acquire) != seen) return true;
        ONNXRT_CPU_RELAX();
      }
      if (stop.load(std::memory_order_relaxed)) return true;
      if (std::chrono::steady_clock::now() >= deadline) return false;
    }
  }

  void worker_loop() {
    uint64_t seen = 0;
    for (;;) {
      const bool spotted = spin_for_job(seen);
      const std::function<void(int64_t)>* fn;
      int64_t n;
      {
        std::unique_lock<std::mutex> lock(m);
        if (!spotted) {
          ++sleepers;
          wake.wait(lock, [&] { return stop.load() || generation.load() != seen; });
          --sleepers;
        }
        if (stop.load()) return;
        seen = generation.load(std::memory_order_relaxed);
        fn = task;
        n = num_tasks;
        active.fetch_add(1, std::memory_order_relaxed);
      }
      drain(fn, n);
      leave();
    }
  }

  // The caller waits for the workers still inside a job. Usually that is a chunk's worth of
  // microseconds, so it spins; a worker that was preempted (other processes share the cores) can
  // take a scheduler slice, so past kLeaverSpinTime the caller blocks and the last leaver wakes it.
  void wait_for_leavers() {
    if (active.load(std::memory_order_acquire) == 0) return;
    const auto deadline = std::chrono::steady_clock::now() + kLeaverSpinTime;
    for (;;) {
      for (int i = 0; i < 64; ++i) {
        if (active.load(std::memory_order_acquire) == 0) return;
        ONNXRT_CPU_RELAX();
      }
      if (std::chrono::steady_clock::now() >= deadline) break;
    }
    std::unique_lock<std::mutex> lock(leave_m);
    caller_blocked.store(true);  // seq_cst, paired with the leaver's fetch_sub and load below
    left.wait(lock, [&] { return active.load() == 0; });
    caller_blocked.store(false, std::memory_order_relaxed);
  }

  void leave() {
    if (active.fetch_sub(1) == 1 && caller_blocked.load()) {
      std::lock_guard<std::mutex> lock(leave_m);
      left.notify_all();
    }
  }

  void run(int64_t n, const std::function<void(int64_t)>& fn) {
    bool notify;
    {
      std::lock_guard<std::mutex> lock(m);
      // Workers that joined the previous job late may still be leaving it; they need no lock.
      wait_for_leavers();
      task = &fn;
      num_tasks = n;
      next.store(0, std::memory_order_relaxed);
      generation.fetch_add(1, std::memory_order_release);
      notify = sleepers > 0;
    }
    if (notify) wake.notify_all();
    drain(&fn, n);
    // Every task is claimed; wait only for the workers still running one.
    wait_for_leavers();
    // No worker is inside the job any more, so `error` is not written concurrently.
    if (error) std::rethrow_exception(std::exchange(error, nullptr));
  }
};

int ThreadPool::default_num_threads() {
  const unsigned n = std::thread::hardware_concurrency();
  return n == 0 ? 1 : static_cast<int>(n);
}

ThreadPool::ThreadPool(int num_threads)
    : num_threads_(num_threads <= 0 ? default_num_threads() : num_threads), impl_(new Impl) {
  for (int i = 1; i < num_threads_; ++i) impl_->workers.emplace_back([this] { impl_->worker_loop(); });
}

ThreadPool::~ThreadPool() {
  {
    std::lock_guard<std::mutex> lock(impl_->m);
    impl_->stop.store(true);
  }
  impl_->wake.notify_all();
  for (auto& t : impl_->workers) t.join();
}

void ThreadPool::run_tasks(int64_t num_tasks, const std::function<void(int64_t)>& fn) {
  if (num_tasks <= 0) return;
  // Nested or concurrent calls (a second run() on the same session) run inline rather than wait.
  if (num_threads_ == 1 || num_tasks == 1 || !impl_->owner.try_lock()) {
    for (int64_t t = 0; t < num_tasks; ++t) fn(t);
    return;
  }
  std::lock_guard<std::mutex> owned(impl_->owner, std::adopt_lock);
  impl_->run(num_tasks, fn);
}

void ThreadPool::parallel_for(int64_t n, double cost_per_item,
                              const std::function<void(int64_t, int64_t)>& fn) {
  if (n <= 0) return;
  const double total = static_cast<double>(n) * std::max(cost_per_item, 1.0);
  int64_t chunks = std::min<int64_t>(n, static_cast<int64_t>(total / kMinParallelCost));
  // A few chunks per thread even out uneven progress without much scheduling cost.
  chunks = std::min<int64_t>(chunks, static_cast<int64_t>(num_threads_) * 4);
  if (num_threads_ == 1 || chunks <= 1) {
    fn(0, n);
    return;
  }
  const int64_t per = (n + chunks - 1) / chunks;
  run_tasks((n + per - 1) / per, [&](int64_t t) {
    const int64_t begin = t * per;
    fn(begin, std::min(n, begin + per));
  });
}

}  // namespace onnxrt
