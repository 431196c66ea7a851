// collapse_activations on SiLU: x * Sigmoid(x) and x * Sigmoid(alpha * x) in every operand order
// become one com.onnxrt Swish node that computes what the pair did; patterns whose intermediates
// are read elsewhere, gate another value (squeeze-excite's Mul), or would broadcast stay as they
// are.
#include <gtest/gtest.h>

#include <map>
#include <string>
#include <vector>

#include "ir/attribute.h"
#include "ir/infer_fused.h"
#include "kernels/harness.h"
#include "unit/graph_builder.h"

namespace onnxrt::testing {
namespace {

std::map<std::string, Tensor> feed_x(GraphBuilder& b, Shape s) {
  return {{"x", random_tensor(DType::kFloat32, std::move(s), b.rng, -12, 12)}};
}

const ir::Node* only_swish(const ir::Graph& g) {
  const ir::Node* found = nullptr;
  for (size_t i = 0; i < g.num_nodes(); ++i) {
    const auto id = static_cast<ir::NodeId>(i);
    if (g.is_removed(id) || g.node(id).op_type != "Swish") continue;
    EXPECT_EQ(found, nullptr) << "more than one Swish";
    found = &g.node(id);
  }
  if (found) EXPECT_EQ(found->domain, ir::kFusedDomain);
  return found;
}

// Conv -> SiLU as torch writes it -> Conv, the Mul's operands in either order.
void build_conv_silu_conv(GraphBuilder& b, bool sigmoid_first) {
  b.input("x", {1, 4, 6, 6});
  b.random_constant("w1", {8, 4, 1, 1});
  b.random_constant("w2", {3, 8, 1, 1});
  b.node("Conv", {"x", "w1"}, {"c"});
  b.node("Sigmoid", {"c"}, {"s"});
  if (sigmoid_first) b.node("Mul", {"s", "c"}, {"silu"});
  else b.node("Mul", {"c", "s"}, {"silu"});
  b.node("Conv", {"silu", "w2"}, {"y"});
  b.output("y");
}

TEST(PassesSwish, SiluBetweenConvsInEitherOrder) {
  for (bool sigmoid_first : {false, true}) {
    SCOPED_TRACE(sigmoid_first);
    GraphBuilder b;
    build_conv_silu_conv(b, sigmoid_first);
    fuse_and_compare(b, feed_x(b, {1, 4, 6, 6}), 1e-5);
    // The Swish then becomes the first conv's activation (fuse_activation), under its own name.
    EXPECT_EQ(graph_ops(b.g), (std::vector<std::string>{"FusedConv", "Conv"}));
    const ir::Node& fc = b.g.node(b.g.topological_order().value().front());
    auto act = ir::read_fused_activation(fc);
    ASSERT_TRUE(act.has_value());
    EXPECT_EQ(act->kind, ir::FusedAct::kSwish);
    EXPECT_EQ(act->p0, 1.0f);
    EXPECT_EQ(b.g.value(fc.outputs[0]).name, "silu");
    EXPECT_EQ(b.g.opset_version(ir::kFusedDomain), 1);
  }
}

// x * Sigmoid(alpha * x) (QuickGELU at 1.702), both Muls in either order.
TEST(PassesSwish, ScaledSigmoidTakesAlpha) {
  for (int order = 0; order < 4; ++order) {
    SCOPED_TRACE(order);
    GraphBuilder b;
    b.input("x", {3, 40});
    b.scalar("alpha", 1.702f);
    if (order & 1) b.node("Mul", {"alpha", "x"}, {"ax"});
    else b.node("Mul", {"x", "alpha"}, {"ax"});
    b.node("Sigmoid", {"ax"}, {"s"});
    if (order & 2) b.node("Mul", {"s", "x"}, {"y"});
    else b.node("Mul", {"x", "s"}, {"y"});
    b.output("y");
    fuse_and_compare(b, feed_x(b, {3, 40}), 1e-5);
    EXPECT_EQ(graph_ops(b.g), (std::vector<std::string>{"Swish"}));
    const ir::Node* s = only_swish(b.g);
    ASSERT_NE(s, nullptr);
    EXPECT_FLOAT_EQ(ir::AttrReader(*s).f("alpha", 1.f), 1.702f);
    // The graph output keeps its name.
    EXPECT_EQ(b.g.value(b.g.outputs()[0]).name, "y");
  }
}

// x keeps its other readers: only the Sigmoid's output must die inside the pattern.
TEST(PassesSwish, InputWithOtherReadersStillFuses) {
  GraphBuilder b;
  b.input("x", {2, 3, 5});
  b.node("Sigmoid", {"x"}, {"s"});
  b.node("Mul", {"x", "s"}, {"y1"});
  b.node("Neg", {"x"}, {"y2"});
  b.output("y1");
  b.output("y2");
  fuse_and_compare(b, feed_x(b, {2, 3, 5}), 1e-5);
  EXPECT_EQ(graph_ops(b.g), (std::vector<std::string>{"Neg", "Swish"}));
}

// --- graphs that must stay as they are

void expect_unfused(GraphBuilder& b, Shape x, const std::vector<std::string>& ops) {
  fuse_and_compare(b, feed_x(b, std::move(x)), 1e-5);
  EXPECT_EQ(graph_ops(b.g), ops);
}

TEST(PassesSwish, SigmoidWithASecondReaderStays) {
  GraphBuilder b;
  b.input("x", {4, 4});
  b.node("Sigmoid", {"x"}, {"s"});
  b.node("Mul", {"x", "s"}, {"y1"});
  b.node("Neg", {"s"}, {"y2"});
  b.output("y1");
  b.output("y2");
  expect_unfused(b, {4, 4}, {"Sigmoid", "Mul", "Neg"});
}

TEST(PassesSwish, SigmoidThatIsAGraphOutputStays) {
  GraphBuilder b;
  b.input("x", {4, 4});
  b.node("Sigmoid", {"x"}, {"s"});
  b.node("Mul", {"x", "s"}, {"y"});
  b.output("s");
  b.output("y");
  expect_unfused(b, {4, 4}, {"Sigmoid", "Mul"});
}

// Squeeze-excite: the gate multiplies another value.
TEST(PassesSwish, GateOnAnotherValueStays) {
  GraphBuilder b;
  b.input("x", {1, 4, 3, 3});
  b.random_constant("g", {1, 4, 1, 1});
  b.node("Sigmoid", {"g"}, {"s"});
  b.node("Mul", {"x", "s"}, {"y"});
  b.output("y");
  expect_unfused(b, {1, 4, 3, 3}, {"Sigmoid", "Mul"});
  GraphBuilder c;
  c.input("x", {1, 4, 3, 3});
  c.node("ReduceMean", {"x"}, {"m"});
  c.node("Sigmoid", {"m"}, {"s"});
  c.node("Mul", {"x", "s"}, {"y"});
  c.output("y");
  expect_unfused(c, {1, 4, 3, 3}, {"ReduceMean", "Sigmoid", "Mul"});
}

TEST(PassesSwish, ScaledInputWithASecondReaderStays) {
  GraphBuilder b;
  b.input("x", {4, 4});
  b.scalar("alpha", 2.f);
  b.node("Mul", {"x", "alpha"}, {"ax"});
  b.node("Sigmoid", {"ax"}, {"s"});
  b.node("Mul", {"x", "s"}, {"y1"});
  b.node("Neg", {"ax"}, {"y2"});
  b.output("y1");
  b.output("y2");
  expect_unfused(b, {4, 4}, {"Mul", "Sigmoid", "Mul", "Neg"});
}

// x * Sigmoid(alpha * y) with y != x, and an alpha of higher rank than x (the product would
// broadcast to more dimensions).
TEST(PassesSwish, ScaleOfAnotherValueOrOfHigherRankStays) {
  GraphBuilder b;
  b.input("x", {4, 4});
  b.input("z", {4, 4});
  b.scalar("alpha", 2.f);
  b.node("Mul", {"z", "alpha"}, {"az"});
  b.node("Sigmoid", {"az"}, {"s"});
  b.node("Mul", {"x", "s"}, {"y"});
  b.output("y");
  std::map<std::string, Tensor> feeds = feed_x(b, {4, 4});
  feeds.emplace("z", random_tensor(DType::kFloat32, {4, 4}, b.rng));
  fuse_and_compare(b, feeds, 1e-5);
  EXPECT_EQ(graph_ops(b.g), (std::vector<std::string>{"Mul", "Sigmoid", "Mul"}));

  GraphBuilder c;
  c.input("x", {4});
  c.constant("alpha", make_tensor<float>(DType::kFloat32, {1, 1}, {2.f}));
  c.node("Mul", {"x", "alpha"}, {"ax"});
  c.node("Sigmoid", {"ax"}, {"s"});
  c.node("Mul", {"x", "s"}, {"y"});
  c.output("y");
  expect_unfused(c, {4}, {"Mul", "Sigmoid", "Mul"});
}

}  // namespace
}  // namespace onnxrt::testing
