// Graph-output storage that comes back when the caller drops an output (runtime/OutputRecycler):
// size classes, reuse of a dropped block for the next output of its class, the bound on idle
// bytes, outputs that outlive the recycler, and a session whose dropped outputs are reused run
// after run.
#include <gtest/gtest.h>

#include <random>
#include <string>
#include <vector>

#include "kernels/harness.h"
#include "onnx/model_io.h"
#include "onnxrt/session.h"
#include "runtime/output_recycler.h"

namespace onnxrt::testing {
namespace {

using runtime::OutputRecycler;

TEST(OutputRecycler, SizeClassesWasteAtMostAnEighth) {
  for (size_t bytes : {size_t{1}, size_t{64}, size_t{65}, size_t{4096}, size_t{65537}, size_t{4718592},
                       size_t{4755456}, (size_t{1} << 30) + 1}) {
    const size_t c = OutputRecycler::size_class(bytes);
    EXPECT_GE(c, bytes);
    EXPECT_EQ(c % 64, 0u) << bytes;
    EXPECT_LE(c, bytes + bytes / 8 + 64) << bytes;
  }
  // A KV cache growing by one position of 12 x 64 floats keeps its class for several steps.
  const size_t row = 12 * 64 * 4;
  EXPECT_EQ(OutputRecycler::size_class(129 * row), OutputRecycler::size_class(130 * row));
}

TEST(OutputRecycler, DroppedOutputsServeTheNextOfTheirClass) {
  auto r = std::make_shared<OutputRecycler>();
  const Shape big{1, 12, 129, 64};  // 396 KB
  const void* first = nullptr;
  {
    Tensor t = r->allocate(DType::kFloat32, big);
    first = t.raw();
    EXPECT_EQ(reinterpret_cast<uintptr_t>(first) % 64, 0u);
  }
  EXPECT_GT(r->idle_bytes(), 0u);
  Tensor again = r->allocate(DType::kFloat32, big);
  EXPECT_EQ(again.raw(), first);
  EXPECT_EQ(r->idle_bytes(), 0u);
  // Small outputs and strings are malloc's: nothing comes back.
  { Tensor small = r->allocate(DType::kFloat32, {16}); }
  { Tensor s = r->allocate(DType::kString, {1 << 16}); }
  EXPECT_EQ(r->idle_bytes(), 0u);
}

TEST(OutputRecycler, IdleBytesAreBounded) {
  auto r = std::make_shared<OutputRecycler>();
  std::vector<Tensor> held;
  for (int i = 0; i < 12; ++i) held.push_back(r->allocate(DType::kFloat32, {int64_t{2} << 20}));  // 8 MB each
  held.clear();
  EXPECT_LE(r->idle_bytes(), OutputRecycler::kMaxIdleBytes);
  EXPECT_GT(r->idle_bytes(), OutputRecycler::kMaxIdleBytes / 2);
}

TEST(OutputRecycler, OutputsOutliveTheRecycler) {
  Tensor t;
  {
    auto r = std::make_shared<OutputRecycler>();
    t = r->allocate(DType::kFloat32, {1 << 18});
    Tensor dropped = r->allocate(DType::kFloat32, {1 << 18});  // idle when r dies: freed with it
  }
  float* d = t.data<float>();
  for (int64_t i = 0; i < t.size(); ++i) d[i] = static_cast<float>(i);
  EXPECT_EQ(d[t.size() - 1], static_cast<float>(t.size() - 1));
}  // t freed here, after its recycler (ASan checks both frees)

TEST(OutputRecycler, SessionReusesDroppedOutputs) {
  auto g = std::make_unique<ir::Graph>();
  g->opset_imports.push_back({"", 18});
  ASSERT_TRUE(g->add_input("x", ir::ValueType::tensor(DType::kFloat32, to_sym_shape(Shape{256, 256}))));
  const std::vector<std::string> in{"x"}, out_names{"y"};
  ASSERT_TRUE(g->add_node(NodeBuilder("Neg", 13).build(), in, out_names));
  ASSERT_TRUE(g->add_output("y").is_ok());
  auto bytes = onnx::save_model(*g, ModelMetadata{});
  ASSERT_TRUE(bytes) << bytes.status().to_string();
  auto s = Session::load_bytes(bytes->data(), bytes->size());
  ASSERT_TRUE(s) << s.status().to_string();
  std::mt19937 rng(2);
  const void* previous = nullptr;
  for (int run = 0; run < 3; ++run) {
    const Tensor x = random_tensor(DType::kFloat32, {256, 256}, rng);
    auto out = (*s)->run({{"x", x}}, {});
    ASSERT_TRUE(out) << out.status().to_string();
    const Tensor& y = (*out)[0].tensor();
    for (int64_t i = 0; i < y.size(); ++i) ASSERT_EQ(y.data<float>()[i], -x.data<float>()[i]);
    if (previous) EXPECT_EQ(y.raw(), previous) << "run " << run;
    previous = y.raw();
  }
}

}  // namespace
}  // namespace onnxrt::testing
