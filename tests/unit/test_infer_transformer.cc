// Shape inference of the transformer and loss families: exact for concrete shapes, symbolic
// dims kept (batch, sequence), fresh symbols for computed dims, errors that name the problem.
#include <gtest/gtest.h>

#include "ir/infer.h"
#include "ir/op_families.h"
#include "kernels/harness.h"

namespace onnxrt::testing {
namespace {

using Result = InferResult;

Result infer(const ir::Node& node, std::vector<ir::ValueType> in, size_t num_outputs, SymbolTable* syms) {
  return infer_node(node, in, num_outputs, syms);
}

ir::ValueType f32(SymShape s) { return ir::ValueType::tensor(DType::kFloat32, std::move(s)); }
ir::ValueType i64(SymShape s) { return ir::ValueType::tensor(DType::kInt64, std::move(s)); }
ir::ValueType none() { return {}; }

TEST(TransformerInfer, Attention4dWithPastAndQk) {
  SymbolTable syms;
  const Dim b = Dim::symbol(syms.intern("batch")), s = Dim::symbol(syms.intern("seq"));
  auto r = infer(NodeBuilder("Attention", 23).build(),
                 {f32({b, 8, s, 64}), f32({b, 2, s, 64}), f32({b, 2, s, 32}), none(), f32({b, 2, 10, 64}),
                  f32({b, 2, 10, 32})},
                 4, &syms);
  ASSERT_TRUE(r.status.is_ok()) << r.status.to_string();
  EXPECT_EQ(r.outputs[0].shape, (SymShape{b, 8, s, 32}));
  const Dim total = r.outputs[1].shape[2];
  EXPECT_TRUE(total.is_symbol());  // 10 + seq
  EXPECT_EQ(r.outputs[1].shape, (SymShape{b, 2, total, 64}));
  EXPECT_EQ(r.outputs[2].shape[3], Dim(32));
  EXPECT_EQ(r.outputs[3].shape, (SymShape{b, 8, s, r.outputs[3].shape[3]}));
  // Concrete: exact.
  r = infer(NodeBuilder("Attention", 23).build(),
            {f32({2, 3, 4, 8}), f32({2, 3, 6, 8}), f32({2, 3, 6, 10}), f32({4, 18}), f32({2, 3, 12, 8}), f32({2, 3, 12, 10})},
            4, &syms);
  ASSERT_TRUE(r.status.is_ok()) << r.status.to_string();
  EXPECT_EQ(r.outputs[0].shape, (SymShape{2, 3, 4, 10}));
  EXPECT_EQ(r.outputs[1].shape, (SymShape{2, 3, 18, 8}));
  EXPECT_EQ(r.outputs[3].shape, (SymShape{2, 3, 4, 18}));
}

TEST(TransformerInfer, Attention3dAndErrors) {
  SymbolTable syms;
  const Dim b = Dim::symbol(syms.intern("batch"));
  auto node = NodeBuilder("Attention", 23).attr_i("q_num_heads", 9).attr_i("kv_num_heads", 3).build();
  auto r = infer(node, {f32({b, 4, 72}), f32({b, 6, 24}), f32({b, 6, 30})}, 3, &syms);
  ASSERT_TRUE(r.status.is_ok()) << r.status.to_string();
  EXPECT_EQ(r.outputs[0].shape, (SymShape{b, 4, 90}));
  EXPECT_EQ(r.outputs[1].shape, (SymShape{b, 3, 6, 8}));
  EXPECT_EQ(r.outputs[2].shape, (SymShape{b, 3, 6, 10}));
  // Hidden size not divisible, missing head counts, mixed ranks, past without value, bad mode.
  EXPECT_FALSE(infer(node, {f32({b, 4, 70}), f32({b, 6, 24}), f32({b, 6, 30})}, 1, &syms).status.is_ok());
  EXPECT_FALSE(infer(NodeBuilder("Attention", 23).build(), {f32({1, 4, 8}), f32({1, 4, 8}), f32({1, 4, 8})}, 1, &syms)
                   .status.is_ok());
  EXPECT_FALSE(infer(NodeBuilder("Attention", 23).build(), {f32({1, 1, 4, 8}), f32({1, 4, 8}), f32({1, 4, 8})}, 1, &syms)
                   .status.is_ok());
  EXPECT_FALSE(infer(NodeBuilder("Attention", 23).build(),
                     {f32({1, 1, 4, 8}), f32({1, 1, 4, 8}), f32({1, 1, 4, 8}), none(), f32({1, 1, 2, 8})}, 1, &syms)
                   .status.is_ok());
  EXPECT_FALSE(infer(NodeBuilder("Attention", 23).attr_i("qk_matmul_output_mode", 4).build(),
                     {f32({1, 1, 4, 8}), f32({1, 1, 4, 8}), f32({1, 1, 4, 8})}, 1, &syms).status.is_ok());
  EXPECT_FALSE(infer(NodeBuilder("Attention", 23).build(), {f32({1, 3, 4, 8}), f32({1, 2, 4, 8}), f32({1, 2, 4, 8})}, 1, &syms)
                   .status.is_ok());
}

// Head counts are attributes: V's head size * q_num_heads can leave int64 (UB before the guard).
// Q's hidden 2^62 with 2^62 heads is head size 1, matching K's; V's head size 4 * 2^62 overflows.
TEST(TransformerInfer, HeadCountsThatOverflowInt64AreRefused) {
  SymbolTable syms;
  const int64_t big = int64_t{1} << 62;
  for (const char* op : {"Attention", "LinearAttention"}) {
    auto node = NodeBuilder(op, op == std::string("Attention") ? 23 : 1)
                    .attr_i("q_num_heads", big).attr_i("kv_num_heads", 1).build();
    auto r = infer(node, {f32({1, 4, big}), f32({1, 4, 1}), f32({1, 4, 4})}, 1, &syms);
    ASSERT_FALSE(r.status.is_ok()) << op;
    EXPECT_NE(r.status.message().find("overflows int64"), std::string::npos) << op << ": " << r.status.message();
  }
}

TEST(TransformerInfer, RotaryRmsMvnKeepShape) {
  SymbolTable syms;
  const Dim b = Dim::symbol(syms.intern("batch"));
  auto r = infer(NodeBuilder("RotaryEmbedding", 23).build(), {f32({b, 4, 3, 8}), f32({50, 4}), f32({50, 4}), i64({b, 3})}, 1,
                 &syms);
  ASSERT_TRUE(r.status.is_ok()) << r.status.to_string();
  EXPECT_EQ(r.outputs[0].shape, (SymShape{b, 4, 3, 8}));
  EXPECT_FALSE(infer(NodeBuilder("RotaryEmbedding", 23).build(), {f32({b, 3, 32}), f32({50, 4}), f32({50, 4})}, 1, &syms)
                   .status.is_ok());  // 3-D needs num_heads
  r = infer(NodeBuilder("RMSNormalization", 23).attr_i("axis", -2).build(), {f32({b, 3, 5}), f32({3, 5})}, 1, &syms);
  ASSERT_TRUE(r.status.is_ok()) << r.status.to_string();
  EXPECT_EQ(r.outputs[0].shape, (SymShape{b, 3, 5}));
  EXPECT_FALSE(infer(NodeBuilder("RMSNormalization", 23).attr_i("axis", 3).build(), {f32({b, 3, 5}), f32({5})}, 1, &syms)
                   .status.is_ok());
  r = infer(NodeBuilder("MeanVarianceNormalization", 13).build(), {f32({b, 3, 2, 2})}, 1, &syms);
  ASSERT_TRUE(r.status.is_ok()) << r.status.to_string();
  EXPECT_EQ(r.outputs[0].shape, (SymShape{b, 3, 2, 2}));
}

TEST(LossInfer, ShapesAndErrors) {
  SymbolTable syms;
  const Dim n = Dim::symbol(syms.intern("n"));
  auto r = infer(NodeBuilder("SoftmaxCrossEntropyLoss", 13).attr_s("reduction", "none").build(),
                 {f32({n, 5, 2, 7}), i64({n, 2, 7})}, 2, &syms);
  ASSERT_TRUE(r.status.is_ok()) << r.status.to_string();
  EXPECT_EQ(r.outputs[0].shape, (SymShape{n, 2, 7}));
  EXPECT_EQ(r.outputs[1].shape, (SymShape{n, 5, 2, 7}));
  r = infer(NodeBuilder("NegativeLogLikelihoodLoss", 22).build(), {f32({n, 5}), i64({n}), f32({5})}, 1, &syms);
  ASSERT_TRUE(r.status.is_ok()) << r.status.to_string();
  EXPECT_TRUE(r.outputs[0].has_shape);
  EXPECT_EQ(r.outputs[0].rank(), 0);
  EXPECT_FALSE(infer(NodeBuilder("NegativeLogLikelihoodLoss", 22).build(), {f32({3, 5}), f32({3})}, 1, &syms).status.is_ok());
  EXPECT_FALSE(infer(NodeBuilder("NegativeLogLikelihoodLoss", 22).build(), {f32({3, 5, 2}), i64({3, 3})}, 1, &syms).status.is_ok());
  EXPECT_FALSE(infer(NodeBuilder("NegativeLogLikelihoodLoss", 22).build(), {f32({3, 5}), i64({3}), f32({4})}, 1, &syms).status.is_ok());
  EXPECT_FALSE(infer(NodeBuilder("SoftmaxCrossEntropyLoss", 13).attr_s("reduction", "avg").build(), {f32({3, 5}), i64({3})}, 1,
                     &syms).status.is_ok());
}

}  // namespace
}  // namespace onnxrt::testing
