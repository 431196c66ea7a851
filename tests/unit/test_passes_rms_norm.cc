// fuse_rms_norm: RMSNorm as torch.onnx writes it (transformers' LlamaRMSNorm and T5LayerNorm, in
// their arrangements) becomes one com.onnxrt RMSNormalization that computes what the chain did;
// chains that normalize another axis, raise to another power, or leak an intermediate stay.
#include <gtest/gtest.h>

#include <map>
#include <string>

#include "ir/attribute.h"
#include "ir/infer_fused.h"
#include "kernels/harness.h"
#include "unit/graph_builder.h"

namespace onnxrt::testing {
namespace {

std::map<std::string, Tensor> feed_x(GraphBuilder& b, Shape s) {
  return {{"x", random_tensor(DType::kFloat32, std::move(s), b.rng, -3, 3)}};
}

// x -> Pow(x, 2) -> ReduceMean([-1]) -> Add(eps) -> Sqrt -> Reciprocal -> Mul(x, .) -> Mul(w, .),
// as the dynamo exporter writes LlamaRMSNorm.
void llama_rms(GraphBuilder& b, const std::string& x, const std::string& y, int64_t c, float eps = 1e-6f) {
  b.scalar("two", 2.f);
  b.ints("axes", {-1});
  b.scalar("eps", eps);
  b.random_constant("w", {c});
  b.node("Pow", {x, "two"}, {"sq"});
  b.node("ReduceMean", {"sq", "axes"}, {"ms"});
  b.node("Add", {"ms", "eps"}, {"mse"});
  b.node("Sqrt", {"mse"}, {"rt"});
  b.node("Reciprocal", {"rt"}, {"inv"});
  b.node("Mul", {x, "inv"}, {"xn"});
  b.node("Mul", {"w", "xn"}, {y});
}

TEST(PassesRmsNorm, LlamaChainBecomesOneNode) {
  GraphBuilder b;
  b.input("x", {2, 5, 48});
  llama_rms(b, "x", "y", 48, 1e-5f);
  b.output("y");
  fuse_and_compare(b, feed_x(b, {2, 5, 48}), 1e-5);
  const ir::Node* n = find_op(b.g, "RMSNormalization");
  ASSERT_NE(n, nullptr);
  EXPECT_EQ(n->domain, std::string(ir::kFusedDomain));
  EXPECT_FLOAT_EQ(ir::AttrReader(*n).f("epsilon", 0.f), 1e-5f);
  EXPECT_EQ(count_ops(b.g, "Pow") + count_ops(b.g, "ReduceMean") + count_ops(b.g, "Sqrt") + count_ops(b.g, "Mul"), 0);
  EXPECT_EQ(b.g.value(n->outputs[0]).name, "y");  // the graph output keeps its name
}

// T5LayerNorm's arrangement: x * x, 1 / sqrt, a [1, 1, C] weight on the left; x also feeds the
// residual Add after the norm, so it stays alive and the chain still fuses.
TEST(PassesRmsNorm, T5ChainWithResidualReader) {
  GraphBuilder b;
  b.input("x", {3, 40});
  b.ints("axes", {1});
  b.scalar("eps", 1e-6f);
  b.scalar("one", 1.f);
  b.random_constant("w", {1, 40});
  b.node("Mul", {"x", "x"}, {"sq"});
  b.node("ReduceMean", {"sq", "axes"}, {"ms"});
  b.node("Add", {"eps", "ms"}, {"mse"});
  b.node("Sqrt", {"mse"}, {"rt"});
  b.node("Div", {"one", "rt"}, {"inv"});
  b.node("Mul", {"inv", "x"}, {"xn"});
  b.node("Mul", {"xn", "w"}, {"normed"});
  b.node("Add", {"normed", "x"}, {"y"});
  b.output("y");
  fuse_and_compare(b, feed_x(b, {3, 40}), 1e-5);
  EXPECT_EQ(count_ops(b.g, "RMSNormalization"), 1);
  EXPECT_EQ(count_ops(b.g, "ReduceMean"), 0);
}

// x / sqrt(mean + eps) with no weight: the fused node gets a scale of ones. An epsilon this
// large moves the result, so a wrong one would show.
TEST(PassesRmsNorm, DivisionFormWithoutWeight) {
  GraphBuilder b;
  b.input("x", {4, 33});
  b.scalar("two", 2.f);
  b.ints("axes", {-1});
  b.scalar("eps", 0.25f);
  b.node("Pow", {"x", "two"}, {"sq"});
  b.node("ReduceMean", {"sq", "axes"}, {"ms"});
  b.node("Add", {"ms", "eps"}, {"mse"});
  b.node("Sqrt", {"mse"}, {"rt"});
  b.node("Div", {"x", "rt"}, {"y"});
  b.output("y");
  fuse_and_compare(b, feed_x(b, {4, 33}), 1e-5);
  EXPECT_EQ(count_ops(b.g, "RMSNormalization"), 1);
  EXPECT_EQ(count_ops(b.g, "Div"), 0);
}

// Look-alikes that are not RMSNorm over the last axis stay as they are (and still compute the same).
TEST(PassesRmsNorm, LookAlikesStay) {
  {  // the mean over axis 1 of a rank-3 tensor
    GraphBuilder b;
    b.input("x", {2, 6, 8});
    b.scalar("two", 2.f);
    b.ints("axes", {1});
    b.scalar("eps", 1e-6f);
    b.node("Pow", {"x", "two"}, {"sq"});
    b.node("ReduceMean", {"sq", "axes"}, {"ms"});
    b.node("Add", {"ms", "eps"}, {"mse"});
    b.node("Sqrt", {"mse"}, {"rt"});
    b.node("Reciprocal", {"rt"}, {"inv"});
    b.node("Mul", {"x", "inv"}, {"y"});
    b.output("y");
    fuse_and_compare(b, feed_x(b, {2, 6, 8}), 1e-5);
    EXPECT_EQ(count_ops(b.g, "RMSNormalization"), 0);
  }
  {  // a cube, not a square
    GraphBuilder b;
    b.input("x", {2, 8});
    b.scalar("three", 3.f);
    b.ints("axes", {-1});
    b.scalar("eps", 1e-6f);
    b.node("Pow", {"x", "three"}, {"sq"});
    b.node("ReduceMean", {"sq", "axes"}, {"ms"});
    b.node("Add", {"ms", "eps"}, {"mse"});
    b.node("Sqrt", {"mse"}, {"rt"});
    b.node("Div", {"x", "rt"}, {"y"});
    b.output("y");
    EXPECT_EQ(count_ops(b.g, "Pow"), 1);
    fuse_and_compare(b, {{"x", random_tensor(DType::kFloat32, {2, 8}, b.rng, 0.5, 3)}}, 1e-5);
    EXPECT_EQ(count_ops(b.g, "RMSNormalization"), 0);
  }
  {  // the mean square is also a graph output
    GraphBuilder b;
    b.input("x", {2, 8});
    llama_rms(b, "x", "y", 8);
    b.output("y");
    b.output("ms");
    fuse_and_compare(b, feed_x(b, {2, 8}), 1e-5);
    EXPECT_EQ(count_ops(b.g, "RMSNormalization"), 0);
    EXPECT_EQ(count_ops(b.g, "ReduceMean"), 1);
  }
}

}  // namespace
}  // namespace onnxrt::testing
