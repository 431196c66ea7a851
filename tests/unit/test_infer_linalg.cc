// Shape inference for MatMul and Gemm (ir/infer_linalg.cc).
#include <gtest/gtest.h>

#include "ir/infer.h"

namespace onnxrt::ir {
namespace {

struct Inferred {
  Status status;
  std::vector<ValueType> outputs;
};

Inferred infer(const std::string& op, int opset, std::vector<ValueType> inputs,
               std::vector<std::pair<std::string, int64_t>> int_attrs = {}) {
  Node node;
  node.op_type = op;
  node.name = "n1";
  node.opset = opset;
  node.outputs = {0};
  for (auto& [name, v] : int_attrs) {
    Attribute a;
    a.name = name;
    a.kind = AttrKind::kInt;
    a.i = v;
    node.attrs.set(a);
  }
  std::vector<const ValueType*> ptrs;
  for (const ValueType& t : inputs) ptrs.push_back(t.kind == TypeKind::kUnknown ? nullptr : &t);
  SymbolTable symbols;
  InferContext ctx(node, ptrs, {}, &symbols);
  InferFn fn = find_infer_fn("", op);
  if (!fn) return {not_implemented("no inference for " + op), {}};
  Status st = fn(ctx);
  return {st, ctx.outputs};
}

ValueType f32(SymShape s) { return ValueType::tensor(DType::kFloat32, std::move(s)); }

TEST(LinalgInfer, MatMulKeepsSymbolicBatch) {
  const Dim batch = Dim::symbol(0), seq = Dim::symbol(1);
  auto r = infer("MatMul", 13, {f32({batch, seq, 768}), f32({768, 3072})});
  ASSERT_TRUE(r.status.is_ok()) << r.status.to_string();
  EXPECT_EQ(r.outputs[0].dtype, DType::kFloat32);
  EXPECT_EQ(r.outputs[0].shape, (SymShape{batch, seq, 3072}));
}

TEST(LinalgInfer, MatMulOneDimensionalAndBroadcast) {
  auto r = infer("MatMul", 13, {f32({4}), f32({2, 4, 3})});
  ASSERT_TRUE(r.status.is_ok());
  EXPECT_EQ(r.outputs[0].shape, (SymShape{2, 3}));
  r = infer("MatMul", 13, {f32({2, 3, 4}), f32({4})});
  ASSERT_TRUE(r.status.is_ok());
  EXPECT_EQ(r.outputs[0].shape, (SymShape{2, 3}));
  r = infer("MatMul", 9, {f32({4}), f32({4})});
  ASSERT_TRUE(r.status.is_ok());
  EXPECT_EQ(r.outputs[0].shape, SymShape{});
  r = infer("MatMul", 1, {f32({2, 1, 3, 4}), f32({5, 4, 6})});
  ASSERT_TRUE(r.status.is_ok());
  EXPECT_EQ(r.outputs[0].shape, (SymShape{2, 5, 3, 6}));
  // A symbolic K against a known K is accepted (the model says they are equal).
  r = infer("MatMul", 13, {f32({3, Dim::symbol(4)}), f32({7, 2})});
  ASSERT_TRUE(r.status.is_ok());
  EXPECT_EQ(r.outputs[0].shape, (SymShape{3, 2}));
}

TEST(LinalgInfer, MatMulErrors) {
  auto r = infer("MatMul", 13, {f32({3, 4}), f32({5, 2})});
  ASSERT_FALSE(r.status.is_ok());
  EXPECT_NE(r.status.message().find("K=4"), std::string::npos) << r.status.message();
  EXPECT_NE(r.status.message().find("K=5"), std::string::npos) << r.status.message();
  EXPECT_NE(r.status.message().find("MatMul"), std::string::npos) << r.status.message();
  EXPECT_NE(r.status.message().find("n1"), std::string::npos) << r.status.message();
  r = infer("MatMul", 13, {f32({2, 3, 4}), f32({3, 4, 5})});
  EXPECT_FALSE(r.status.is_ok());  // batch 2 vs 3
  r = infer("MatMul", 13, {f32({}), f32({3})});
  EXPECT_FALSE(r.status.is_ok());
  r = infer("MatMul", 13, {f32({3}), ValueType::tensor(DType::kFloat64, {3})});
  EXPECT_FALSE(r.status.is_ok());
}

TEST(LinalgInfer, GemmTransposesAndBias) {
  const Dim b = Dim::symbol(0);
  auto r = infer("Gemm", 13, {f32({b, 64}), f32({128, 64}), f32({128})}, {{"transB", 1}});
  ASSERT_TRUE(r.status.is_ok()) << r.status.to_string();
  EXPECT_EQ(r.outputs[0].shape, (SymShape{b, 128}));
  r = infer("Gemm", 11, {f32({64, 5}), f32({64, 7})}, {{"transA", 1}});
  ASSERT_TRUE(r.status.is_ok()) << r.status.to_string();
  EXPECT_EQ(r.outputs[0].shape, (SymShape{5, 7}));
  r = infer("Gemm", 7, {f32({5, 3}), f32({3, 7}), f32({5, 1})});
  ASSERT_TRUE(r.status.is_ok()) << r.status.to_string();
  EXPECT_EQ(r.outputs[0].shape, (SymShape{5, 7}));
}

TEST(LinalgInfer, GemmErrors) {
  auto r = infer("Gemm", 13, {f32({5, 3}), f32({4, 7})});
  ASSERT_FALSE(r.status.is_ok());
  EXPECT_NE(r.status.message().find("K=3"), std::string::npos) << r.status.message();
  EXPECT_NE(r.status.message().find("K=4"), std::string::npos) << r.status.message();
  r = infer("Gemm", 9, {f32({5, 3}), f32({3, 7})});  // C required before opset 11
  ASSERT_FALSE(r.status.is_ok());
  EXPECT_NE(r.status.message().find("opset 11"), std::string::npos) << r.status.message();
  r = infer("Gemm", 13, {f32({5, 3}), f32({3, 7}), f32({6})});
  EXPECT_FALSE(r.status.is_ok());
  r = infer("Gemm", 13, {f32({2, 5, 3}), f32({3, 7})});
  EXPECT_FALSE(r.status.is_ok());
}

// A Reshape to a computed shape (TorchScript exports: Shape -> Slice -> Concat -> Reshape) can
// leave Gemm's A with unknown rank at load time. Gemm's operands are 2-D by definition, so the
// output is still [M, N] with the known side filled in; the run time checks the real rank.
TEST(LinalgInfer, GemmAcceptsUnknownRank) {
  const ValueType unknown = ValueType::tensor_unknown_rank(DType::kFloat32);
  auto r = infer("Gemm", 13, {unknown, f32({64, 128}), f32({128})});
  ASSERT_TRUE(r.status.is_ok()) << r.status.to_string();
  ASSERT_TRUE(r.outputs[0].has_shape);
  ASSERT_EQ(r.outputs[0].rank(), 2);
  EXPECT_FALSE(r.outputs[0].shape[0].is_known());
  EXPECT_EQ(r.outputs[0].shape[1], Dim(128));
  r = infer("Gemm", 13, {f32({5, 64}), unknown, unknown}, {{"transB", 1}});
  ASSERT_TRUE(r.status.is_ok()) << r.status.to_string();
  EXPECT_EQ(r.outputs[0].shape[0], Dim(5));
  // A known rank is still checked.
  r = infer("Gemm", 13, {unknown, f32({2, 64, 128})});
  EXPECT_FALSE(r.status.is_ok());
}

}  // namespace
}  // namespace onnxrt::ir
