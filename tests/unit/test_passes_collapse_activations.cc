// collapse_activations: activations written out as several element-wise nodes, in arrangements
// no single-pattern matcher held (BLOOM's and FastGELU's tanh GELU, Sigmoid and Tanh through Exp,
// SiLU as x / (1 + Exp(-x)), Mish), become one node that computes what the nodes did; formulas that
// only resemble an activation, clamp on the way, leak an intermediate or broadcast stay as they
// are. (test_passes_swish.cc and test_passes_gelu_reshape.cc hold the arrangements torch writes.)
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
  return {{"x", random_tensor(DType::kFloat32, std::move(s), b.rng, -9, 9)}};
}

// BLOOM's GELU: x * 0.5 * (1 + Tanh(0.79788456 * x * (1 + coeff * x * x))), nine nodes as the
// dynamo exporter writes them (x read four times).
void bloom_gelu(GraphBuilder& b, const std::string& x, const std::string& y, float coeff = 0.044715f) {
  b.scalar("half", 0.5f);
  b.scalar("k", 0.79788456f);
  b.scalar("c", coeff);
  b.scalar("one", 1.f);
  b.node("Mul", {x, "half"}, {"m1"});
  b.node("Mul", {x, "k"}, {"m2"});
  b.node("Mul", {x, "c"}, {"m3"});
  b.node("Mul", {"m3", x}, {"m4"});
  b.node("Add", {"m4", "one"}, {"a4"});
  b.node("Mul", {"m2", "a4"}, {"m5"});
  b.node("Tanh", {"m5"}, {"t"});
  b.node("Add", {"t", "one"}, {"a5"});
  b.node("Mul", {"m1", "a5"}, {y});
}

// The one node left, which must be `op` (in `domain`).
const ir::Node& only_node(const ir::Graph& g, const std::string& op, const std::string& domain) {
  const ir::Node* found = nullptr;
  for (size_t i = 0; i < g.num_nodes(); ++i)
    if (!g.is_removed(static_cast<ir::NodeId>(i))) {
      EXPECT_EQ(found, nullptr) << "more than one node";
      found = &g.node(static_cast<ir::NodeId>(i));
    }
  EXPECT_NE(found, nullptr);
  EXPECT_EQ(found->op_type, op);
  EXPECT_EQ(found->domain, domain);
  return *found;
}

std::string approximate(const ir::Node& n) { return ir::AttrReader(n).s("approximate", "none"); }

TEST(PassesCollapseActivations, BloomGeluBecomesOneGelu) {
  GraphBuilder b;
  b.input("x", {2, 3, 40});
  bloom_gelu(b, "x", "y");
  b.output("y");
  fuse_and_compare(b, feed_x(b, {2, 3, 40}), 1e-5);
  const ir::Node& n = only_node(b.g, "Gelu", std::string(ir::kFusedDomain));
  EXPECT_EQ(approximate(n), "tanh");
  EXPECT_EQ(b.g.value(n.outputs[0]).name, "y");  // the graph output keeps its name
}

// After a MatMul with constant weights the collapsed Gelu goes on into the FusedMatMul.
TEST(PassesCollapseActivations, BloomGeluAfterMatMulFusesIntoIt) {
  GraphBuilder b;
  b.input("x", {6, 16});
  b.random_constant("w", {16, 40});
  b.node("MatMul", {"x", "w"}, {"mm"});
  bloom_gelu(b, "mm", "y");
  b.output("y");
  fuse_and_compare(b, feed_x(b, {6, 16}), 1e-5);
  const ir::Node& n = only_node(b.g, "FusedMatMul", std::string(ir::kFusedDomain));
  auto act = ir::read_fused_activation(n);
  ASSERT_TRUE(act.has_value());
  EXPECT_EQ(act->kind, ir::FusedAct::kGeluTanh);
}

// HF's FastGELU: 0.5 * x * (1 + Tanh(x * 0.7978845608 * (1 + 0.044715 * x * x))).
TEST(PassesCollapseActivations, FastGeluBecomesGeluTanh) {
  GraphBuilder b;
  b.input("x", {5, 24});
  b.scalar("half", 0.5f);
  b.scalar("k", 0.7978845608f);
  b.scalar("c", 0.044715f);
  b.scalar("one", 1.f);
  b.node("Mul", {"half", "x"}, {"h"});
  b.node("Mul", {"x", "k"}, {"xk"});
  b.node("Mul", {"c", "x"}, {"cx"});
  b.node("Mul", {"cx", "x"}, {"cxx"});
  b.node("Add", {"one", "cxx"}, {"p"});
  b.node("Mul", {"xk", "p"}, {"arg"});
  b.node("Tanh", {"arg"}, {"t"});
  b.node("Add", {"one", "t"}, {"t1"});
  b.node("Mul", {"h", "t1"}, {"y"});
  b.output("y");
  fuse_and_compare(b, feed_x(b, {5, 24}), 1e-5);
  EXPECT_EQ(approximate(only_node(b.g, "Gelu", std::string(ir::kFusedDomain))), "tanh");
}

