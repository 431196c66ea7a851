// Session reliability: one Session run from many std::threads at once, determinism (every output
// bitwise equal to what a single-threaded session computes for the same inputs, on every run), and
// sessions created and destroyed without leaking heap memory. The model
// mixes the kernels whose results could depend on scheduling (a GEMM large enough to be split
// over the pool, reductions, Softmax, LayerNormalization) with a symbolic batch dim, so per-run
// shape binding and the dynamic buffer pool are exercised concurrently too.
#include <gtest/gtest.h>

#include <malloc.h>

#include <atomic>
#include <cstring>
#include <random>
#include <string>
#include <thread>
#include <vector>

#include "kernels/harness.h"
#include "onnx/model_io.h"
#include "onnxrt/session.h"

namespace onnxrt::testing {
namespace {

constexpr int64_t kIn = 96, kHidden = 160, kOut = 48;

// x[batch, 96] -> MatMul+Add+Relu -> MatMul -> Softmax, ReduceSum over the hidden layer, and
// LayerNormalization of the logits. Outputs: probs, hidden_sum, normed.
std::string build_model() {
  auto g = std::make_unique<ir::Graph>();
  g->opset_imports.push_back({"", 17});
  const Dim batch = Dim::symbol(g->symbols().intern("batch"));
  EXPECT_TRUE(g->add_input("x", ir::ValueType::tensor(DType::kFloat32, {batch, kIn})));
  std::mt19937 rng(11);
  EXPECT_TRUE(g->add_initializer("w1", random_tensor(DType::kFloat32, {kIn, kHidden}, rng)));
  EXPECT_TRUE(g->add_initializer("b1", random_tensor(DType::kFloat32, {kHidden}, rng)));
  EXPECT_TRUE(g->add_initializer("w2", random_tensor(DType::kFloat32, {kHidden, kOut}, rng)));
  EXPECT_TRUE(g->add_initializer("gamma", random_tensor(DType::kFloat32, {kOut}, rng)));
  EXPECT_TRUE(g->add_initializer("beta", random_tensor(DType::kFloat32, {kOut}, rng)));
  EXPECT_TRUE(g->add_initializer("axes", make_tensor<int64_t>(DType::kInt64, {1}, {1})));
  auto add = [&](ir::Node n, std::vector<std::string> in, std::vector<std::string> out) {
    auto r = g->add_node(std::move(n), in, out);
    EXPECT_TRUE(r) << r.status().to_string();
  };
  add(NodeBuilder("MatMul", 13).build(), {"x", "w1"}, {"h0"});
  add(NodeBuilder("Add", 14).build(), {"h0", "b1"}, {"h1"});
  add(NodeBuilder("Relu", 14).build(), {"h1"}, {"h"});
  add(NodeBuilder("MatMul", 13).build(), {"h", "w2"}, {"logits"});
  add(NodeBuilder("Softmax", 13).attr_i("axis", -1).build(), {"logits"}, {"probs"});
  add(NodeBuilder("ReduceSum", 13).attr_i("keepdims", 0).build(), {"h", "axes"}, {"hidden_sum"});
  add(NodeBuilder("LayerNormalization", 17).attr_i("axis", -1).build(), {"logits", "gamma", "beta"},
      {"normed"});
  for (const char* o : {"probs", "hidden_sum", "normed"}) EXPECT_TRUE(g->add_output(o).is_ok());
  auto bytes = onnx::save_model(*g, ModelMetadata{});
  EXPECT_TRUE(bytes) << bytes.status().to_string();
  return bytes ? *bytes : std::string();
}

std::unique_ptr<Session> load(const std::string& bytes, int threads) {
  SessionOptions options;
  options.intra_op_num_threads = threads;
  auto s = Session::load_bytes(bytes.data(), bytes.size(), options);
  EXPECT_TRUE(s) << s.status().to_string();
  return s ? std::move(s).value() : nullptr;
}

// Distinct inputs: batch sizes 1..40 (small ones run inline, large ones split the GEMM).
std::vector<Tensor> make_inputs(int count) {
  std::mt19937 rng(5);
  std::vector<Tensor> xs;
  for (int i = 0; i < count; ++i) {
    const int64_t batch = 1 + (i * 7) % 40;
    xs.push_back(random_tensor(DType::kFloat32, {batch, kIn}, rng, -2.0, 2.0));
  }
  return xs;
}

bool bitwise_equal(const Tensor& a, const Tensor& b) {
  return a.dtype() == b.dtype() && a.shape() == b.shape() &&
         std::memcmp(a.raw(), b.raw(), a.nbytes()) == 0;
}

// "" when every output matches bitwise, else what differs.
std::string compare(const std::vector<Value>& got, const std::vector<Value>& want) {
  if (got.size() != want.size()) return "output count differs";
  for (size_t k = 0; k < got.size(); ++k) {
    if (!got[k].is_tensor() || !bitwise_equal(got[k].tensor(), want[k].tensor()))
      return "output " + std::to_string(k) + " differs: " + got[k].describe() + " vs " + want[k].describe();
  }
  return "";
}

std::vector<std::vector<Value>> run_all(const Session& s, const std::vector<Tensor>& xs) {
  std::vector<std::vector<Value>> out;
  for (const Tensor& x : xs) {
    auto r = s.run({{"x", x}}, {});
    EXPECT_TRUE(r) << r.status().to_string();
    out.push_back(r ? *r : std::vector<Value>{});
  }
  return out;
}

TEST(SessionConcurrency, EightThreadsMatchTheSingleThreadedResultBitwise) {
  const std::string bytes = build_model();
  auto reference_session = load(bytes, 1);
  auto shared_session = load(bytes, 2);
  ASSERT_TRUE(reference_session && shared_session);
  const std::vector<Tensor> xs = make_inputs(24);
  const auto expected = run_all(*reference_session, xs);

  constexpr int kThreads = 8, kRunsPerThread = 125;  // 1,000 runs in all
  std::atomic<int> failures{0};
  std::vector<std::string> first_error(kThreads);
  std::atomic<int> ready{0};
  std::vector<std::thread> threads;
  for (int t = 0; t < kThreads; ++t) {
    threads.emplace_back([&, t] {
      // Start together so the runs really overlap.
      ready.fetch_add(1);
      while (ready.load() < kThreads) std::this_thread::yield();
      for (int i = 0; i < kRunsPerThread; ++i) {
        const size_t k = static_cast<size_t>(t * 31 + i * 5) % xs.size();  // each thread its own order
        auto r = shared_session->run({{"x", xs[k]}}, {});
        std::string err = r ? compare(*r, expected[k]) : r.status().to_string();
        if (!err.empty()) {
          if (failures.fetch_add(1) == 0 || first_error[t].empty())
            first_error[t] = "input " + std::to_string(k) + ": " + err;
        }
      }
    });
  }
  for (std::thread& th : threads) th.join();
  for (int t = 0; t < kThreads; ++t) EXPECT_EQ(first_error[t], "") << "thread " << t;
  EXPECT_EQ(failures.load(), 0);
}

TEST(SessionDeterminism, RepeatedRunsAreBitwiseIdentical) {
  const std::string bytes = build_model();
  auto session = load(bytes, 2);
  ASSERT_TRUE(session);
  const std::vector<Tensor> xs = make_inputs(6);
  const auto first = run_all(*session, xs);
  for (int rep = 0; rep < 20; ++rep) {
    const auto again = run_all(*session, xs);
    for (size_t k = 0; k < xs.size(); ++k) ASSERT_EQ(compare(again[k], first[k]), "") << "rep " << rep << " input " << k;
  }
}

TEST(SessionDeterminism, OneAndTwoThreadsAgreeBitwise) {
  const std::string bytes = build_model();
  auto one = load(bytes, 1);
  auto two = load(bytes, 2);
  ASSERT_TRUE(one && two);
  const std::vector<Tensor> xs = make_inputs(12);
  const auto a = run_all(*one, xs);
  const auto b = run_all(*two, xs);
  for (size_t k = 0; k < xs.size(); ++k) EXPECT_EQ(compare(b[k], a[k]), "") << "input " << k << " " << xs[k].shape()[0];
}

// One long row reduced whole: once split into threads x 4 parts, so 1 and 2 threads disagreed in
// the last bits. 300,000 elements is not a multiple of any chunk size, so every part differs.
TEST(SessionDeterminism, LongRowReductionsAgreeBitwiseAcrossThreadCounts) {
  auto g = std::make_unique<ir::Graph>();
  g->opset_imports.push_back({"", 18});
  ASSERT_TRUE(g->add_input("x", ir::ValueType::tensor(DType::kFloat32, {300000})));
  std::vector<std::string> outs;
  for (const char* op : {"ReduceSum", "ReduceMean", "ReduceL2", "ReduceSumSquare", "ReduceLogSumExp"}) {
    auto r = g->add_node(NodeBuilder(op, 18).attr_i("keepdims", 0).build(), std::vector<std::string>{"x"},
                         std::vector<std::string>{std::string(op) + "_y"});
    ASSERT_TRUE(r) << r.status().to_string();
    ASSERT_TRUE(g->add_output(std::string(op) + "_y").is_ok());
  }
  auto bytes = onnx::save_model(*g, ModelMetadata{});
  ASSERT_TRUE(bytes) << bytes.status().to_string();
  auto one = load(*bytes, 1);
  auto two = load(*bytes, 2);
  ASSERT_TRUE(one && two);
  std::mt19937 rng(3);
  for (int rep = 0; rep < 3; ++rep) {
    const std::vector<Tensor> xs = {random_tensor(DType::kFloat32, {300000}, rng, -3.0, 3.0)};
    EXPECT_EQ(compare(run_all(*two, xs)[0], run_all(*one, xs)[0]), "") << "rep " << rep;
  }
}

// Heap in use, summed over glibc's arenas (worker threads allocate from arenas of their own).
// Zero under AddressSanitizer, whose allocator glibc does not see; LeakSanitizer covers that build.
size_t heap_in_use() { return mallinfo2().uordblks; }

TEST(SessionLifecycle, CreatingAndDestroyingSessionsReturnsTheHeap) {
  const std::string bytes = build_model();
  const std::vector<Tensor> xs = make_inputs(3);
  auto cycle = [&](int i) {
    auto s = load(bytes, 1 + i % 2);  // with and without worker threads
    ASSERT_TRUE(s);
    auto r = s->run({{"x", xs[static_cast<size_t>(i) % xs.size()]}}, {});
    ASSERT_TRUE(r) << r.status().to_string();
  };
  for (int i = 0; i < 20; ++i) cycle(i);  // warm-up: lazily built tables, arena growth
  const size_t before = heap_in_use();
  for (int i = 0; i < 300; ++i) cycle(i);
  const size_t after = heap_in_use();
  // A leak of one small allocation per session would show as 300 x its size; allow a little slack
  // for allocator bookkeeping (free-list chunks, thread caches).
  EXPECT_LE(after, before + 64 * 1024) << "heap grew from " << before << " to " << after << " bytes";
}

}  // namespace
}  // namespace onnxrt::testing
