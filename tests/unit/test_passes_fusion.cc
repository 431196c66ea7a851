// The fusion passes (passes/fuse_*.cc) on small graphs: which nodes they fuse, which they must
// leave (graph outputs, values with other readers, broadcasting Adds), and that the fused graph
// computes what the original did, evaluated node by node on random inputs.
#include <gtest/gtest.h>

#include <algorithm>
#include <map>
#include <random>

#include "ir/attribute.h"
#include "kernels/eval_node.h"
#include "kernels/harness.h"
#include "passes/pass.h"
#include "unit/graph_builder.h"

namespace onnxrt::testing {
namespace {

ir::Attributes pads1() {
  ir::Attributes a;
  ir::Attribute p;
  p.name = "pads";
  p.kind = ir::AttrKind::kInts;
  p.ints = {1, 1, 1, 1};
  a.set(p);
  return a;
}

TEST(PassesFusion, ResidualBlockBecomesTwoFusedConvs) {
  GraphBuilder b;
  b.input("x", {1, 8, 6, 6});
  b.random_constant("w1", {8, 8, 3, 3});
  b.random_constant("b1", {8});
  b.random_constant("w2", {8, 8, 1, 1});
  b.node("Conv", {"x", "w1", "b1"}, {"c1"}, pads1());
  b.node("Relu", {"c1"}, {"r1"});
  b.node("Conv", {"r1", "w2"}, {"c2"});
  b.node("Add", {"c2", "x"}, {"s"});
  b.node("Relu", {"s"}, {"y"});
  b.output("y");
  std::map<std::string, Tensor> feeds{{"x", random_tensor(DType::kFloat32, {1, 8, 6, 6}, b.rng)}};
  fuse_and_compare(b, feeds);
  if (passes::block_channels_enabled()) {
    // On AVX2 CPUs the two fused convs (a 3x3 conv is an anchor) then form a channel-blocked chain.
    EXPECT_EQ(graph_ops(b.g), (std::vector<std::string>{"ToBlocked", "BlockedConv", "BlockedConv", "FromBlocked"}));
    return;
  }
  EXPECT_EQ(graph_ops(b.g), (std::vector<std::string>{"FusedConv", "FusedConv"}));
  // The graph output keeps its name.
  EXPECT_EQ(b.g.value(b.g.outputs()[0]).name, "y");
}

TEST(PassesFusion, ClipAfterDepthwiseAndMultiConsumerLeftAlone) {
  GraphBuilder b;
  b.input("x", {1, 4, 5, 5});
  b.random_constant("w", {4, 1, 3, 3});
  b.constant("lo", make_tensor<float>(DType::kFloat32, {}, {0.f}));
  b.constant("hi", make_tensor<float>(DType::kFloat32, {}, {6.f}));
  ir::Attributes a = pads1();
  ir::Attribute grp;
  grp.name = "group";
  grp.kind = ir::AttrKind::kInt;
  grp.i = 4;
  a.set(grp);
  b.node("Conv", {"x", "w"}, {"c"}, a);
  b.node("Clip", {"c", "lo", "hi"}, {"y"});
  // c2 has two readers: it must stay a plain Conv output.
  b.node("Conv", {"y", "w"}, {"c2"}, a);
  b.node("Relu", {"c2"}, {"r2"});
  b.node("Sigmoid", {"c2"}, {"s2"});
  b.output("r2");
  b.output("s2");
  std::map<std::string, Tensor> feeds{{"x", random_tensor(DType::kFloat32, {1, 4, 5, 5}, b.rng, -10, 10)}};
  fuse_and_compare(b, feeds);
  EXPECT_EQ(graph_ops(b.g), (std::vector<std::string>{"FusedConv", "Conv", "Relu", "Sigmoid"}));
}

TEST(PassesFusion, GraphOutputIsNotFusedAway) {
  GraphBuilder b;
  b.input("x", {1, 2, 4, 4});
  b.random_constant("w", {3, 2, 1, 1});
  b.node("Conv", {"x", "w"}, {"c"});
  b.node("Relu", {"c"}, {"y"});
  b.output("c");
  b.output("y");
  std::map<std::string, Tensor> feeds{{"x", random_tensor(DType::kFloat32, {1, 2, 4, 4}, b.rng)}};
  fuse_and_compare(b, feeds);
  EXPECT_EQ(graph_ops(b.g), (std::vector<std::string>{"Conv", "Relu"}));
}

TEST(PassesFusion, LinearGeluResidual) {
  // x -> MatMul + bias -> Gelu (erf form, as torch exports it) -> MatMul + bias -> + x
  GraphBuilder b;
  b.input("x", {2, 5, 16});
  b.random_constant("w1", {16, 32});
  b.random_constant("b1", {32});
  b.random_constant("w2", {32, 16});
  b.random_constant("b2", {1, 16});  // a [1, N] bias becomes 1-D
  b.constant("sqrt2", make_tensor<float>(DType::kFloat32, {}, {1.4142135f}));
  b.constant("one", make_tensor<float>(DType::kFloat32, {}, {1.f}));
  b.constant("half", make_tensor<float>(DType::kFloat32, {}, {0.5f}));
  b.node("MatMul", {"x", "w1"}, {"m1"});
  b.node("Add", {"m1", "b1"}, {"h"});
  b.node("Div", {"h", "sqrt2"}, {"d"});
  b.node("Erf", {"d"}, {"e"});
  b.node("Add", {"e", "one"}, {"e1"});
  b.node("Mul", {"half", "e1"}, {"e2"});
  b.node("Mul", {"h", "e2"}, {"g"});
  b.node("MatMul", {"g", "w2"}, {"m2"});
  b.node("Add", {"m2", "b2"}, {"l2"});
  b.node("Add", {"x", "l2"}, {"y"});
  b.output("y");
  std::map<std::string, Tensor> feeds{{"x", random_tensor(DType::kFloat32, {2, 5, 16}, b.rng)}};
  fuse_and_compare(b, feeds);
  EXPECT_EQ(graph_ops(b.g), (std::vector<std::string>{"FusedMatMul", "FusedMatMul"}));
}

TEST(PassesFusion, LinearGeluTanhForm) {
  // GPT-2's MLP as torch exports GELU(approximate="tanh") at opset 18.
  GraphBuilder b;
  b.input("x", {3, 8});
  b.random_constant("w", {8, 12});
  b.random_constant("bias", {12});
  auto scalar = [&](const char* name, float v) { b.constant(name, make_tensor<float>(DType::kFloat32, {}, {v})); };
  scalar("three", 3.f);
  scalar("c", 0.044715f);
  scalar("k", 0.7978845608f);
  scalar("one", 1.f);
  scalar("half", 0.5f);
  b.node("MatMul", {"x", "w"}, {"m"});
  b.node("Add", {"m", "bias"}, {"h"});
  b.node("Pow", {"h", "three"}, {"p"});
  b.node("Mul", {"c", "p"}, {"p1"});
  b.node("Add", {"h", "p1"}, {"s"});
  b.node("Mul", {"k", "s"}, {"s1"});
  b.node("Tanh", {"s1"}, {"t"});
  b.node("Add", {"t", "one"}, {"t1"});
  b.node("Mul", {"half", "t1"}, {"t2"});
  b.node("Mul", {"h", "t2"}, {"y"});
  b.output("y");
  std::map<std::string, Tensor> feeds{{"x", random_tensor(DType::kFloat32, {3, 8}, b.rng, -3, 3)}};
  fuse_and_compare(b, feeds);
  EXPECT_EQ(graph_ops(b.g), (std::vector<std::string>{"FusedMatMul"}));
}

TEST(PassesFusion, BroadcastingAddAndNonConstantWeightsStay) {
  GraphBuilder b;
  b.input("a", {4, 8});
  b.input("w", {8, 6});  // a run-time B: MatMul stays plain
  b.input("z", {1, 6});  // broadcasts: not a residual of the same shape
  b.random_constant("wc", {8, 6});
  b.node("MatMul", {"a", "w"}, {"m"});
  b.node("Relu", {"m"}, {"r"});
  b.node("MatMul", {"a", "wc"}, {"m2"});
  b.node("Add", {"m2", "z"}, {"y2"});
  b.output("r");
  b.output("y2");
  std::map<std::string, Tensor> feeds{{"a", random_tensor(DType::kFloat32, {4, 8}, b.rng)},
                                      {"w", random_tensor(DType::kFloat32, {8, 6}, b.rng)},
                                      {"z", random_tensor(DType::kFloat32, {1, 6}, b.rng)}};
  fuse_and_compare(b, feeds);
  EXPECT_EQ(graph_ops(b.g), (std::vector<std::string>{"MatMul", "Relu", "MatMul", "Add"}));
}

ir::Attributes perm(std::vector<int64_t> p) {
  ir::Attributes a;
  ir::Attribute at;
  at.name = "perm";
  at.kind = ir::AttrKind::kInts;
  at.ints = std::move(p);
  a.set(at);
  return a;
}

int64_t trans_b_of(const ir::Graph& g, const std::string& op) {
  for (size_t i = 0; i < g.num_nodes(); ++i) {
    const auto id = static_cast<ir::NodeId>(i);
    if (!g.is_removed(id) && g.node(id).op_type == op) return ir::AttrReader(g.node(id)).i("trans_b", 0);
  }
  return -1;
}

TEST(PassesFusion, TiedOutputProjectionReadsTheWeightTransposed) {
  // GPT-2's lm_head: logits = h @ wte^T (+ bias here), wte also being the embedding table. The
  // Transpose must not become a transposed copy: FusedMatMul(trans_b = 1) reads wte itself.
  GraphBuilder b;
  b.input("h", {2, 3, 8});
  b.random_constant("wte", {10, 8});
  b.random_constant("bias", {10});
  b.constant("ids", make_tensor<int64_t>(DType::kInt64, {2}, {1, 4}));
  b.node("Gather", {"wte", "ids"}, {"emb"});
  b.node("Transpose", {"wte"}, {"wt"}, perm({1, 0}));
  b.node("MatMul", {"h", "wt"}, {"m"});
  b.node("Add", {"m", "bias"}, {"y"});
  b.output("emb");
  b.output("y");
  std::map<std::string, Tensor> feeds{{"h", random_tensor(DType::kFloat32, {2, 3, 8}, b.rng)}};
  fuse_and_compare(b, feeds);
  std::vector<std::string> ops = graph_ops(b.g);
  std::sort(ops.begin(), ops.end());
  EXPECT_EQ(ops, (std::vector<std::string>{"FusedMatMul", "Gather"}));
  EXPECT_EQ(trans_b_of(b.g, "FusedMatMul"), 1);
}

TEST(PassesFusion, TransposeWithOtherReadersOrNoSwapStays) {
  GraphBuilder b;
  b.input("a", {4, 6});
  b.random_constant("w", {5, 6});  // Transpose without perm: reversed axes, fused
  b.random_constant("v", {6, 6});  // perm [0, 1] is no transpose: not fused
  b.input("u", {5, 6});            // a run-time weight: not fused
  b.node("Transpose", {"w"}, {"wt"});
  b.node("MatMul", {"a", "wt"}, {"y1"});
  b.node("Relu", {"wt"}, {"y2"});  // another reader keeps the Transpose
  b.node("Transpose", {"v"}, {"vt"}, perm({0, 1}));
  b.node("MatMul", {"a", "vt"}, {"y3"});
  b.node("Transpose", {"u"}, {"ut"}, perm({1, 0}));
  b.node("MatMul", {"a", "ut"}, {"y4"});
  for (const char* y : {"y1", "y2", "y3", "y4"}) b.output(y);
  std::map<std::string, Tensor> feeds{{"a", random_tensor(DType::kFloat32, {4, 6}, b.rng)},
                                      {"u", random_tensor(DType::kFloat32, {5, 6}, b.rng)}};
  fuse_and_compare(b, feeds);
  std::vector<std::string> ops = graph_ops(b.g);
  EXPECT_EQ(std::count(ops.begin(), ops.end(), "Transpose"), 3);
  EXPECT_EQ(std::count(ops.begin(), ops.end(), "FusedMatMul"), 1);
  EXPECT_EQ(trans_b_of(b.g, "FusedMatMul"), 1);
}

TEST(PassesFusion, BasicLevelDoesNotFuse) {
  auto basic = passes::default_pipeline(GraphOptimizationLevel::kBasic);
  for (const auto& p : basic) EXPECT_EQ(std::string(p.name).find("fuse"), std::string::npos);
}

}  // namespace
}  // namespace onnxrt::testing