// Erf form with x * (1 / sqrt 2) and the halving first.
TEST(PassesCollapseActivations, GeluErfWithReciprocalSqrt2) {
  GraphBuilder b;
  b.input("x", {3, 33});
  b.scalar("r", 0.70710678f);
  b.scalar("half", 0.5f);
  b.scalar("one", 1.f);
  b.node("Mul", {"x", "half"}, {"h"});
  b.node("Mul", {"x", "r"}, {"xr"});
  b.node("Erf", {"xr"}, {"e"});
  b.node("Add", {"one", "e"}, {"e1"});
  b.node("Mul", {"h", "e1"}, {"y"});
  b.output("y");
  fuse_and_compare(b, feed_x(b, {3, 33}), 1e-5);
  EXPECT_EQ(approximate(only_node(b.g, "Gelu", std::string(ir::kFusedDomain))), "none");
}

TEST(PassesCollapseActivations, SigmoidThroughExp) {
  for (bool reciprocal : {false, true}) {
    SCOPED_TRACE(reciprocal);
    GraphBuilder b;
    b.input("x", {4, 17});
    b.scalar("one", 1.f);
    b.scalar("minus_one", -1.f);
    b.node("Mul", {"x", "minus_one"}, {"nx"});
    b.node("Exp", {"nx"}, {"e"});
    b.node("Add", {"e", "one"}, {"d"});
    if (reciprocal) b.node("Reciprocal", {"d"}, {"y"});
    else b.node("Div", {"one", "d"}, {"y"});
    b.output("y");
    fuse_and_compare(b, feed_x(b, {4, 17}), 1e-5);
    const ir::Node& n = only_node(b.g, "Sigmoid", "");
    EXPECT_EQ(n.opset, 18);
  }
}

// (Exp(2x) - 1) / (Exp(2x) + 1): the Exp's output is read twice inside the region.
TEST(PassesCollapseActivations, TanhThroughExp) {
  GraphBuilder b;
  b.input("x", {4, 17});
  b.scalar("two", 2.f);
  b.scalar("one", 1.f);
  b.node("Mul", {"x", "two"}, {"x2"});
  b.node("Exp", {"x2"}, {"e"});
  b.node("Sub", {"e", "one"}, {"num"});
  b.node("Add", {"e", "one"}, {"den"});
  b.node("Div", {"num", "den"}, {"y"});
  b.output("y");
  fuse_and_compare(b, feed_x(b, {4, 17}), 1e-5);
  only_node(b.g, "Tanh", "");
}

// x / (1 + Exp(-x)), and x * Sigmoid(1.702 x) written as x / (1 + Exp(-1.702 x)).
TEST(PassesCollapseActivations, SwishThroughExpTakesAlpha) {
  for (float alpha : {1.f, 1.702f}) {
    SCOPED_TRACE(alpha);
    GraphBuilder b;
    b.input("x", {4, 17});
    b.scalar("one", 1.f);
    b.scalar("minus_alpha", -alpha);
    b.node("Mul", {"x", "minus_alpha"}, {"nx"});
    b.node("Exp", {"nx"}, {"e"});
    b.node("Add", {"one", "e"}, {"d"});
    b.node("Div", {"x", "d"}, {"y"});
    b.output("y");
    fuse_and_compare(b, feed_x(b, {4, 17}), 1e-5);
    const ir::Node& n = only_node(b.g, "Swish", std::string(ir::kFusedDomain));
    EXPECT_NEAR(ir::AttrReader(n).f("alpha", 1.f), alpha, 1e-6);
  }
}

