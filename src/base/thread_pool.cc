#include "base/thread_pool.h"

#include <algorithm>
#include <atomic>
#include <condition_variable>
#include <mutex>
#include <thread>
#include <vector>

#if defined(__x86_64__) || defined(__i386__)
#include <immintrin.h>
#define ONNXRT_CPU_RELAX() _mm_pause()
#else
#define ONNXRT_CPU_RELAX() ((void)0)
#endif

namespace onnxrt {

// Below this many operations in total, a parallel_for runs on the caller alone: waking a sleeping
// thread costs several microseconds, about what 64K multiply-adds take on one core.
constexpr double kMinParallelCost = 65536.0;
// How long an idle worker polls for the next job before it sleeps. Kernels of one run() follow
// each other within microseconds, so a short spin saves a futex wake per op.
constexpr int kSpinIterations = 20000;

struct ThreadPool::Impl {
  std::vector<std::thread> workers;
  std::mutex owner;  // held by the thread whose job is being run; others run inline

  std::mutex m;
  std::condition_variable wake;
  std::condition_variable idle;
  std::atomic<uint64_t> generation{0};
  bool stop = false;
  int active = 0;  // workers inside the current job (guarded by m)

  const std::function<void(int64_t)>* task = nullptr;
  int64_t num_tasks = 0;
  std::atomic<int64_t> next{0};

  void drain(const std::function<void(int64_t)>& fn, int64_t n) {
    for (int64_t t = next.fetch_add(1, std::memory_order_relaxed); t < n;
         t = next.fetch_add(1, std::memory_order_relaxed)) {
      fn(t);
    }
  }

  void worker_loop() {
    uint64_t seen = 0;
    for (;;) {
      for (int i = 0; i < kSpinIterations && generation.load(std::memory_order_acquire) == seen; ++i)
        ONNXRT_CPU_RELAX();
      const std::function<void(int64_t)>* fn;
      int64_t n;
      {
        std::unique_lock<std::mutex> lock(m);
        wake.wait(lock, [&] { return stop || generation.load(std::memory_order_relaxed) != seen; });
        if (stop) return;
        seen = generation.load(std::memory_order_relaxed);
        fn = task;
        n = num_tasks;
        ++active;
      }
      drain(*fn, n);
      {
        std::lock_guard<std::mutex> lock(m);
        if (--active == 0) idle.notify_all();
      }
    }
  }

  void run(int64_t n, const std::function<void(int64_t)>& fn) {
    {
      std::unique_lock<std::mutex> lock(m);
      // Workers that joined the previous job late may still be leaving it.
      idle.wait(lock, [&] { return active == 0; });
      task = &fn;
      num_tasks = n;
      next.store(0, std::memory_order_relaxed);
      generation.fetch_add(1, std::memory_order_release);
    }
    wake.notify_all();
    drain(fn, n);
    std::unique_lock<std::mutex> lock(m);
    idle.wait(lock, [&] { return active == 0; });
    // Workers that wake from now on find every task claimed and leave at once.
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
    impl_->stop = true;
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
  impl_->run(num_tasks, fn);
  impl_->owner.unlock();
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
