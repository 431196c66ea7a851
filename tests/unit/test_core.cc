// Core pieces that do not depend on any op: thread pool, 16-bit floats, buffer pool, memory plan,
// graph bookkeeping.
#include <gtest/gtest.h>

#include <atomic>
#include <cmath>
#include <random>
#include <thread>

#include "base/half.h"
#include "base/thread_pool.h"
#include "ir/graph.h"
#include "plan/execution_plan.h"
#include "runtime/buffer_pool.h"

namespace onnxrt {
namespace {

TEST(CoreThreadPool, ParallelForCoversEveryIndexOnce) {
  for (int threads : {1, 2, 3}) {
    ThreadPool pool(threads);
    for (int64_t n : {0, 1, 7, 1000, 100003}) {
      std::vector<std::atomic<int>> hits(static_cast<size_t>(n));
      pool.parallel_for(n, 1000.0, [&](int64_t b, int64_t e) {
        for (int64_t i = b; i < e; ++i) hits[static_cast<size_t>(i)]++;
      });
      for (int64_t i = 0; i < n; ++i) ASSERT_EQ(hits[static_cast<size_t>(i)].load(), 1) << "n=" << n << " i=" << i;
    }
  }
}

TEST(CoreThreadPool, NestedAndConcurrentCallsComplete) {
  ThreadPool pool(2);
  std::atomic<int64_t> total{0};
  auto work = [&] {
    for (int rep = 0; rep < 50; ++rep) {
      pool.parallel_for(64, 1e6, [&](int64_t b, int64_t e) {
        // A nested parallel_for runs inline instead of deadlocking.
        pool.parallel_for(e - b, 1e6, [&](int64_t b2, int64_t e2) { total += e2 - b2; });
      });
    }
  };
  std::thread other(work);
  work();
  other.join();
  EXPECT_EQ(total.load(), 2 * 50 * 64);
}

TEST(CoreHalf, Float16RoundTripsEveryBitPattern) {
  for (uint32_t h = 0; h < 65536; ++h) {
    const float f = half_to_float(static_cast<uint16_t>(h));
    if (std::isnan(f)) {
      EXPECT_TRUE(std::isnan(half_to_float(float_to_half(f))));
      continue;
    }
    ASSERT_EQ(float_to_half(f), h) << "bits " << h;
  }
}

TEST(CoreHalf, Float16RoundsToNearestEven) {
  // Values halfway between two halves go to the even one; just above goes up.
  EXPECT_EQ(float_to_half(1.0f + 1.0f / 2048), float_to_half(1.0f));           // tie -> even (1.0)
  EXPECT_EQ(float_to_half(1.0f + 3.0f / 2048), 0x3c02);                        // tie -> even (up)
  EXPECT_EQ(float_to_half(1.0f + 1.0f / 2048 + 1e-7f), 0x3c01);                // above tie
  EXPECT_EQ(float_to_half(65520.0f), 0x7c00);                                  // rounds to inf
  EXPECT_EQ(float_to_half(65519.0f), 0x7bff);                                  // max finite
  EXPECT_EQ(float_to_half(5.9604644775390625e-8f), 0x0001);                    // min subnormal
  EXPECT_EQ(float_to_half(2.98023223876953125e-8f), 0x0000);                   // tie -> even (0)
  EXPECT_EQ(float_to_half(-0.0f), 0x8000);
  std::mt19937 rng(1);
  std::uniform_real_distribution<float> dist(-70000.0f, 70000.0f);
  for (int i = 0; i < 10000; ++i) {
    const float f = dist(rng);
    const float back = half_to_float(float_to_half(f));
    if (std::isinf(back)) continue;
    // The nearest half is within half a unit in the last place (2^-11 relative).
    EXPECT_LE(std::fabs(back - f), std::fabs(f) * (1.0f / 2048) + 1e-7f) << f;
  }
}

TEST(CoreHalf, BFloat16RoundsToNearestEven) {
  EXPECT_EQ(float_to_bfloat16(1.0f), 0x3f80);
  EXPECT_EQ(float_to_bfloat16(std::bit_cast<float>(0x3f808000u)), 0x3f80);  // tie -> even
  EXPECT_EQ(float_to_bfloat16(std::bit_cast<float>(0x3f818000u)), 0x3f82);  // tie -> even (up)
  EXPECT_TRUE(std::isnan(bfloat16_to_float(float_to_bfloat16(std::nanf("")))));
}

TEST(CoreBufferPool, ReusesAndTrims) {
  runtime::BufferPool pool;
  void* a = pool.acquire(1000);
  pool.release(a);
  void* b = pool.acquire(900);  // same 1024-byte bucket
  EXPECT_EQ(a, b);
  pool.release(b);
  pool.trim();  // b was used since the last trim: kept
  EXPECT_EQ(pool.cached_bytes(), 1024u);
  pool.trim();  // unused for a whole run: freed
  EXPECT_EQ(pool.cached_bytes(), 0u);
}

TEST(CoreMemoryPlan, OverlappingLifetimesNeverShareBytes) {
  std::mt19937 rng(3);
  for (int trial = 0; trial < 20; ++trial) {
    plan::ExecutionPlan p;
    const int steps = 30;
    p.steps.resize(steps);
    p.slots.resize(steps);
    std::vector<int> last(steps);
    for (int s = 0; s < steps; ++s) {
      p.slots[s].dtype = DType::kFloat32;
      p.slots[s].static_shape = true;
      p.slots[s].shape = {static_cast<int64_t>(rng() % 5000)};
      p.steps[s].outputs = {s};
      last[s] = s + static_cast<int>(rng() % 6);
      if (last[s] >= steps) last[s] = steps - 1;
      p.steps[static_cast<size_t>(last[s])].release_after.push_back(s);
    }
    plan::assign_arena_offsets(p);
    for (int a = 0; a < steps; ++a) {
      for (int b = a + 1; b < steps; ++b) {
        const bool live_together = a <= last[b] && b <= last[a];
        if (!live_together) continue;
        const int64_t a0 = p.slots[a].arena_offset, a1 = a0 + p.slots[a].shape[0] * 4;
        const int64_t b0 = p.slots[b].arena_offset, b1 = b0 + p.slots[b].shape[0] * 4;
        EXPECT_TRUE(a1 <= b0 || b1 <= a0) << "slots " << a << " and " << b << " overlap";
        EXPECT_LE(a1, p.arena_bytes);
      }
    }
  }
}

TEST(CoreGraph, UnknownOpIsNotImplementedAndNamesNode) {
  ir::Graph g;
  ASSERT_TRUE(g.add_input("x", ir::ValueType::tensor(DType::kFloat32, {2})).has_value());
  ir::Node n;
  n.op_type = "NoSuchOp";
  n.name = "mystery";
  n.opset = 17;
  std::vector<std::string> ins = {"x"}, outs = {"y"};
  auto r = g.add_node(n, ins, outs);
  ASSERT_FALSE(r.has_value());
  EXPECT_EQ(r.status().code(), ErrorCode::kNotImplemented);
  EXPECT_NE(r.status().message().find("NoSuchOp"), std::string::npos);
  EXPECT_NE(r.status().message().find("mystery"), std::string::npos);
}

TEST(CoreGraph, DuplicateValueNamesAreRejected) {
  ir::Graph g;
  ASSERT_TRUE(g.add_input("x", ir::ValueType::tensor(DType::kFloat32, {2})).has_value());
  auto again = g.add_input("x", ir::ValueType::tensor(DType::kFloat32, {2}));
  ASSERT_FALSE(again.has_value());
  EXPECT_NE(again.status().message().find("'x'"), std::string::npos);
}

TEST(CoreSymbols, FreshSymbolsAreAnonymous) {
  SymbolTable t;
  const int32_t batch = t.intern("batch");
  EXPECT_EQ(t.intern("batch"), batch);
  const int32_t u = t.fresh();
  EXPECT_NE(u, batch);
  EXPECT_TRUE(t.is_named(batch));
  EXPECT_FALSE(t.is_named(u));
}

}  // namespace
}  // namespace onnxrt