// Mish as torch writes it before opset 18 (Softplus, Tanh, Mul), and with the softplus spelled
// out as Log(1 + Exp(x)); after a Conv it becomes the FusedConv's activation.
TEST(PassesCollapseActivations, MishBecomesOneNodeAndFuses) {
  for (bool spelled_out : {false, true}) {
    SCOPED_TRACE(spelled_out);
    GraphBuilder b;
    b.input("x", {1, 3, 6, 6});
    b.random_constant("w", {5, 3, 3, 3});
    b.scalar("one", 1.f);
    b.node("Conv", {"x", "w"}, {"c"});
    if (spelled_out) {
      b.node("Exp", {"c"}, {"e"});
      b.node("Add", {"e", "one"}, {"e1"});
      b.node("Log", {"e1"}, {"sp"});
    } else {
      b.node("Softplus", {"c"}, {"sp"});
    }
    b.node("Tanh", {"sp"}, {"t"});
    b.node("Mul", {"c", "t"}, {"y"});
    b.output("y");
    fuse_and_compare(b, {{"x", random_tensor(DType::kFloat32, {1, 3, 6, 6}, b.rng, -4, 4)}}, 1e-5);
    const ir::Node& n = only_node(b.g, "FusedConv", std::string(ir::kFusedDomain));
    auto act = ir::read_fused_activation(n);
    ASSERT_TRUE(act.has_value());
    EXPECT_EQ(act->kind, ir::FusedAct::kMish);
  }
}

// The region goes on past the GELU (a Mul by 2); the GELU part still collapses.
TEST(PassesCollapseActivations, GeluInsideALargerFormula) {
  GraphBuilder b;
  b.input("x", {2, 3, 40});
  b.scalar("two", 2.f);
  bloom_gelu(b, "x", "g");
  b.node("Mul", {"g", "two"}, {"y"});
  b.output("y");
  fuse_and_compare(b, feed_x(b, {2, 3, 40}), 1e-5);
  EXPECT_EQ(graph_ops(b.g), (std::vector<std::string>{"Gelu", "Mul"}));
}

// Formulas that are not an activation stay node for node.
TEST(PassesCollapseActivations, NearMissesStay) {
  {  // 0.045 for 0.044715: close to GELU, not GELU
    GraphBuilder b;
    b.input("x", {2, 3, 40});
    bloom_gelu(b, "x", "y", 0.045f);
    b.output("y");
    fuse_and_compare(b, feed_x(b, {2, 3, 40}), 1e-6);
    EXPECT_EQ(graph_ops(b.g).size(), 9u);
  }
  {  // an intermediate is also a graph output
    GraphBuilder b;
    b.input("x", {2, 3, 40});
    bloom_gelu(b, "x", "y");
    b.output("y");
    b.output("t");
    fuse_and_compare(b, feed_x(b, {2, 3, 40}), 1e-6);
    EXPECT_EQ(graph_ops(b.g).size(), 9u);
  }
  {  // a clamp inside: not an analytic op, so no region crosses it
    GraphBuilder b;
    b.input("x", {4, 17});
    b.scalar("lo", -3.f);
    b.scalar("hi", 3.f);
    b.node("Clip", {"x", "lo", "hi"}, {"c"});
    b.node("Sigmoid", {"c"}, {"s"});
    b.node("Mul", {"x", "s"}, {"y"});
    b.output("y");
    fuse_and_compare(b, feed_x(b, {4, 17}), 1e-6);
    EXPECT_EQ(graph_ops(b.g), (std::vector<std::string>{"Clip", "Sigmoid", "Mul"}));
  }
  {  // a constant of higher rank than x broadcasts it: the shape would change
    GraphBuilder b;
    b.input("x", {4, 17});
    b.constant("minus_one", make_tensor<float>(DType::kFloat32, {1, 1, 1}, {-1.f}));
    b.scalar("one", 1.f);
    b.node("Mul", {"x", "minus_one"}, {"nx"});
    b.node("Exp", {"nx"}, {"e"});
    b.node("Add", {"e", "one"}, {"d"});
    b.node("Reciprocal", {"d"}, {"y"});
    b.output("y");
    fuse_and_compare(b, feed_x(b, {4, 17}), 1e-6);
    EXPECT_EQ(graph_ops(b.g).size(), 4u);
  }
  {  // x / 2 written as two Muls: Swish at alpha 0, left to the Muls
    GraphBuilder b;
    b.input("x", {4, 17});
    b.scalar("q", 0.25f);
    b.scalar("two", 2.f);
    b.node("Mul", {"x", "q"}, {"xq"});
    b.node("Mul", {"xq", "two"}, {"y"});
    b.output("y");
    fuse_and_compare(b, feed_x(b, {4, 17}), 1e-6);
    EXPECT_EQ(graph_ops(b.g), (std::vector<std::string>{"Mul", "Mul"}));
  }
}

}  // namespace
}  // namespace onnxrt::testing
