// Shape inference of the reduce family: exact for concrete shapes and constant axes, symbolic dims
// kept where a reduction cannot touch them, fresh symbols for unknown axes, errors on bad input.
#include <gtest/gtest.h>

#include "ir/infer.h"
#include "ir/op_families.h"
#include "kernels/harness.h"

namespace onnxrt::testing {
namespace {

using Result = InferResult;

Result infer(const ir::Node& node, std::vector<ir::ValueType> in, std::vector<const Tensor*> vals,
             size_t num_outputs, SymbolTable* syms) {
  std::vector<Tensor> values;
  for (const Tensor* v : vals) values.push_back(v ? *v : Tensor());
  return infer_node(node, in, num_outputs, syms, values);
}

ir::ValueType f32(SymShape s) { return ir::ValueType::tensor(DType::kFloat32, std::move(s)); }
ir::ValueType i64t(SymShape s) { return ir::ValueType::tensor(DType::kInt64, std::move(s)); }

TEST(ReduceInfer, AxesAttributeAndInput) {
  SymbolTable syms;
  const Dim b = Dim::symbol(syms.intern("batch"));
  // Opset 11: axes attribute; the batch symbol survives when not reduced.
  auto r = infer(NodeBuilder("ReduceMean", 11).attr_ints("axes", {2, 3}).build(), {f32({b, 64, 7, 7})}, {}, 1, &syms);
  ASSERT_TRUE(r.status.is_ok()) << r.status.to_string();
  EXPECT_EQ(r.outputs[0].shape, (SymShape{b, 64, 1, 1}));
  r = infer(NodeBuilder("ReduceMean", 11).attr_ints("axes", {-1}).attr_i("keepdims", 0).build(), {f32({b, 5, 3})}, {}, 1, &syms);
  EXPECT_EQ(r.outputs[0].shape, (SymShape{b, 5}));
  // No axes: all.
  r = infer(NodeBuilder("ReduceMax", 11).attr_i("keepdims", 0).build(), {f32({b, 5})}, {}, 1, &syms);
  EXPECT_EQ(r.outputs[0].shape, SymShape{});
  // Opset 18: axes input, constant.
  Tensor axes = make_tensor<int64_t>(DType::kInt64, {1}, {0});
  r = infer(NodeBuilder("ReduceL2", 18).build(), {f32({b, 5}), i64t({1})}, {nullptr, &axes}, 1, &syms);
  EXPECT_EQ(r.outputs[0].shape, (SymShape{1, 5}));
  // ReduceSum took its axes as input from 13.
  r = infer(NodeBuilder("ReduceSum", 13).attr_i("keepdims", 0).build(), {f32({b, 5}), i64t({1})}, {nullptr, &axes}, 1, &syms);
  EXPECT_EQ(r.outputs[0].shape, (SymShape{5}));
}

TEST(ReduceInfer, NoopAndUnknownAxes) {
  SymbolTable syms;
  const Dim b = Dim::symbol(syms.intern("batch"));
  // noop_with_empty_axes and no axes: the input shape.
  auto r = infer(NodeBuilder("ReduceSum", 13).attr_i("noop_with_empty_axes", 1).build(), {f32({b, 5})}, {}, 1, &syms);
  ASSERT_TRUE(r.status.is_ok());
  EXPECT_EQ(r.outputs[0].shape, (SymShape{b, 5}));
  // A non-constant axes input of length 0 is known to be empty.
  r = infer(NodeBuilder("ReduceSum", 13).attr_i("noop_with_empty_axes", 1).build(), {f32({b, 5}), i64t({0})}, {}, 1, &syms);
  EXPECT_EQ(r.outputs[0].shape, (SymShape{b, 5}));
  r = infer(NodeBuilder("ReduceSum", 13).attr_i("keepdims", 0).build(), {f32({b, 5}), i64t({0})}, {}, 1, &syms);
  EXPECT_EQ(r.outputs[0].shape, SymShape{});
  // Unknown axes: keepdims keeps the rank (1s stay 1); otherwise the axes' length gives it.
  r = infer(NodeBuilder("ReduceMean", 18).build(), {f32({b, 1, 5}), i64t({2})}, {}, 1, &syms);
  ASSERT_EQ(r.outputs[0].rank(), 3);
  EXPECT_EQ(r.outputs[0].shape[1], Dim(1));
  EXPECT_TRUE(r.outputs[0].shape[0].is_symbol());
  r = infer(NodeBuilder("ReduceMean", 18).attr_i("keepdims", 0).build(), {f32({b, 1, 5}), i64t({2})}, {}, 1, &syms);
  EXPECT_EQ(r.outputs[0].rank(), 1);
}

TEST(ReduceInfer, Errors) {
  SymbolTable syms;
  Tensor bad = make_tensor<int64_t>(DType::kInt64, {1}, {2});
  auto r = infer(NodeBuilder("ReduceSum", 13).build(), {f32({3, 5}), i64t({1})}, {nullptr, &bad}, 1, &syms);
  EXPECT_FALSE(r.status.is_ok());
  Tensor dup = make_tensor<int64_t>(DType::kInt64, {2}, {1, -1});
  r = infer(NodeBuilder("ReduceSum", 13).build(), {f32({3, 5}), i64t({2})}, {nullptr, &dup}, 1, &syms);
  EXPECT_FALSE(r.status.is_ok());
  r = infer(NodeBuilder("ReduceSum", 13).build(), {f32({3, 5}), f32({1})}, {}, 1, &syms);
  EXPECT_FALSE(r.status.is_ok());
  r = infer(NodeBuilder("ArgMax", 13).attr_i("axis", -3).build(), {f32({3, 5})}, {}, 1, &syms);
  EXPECT_FALSE(r.status.is_ok());
  Tensor k = make_tensor<int64_t>(DType::kInt64, {1}, {6});
  r = infer(NodeBuilder("TopK", 11).build(), {f32({3, 5}), i64t({1})}, {nullptr, &k}, 2, &syms);
  EXPECT_FALSE(r.status.is_ok());
  Tensor ax = make_tensor<int64_t>(DType::kInt64, {}, {2});
  r = infer(NodeBuilder("CumSum", 14).build(), {f32({3, 5}), i64t({})}, {nullptr, &ax}, 1, &syms);
  EXPECT_FALSE(r.status.is_ok());
  r = infer(NodeBuilder("CumSum", 14).build(), {f32({3, 5}), f32({})}, {}, 1, &syms);
  EXPECT_FALSE(r.status.is_ok());
}

TEST(ReduceInfer, ArgTopKCum) {
  SymbolTable syms;
  const Dim b = Dim::symbol(syms.intern("batch"));
  auto r = infer(NodeBuilder("ArgMax", 13).attr_i("axis", -1).attr_i("keepdims", 0).build(), {f32({b, 7})}, {}, 1, &syms);
  ASSERT_TRUE(r.status.is_ok());
  EXPECT_EQ(r.outputs[0].dtype, DType::kInt64);
  EXPECT_EQ(r.outputs[0].shape, (SymShape{b}));
  Tensor k = make_tensor<int64_t>(DType::kInt64, {1}, {3});
  r = infer(NodeBuilder("TopK", 11).build(), {f32({b, 7}), i64t({1})}, {nullptr, &k}, 2, &syms);
  ASSERT_TRUE(r.status.is_ok()) << r.status.to_string();
  EXPECT_EQ(r.outputs[0].shape, (SymShape{b, 3}));
  EXPECT_EQ(r.outputs[1].dtype, DType::kInt64);
  // K unknown: a fresh dim on the axis only.
  r = infer(NodeBuilder("TopK", 11).build(), {f32({b, 7}), i64t({1})}, {}, 2, &syms);
  EXPECT_EQ(r.outputs[0].shape[0], b);
  EXPECT_TRUE(r.outputs[0].shape[1].is_symbol());
  // Opset 1: k attribute.
  r = infer(NodeBuilder("TopK", 1).attr_i("k", 2).attr_i("axis", 0).build(), {f32({4, 7})}, {}, 2, &syms);
  EXPECT_EQ(r.outputs[0].shape, (SymShape{2, 7}));
  r = infer(NodeBuilder("CumProd", 26).build(), {f32({b, 7}), i64t({})}, {}, 1, &syms);
  ASSERT_TRUE(r.status.is_ok());
  EXPECT_EQ(r.outputs[0].shape, (SymShape{b, 7}));
}

}  // namespace
}  // namespace onnxrt::testing
