// fuse_activation through a Reshape and with Gemm producers: the shape torch's dynamo exporter
// gives a Linear layer on 3-D input (Gemm on [M, K], Reshape to [1, M, N], then the activation,
// e.g. GPT-2's MLP). Checks which graphs fuse, which must not (other readers, graph outputs, Gemms
// that are no plain MatMul + bias), and that the outputs stay those of the unfused graph.
#include <gtest/gtest.h>

#include <map>
#include <random>
#include <string>
#include <vector>

#include "ir/attribute.h"
#include "kernels/harness.h"
#include "passes/pass.h"
#include "unit/graph_builder.h"

namespace onnxrt::testing {
namespace {

// The tanh Gelu as exporters write it out, on x, ending in value y. hf_order: HF's
// NewGELUActivation, (x * 0.5) * (1 + tanh(...)); otherwise torch's x * (0.5 * (1 + tanh(...))).
void gelu_tanh(GraphBuilder& b, const std::string& x, const std::string& y, bool hf_order) {
  b.scalar("three", 3.f);
  b.scalar("c", 0.044715f);
  b.scalar("k", 0.7978845608f);
  b.scalar("one", 1.f);
  b.scalar("half", 0.5f);
  if (hf_order) b.node("Mul", {x, "half"}, {x + "_half"});
  b.node("Pow", {x, "three"}, {x + "_p"});
  b.node("Mul", {x + "_p", "c"}, {x + "_p1"});
  b.node("Add", {x, x + "_p1"}, {x + "_s"});
  b.node("Mul", {x + "_s", "k"}, {x + "_s1"});
  b.node("Tanh", {x + "_s1"}, {x + "_t"});
  b.node("Add", {x + "_t", "one"}, {x + "_t1"});
  if (hf_order) {
    b.node("Mul", {x + "_half", x + "_t1"}, {y});
  } else {
    b.node("Mul", {"half", x + "_t1"}, {x + "_t2"});
    b.node("Mul", {x, x + "_t2"}, {y});
  }
}

// The erf Gelu, x * 0.5 * (1 + erf(x / sqrt 2)), ending in value y.
void gelu_erf(GraphBuilder& b, const std::string& x, const std::string& y) {
  b.scalar("sqrt2", 1.4142135f);
  b.scalar("one", 1.f);
  b.scalar("half", 0.5f);
  b.node("Div", {x, "sqrt2"}, {x + "_d"});
  b.node("Erf", {x + "_d"}, {x + "_e"});
  b.node("Add", {x + "_e", "one"}, {x + "_e1"});
  b.node("Mul", {x, x + "_e1"}, {x + "_e2"});
  b.node("Mul", {x + "_e2", "half"}, {y});
}

ir::Attributes attrs(std::vector<ir::Attribute> list) {
  ir::Attributes out;
  for (ir::Attribute& a : list) out.set(std::move(a));
  return out;
}


std::string activation_of(const ir::Graph& g) {
  const ir::Node* n = find_op(g, "FusedMatMul");
  return n ? ir::AttrReader(*n).s("activation", "") : "<none>";
}

// The op producing the value of that name ("" when none).
std::string producer_op(const ir::Graph& g, const std::string& value) {
  const ir::ValueId v = g.find(value);
  if (v == ir::kNoValue || g.value(v).producer < 0) return "";
  return g.node(g.value(v).producer).op_type;
}

std::map<std::string, Tensor> feed(GraphBuilder& b, const std::string& name, Shape s) {
  return {{name, random_tensor(DType::kFloat32, std::move(s), b.rng, -3, 3)}};
}

// x [6, 8] -> Gemm(w [8, 12], bias [12]) -> Reshape [1, 6, 12] -> tanh Gelu -> Reshape [6, 12]
// -> Gemm(w2 [12, 5]), GPT-2's MLP in small.
void build_mlp(GraphBuilder& b, bool hf_order) {
  b.input("x", {6, 8});
  b.random_constant("w", {8, 40});
  b.random_constant("bias", {40});
  b.random_constant("w2", {40, 5});
  b.ints("shape3", {1, 6, 40});
  b.ints("shape2", {6, 40});
  b.node("Gemm", {"x", "w", "bias"}, {"mm"},
         attrs({ir::float_attribute("alpha", 1.f), ir::float_attribute("beta", 1.f), ir::int_attribute("transA", 0), ir::int_attribute("transB", 0)}));
  b.node("Reshape", {"mm", "shape3"}, {"view"});
  gelu_tanh(b, "view", "gelu", hf_order);
  b.node("Reshape", {"gelu", "shape2"}, {"view2"});
  b.node("Gemm", {"view2", "w2"}, {"y"});
  b.output("y");
}

TEST(PassesGeluReshape, GemmReshapeGeluTanhHfOrder) {
  GraphBuilder b(11);
  build_mlp(b, true);
  fuse_and_compare(b, feed(b, "x", {6, 8}), 1e-5);
  EXPECT_EQ(graph_ops(b.g), (std::vector<std::string>{"FusedMatMul", "Reshape", "Reshape", "Gemm"}));
  EXPECT_EQ(activation_of(b.g), "GeluTanh");
  // The Reshape now produces the Gelu's value, which the second Reshape still reads by name.
  EXPECT_EQ(producer_op(b.g, "gelu"), "Reshape");
  EXPECT_EQ(producer_op(b.g, "mm"), "FusedMatMul");
  const ir::Node* fused = find_op(b.g, "FusedMatMul");
  ASSERT_NE(fused, nullptr);
  ASSERT_EQ(fused->inputs.size(), 3u);
  EXPECT_EQ(b.g.value(fused->inputs[2]).name, "bias");
  EXPECT_FALSE(fused->attrs.has("alpha"));
  EXPECT_FALSE(fused->attrs.has("transB"));
  // Nothing of the pattern is left behind.
  for (const char* v : {"view", "view_half", "view_p", "view_t", "view_t1"}) {
    const ir::ValueId id = b.g.find(v);
    if (id != ir::kNoValue) {
      EXPECT_TRUE(b.g.value(id).consumers.empty()) << v;
    }
  }
}

TEST(PassesGeluReshape, GemmReshapeGeluTanhTorchOrder) {
  GraphBuilder b(11);
  build_mlp(b, false);
  fuse_and_compare(b, feed(b, "x", {6, 8}), 1e-5);
  EXPECT_EQ(graph_ops(b.g), (std::vector<std::string>{"FusedMatMul", "Reshape", "Reshape", "Gemm"}));
  EXPECT_EQ(activation_of(b.g), "GeluTanh");
}

TEST(PassesGeluReshape, GeluEndingInAGraphOutputKeepsItsName) {
  GraphBuilder b(11);
  b.input("x", {4, 8});
  b.random_constant("w", {8, 36});
  b.ints("shape3", {2, 2, 36});
  b.node("Gemm", {"x", "w"}, {"mm"});
  b.node("Reshape", {"mm", "shape3"}, {"view"});
  gelu_tanh(b, "view", "y", true);
  b.output("y");
  fuse_and_compare(b, feed(b, "x", {4, 8}), 1e-5);
  EXPECT_EQ(graph_ops(b.g), (std::vector<std::string>{"FusedMatMul", "Reshape"}));
  ASSERT_EQ(b.g.output_names().size(), 1u);
  EXPECT_EQ(b.g.output_names()[0], "y");
  EXPECT_EQ(b.g.value(b.g.outputs()[0]).name, "y");
  EXPECT_EQ(producer_op(b.g, "y"), "Reshape");
}

TEST(PassesGeluReshape, GemmTransBRowBiasReshapeGeluErf) {
  // transB = 1 becomes trans_b; the [1, N] C becomes a 1-D bias.
  GraphBuilder b(11);
  b.input("x", {6, 8});
  b.random_constant("w", {40, 8});
  b.random_constant("bias", {1, 40});
  b.ints("shape3", {2, 3, 40});
  b.node("Gemm", {"x", "w", "bias"}, {"mm"}, attrs({ir::int_attribute("transB", 1)}));
  b.node("Reshape", {"mm", "shape3"}, {"view"});
  gelu_erf(b, "view", "y");
  b.output("y");
  fuse_and_compare(b, feed(b, "x", {6, 8}), 1e-5);
  EXPECT_EQ(graph_ops(b.g), (std::vector<std::string>{"FusedMatMul", "Reshape"}));
  EXPECT_EQ(activation_of(b.g), "Gelu");
  const ir::Node* fused = find_op(b.g, "FusedMatMul");
  ASSERT_NE(fused, nullptr);
  EXPECT_EQ(ir::AttrReader(*fused).i("trans_b", 0), 1);
  ASSERT_EQ(fused->inputs.size(), 3u);
  EXPECT_EQ(b.g.value(fused->inputs[2]).type.rank(), 1u);
}

// A Gemm narrower than one 32-column panel stays a Gemm (faster as is: the torch.onnx MLP).
TEST(PassesGeluReshape, NarrowGemmStaysGemm) {
  GraphBuilder b(11);
  b.input("x", {6, 8});
  b.random_constant("w", {8, 31});
  b.node("Gemm", {"x", "w"}, {"m"});
  b.node("Relu", {"m"}, {"y"});
  b.output("y");
  fuse_and_compare(b, feed(b, "x", {6, 8}), 1e-5);
  EXPECT_EQ(graph_ops(b.g), (std::vector<std::string>{"Gemm", "Relu"}));
}

TEST(PassesGeluReshape, ReluThroughReshapeFlattenAndUnsqueeze) {
  GraphBuilder b(11);
  b.input("x", {6, 8});
  b.random_constant("w1", {8, 40});
  b.random_constant("w2", {8, 4});
  b.random_constant("w3", {8, 33});
  b.random_constant("b3", {33});
  b.ints("shape3", {1, 6, 40});
  b.ints("axes", {0});
  b.node("Gemm", {"x", "w1"}, {"m1"});
  b.node("Reshape", {"m1", "shape3"}, {"v1"});
  b.node("Relu", {"v1"}, {"y1"});
  b.node("MatMul", {"x", "w2"}, {"m2"});
  b.node("Flatten", {"m2"}, {"v2"}, attrs({ir::int_attribute("axis", 0)}));
  b.node("Relu", {"v2"}, {"y2"});
  b.node("Gemm", {"x", "w3", "b3"}, {"m3"});
  b.node("Unsqueeze", {"m3", "axes"}, {"v3"});
  b.node("Sigmoid", {"v3"}, {"y3"});
  for (const char* y : {"y1", "y2", "y3"}) b.output(y);
  fuse_and_compare(b, feed(b, "x", {6, 8}), 1e-5);
  EXPECT_EQ(graph_ops(b.g), (std::vector<std::string>{"FusedMatMul", "Reshape", "FusedMatMul", "Flatten",
                                                      "FusedMatMul", "Unsqueeze"}));
  EXPECT_EQ(producer_op(b.g, "y1"), "Reshape");
  EXPECT_EQ(producer_op(b.g, "y2"), "Flatten");
  EXPECT_EQ(producer_op(b.g, "y3"), "Unsqueeze");
}

TEST(PassesGeluReshape, GemmReluWithoutReshape) {
  GraphBuilder b(11);
  b.input("x", {6, 8});
  b.random_constant("w", {8, 40});
  b.random_constant("bias", {40});
  b.node("Gemm", {"x", "w", "bias"}, {"mm"});
  b.node("Relu", {"mm"}, {"y"});
  b.output("y");
  fuse_and_compare(b, feed(b, "x", {6, 8}), 1e-5);
  EXPECT_EQ(graph_ops(b.g), (std::vector<std::string>{"FusedMatMul"}));
  EXPECT_EQ(activation_of(b.g), "Relu");
}

// --- graphs that must stay as they are

// Gemm(x [6, 8], w [8, 12], C?) with `gemm_attrs` -> Reshape [1, 6, 12] -> Relu.
void build_gemm_reshape_relu(GraphBuilder& b, ir::Attributes gemm_attrs, Shape c_shape = {}) {
  b.input("x", {6, 8});
  b.random_constant("w", {8, 40});
  b.ints("shape3", {1, 6, 40});
  std::vector<std::string> ins = {"x", "w"};
  if (!c_shape.empty()) {
    b.random_constant("c", c_shape);
    ins.push_back("c");
  }
  b.node("Gemm", ins, {"mm"}, std::move(gemm_attrs));
  b.node("Reshape", {"mm", "shape3"}, {"view"});
  b.node("Relu", {"view"}, {"y"});
  b.output("y");
}

const std::vector<std::string> kUnfused = {"Gemm", "Reshape", "Relu"};

TEST(PassesGeluReshape, ReshapeOutputWithASecondReaderStays) {
  GraphBuilder b(11);
  b.input("x", {6, 8});
  b.random_constant("w", {8, 40});
  b.ints("shape3", {1, 6, 40});
  b.node("Gemm", {"x", "w"}, {"mm"});
  b.node("Reshape", {"mm", "shape3"}, {"view"});
  b.node("Relu", {"view"}, {"y1"});
  b.node("Neg", {"view"}, {"y2"});
  b.output("y1");
  b.output("y2");
  fuse_and_compare(b, feed(b, "x", {6, 8}), 1e-5);
  EXPECT_EQ(graph_ops(b.g), (std::vector<std::string>{"Gemm", "Reshape", "Relu", "Neg"}));
}

TEST(PassesGeluReshape, GeluOnReshapeOutputWithASecondReaderStays) {
  GraphBuilder b(11);
  b.input("x", {6, 8});
  b.random_constant("w", {8, 40});
  b.ints("shape3", {1, 6, 40});
  b.node("Gemm", {"x", "w"}, {"mm"});
  b.node("Reshape", {"mm", "shape3"}, {"view"});
  gelu_tanh(b, "view", "y1", true);
  b.node("Neg", {"view"}, {"y2"});
  b.output("y1");
  b.output("y2");
  fuse_and_compare(b, feed(b, "x", {6, 8}), 1e-5);
  // The Gemm stays unfused; the GELU's eight nodes still become one (collapse_activations).
  EXPECT_EQ(graph_ops(b.g), (std::vector<std::string>{"Gemm", "Reshape", "Neg", "Gelu"}));
}

TEST(PassesGeluReshape, ProducerOutputWithASecondReaderStays) {
  GraphBuilder b(11);
  b.input("x", {6, 8});
  b.random_constant("w", {8, 40});
  b.ints("shape3", {1, 6, 40});
  b.node("Gemm", {"x", "w"}, {"mm"});
  b.node("Reshape", {"mm", "shape3"}, {"view"});
  b.node("Relu", {"view"}, {"y1"});
  b.node("Neg", {"mm"}, {"y2"});
  b.output("y1");
  b.output("y2");
  fuse_and_compare(b, feed(b, "x", {6, 8}), 1e-5);
  EXPECT_EQ(graph_ops(b.g), (std::vector<std::string>{"Gemm", "Reshape", "Relu", "Neg"}));
}

TEST(PassesGeluReshape, ReshapeOutputThatIsAGraphOutputStays) {
  GraphBuilder b(11);
  build_gemm_reshape_relu(b, {});
  b.output("view");
  fuse_and_compare(b, feed(b, "x", {6, 8}), 1e-5);
  EXPECT_EQ(graph_ops(b.g), kUnfused);
}

TEST(PassesGeluReshape, GeluOnAGraphOutputReshapeStays) {
  GraphBuilder b(11);
  b.input("x", {6, 8});
  b.random_constant("w", {8, 40});
  b.ints("shape3", {1, 6, 40});
  b.node("Gemm", {"x", "w"}, {"mm"});
  b.node("Reshape", {"mm", "shape3"}, {"view"});
  gelu_erf(b, "view", "y");
  b.output("y");
  b.output("view");
  fuse_and_compare(b, feed(b, "x", {6, 8}), 1e-5);
  EXPECT_EQ(graph_ops(b.g), (std::vector<std::string>{"Gemm", "Reshape", "Gelu"}));
}

TEST(PassesGeluReshape, ProducerOutputThatIsAGraphOutputStays) {
  GraphBuilder b(11);
  build_gemm_reshape_relu(b, {});
  b.output("mm");
  fuse_and_compare(b, feed(b, "x", {6, 8}), 1e-5);
  EXPECT_EQ(graph_ops(b.g), kUnfused);
}

TEST(PassesGeluReshape, GemmWithAlpha2Stays) {
  GraphBuilder b(11);
  build_gemm_reshape_relu(b, attrs({ir::float_attribute("alpha", 2.f)}));
  fuse_and_compare(b, feed(b, "x", {6, 8}), 1e-5);
  EXPECT_EQ(graph_ops(b.g), kUnfused);
}

TEST(PassesGeluReshape, GemmWithBeta2Stays) {
  GraphBuilder b(11);
  build_gemm_reshape_relu(b, attrs({ir::float_attribute("beta", 2.f)}), {40});
  fuse_and_compare(b, feed(b, "x", {6, 8}), 1e-5);
  EXPECT_EQ(graph_ops(b.g), kUnfused);
}

TEST(PassesGeluReshape, GemmWithTransAStays) {
  GraphBuilder b(11);
  b.input("x", {8, 6});
  b.random_constant("w", {8, 40});
  b.ints("shape3", {1, 6, 40});
  b.node("Gemm", {"x", "w"}, {"mm"}, attrs({ir::int_attribute("transA", 1)}));
  b.node("Reshape", {"mm", "shape3"}, {"view"});
  b.node("Relu", {"view"}, {"y"});
  b.output("y");
  fuse_and_compare(b, feed(b, "x", {8, 6}), 1e-5);
  EXPECT_EQ(graph_ops(b.g), kUnfused);
}

TEST(PassesGeluReshape, GemmWithFullCStays) {
  GraphBuilder b(11);
  build_gemm_reshape_relu(b, {}, {6, 40});
  fuse_and_compare(b, feed(b, "x", {6, 8}), 1e-5);
  EXPECT_EQ(graph_ops(b.g), kUnfused);
}

TEST(PassesGeluReshape, GemmWithPerRowCStays) {
  GraphBuilder b(11);
  build_gemm_reshape_relu(b, {}, {6, 1});
  fuse_and_compare(b, feed(b, "x", {6, 8}), 1e-5);
  EXPECT_EQ(graph_ops(b.g), kUnfused);
}

TEST(PassesGeluReshape, GemmWithRunTimeBStays) {
  GraphBuilder b(11);
  b.input("x", {6, 8});
  b.input("w", {8, 40});
  b.ints("shape3", {1, 6, 40});
  b.node("Gemm", {"x", "w"}, {"mm"});
  b.node("Reshape", {"mm", "shape3"}, {"view"});
  b.node("Relu", {"view"}, {"y"});
  b.output("y");
  std::map<std::string, Tensor> feeds = feed(b, "x", {6, 8});
  feeds.emplace("w", random_tensor(DType::kFloat32, {8, 40}, b.rng));
  fuse_and_compare(b, feeds, 1e-5);
  EXPECT_EQ(graph_ops(b.g), kUnfused);
}

}  // namespace
}  // namespace onnxrt::testing
