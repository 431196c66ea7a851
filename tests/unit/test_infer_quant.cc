// Shape inference of the quant family: output types from zero points / attributes, symbolic
// dims kept, and errors for mismatched parameters.
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

ir::ValueType t(DType d, SymShape s) { return ir::ValueType::tensor(d, std::move(s)); }

// group is an attribute: W.shape[1] * group can leave int64 (UB before the guard).
TEST(QuantInfer, ConvGroupThatOverflowsInt64IsRefused) {
  SymbolTable syms;
  auto r = infer(NodeBuilder("ConvInteger", 10).attr_i("group", int64_t{1} << 62).build(),
                 {t(DType::kUInt8, {1, 4, 5, 5}), t(DType::kUInt8, {0, 4, 3, 3})}, 1, &syms);
  ASSERT_FALSE(r.status.is_ok());
  EXPECT_NE(r.status.message().find("overflows int64"), std::string::npos) << r.status.message();
}

TEST(QuantInfer, QuantizeOutputType) {
  SymbolTable syms;
  const Dim batch = Dim::symbol(syms.intern("batch"));
  auto r = infer(NodeBuilder("QuantizeLinear", 21).build(), {t(DType::kFloat32, {batch, 4}), t(DType::kFloat32, {})}, 1, &syms);
  ASSERT_TRUE(r.status.is_ok()) << r.status.to_string();
  EXPECT_EQ(r.outputs[0].dtype, DType::kUInt8);
  EXPECT_EQ(r.outputs[0].shape, (SymShape{batch, 4}));
  r = infer(NodeBuilder("QuantizeLinear", 21).build(),
            {t(DType::kFloat32, {batch, 4}), t(DType::kFloat32, {4}), t(DType::kInt8, {4})}, 1, &syms);
  ASSERT_TRUE(r.status.is_ok()) << r.status.to_string();
  EXPECT_EQ(r.outputs[0].dtype, DType::kInt8);
  r = infer(NodeBuilder("QuantizeLinear", 21).attr_i("output_dtype", 22).build(),
            {t(DType::kFloat32, {2, 4}), t(DType::kFloat32, {})}, 1, &syms);
  EXPECT_EQ(r.outputs[0].dtype, DType::kInt4);
  // Errors: output_dtype vs zero point, per-axis size, blocked shape.
  EXPECT_FALSE(infer(NodeBuilder("QuantizeLinear", 21).attr_i("output_dtype", 3).build(),
                     {t(DType::kFloat32, {2, 4}), t(DType::kFloat32, {}), t(DType::kUInt8, {})}, 1, &syms).status.is_ok());
  EXPECT_FALSE(infer(NodeBuilder("QuantizeLinear", 21).build(),
                     {t(DType::kFloat32, {2, 4}), t(DType::kFloat32, {3})}, 1, &syms).status.is_ok());
  EXPECT_FALSE(infer(NodeBuilder("QuantizeLinear", 21).attr_i("block_size", 2).build(),
                     {t(DType::kFloat32, {2, 4}), t(DType::kFloat32, {2, 3})}, 1, &syms).status.is_ok());
  EXPECT_TRUE(infer(NodeBuilder("QuantizeLinear", 21).attr_i("block_size", 3).build(),
                    {t(DType::kFloat32, {2, 4}), t(DType::kFloat32, {2, 2})}, 1, &syms).status.is_ok());
  // One block of int64-max elements covers the axis: ceil(4 / max) = 1, no dim + block_size overflow.
  auto big = infer(NodeBuilder("QuantizeLinear", 21).attr_i("block_size", std::numeric_limits<int64_t>::max()).build(),
                   {t(DType::kFloat32, {2, 4}), t(DType::kFloat32, {2, 1})}, 1, &syms);
  EXPECT_TRUE(big.status.is_ok()) << big.status.message();
}

TEST(QuantInfer, DequantizeAndDynamic) {
  SymbolTable syms;
  auto r = infer(NodeBuilder("DequantizeLinear", 19).build(), {t(DType::kInt8, {3}), t(DType::kFloat16, {})}, 1, &syms);
  ASSERT_TRUE(r.status.is_ok());
  EXPECT_EQ(r.outputs[0].dtype, DType::kFloat16);
  EXPECT_FALSE(infer(NodeBuilder("DequantizeLinear", 19).build(),
                     {t(DType::kInt8, {3}), t(DType::kFloat32, {}), t(DType::kUInt8, {})}, 1, &syms).status.is_ok());
  r = infer(NodeBuilder("DynamicQuantizeLinear", 11).build(), {t(DType::kFloat32, {2, 3})}, 3, &syms);
  ASSERT_TRUE(r.status.is_ok());
  EXPECT_EQ(r.outputs[0].dtype, DType::kUInt8);
  EXPECT_EQ(r.outputs[1].shape, SymShape{});
  EXPECT_EQ(r.outputs[2].dtype, DType::kUInt8);
}

TEST(QuantInfer, IntegerMatMulAndConv) {
  SymbolTable syms;
  const Dim batch = Dim::symbol(syms.intern("batch"));
  auto r = infer(NodeBuilder("MatMulInteger", 10).build(), {t(DType::kUInt8, {batch, 2, 3}), t(DType::kInt8, {3, 5})}, 1, &syms);
  ASSERT_TRUE(r.status.is_ok()) << r.status.to_string();
  EXPECT_EQ(r.outputs[0].dtype, DType::kInt32);
  EXPECT_EQ(r.outputs[0].shape, (SymShape{batch, 2, 5}));
  EXPECT_FALSE(infer(NodeBuilder("MatMulInteger", 10).build(), {t(DType::kUInt8, {2, 3}), t(DType::kUInt8, {4, 5})}, 1, &syms).status.is_ok());
  r = infer(NodeBuilder("ConvInteger", 10).attr_ints("pads", {1, 1, 1, 1}).build(),
            {t(DType::kUInt8, {batch, 1, 3, 3}), t(DType::kUInt8, {2, 1, 2, 2})}, 1, &syms);
  ASSERT_TRUE(r.status.is_ok()) << r.status.to_string();
  EXPECT_EQ(r.outputs[0].shape, (SymShape{batch, 2, 4, 4}));
  std::vector<ir::ValueType> q = {t(DType::kUInt8, {1, 2, 5, 5}), t(DType::kFloat32, {}), t(DType::kUInt8, {}),
                                  t(DType::kInt8, {4, 2, 3, 3}), t(DType::kFloat32, {4}), t(DType::kInt8, {4}),
                                  t(DType::kFloat32, {}), t(DType::kUInt8, {})};
  r = infer(NodeBuilder("QLinearConv", 10).build(), q, 1, &syms);
  ASSERT_TRUE(r.status.is_ok()) << r.status.to_string();
  EXPECT_EQ(r.outputs[0].dtype, DType::kUInt8);
  EXPECT_EQ(r.outputs[0].shape, (SymShape{1, 4, 3, 3}));
  q[3] = t(DType::kInt8, {4, 3, 3, 3});  // channel mismatch
  EXPECT_FALSE(infer(NodeBuilder("QLinearConv", 10).build(), q, 1, &syms).status.is_ok());
}

}  // namespace
}  // namespace onnxrt::testing
