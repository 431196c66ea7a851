// Outputs that show part of an input instead of a copy (KernelContext::set_output_view): a Gather
// of consecutive indices on a leading axis, and Reshape-like ops on a graph input, read the feed's
// own bytes. What the caller gets back must still be its own (Session::run: "none is shared with
// a feed"), and the views must give the same values as the copies they replace, run after run.
// And the reverse: Concat inputs that the memory plan places inside the Concat's output
// (plan::SlotInfo::placed_in); tests/python/test_concat_in_place.py checks their values.
#include <gtest/gtest.h>

#include <random>
#include <string>
#include <vector>

#include "kernels/harness.h"
#include "onnx/model_io.h"
#include "onnxrt/session.h"
#include "plan/execution_plan.h"

namespace onnxrt::testing {
namespace {

// x[4, 3, 5]; g = Gather(x, 2) (a view), r = Reshape(x, [12, 5]) (a view); s = Sigmoid(g),
// t = Neg(r). Outputs g, s, r, t: g and r are graph outputs themselves.
std::unique_ptr<Session> load_session() {
  auto g = std::make_unique<ir::Graph>();
  g->opset_imports.push_back({"", 18});
  EXPECT_TRUE(g->add_input("x", ir::ValueType::tensor(DType::kFloat32, to_sym_shape(Shape{4, 3, 5}))));
  EXPECT_TRUE(g->add_initializer("idx", make_tensor<int64_t>(DType::kInt64, {}, {2})));
  EXPECT_TRUE(g->add_initializer("target", make_tensor<int64_t>(DType::kInt64, {2}, {12, 5})));
  auto add = [&](ir::Node n, std::vector<std::string> in, std::vector<std::string> out) {
    auto r = g->add_node(std::move(n), in, out);
    EXPECT_TRUE(r) << r.status().to_string();
  };
  add(NodeBuilder("Gather", 13).build(), {"x", "idx"}, {"g"});
  add(NodeBuilder("Reshape", 14).build(), {"x", "target"}, {"r"});
  add(NodeBuilder("Sigmoid", 13).build(), {"g"}, {"s"});
  add(NodeBuilder("Neg", 13).build(), {"r"}, {"t"});
  for (const char* o : {"g", "s", "r", "t"}) EXPECT_TRUE(g->add_output(o).is_ok());
  auto bytes = onnx::save_model(*g, ModelMetadata{});
  EXPECT_TRUE(bytes) << bytes.status().to_string();
  auto s = Session::load_bytes(bytes->data(), bytes->size());
  EXPECT_TRUE(s) << s.status().to_string();
  return s ? std::move(*s) : nullptr;
}

bool overlaps(const Tensor& a, const Tensor& b) {
  const char* pa = static_cast<const char*>(a.raw());
  const char* pb = static_cast<const char*>(b.raw());
  return pa < pb + b.nbytes() && pb < pa + a.nbytes();
}

TEST(SessionViews, GraphOutputsNeverShareTheFeed) {
  auto session = load_session();
  ASSERT_TRUE(session);
  std::mt19937 rng(4);
  for (int run = 0; run < 3; ++run) {
    const Tensor x = random_tensor(DType::kFloat32, {4, 3, 5}, rng);
    auto out = session->run({{"x", x}}, {});
    ASSERT_TRUE(out) << out.status().to_string();
    ASSERT_EQ(out->size(), 4u);
    const float* xs = x.data<float>();
    const Tensor &g = (*out)[0].tensor(), &s = (*out)[1].tensor(), &r = (*out)[2].tensor(), &t = (*out)[3].tensor();
    for (const Tensor* o : {&g, &s, &r, &t}) EXPECT_FALSE(overlaps(*o, x));
    ASSERT_EQ(g.shape(), (Shape{3, 5}));
    ASSERT_EQ(r.shape(), (Shape{12, 5}));
    for (int64_t i = 0; i < 15; ++i) {
      EXPECT_EQ(g.data<float>()[i], xs[30 + i]);
      EXPECT_NEAR(s.data<float>()[i], 1.0 / (1.0 + std::exp(-static_cast<double>(xs[30 + i]))), 1e-6);
    }
    for (int64_t i = 0; i < 60; ++i) {
      EXPECT_EQ(r.data<float>()[i], xs[i]);
      EXPECT_EQ(t.data<float>()[i], -xs[i]);
    }
  }
}

// x[1, 16, 4]: a = Exp(x), b = Neg(x), u = Unsqueeze(b) -> Squeeze (views), cat = Concat(a, x, v)
// on axis 1, y = Sin(cat). `cat` is a graph output or an intermediate.
std::unique_ptr<plan::ExecutionPlan> concat_plan(bool cat_is_output) {
  auto g = std::make_unique<ir::Graph>();
  g->opset_imports.push_back({"", 18});
  EXPECT_TRUE(g->add_input("x", ir::ValueType::tensor(DType::kFloat32, to_sym_shape(Shape{1, 16, 4}))));
  EXPECT_TRUE(g->add_initializer("zero", make_tensor<int64_t>(DType::kInt64, {1}, {0})));
  auto add = [&](ir::Node n, std::vector<std::string> in, std::vector<std::string> out) {
    auto r = g->add_node(std::move(n), in, out);
    EXPECT_TRUE(r) << r.status().to_string();
  };
  add(NodeBuilder("Exp", 13).build(), {"x"}, {"a"});
  add(NodeBuilder("Neg", 13).build(), {"x"}, {"b"});
  add(NodeBuilder("Unsqueeze", 13).build(), {"b", "zero"}, {"u"});
  add(NodeBuilder("Squeeze", 13).build(), {"u", "zero"}, {"v"});
  add(NodeBuilder("Concat", 13).attr_i("axis", 1).build(), {"a", "x", "v"}, {"cat"});
  add(NodeBuilder("Sin", 13).build(), {"cat"}, {"y"});
  EXPECT_TRUE(g->add_output("y").is_ok());
  if (cat_is_output) EXPECT_TRUE(g->add_output("cat").is_ok());
  auto p = plan::build_plan(std::move(g));
  EXPECT_TRUE(p) << p.status().to_string();
  return p ? std::move(*p) : nullptr;
}

TEST(ConcatPlacement, PartsAreWrittenInsideTheConcat) {
  for (bool cat_is_output : {false, true}) {
    SCOPED_TRACE(cat_is_output ? "graph output" : "intermediate");
    auto p = concat_plan(cat_is_output);
    ASSERT_TRUE(p);
    auto slot = [&](const char* name) -> const plan::SlotInfo& {
      return p->slots[static_cast<size_t>(p->graph->find(name))];
    };
    const auto cat = static_cast<plan::Slot>(p->graph->find("cat"));
    EXPECT_TRUE(slot("cat").has_placed_inputs);
    // a at the start, x (a graph input) copied, b (behind two views) after 32 rows of 4 floats.
    EXPECT_EQ(slot("a").placed_in, cat);
    EXPECT_EQ(slot("a").placed_offset, 0);
    EXPECT_EQ(slot("x").placed_in, plan::kNoSlot);
    EXPECT_EQ(slot("b").placed_in, cat);
    EXPECT_EQ(slot("b").placed_offset, 32 * 4 * 4);
    if (cat_is_output) {
      EXPECT_EQ(slot("a").arena_offset, -1);
      EXPECT_EQ(slot("b").arena_offset, -1);
    } else {
      ASSERT_GE(slot("cat").arena_offset, 0);
      EXPECT_EQ(slot("a").arena_offset, slot("cat").arena_offset);
      EXPECT_EQ(slot("b").arena_offset, slot("cat").arena_offset + 512);
      EXPECT_EQ(slot("v").arena_offset, slot("b").arena_offset);  // the views share b's bytes
    }
  }
}

}  // namespace
}  // namespace onnxrt::testing
