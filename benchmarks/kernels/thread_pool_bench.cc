// Thread-pool dispatch cost: how long a parallel_for over trivial work takes, back to back and
// after a gap of serial work (as between the ops of a model), against running it inline.
//   thread_pool_bench [threads]     (built with -DONNXRT_BUILD_BENCHMARKS=ON)
// Prints the median cost per dispatch in microseconds.
#include <algorithm>
#include <atomic>
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <vector>

#include "base/thread_pool.h"

using namespace onnxrt;
using Clock = std::chrono::steady_clock;

static std::atomic<int64_t> sink{0};

static void busy(int64_t iterations) {
  int64_t x = 0;
  for (int64_t i = 0; i < iterations; ++i) x += i ^ (x >> 3);
  sink.fetch_add(x, std::memory_order_relaxed);
}

// Median of `reps` timings of one dispatch of `tasks` tasks of `work` iterations each, with
// `gap` iterations of serial work before each dispatch (not timed).
static double median_us(ThreadPool& pool, int64_t tasks, int64_t work, int64_t gap, int reps) {
  std::vector<double> t(reps);
  for (int r = 0; r < reps; ++r) {
    busy(gap);
    const auto start = Clock::now();
    pool.run_tasks(tasks, [&](int64_t) { busy(work); });
    t[r] = std::chrono::duration<double, std::micro>(Clock::now() - start).count();
  }
  std::nth_element(t.begin(), t.begin() + reps / 2, t.end());
  return t[reps / 2];
}

int main(int argc, char** argv) {
  const int threads = argc > 1 ? std::atoi(argv[1]) : 2;
  ThreadPool pool(threads), inline_pool(1);
  std::printf("threads=%d   (median us per dispatch; 'inline' = same work on one thread)\n", threads);
  std::printf("%10s %10s %10s %10s %10s\n", "tasks", "work", "gap", "pool", "inline");
  for (int64_t work : {0, 1000, 10000}) {
    for (int64_t gap : {0, 20000, 200000, 2000000}) {
      const int64_t tasks = 2 * threads;
      const double p = median_us(pool, tasks, work, gap, 2001);
      const double s = median_us(inline_pool, tasks, work, gap, 2001);
      std::printf("%10lld %10lld %10lld %10.2f %10.2f\n", (long long)tasks, (long long)work,
                  (long long)gap, p, s);
    }
  }
  return sink.load() == 42 ? 1 : 0;
}
