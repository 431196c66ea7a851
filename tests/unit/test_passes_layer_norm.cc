// fuse_layer_norm: LayerNorm written out op by op (the TorchScript exporter's nn.LayerNorm below
// opset 17, TensorFlow converters' form) becomes one com.onnxrt LayerNormalization that computes
// what the chain did; chains over another axis, with a leaked intermediate, or with an operand that
// is not a per-column constant stay as they are.
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

struct Form {
  bool self_mul = false;    // Mul(d, d) instead of Pow(d, 2)
  bool reciprocal = false;  // Mul(d, Reciprocal(s)) instead of Div(d, s)
  bool gamma = true, beta = true;
  bool left = false;        // constants on the left of their Mul / Add, [1, 1, C] shaped
  int64_t axis = -1;
  float eps = 1e-5f;
};

// The chain over x's last axis (C values) into y.
void layer_norm_chain(GraphBuilder& b, const std::string& x, const std::string& y, int64_t c, const Form& f) {
  b.ints("axes", {f.axis});
  b.scalar("two", 2.f);
  b.scalar("eps", f.eps);
  b.node("ReduceMean", {x, "axes"}, {"mean"});
  b.node("Sub", {x, "mean"}, {"d"});
  if (f.self_mul)
    b.node("Mul", {"d", "d"}, {"sq"});
  else
    b.node("Pow", {"d", "two"}, {"sq"});
  b.node("ReduceMean", {"sq", "axes"}, {"var"});
  b.node("Add", {"var", "eps"}, {"ve"});
  b.node("Sqrt", {"ve"}, {"sd"});
  std::string v = "normed";
  if (f.reciprocal) {
    b.node("Reciprocal", {"sd"}, {"inv"});
    b.node("Mul", {"inv", "d"}, {v});
  } else {
    b.node("Div", {"d", "sd"}, {v});
  }
  const Shape cs = f.left ? Shape{1, 1, c} : Shape{c};
  if (f.gamma) {
    b.random_constant("gamma", cs);
    const std::string out = f.beta ? "scaled" : y;
    b.node("Mul", f.left ? std::vector<std::string>{"gamma", v} : std::vector<std::string>{v, "gamma"}, {out});
    v = out;
  }
  if (f.beta) {
    b.random_constant("beta", cs);
    b.node("Add", f.left ? std::vector<std::string>{"beta", v} : std::vector<std::string>{v, "beta"}, {y});
  } else if (!f.gamma) {
    b.node("Identity", {v}, {y});
  }
}

TEST(PassesLayerNorm, TorchChainBecomesOneNode) {
  GraphBuilder b;
  b.input("x", {2, 5, 48});
  layer_norm_chain(b, "x", "y", 48, Form{});
  b.output("y");
  fuse_and_compare(b, feed_x(b, {2, 5, 48}), 1e-5);
  const ir::Node* n = find_op(b.g, "LayerNormalization");
  ASSERT_NE(n, nullptr);
  EXPECT_EQ(n->domain, std::string(ir::kFusedDomain));
  EXPECT_EQ(n->inputs.size(), 3u);
  EXPECT_FLOAT_EQ(ir::AttrReader(*n).f("epsilon", 0.f), 1e-5f);
  EXPECT_EQ(count_ops(b.g, "ReduceMean") + count_ops(b.g, "Sub") + count_ops(b.g, "Div") + count_ops(b.g, "Add"), 0);
  EXPECT_EQ(b.g.value(n->outputs[0]).name, "y");  // the graph output keeps its name
}

// The other arrangements: Mul(d, d), a reciprocal, [1, 1, C] constants on the left, no shift, no
// scale; x also read by a residual Add. An epsilon this large moves the result, so a wrong one
// would show.
TEST(PassesLayerNorm, OtherArrangementsFuse) {
  const Form forms[] = {
      {true, true, true, true, true, -1, 0.25f},
      {false, true, true, false, false, 2, 1e-12f},
      {true, false, false, false, false, -1, 0.5f},
      {false, false, false, true, true, -1, 1e-3f},
  };
  for (const Form& f : forms) {
    SCOPED_TRACE(std::string("self_mul ") + std::to_string(f.self_mul) + " reciprocal " + std::to_string(f.reciprocal) +
                 " gamma " + std::to_string(f.gamma) + " beta " + std::to_string(f.beta));
    GraphBuilder b;
    b.input("x", {3, 4, 40});
    layer_norm_chain(b, "x", "ln", 40, f);
    b.node("Add", {"ln", "x"}, {"y"});
    b.output("y");
    fuse_and_compare(b, feed_x(b, {3, 4, 40}), 1e-5);
    EXPECT_EQ(count_ops(b.g, "LayerNormalization"), 1);
    EXPECT_EQ(count_ops(b.g, "ReduceMean") + count_ops(b.g, "Sqrt"), 0);
  }
}

