// Kernels created ahead on the session's pool (plan/kernels_ahead.h) give the plan that one
// thread would build: the same constants released or kept (and aligned), bitwise the same
// outputs, and the same error naming the same node when a kernel cannot be created, whichever
// thread created it. KernelsAhead itself creates every item once, hands them over in order and
// brings a helper's exception to the consumer.
#include <gtest/gtest.h>

#include <unistd.h>

#include <atomic>
#include <chrono>
#include <cstdio>
#include <cstring>
#include <fstream>
#include <new>
#include <random>
#include <string>
#include <thread>
#include <vector>

#include "base/thread_pool.h"
#include "kernels/harness.h"
#include "onnx/model_io.h"
#include "onnxrt/session.h"
#include "plan/execution_plan.h"
#include "plan/kernels_ahead.h"
#include "runtime/executor.h"

namespace onnxrt::testing {
namespace {

constexpr int64_t kK = 32;

// x[32, 32] through a chain that reads every kind of weight:
//   w0..w5   MatMul B                 -> packed, released
//   w_gemm   Gemm B with transB        -> released
//   w_twice  B of two MatMuls          -> released after the second
//   w_shared MatMul B and an Add input -> kept
//   w_out    MatMul B and a graph output -> kept
//   w_3d     MatMul B of rank 3 (not packed) -> kept
// `bad_gemms`: positions in the chain where a Gemm whose alpha is a string (its kernel cannot be
// created) is put, named bad_gemm_<position>.
std::unique_ptr<ir::Graph> build_graph(const std::vector<int>& bad_gemms = {}) {
  auto g = std::make_unique<ir::Graph>();
  g->opset_imports.push_back({"", 17});
  EXPECT_TRUE(g->add_input("x", ir::ValueType::tensor(DType::kFloat32, to_sym_shape(Shape{kK, kK}))));
  std::mt19937 rng(11);
  const double r = 0.3;  // keeps values near 1 through the chain
  std::vector<std::string> chain = {"w0", "w1", "w2", "w3", "w4", "w5", "w_gemm", "w_twice", "w_twice",
                                    "w_shared", "w_out"};
  for (const char* w : {"w0", "w1", "w2", "w3", "w4", "w5", "w_gemm", "w_twice", "w_shared", "w_out"})
    EXPECT_TRUE(g->add_initializer(w, random_tensor(DType::kFloat32, {kK, kK}, rng, -r, r)));
  if (!bad_gemms.empty())
    EXPECT_TRUE(g->add_initializer("w_bad", random_tensor(DType::kFloat32, {kK, kK}, rng, -r, r)));
  EXPECT_TRUE(g->add_initializer("w_3d", random_tensor(DType::kFloat32, {2, kK, kK}, rng, -r, r)));
  auto add = [&](ir::Node n, std::vector<std::string> in, std::vector<std::string> out) {
    auto res = g->add_node(std::move(n), in, out);
    EXPECT_TRUE(res) << res.status().to_string();
  };
  std::string h = "x";
  for (size_t i = 0; i < chain.size(); ++i) {
    for (int bad : bad_gemms) {
      if (bad != static_cast<int>(i)) continue;
      const std::string out = "bad_" + std::to_string(i);
      add(NodeBuilder("Gemm", 13).name("bad_gemm_" + std::to_string(i)).attr_s("alpha", "two").build(), {h, "w_bad"},
          {out});
      h = out;
    }
    const std::string out = "h" + std::to_string(i);
    if (chain[i] == "w_gemm") {
      add(NodeBuilder("Gemm", 13).attr_i("transB", 1).build(), {h, chain[i]}, {out});
    } else {
      add(NodeBuilder("MatMul", 13).build(), {h, chain[i]}, {out});
    }
    h = out;
  }
  add(NodeBuilder("Add", 14).build(), {h, "w_shared"}, {"s"});
  add(NodeBuilder("MatMul", 13).build(), {"s", "w_3d"}, {"y_3d"});
  for (const char* o : {"s", "y_3d", "w_out"}) EXPECT_TRUE(g->add_output(o).is_ok());
  return g;
}

// The graph saved and loaded back with every raw_data shifted by `pad` bytes, so that the
// importer leaves weights misaligned in the mapped file (see test_session_misaligned_weights.cc).
std::unique_ptr<ir::Graph> loaded_graph(const std::vector<int>& bad_gemms, int pad) {
  ModelMetadata meta;
  meta.producer_name = std::string(static_cast<size_t>(pad) + 1, 'p');
  auto bytes = onnx::save_model(*build_graph(bad_gemms), meta);
  EXPECT_TRUE(bytes) << bytes.status().to_string();
  if (!bytes) return nullptr;
  const std::string path =
      ::testing::TempDir() + "onnxrt_parallel_create_" + std::to_string(::getpid()) + "_" + std::to_string(pad);
  std::ofstream(path, std::ios::binary).write(bytes->data(), static_cast<std::streamsize>(bytes->size()));
  auto loaded = onnx::load_model_file(path);
  std::remove(path.c_str());  // the mapping stays valid
  EXPECT_TRUE(loaded) << loaded.status().to_string();
  return loaded ? std::move(loaded->graph) : nullptr;
}

Expected<std::unique_ptr<plan::ExecutionPlan>> build(const std::vector<int>& bad_gemms, int pad, bool reference,
                                                     ThreadPool* pool) {
  plan::PlanOptions options;
  options.prefer_reference_kernels = reference;
  options.threads = pool;
  options.ahead_min_bytes = 1;  // every node that reads a weight
  return plan::build_plan(loaded_graph(bad_gemms, pad), options);
}

std::vector<Tensor> run(const plan::ExecutionPlan& plan, const Tensor& x) {
  runtime::RunState state(plan);
  runtime::load_constants(plan, state);
  state.slots[static_cast<size_t>(plan.input_slots[0])] = Value(x);
  Status st = runtime::execute(plan, state, test_pool());
  EXPECT_TRUE(st.is_ok()) << st.to_string();
  std::vector<Tensor> out;
  if (!st.is_ok()) return out;
  for (plan::Slot s : plan.output_slots) out.push_back(state.slots[static_cast<size_t>(s)].tensor());
  return out;
}

bool same_bits(const Tensor& a, const Tensor& b) {
  return a.dtype() == b.dtype() && a.shape() == b.shape() && std::memcmp(a.raw(), b.raw(), a.nbytes()) == 0;
}

TEST(ParallelKernelCreation, PlanMatchesTheOneThreadPlan) {
  std::mt19937 rng(2);
  const Tensor x = random_tensor(DType::kFloat32, {kK, kK}, rng);
  int created_ahead = 0;  // configurations whose compared plan has kernels made by helpers
  for (int threads : {2, 3}) {
    ThreadPool pool(threads);
    for (bool reference : {false, true}) {
      for (int pad = 0; pad < 4; ++pad) {
        SCOPED_TRACE(::testing::Message() << "threads " << threads << " reference " << reference << " pad " << pad);
        auto one = build({}, pad, reference, nullptr);
        ASSERT_TRUE(one) << one.status().to_string();
        EXPECT_EQ((*one)->kernels_created_ahead, 0);
        // These kernels take microseconds to create, so the plan's thread may well bind them all
        // before a helper wakes: rebuild until helpers made some (or give up and compare anyway).
        auto many = build({}, pad, reference, &pool);
        for (int attempt = 0; attempt < 50 && many && (*many)->kernels_created_ahead == 0; ++attempt)
          many = build({}, pad, reference, &pool);
        ASSERT_TRUE(many) << many.status().to_string();
        created_ahead += (*many)->kernels_created_ahead > 0;
        const plan::ExecutionPlan& a = **one;
        const plan::ExecutionPlan& b = **many;
        ASSERT_EQ(a.steps.size(), b.steps.size());
        for (size_t s = 0; s < a.steps.size(); ++s) {
          EXPECT_EQ(a.steps[s].node->describe(), b.steps[s].node->describe());
          EXPECT_EQ(a.steps[s].reference_kernel, b.steps[s].reference_kernel);
          EXPECT_STREQ(a.steps[s].kernel->variant(), b.steps[s].kernel->variant());
        }
        // Released in both or kept in both; a kept weight is aligned and holds the file's values.
        int released = 0;
        for (size_t v = 0; v < a.constants.size(); ++v) {
          const Tensor& ca = a.constants[v];
          const Tensor& cb = b.constants[v];
          if (!ca.defined()) continue;
          SCOPED_TRACE(a.graph->value(static_cast<ir::ValueId>(v)).name);
          ASSERT_EQ(ca.raw() == nullptr, cb.raw() == nullptr);
          EXPECT_EQ(cb.raw(), b.graph->value(static_cast<ir::ValueId>(v)).constant->raw());
          if (!ca.raw()) {
            ++released;
            continue;
          }
          EXPECT_EQ(reinterpret_cast<uintptr_t>(cb.raw()) % alignof(float), 0u);
          EXPECT_TRUE(same_bits(ca, cb));
        }
        EXPECT_EQ(released, reference ? 0 : 8);  // w0..w5, w_gemm, w_twice
        const std::vector<Tensor> want = run(a, x);
        const std::vector<Tensor> got = run(b, x);
        ASSERT_EQ(want.size(), 3u);
        ASSERT_EQ(got.size(), 3u);
        for (size_t k = 0; k < 3; ++k) EXPECT_TRUE(same_bits(want[k], got[k])) << "output " << k;
      }
    }
  }
  // Helpers did create kernels in plans that were compared (each build offers them 13).
  EXPECT_GT(created_ahead, 0);
}

TEST(ParallelKernelCreation, FailureNamesTheFirstNodeInOrder) {
  // One bad node early, one late, or both: the error is the one-thread plan's, naming the
  // first bad node in plan order, whichever thread tried to create it.
  for (const std::vector<int>& bad : std::vector<std::vector<int>>{{1}, {9}, {2, 8}}) {
    auto one = build(bad, 1, false, nullptr);
    ASSERT_FALSE(one);
    const std::string want = one.status().to_string();
    EXPECT_NE(want.find("bad_gemm_" + std::to_string(bad[0])), std::string::npos) << want;
    EXPECT_NE(want.find("alpha"), std::string::npos) << want;
    for (int threads : {2, 3}) {
      ThreadPool pool(threads);
      for (int attempt = 0; attempt < 5; ++attempt) {
        auto many = build(bad, 1, false, &pool);
        ASSERT_FALSE(many);
        EXPECT_EQ(many.status().to_string(), want);
      }
    }
  }
}

TEST(ParallelKernelCreation, SessionsGiveTheSameOutputsAtAnyThreadCount) {
  // Default threshold (2 MiB): these 2.25 MiB weights are created ahead in a session of more
  // than one thread.
  auto g = std::make_unique<ir::Graph>();
  g->opset_imports.push_back({"", 17});
  constexpr int64_t kN = 768;
  ASSERT_TRUE(g->add_input("x", ir::ValueType::tensor(DType::kFloat32, to_sym_shape(Shape{4, kN}))));
  std::mt19937 rng(4);
  std::string h = "x";
  for (int i = 0; i < 4; ++i) {
    const std::string w = "w" + std::to_string(i), out = "h" + std::to_string(i);
    ASSERT_TRUE(g->add_initializer(w, random_tensor(DType::kFloat32, {kN, kN}, rng, -0.1, 0.1)));
    const std::vector<std::string> in = {h, w}, outs = {out};
    ASSERT_TRUE(g->add_node(NodeBuilder("MatMul", 13).build(), in, outs));
    h = out;
  }
  ASSERT_TRUE(g->add_output(h).is_ok());
  auto bytes = onnx::save_model(*g, ModelMetadata{});
  ASSERT_TRUE(bytes) << bytes.status().to_string();
  const Tensor x = random_tensor(DType::kFloat32, {4, kN}, rng);
  std::vector<Tensor> want;
  for (int threads : {1, 2, 4}) {
    SessionOptions options;
    options.intra_op_num_threads = threads;
    auto s = Session::load_bytes(bytes->data(), bytes->size(), options);
    ASSERT_TRUE(s) << s.status().to_string();
    auto out = (*s)->run({{"x", Value(x)}}, {});
    ASSERT_TRUE(out) << out.status().to_string();
    if (want.empty()) {
      want.push_back((*out)[0].tensor());
      continue;
    }
    EXPECT_TRUE(same_bits((*out)[0].tensor(), want[0])) << "threads " << threads;
  }
}

// KernelsAhead on its own, with kernels that only record who made them.
class Made final : public kernels::Kernel {
 public:
  explicit Made(size_t i) : item(i) {}
  Status run(kernels::KernelContext&) const override { return Status::ok(); }
  size_t item;
};

TEST(KernelsAhead, EveryItemOnceInOrderAndErrorsReachTheConsumer) {
  constexpr size_t kItems = 40;
  for (int threads : {1, 2, 4}) {
    ThreadPool pool(threads);
    for (int64_t window : {int64_t{1}, int64_t{5}, int64_t{1000}}) {
      SCOPED_TRACE(::testing::Message() << "threads " << threads << " window " << window);
      std::vector<std::atomic<int>> calls(kItems);
      plan::KernelsAhead ahead(std::vector<int64_t>(kItems, 3), window, [&](size_t i) -> plan::KernelsAhead::KernelOrError {
        calls[i].fetch_add(1);
        if (i == 17) return invalid_argument("item 17 failed");
        return std::unique_ptr<kernels::Kernel>(new Made(i));
      });
      std::vector<size_t> got;
      Status st = ahead.run(pool, [&]() -> Status {
        for (size_t i = 0; i < kItems; ++i) {
          auto k = ahead.take(i);
          if (!k) {
            // The consumer goes on past a failed item here, to see every other item once.
            EXPECT_EQ(i, 17u);
            EXPECT_EQ(k.status().to_string().find("item 17 failed") != std::string::npos, true);
            continue;
          }
          got.push_back(static_cast<const Made&>(**k).item);
        }
        return Status::ok();
      });
      EXPECT_TRUE(st.is_ok());
      ASSERT_EQ(got.size(), kItems - 1);
      for (size_t i = 0, want = 0; i < got.size(); ++i, ++want) {
        if (want == 17) ++want;
        EXPECT_EQ(got[i], want);
      }
      for (size_t i = 0; i < kItems; ++i) EXPECT_EQ(calls[i].load(), 1) << i;
    }
  }
}

TEST(KernelsAhead, HelpersCreateItemsWhileTheConsumerIsBusy) {
  // Item 0's creation waits until another thread has started item 1: it returns only if a
  // helper claimed an item while the consumer was busy (bounded, so that a broken helper fails
  // the test instead of hanging it).
  for (int threads : {2, 4}) {
    ThreadPool pool(threads);
    std::atomic<bool> item1_started{false};
    std::atomic<bool> helper_seen{false};
    plan::KernelsAhead ahead(std::vector<int64_t>(8, 10), 10, [&](size_t i) -> plan::KernelsAhead::KernelOrError {
      if (i == 1) item1_started.store(true);
      if (i == 0) {
        const auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(20);
        while (!item1_started.load() && std::chrono::steady_clock::now() < deadline) std::this_thread::yield();
        helper_seen.store(item1_started.load());
      }
      return std::unique_ptr<kernels::Kernel>(new Made(i));
    });
    Status st = ahead.run(pool, [&]() -> Status {
      for (size_t i = 0; i < 8; ++i) {
        auto k = ahead.take(i);
        if (!k) return k.status();
        EXPECT_EQ(static_cast<const Made&>(**k).item, i);
      }
      return Status::ok();
    });
    EXPECT_TRUE(st.is_ok()) << st.to_string();
    EXPECT_TRUE(helper_seen.load()) << "threads " << threads;
    EXPECT_GT(ahead.created_by_helpers(), 0);
  }
}

TEST(KernelsAhead, AThrownExceptionComesOutOfRunOnTheCallersThread) {
  for (int threads : {1, 2, 4}) {
    ThreadPool pool(threads);
    plan::KernelsAhead ahead(std::vector<int64_t>(20, 1), 4, [&](size_t i) -> plan::KernelsAhead::KernelOrError {
      if (i == 6) throw std::bad_alloc();
      return std::unique_ptr<kernels::Kernel>(new Made(i));
    });
    size_t taken = 0;
    EXPECT_THROW(
        {
          Status st = ahead.run(pool, [&]() -> Status {
            for (size_t i = 0; i < 20; ++i) {
              auto k = ahead.take(i);
              if (!k) return k.status();
              ++taken;
            }
            return Status::ok();
          });
          (void)st;
        },
        std::bad_alloc);
    EXPECT_EQ(taken, 6u) << "threads " << threads;
    // The pool is still usable afterwards.
    std::atomic<int> ran{0};
    pool.run_tasks(8, [&](int64_t) { ran.fetch_add(1); });
    EXPECT_EQ(ran.load(), 8);
  }
}

}  // namespace
}  // namespace onnxrt::testing
