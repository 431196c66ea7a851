// The pool's hand-off paths: workers spinning, workers asleep, and a caller that outlasts its
// spin and blocks on a slow leaver. Each job must run every task exactly once, and a job must not
// return while a worker still runs one of its tasks.
#include <atomic>
#include <chrono>
#include <stdexcept>
#include <string>
#include <thread>
#include <vector>

#include <gtest/gtest.h>

#include "base/thread_pool.h"

using namespace onnxrt;

namespace {

void spin_for(std::chrono::microseconds d) {
  const auto end = std::chrono::steady_clock::now() + d;
  while (std::chrono::steady_clock::now() < end) {
  }
}

TEST(ThreadPoolHandOff, EveryTaskOnceAcrossSpinSleepAndSlowLeaverPaths) {
  for (int threads : {2, 3}) {
    ThreadPool pool(threads);
    for (int rep = 0; rep < 400; ++rep) {
      const int64_t tasks = 1 + rep % 9;
      std::vector<std::atomic<int>> hits(static_cast<size_t>(tasks));
      std::atomic<int> running{0};
      pool.run_tasks(tasks, [&](int64_t t) {
        running++;
        // Task 0 sometimes outlasts the caller's spin (100 us) so the caller must block.
        if (t == 0 && rep % 7 == 0) spin_for(std::chrono::microseconds(400));
        hits[static_cast<size_t>(t)]++;
        running--;
      });
      ASSERT_EQ(running.load(), 0) << "a task was still running after run_tasks returned";
      for (int64_t t = 0; t < tasks; ++t) ASSERT_EQ(hits[static_cast<size_t>(t)].load(), 1);
      // Every so often let the workers give up spinning and fall asleep.
      if (rep % 50 == 0) std::this_thread::sleep_for(std::chrono::milliseconds(1));
    }
  }
}

TEST(ThreadPoolHandOff, DestroysCleanlyWhileWorkersSleepOrSpin) {
  for (int i = 0; i < 50; ++i) {
    ThreadPool pool(2);
    std::atomic<int> n{0};
    pool.run_tasks(4, [&](int64_t) { n++; });
    EXPECT_EQ(n.load(), 4);
    if (i % 10 == 0) std::this_thread::sleep_for(std::chrono::milliseconds(1));
  }
}

// A task that throws (a kernel finding a bad index) must surface as an exception from run_tasks on
// the caller, whichever thread ran it: thrown on a worker it would otherwise end the process. No
// task may run after run_tasks returns, and the pool must stay usable (and parallel) afterwards.
TEST(ThreadPoolErrors, TaskExceptionReachesCallerFromAnyThread) {
  for (int threads : {2, 3}) {
    ThreadPool pool(threads);
    int thrown_on_worker = 0;
    for (int rep = 0; rep < 300; ++rep) {
      const int64_t tasks = 2 + rep % 7;
      const int64_t bad = rep % tasks;
      std::atomic<int> running{0};
      std::thread::id bad_thread;
      try {
        pool.run_tasks(tasks, [&](int64_t t) {
          running++;
          // Slow tasks let the workers claim some of them, so the bad one lands on any thread.
          spin_for(std::chrono::microseconds(rep % 3 == 0 ? 50 : 5));
          running--;
          if (t == bad) {
            bad_thread = std::this_thread::get_id();
            throw std::runtime_error("task " + std::to_string(t));
          }
        });
        FAIL() << "run_tasks returned normally although task " << bad << " threw";
      } catch (const std::runtime_error& e) {
        EXPECT_EQ(std::string(e.what()), "task " + std::to_string(bad));
      }
      ASSERT_EQ(running.load(), 0) << "a task was still running after run_tasks threw";
      if (bad_thread != std::this_thread::get_id()) ++thrown_on_worker;
      std::atomic<int> n{0};
      pool.parallel_for(64, 1e6, [&](int64_t b, int64_t e) { n += static_cast<int>(e - b); });
      ASSERT_EQ(n.load(), 64) << "the pool did not run a whole job after a failed one";
    }
    // Otherwise the test proves nothing about workers (a pool that falls back to running
    // everything on the caller after a failure would pass the checks above).
    EXPECT_GT(thrown_on_worker, 0) << threads << " threads: the failing task never ran on a worker";
  }
}

}  // namespace
