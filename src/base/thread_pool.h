// The intra-op thread pool: the calling thread plus (n-1) workers. Work is split into contiguous
// ranges; the caller always takes part, so a pool of one thread runs everything inline. Workers
// spin briefly for new work and then sleep, and never spin after parallel_for returns. No OpenMP:
// onnxrt lives inside PyTorch processes that have their own pools.
#pragma once

#include <cstdint>
#include <functional>
#include <memory>

namespace onnxrt {

class ThreadPool {
 public:
  // num_threads <= 0 means one per available core.
  explicit ThreadPool(int num_threads);
  ~ThreadPool();
  ThreadPool(const ThreadPool&) = delete;
  ThreadPool& operator=(const ThreadPool&) = delete;

  int num_threads() const { return num_threads_; }

  // Runs fn(begin, end) over disjoint ranges covering [0, n). `cost_per_item` is a rough count
  // of multiply-adds (or element operations) per item: below ~64K operations in total the work
  // runs on the caller alone, since waking a thread costs more than it saves.
  void parallel_for(int64_t n, double cost_per_item,
                    const std::function<void(int64_t begin, int64_t end)>& fn);

  // Runs fn(task) for task in [0, num_tasks), spreading tasks over the threads. Use when the
  // caller has already chosen a partition (e.g. GEMM tiles).
  void run_tasks(int64_t num_tasks, const std::function<void(int64_t task)>& fn);

  static int default_num_threads();

 private:
  struct Impl;
  int num_threads_;
  std::unique_ptr<Impl> impl_;
};

}  // namespace onnxrt
