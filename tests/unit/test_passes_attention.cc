// The attention fusion (passes/fuse_attention.cc) on small graphs shaped like the torch.onnx
// exports of BERT and GPT-2: which patterns become FusedAttention (with the Transposes around
// them), which must stay (non-causal Where, softmax over another axis, batch broadcasting, values
// with other readers), and that the fused graph computes what the original did.
#include <gtest/gtest.h>

#include <algorithm>
#include <cmath>
#include <limits>
#include <map>
#include <random>

#include "ir/infer_fused.h"
#include "kernels/eval_node.h"
#include "kernels/harness.h"
#include "passes/pass.h"

namespace onnxrt::testing {
namespace {

struct AttnGraph {
  ir::Graph g;
  std::mt19937 rng{11};
  std::map<std::string, Tensor> feeds;
  AttnGraph() { g.opset_imports.push_back(ir::OpsetImport{"", 18}); }
  void input(const std::string& name, Shape s) {
    ASSERT_TRUE(g.add_input(name, ir::ValueType::tensor(DType::kFloat32, to_sym_shape(s))).has_value());
    feeds[name] = random_tensor(DType::kFloat32, s, rng);
  }
  void constant(const std::string& name, Tensor t) { ASSERT_TRUE(g.add_initializer(name, std::move(t)).has_value()); }
  void scalar(const std::string& name, float v) { constant(name, make_tensor<float>(DType::kFloat32, {}, {v})); }
  void node(const std::string& op, std::vector<std::string> ins, std::vector<std::string> outs,
            std::vector<ir::Attribute> attrs = {}) {
    ir::Node n;
    n.op_type = op;
    n.opset = 18;
    n.name = outs[0] + "_node";
    for (ir::Attribute& a : attrs) n.attrs.set(a);
    auto r = g.add_node(n, ins, outs);
    ASSERT_TRUE(r.has_value()) << r.status().to_string();
  }
  void output(const std::string& name) { ASSERT_TRUE(g.add_output(name).is_ok()); }
};


size_t count(const std::vector<std::string>& v, const char* op) {
  return static_cast<size_t>(std::count(v.begin(), v.end(), op));
}

// Runs the default pipeline and checks the outputs against the unfused graph.
std::vector<std::string> fuse_and_compare(AttnGraph& b) {
  const std::vector<Tensor> before = evaluate_graph(b.g, b.feeds);
  auto passes = passes::default_pipeline(GraphOptimizationLevel::kAll);
  EXPECT_TRUE(passes::run_pipeline(b.g, passes, {}).is_ok());
  const std::vector<Tensor> after = evaluate_graph(b.g, b.feeds);
  EXPECT_EQ(before.size(), after.size());
  for (size_t i = 0; i < before.size() && i < after.size(); ++i)
    EXPECT_TRUE(tensors_close(after[i], before[i], 1e-5, 1e-4)) << "output " << i;
  return graph_ops(b.g);
}

constexpr int64_t B = 2, S = 6, H = 3, D = 4;

// The dynamo export of one attention: q, k, v as [B, S, H, D], Transposes to heads-first, scores,
// `scale_op` by 2 (Div) or 0.5 (Mul), then `mask_and_softmax` decides the rest, P @ V, Transpose
// back and Reshape to [B, S, H*D].
void bert_like(AttnGraph& b, const char* scale_op, bool key_mask, bool causal) {
  b.input("q4", {B, S, H, D});
  b.input("k4", {B, S, H, D});
  b.input("v4", {B, S, H, D});
  b.node("Transpose", {"q4"}, {"q"}, {ir::ints_attribute("perm", {0, 2, 1, 3})});
  b.node("Transpose", {"k4"}, {"kt"}, {ir::ints_attribute("perm", {0, 2, 3, 1})});
  b.node("Transpose", {"v4"}, {"v"}, {ir::ints_attribute("perm", {0, 2, 1, 3})});
  b.node("MatMul", {"q", "kt"}, {"s0"});
  if (std::string(scale_op) == "Div") {
    b.scalar("c", 2.0f);
    b.node("Div", {"s0", "c"}, {"s1"});
  } else {
    b.scalar("c", 0.5f);
    b.node("Mul", {"c", "s0"}, {"s1"});
  }
  std::string s = "s1";
  if (key_mask) {
    b.input("mask", {B, 1, 1, S});
    b.node("Add", {s, "mask"}, {"s2"});
    s = "s2";
  }
  if (causal) {
    Tensor cond = Tensor::allocate(DType::kBool, {S, S});
    for (int64_t i = 0; i < S; ++i)
      for (int64_t j = 0; j < S; ++j) cond.data<bool>()[i * S + j] = j > i;
    b.constant("upper", cond);
    b.scalar("ninf", -std::numeric_limits<float>::infinity());
    b.node("Where", {"upper", "ninf", s}, {"s3"});
    s = "s3";
  }
  b.node("Softmax", {s}, {"p"}, {ir::int_attribute("axis", -1)});
  b.node("MatMul", {"p", "v"}, {"o"});
  b.node("Transpose", {"o"}, {"ot"}, {ir::ints_attribute("perm", {0, 2, 1, 3})});
  b.constant("shape", make_tensor<int64_t>(DType::kInt64, {3}, {B, S, H * D}));
  b.node("Reshape", {"ot", "shape"}, {"y"});
  b.output("y");
}

TEST(PassesAttention, BertLikeBecomesOneFusedNodeWithoutTransposes) {
  for (const char* scale_op : {"Div", "Mul"}) {
    for (bool key_mask : {false, true}) {
      AttnGraph b;
      bert_like(b, scale_op, key_mask, false);
      const auto o = fuse_and_compare(b);
      EXPECT_EQ(o, (std::vector<std::string>{"FusedAttention", "Reshape"})) << scale_op << " mask " << key_mask;
      EXPECT_EQ(b.g.value(b.g.outputs()[0]).name, "y");
    }
  }
}

TEST(PassesAttention, CausalWhereBecomesTheCausalAttribute) {
  for (bool key_mask : {false, true}) {
    AttnGraph b;
    bert_like(b, "Div", key_mask, true);
    const auto o = fuse_and_compare(b);
    EXPECT_EQ(o, (std::vector<std::string>{"FusedAttention", "Reshape"}));
    for (size_t i = 0; i < b.g.num_nodes(); ++i) {
      const auto id = static_cast<ir::NodeId>(i);
      if (b.g.is_removed(id) || b.g.node(id).op_type != "FusedAttention") continue;
      auto at = ir::read_fused_attention(b.g.node(id));
      ASSERT_TRUE(at.has_value());
      EXPECT_TRUE(at->causal);
      EXPECT_FLOAT_EQ(at->scale, 0.5f);
    }
  }
}

// The fused QKV projection of the exports: Split [B, S, 3E] into thirds, Reshape each to
// [B, S, H, D], then the Transposes. The node reads the projection (qkv_packed) and the Split and
// Reshapes go; with mismatched head splits it still fuses, with the Reshapes kept.
void packed_qkv_graph(AttnGraph& b, bool same_heads) {
  b.input("x", {B, S, 3 * H * D});
  ir::Attribute axis = ir::int_attribute("axis", -1);
  ir::Attribute n = ir::int_attribute("num_outputs", 3);
  b.node("Split", {"x"}, {"qs", "ks", "vs"}, {axis, n});
  b.constant("shape4", make_tensor<int64_t>(DType::kInt64, {4}, {B, S, H, D}));
  b.constant("shape4b", make_tensor<int64_t>(DType::kInt64, {4}, {B, S, H * D / 2, 2}));
  b.node("Reshape", {"qs", "shape4"}, {"q4"});
  b.node("Reshape", {"ks", same_heads ? "shape4" : "shape4b"}, {"k4"});
  b.node("Reshape", {"vs", "shape4"}, {"v4"});
  b.node("Transpose", {"q4"}, {"q"}, {ir::ints_attribute("perm", {0, 2, 1, 3})});
  b.node("Transpose", {"k4"}, {"kt"}, {ir::ints_attribute("perm", {0, 2, 3, 1})});
  b.node("Transpose", {"v4"}, {"v"}, {ir::ints_attribute("perm", {0, 2, 1, 3})});
  if (same_heads) {
    b.node("MatMul", {"q", "kt"}, {"s0"});
  } else {  // K^T [B, H*D/2, 2, S] does not fit Q: reshape it back to [B, H, D, S] first.
    b.constant("kshape", make_tensor<int64_t>(DType::kInt64, {4}, {B, H, D, S}));
    b.node("Reshape", {"kt", "kshape"}, {"kt2"});
    b.node("MatMul", {"q", "kt2"}, {"s0"});
  }
  b.node("Softmax", {"s0"}, {"p"}, {ir::int_attribute("axis", -1)});
  b.node("MatMul", {"p", "v"}, {"o"});
  b.node("Transpose", {"o"}, {"y"}, {ir::ints_attribute("perm", {0, 2, 1, 3})});
  b.output("y");
}

TEST(PassesAttention, PackedQkvProjectionIsReadInPlace) {
  AttnGraph b;
  packed_qkv_graph(b, true);
  EXPECT_EQ(fuse_and_compare(b), (std::vector<std::string>{"FusedAttention"}));
  for (size_t i = 0; i < b.g.num_nodes(); ++i) {
    const auto id = static_cast<ir::NodeId>(i);
    if (b.g.is_removed(id) || b.g.node(id).op_type != "FusedAttention") continue;
    auto at = ir::read_fused_attention(b.g.node(id));
    ASSERT_TRUE(at.has_value());
    EXPECT_TRUE(at->qkv_packed);
    EXPECT_EQ(at->num_heads, H);
  }
}

TEST(PassesAttention, MismatchedHeadSplitIsNotPacked) {
  AttnGraph b;
  packed_qkv_graph(b, false);
  const auto o = fuse_and_compare(b);
  EXPECT_EQ(count(o, "Split"), 1u);
  EXPECT_EQ(count(o, "Softmax"), 0u);  // still fused: K^T comes from the extra Reshape as is
}

TEST(PassesAttention, NonCausalWhereStays) {
  AttnGraph b;
  b.input("q", {1, H, S, D});
  b.input("k", {1, H, S, D});
  b.input("v", {1, H, S, D});
  b.node("Transpose", {"k"}, {"kt"}, {ir::ints_attribute("perm", {0, 1, 3, 2})});
  b.node("MatMul", {"q", "kt"}, {"s0"});
  Tensor cond = Tensor::allocate(DType::kBool, {S, S});
  for (int64_t i = 0; i < S * S; ++i) cond.data<bool>()[i] = (i % S) > (i / S) + 1;  // a shifted band
  b.constant("band", cond);
  b.scalar("ninf", -std::numeric_limits<float>::infinity());
  b.node("Where", {"band", "ninf", "s0"}, {"s1"});
  b.node("Softmax", {"s1"}, {"p"}, {ir::int_attribute("axis", -1)});
  b.node("MatMul", {"p", "v"}, {"y"});
  b.output("y");
  const auto o = fuse_and_compare(b);
  EXPECT_EQ(count(o, "FusedAttention"), 0u);
  EXPECT_EQ(count(o, "Softmax"), 1u);
}

TEST(PassesAttention, PlainHeadsFirstLayoutFuses) {
  // No Transposes on Q and V, K^T from Transpose(0,1,3,2), product not transposed.
  AttnGraph b;
  b.input("q", {B, H, S, D});
  b.input("k", {B, H, S + 1, D});
  b.input("v", {B, H, S + 1, D + 2});
  b.node("Transpose", {"k"}, {"kt"}, {ir::ints_attribute("perm", {0, 1, 3, 2})});
  b.node("MatMul", {"q", "kt"}, {"s0"});
  b.node("Softmax", {"s0"}, {"p"}, {ir::int_attribute("axis", 3)});
  b.node("MatMul", {"p", "v"}, {"y"});
  b.output("y");
  EXPECT_EQ(fuse_and_compare(b), (std::vector<std::string>{"FusedAttention"}));
}

TEST(PassesAttention, PatternsThatMustStay) {
  {  // Softmax over another axis.
    AttnGraph b;
    b.input("q", {1, H, S, D});
    b.input("kt", {1, H, D, S});
    b.input("v", {1, H, S, D});
    b.node("MatMul", {"q", "kt"}, {"s0"});
    b.node("Softmax", {"s0"}, {"p"}, {ir::int_attribute("axis", 2)});
    b.node("MatMul", {"p", "v"}, {"y"});
    b.output("y");
    EXPECT_EQ(count(fuse_and_compare(b), "FusedAttention"), 0u);
  }
  {  // K broadcast over the batch by MatMul: the kernel does not broadcast.
    AttnGraph b;
    b.input("q", {2, H, S, D});
    b.input("kt", {1, H, D, S});
    b.input("v", {2, H, S, D});
    b.node("MatMul", {"q", "kt"}, {"s0"});
    b.node("Softmax", {"s0"}, {"p"}, {ir::int_attribute("axis", -1)});
    b.node("MatMul", {"p", "v"}, {"y"});
    b.output("y");
    EXPECT_EQ(count(fuse_and_compare(b), "FusedAttention"), 0u);
  }
  {  // The probabilities are also a graph output.
    AttnGraph b;
    b.input("q", {1, H, S, D});
    b.input("kt", {1, H, D, S});
    b.input("v", {1, H, S, D});
    b.node("MatMul", {"q", "kt"}, {"s0"});
    b.node("Softmax", {"s0"}, {"p"}, {ir::int_attribute("axis", -1)});
    b.node("MatMul", {"p", "v"}, {"y"});
    b.output("y");
    b.output("p");
    EXPECT_EQ(count(fuse_and_compare(b), "FusedAttention"), 0u);
  }
  {  // The scale is a per-key vector, not a scalar.
    AttnGraph b;
    b.input("q", {1, H, S, D});
    b.input("kt", {1, H, D, S});
    b.input("v", {1, H, S, D});
    b.node("MatMul", {"q", "kt"}, {"s0"});
    b.constant("c", random_tensor(DType::kFloat32, {S}, b.rng, 1.0, 2.0));
    b.node("Div", {"s0", "c"}, {"s1"});
    b.node("Softmax", {"s1"}, {"p"}, {ir::int_attribute("axis", -1)});
    b.node("MatMul", {"p", "v"}, {"y"});
    b.output("y");
    EXPECT_EQ(count(fuse_and_compare(b), "FusedAttention"), 0u);
  }
  {  // The Add broadcasts the scores up to a bigger shape.
    AttnGraph b;
    b.input("q", {1, H, S, D});
    b.input("kt", {1, H, D, S});
    b.input("v", {2, H, S, D});
    b.input("mask", {2, 1, S, S});
    b.node("MatMul", {"q", "kt"}, {"s0"});
    b.node("Add", {"s0", "mask"}, {"s1"});
    b.node("Softmax", {"s1"}, {"p"}, {ir::int_attribute("axis", -1)});
    b.node("MatMul", {"p", "v"}, {"y"});
    b.output("y");
    EXPECT_EQ(count(fuse_and_compare(b), "FusedAttention"), 0u);
  }
}

// torch's own decomposition of scaled_dot_product_attention, as transformers models export it
// (GPT-2 here: one QKV projection split in thirds): Q and K^T each scaled before the product, K^T
// built by Reshape [B*H, S, D] -> Transpose(0,2,1) -> Reshape [B, H, D, S], an additive mask,
// and Where(IsNaN(P), 0, P) after the Softmax. `k_perm3` is the 3-D Transpose's perm, `fill`
// the Where's replacement; `isnan_output` also makes the IsNaN a graph output.
struct SdpaOptions {
  std::vector<int64_t> k_perm3 = {0, 2, 1};
  float fill = 0.0f;
  bool isnan_output = false;
};
void torch_sdpa(AttnGraph& b, const SdpaOptions& o = {}) {
  b.input("x", {B, S, 3 * H * D});
  b.node("Split", {"x"}, {"qs", "ks", "vs"}, {ir::int_attribute("axis", 2), ir::int_attribute("num_outputs", 3)});
  b.constant("shape4", make_tensor<int64_t>(DType::kInt64, {4}, {B, S, H, D}));
  for (const char* t : {"q", "k", "v"}) {
    b.node("Reshape", {std::string(t) + "s", "shape4"}, {std::string(t) + "4"});
    b.node("Transpose", {std::string(t) + "4"}, {std::string(t) + "h"}, {ir::ints_attribute("perm", {0, 2, 1, 3})});
  }
  b.constant("merged", make_tensor<int64_t>(DType::kInt64, {3}, {B * H, S, D}));
  b.constant("split_heads", make_tensor<int64_t>(DType::kInt64, {4}, {B, H, D, S}));
  b.node("Reshape", {"kh", "merged"}, {"k3"});
  b.node("Transpose", {"k3"}, {"k3t"}, {ir::ints_attribute("perm", o.k_perm3)});
  b.node("Reshape", {"k3t", "split_heads"}, {"kt"});
  b.scalar("qc", 0.5f);
  b.scalar("kc", 0.25f);
  b.node("Mul", {"qh", "qc"}, {"qscaled"});
  b.node("Mul", {"kt", "kc"}, {"ktscaled"});
  b.node("MatMul", {"qscaled", "ktscaled"}, {"s0"});
  b.input("mask", {1, 1, S, S});
  // Row 2 fully masked: its probabilities are NaN, which the guard turns into zeros.
  for (int64_t j = 0; j < S; ++j) b.feeds["mask"].data<float>()[2 * S + j] = -std::numeric_limits<float>::infinity();
  b.node("Add", {"s0", "mask"}, {"s1"});
  b.node("Softmax", {"s1"}, {"p"}, {ir::int_attribute("axis", -1)});
  b.node("IsNaN", {"p"}, {"nan"});
  b.scalar("fill", o.fill);
  b.node("Where", {"nan", "fill", "p"}, {"pz"});
  b.node("MatMul", {"pz", "vh"}, {"o"});
  b.node("Transpose", {"o"}, {"y"}, {ir::ints_attribute("perm", {0, 2, 1, 3})});
  b.output("y");
  if (o.isnan_output) b.output("nan");
}

TEST(PassesAttention, TorchSdpaDecompositionBecomesOneNode) {
  AttnGraph b;
  torch_sdpa(b);
  EXPECT_EQ(fuse_and_compare(b), (std::vector<std::string>{"FusedAttention"}));
  for (size_t i = 0; i < b.g.num_nodes(); ++i) {
    const auto id = static_cast<ir::NodeId>(i);
    if (b.g.is_removed(id) || b.g.node(id).op_type != "FusedAttention") continue;
    auto at = ir::read_fused_attention(b.g.node(id));
    ASSERT_TRUE(at.has_value());
    EXPECT_TRUE(at->nan_to_zero);
    EXPECT_TRUE(at->qkv_packed);
    EXPECT_FLOAT_EQ(at->scale, 0.125f);
  }
  // The fully masked row is zeros in the fused graph too (fuse_and_compare checked all of it).
  const std::vector<Tensor> out = evaluate_graph(b.g, b.feeds);
  ASSERT_EQ(out.size(), 1u);
  for (int64_t bb = 0; bb < B; ++bb)
    for (int64_t e = 0; e < H * D; ++e) EXPECT_EQ(out[0].data<float>()[(bb * S + 2) * H * D + e], 0.0f);
}

TEST(PassesAttention, TorchSdpaVariantsThatMustStayOrKeepNodes) {
  {  // Another 3-D perm: still fused, with K^T read as the last Reshape's output, so K's chain
     // (its heads Transpose and the 3-D one) stays and Q, V are not read packed.
    AttnGraph b;
    torch_sdpa(b, {{1, 0, 2}, 0.0f, false});
    const auto o = fuse_and_compare(b);
    EXPECT_EQ(count(o, "FusedAttention"), 1u);
    EXPECT_EQ(count(o, "Transpose"), 2u);
    EXPECT_EQ(count(o, "Split"), 1u);
  }
  for (float fill : {1.0f, -0.0f}) {  // not a NaN-to-zero guard
    AttnGraph b;
    torch_sdpa(b, {{0, 2, 1}, fill, false});
    EXPECT_EQ(count(fuse_and_compare(b), "FusedAttention"), 0u) << fill;
  }
  {  // The IsNaN is read elsewhere.
    AttnGraph b;
    torch_sdpa(b, {{0, 2, 1}, 0.0f, true});
    EXPECT_EQ(count(fuse_and_compare(b), "FusedAttention"), 0u);
  }
}

TEST(PassesAttention, BasicLevelDoesNotFuse) {
  AttnGraph b;
  bert_like(b, "Div", true, true);
  auto passes = passes::default_pipeline(GraphOptimizationLevel::kBasic);
  ASSERT_TRUE(passes::run_pipeline(b.g, passes, {}).is_ok());
  EXPECT_EQ(count(graph_ops(b.g), "FusedAttention"), 0u);
}

}  // namespace
}  // namespace onnxrt::testing