// Look-alikes stay as they are (and still compute the same).
TEST(PassesLayerNorm, LookAlikesStay) {
  {  // over axis 1 of a rank-3 tensor (ConvNeXt's channels-first LayerNorm reduces a middle axis)
    GraphBuilder b;
    b.input("x", {2, 6, 8});
    Form f;
    f.gamma = f.beta = false;
    f.axis = 1;
    layer_norm_chain(b, "x", "y", 8, f);
    b.output("y");
    fuse_and_compare(b, feed_x(b, {2, 6, 8}), 1e-5);
    EXPECT_EQ(count_ops(b.g, "LayerNormalization"), 0);
  }
  {  // d read by a third node: it must stay computed
    GraphBuilder b;
    b.input("x", {2, 16});
    layer_norm_chain(b, "x", "ln", 16, Form{});
    b.node("Neg", {"d"}, {"nd"});
    b.node("Add", {"ln", "nd"}, {"y"});
    b.output("y");
    fuse_and_compare(b, feed_x(b, {2, 16}), 1e-5);
    EXPECT_EQ(count_ops(b.g, "LayerNormalization"), 0);
  }
  {  // the variance is a graph output too
    GraphBuilder b;
    b.input("x", {2, 16});
    layer_norm_chain(b, "x", "y", 16, Form{});
    b.output("y");
    b.output("var");
    fuse_and_compare(b, feed_x(b, {2, 16}), 1e-5);
    EXPECT_EQ(count_ops(b.g, "LayerNormalization"), 0);
  }
  {  // Sub(mean, x): the negated chain
    GraphBuilder b;
    b.input("x", {2, 16});
    b.ints("axes", {-1});
    b.scalar("eps", 1e-5f);
    b.node("ReduceMean", {"x", "axes"}, {"mean"});
    b.node("Sub", {"mean", "x"}, {"d"});
    b.node("Mul", {"d", "d"}, {"sq"});
    b.node("ReduceMean", {"sq", "axes"}, {"var"});
    b.node("Add", {"var", "eps"}, {"ve"});
    b.node("Sqrt", {"ve"}, {"sd"});
    b.node("Div", {"d", "sd"}, {"y"});
    b.output("y");
    fuse_and_compare(b, feed_x(b, {2, 16}), 1e-5);
    EXPECT_EQ(count_ops(b.g, "LayerNormalization"), 0);
  }
  {  // a scale of another length (broadcast over a last dim of 1) is not the Scale input
    GraphBuilder b;
    b.input("x", {3, 1});
    b.ints("axes", {-1});
    b.scalar("two", 2.f);
    b.scalar("eps", 1e-5f);
    b.random_constant("gamma", {5});
    b.node("ReduceMean", {"x", "axes"}, {"mean"});
    b.node("Sub", {"x", "mean"}, {"d"});
    b.node("Pow", {"d", "two"}, {"sq"});
    b.node("ReduceMean", {"sq", "axes"}, {"var"});
    b.node("Add", {"var", "eps"}, {"ve"});
    b.node("Sqrt", {"ve"}, {"sd"});
    b.node("Div", {"d", "sd"}, {"normed"});
    b.node("Mul", {"normed", "gamma"}, {"y"});
    b.output("y");
    fuse_and_compare(b, feed_x(b, {3, 1}), 1e-5);
    // The normalization itself may fuse, the Mul by a [5] gamma must stay.
    EXPECT_EQ(count_ops(b.g, "Mul"), 1);
  }
}

}  // namespace
}  // namespace onnxrt::testing
