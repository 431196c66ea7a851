// Shape inference of the nn family: exact for concrete shapes, symbolic dims kept where the
// window cannot change them, fresh symbols otherwise, and errors that name the problem.
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

TEST(NnInfer, ConvShapes) {
  SymbolTable syms;
  const Dim batch = Dim::symbol(syms.intern("batch"));
  auto r = infer(NodeBuilder("Conv", 11).attr_ints("pads", {1, 1, 1, 1}).attr_ints("strides", {2, 2}).build(),
                 {f32({batch, 3, 224, 224}), f32({64, 3, 7, 7})}, 1, &syms);
  ASSERT_TRUE(r.status.is_ok()) << r.status.to_string();
  EXPECT_EQ(r.outputs[0].shape, (SymShape{batch, 64, 110, 110}));
  // SAME_UPPER with stride 2: ceil(in / 2); VALID: floor((in - k) / s) + 1.
  r = infer(NodeBuilder("Conv", 22).attr_s("auto_pad", "SAME_UPPER").attr_ints("strides", {2, 2}).build(),
            {f32({1, 3, 7, 8}), f32({4, 3, 3, 3})}, 1, &syms);
  EXPECT_EQ(r.outputs[0].shape, (SymShape{1, 4, 4, 4}));
  r = infer(NodeBuilder("Conv", 22).attr_s("auto_pad", "VALID").attr_ints("strides", {2, 1}).attr_ints("dilations", {1, 2}).build(),
            {f32({1, 3, 7, 8}), f32({4, 3, 3, 3})}, 1, &syms);
  EXPECT_EQ(r.outputs[0].shape, (SymShape{1, 4, 3, 4}));
  // Symbolic spatial dims: kept for SAME stride 1, fresh otherwise.
  const Dim h = Dim::symbol(syms.intern("h"));
  r = infer(NodeBuilder("Conv", 22).attr_s("auto_pad", "SAME_LOWER").build(),
            {f32({batch, 3, h, 9}), f32({4, 3, 3, 3})}, 1, &syms);
  EXPECT_EQ(r.outputs[0].shape[2], h);
  r = infer(NodeBuilder("Conv", 22).build(), {f32({batch, 3, h, 9}), f32({4, 3, 3, 3})}, 1, &syms);
  EXPECT_TRUE(r.outputs[0].shape[2].is_symbol());
  EXPECT_NE(r.outputs[0].shape[2], h);
  EXPECT_EQ(r.outputs[0].shape[3], Dim(7));
  // 1-D and 3-D.
  r = infer(NodeBuilder("Conv", 1).attr_ints("pads", {1, 2}).build(), {f32({2, 3, 10}), f32({5, 3, 4})}, 1, &syms);
  EXPECT_EQ(r.outputs[0].shape, (SymShape{2, 5, 10}));
  r = infer(NodeBuilder("Conv", 1).attr_i("group", 2).build(), {f32({1, 4, 5, 6, 7}), f32({6, 2, 3, 3, 3})}, 1, &syms);
  EXPECT_EQ(r.outputs[0].shape, (SymShape{1, 6, 3, 4, 5}));
}

TEST(NnInfer, ConvErrors) {
  SymbolTable syms;
  auto r = infer(NodeBuilder("Conv", 11).build(), {f32({1, 3, 5, 5}), f32({4, 2, 3, 3})}, 1, &syms);
  EXPECT_FALSE(r.status.is_ok());
  EXPECT_NE(r.status.message().find("channels"), std::string::npos) << r.status.message();
  r = infer(NodeBuilder("Conv", 11).build(), {f32({1, 3, 2, 2}), f32({4, 3, 3, 3})}, 1, &syms);
  EXPECT_FALSE(r.status.is_ok());
  r = infer(NodeBuilder("Conv", 11).attr_s("auto_pad", "BOGUS").build(), {f32({1, 3, 5, 5}), f32({4, 3, 3, 3})}, 1, &syms);
  EXPECT_FALSE(r.status.is_ok());
  r = infer(NodeBuilder("Conv", 11).attr_ints("pads", {1, 1}).build(), {f32({1, 3, 5, 5}), f32({4, 3, 3, 3})}, 1, &syms);
  EXPECT_FALSE(r.status.is_ok());
  r = infer(NodeBuilder("Conv", 11).attr_ints("kernel_shape", {2, 2}).build(), {f32({1, 3, 5, 5}), f32({4, 3, 3, 3})}, 1, &syms);
  EXPECT_FALSE(r.status.is_ok());
}

// group, kernel, dilations, strides and pads are attributes: products and sums of them with dims
// can leave int64 (UB before the guard) and must be refused with an error saying so.
TEST(NnInfer, WindowAttributesThatOverflowInt64AreRefused) {
  SymbolTable syms;
  const int64_t big = int64_t{1} << 62, max = std::numeric_limits<int64_t>::max();
  auto expect_overflow = [&](const ir::Node& node, std::vector<ir::ValueType> in) {
    auto r = infer(node, std::move(in), 1, &syms);
    ASSERT_FALSE(r.status.is_ok()) << node.op_type;
    EXPECT_NE(r.status.message().find("overflows int64"), std::string::npos) << r.status.message();
  };
  // W.shape[1] * group (W.shape[0] = 0 passes the divisibility check).
  expect_overflow(NodeBuilder("Conv", 22).attr_i("group", big).build(), {f32({1, 4, 5, 5}), f32({0, 4, 3, 3})});
  // (kernel - 1) * dilation, in + pads; a stride of int64 max is not an overflow (output 1).
  expect_overflow(NodeBuilder("Conv", 22).attr_ints("dilations", {big, 1}).build(), {f32({1, 3, 5, 5}), f32({4, 3, 3, 3})});
  expect_overflow(NodeBuilder("Conv", 22).attr_ints("pads", {max, 0, 1, 0}).build(), {f32({1, 3, 5, 5}), f32({4, 3, 3, 3})});
  expect_overflow(NodeBuilder("MaxPool", 22).attr_ints("kernel_shape", {2}).attr_ints("dilations", {max}).build(), {f32({1, 3, 5})});
  for (const char* auto_pad : {"NOTSET", "SAME_UPPER"}) {
    auto r = infer(NodeBuilder("MaxPool", 22).attr_ints("kernel_shape", {1}).attr_ints("strides", {max})
                       .attr_i("ceil_mode", 1).attr_s("auto_pad", auto_pad).build(), {f32({1, 3, 5})}, 1, &syms);
    ASSERT_TRUE(r.status.is_ok()) << auto_pad << ": " << r.status.message();
    EXPECT_EQ(r.outputs[0].shape, (SymShape{1, 3, 1})) << auto_pad;
  }
}

TEST(NnInfer, PoolShapes) {
  SymbolTable syms;
  // ResNet stem: 112 -> 56 with k3 s2 p1.
  auto r = infer(NodeBuilder("MaxPool", 12).attr_ints("kernel_shape", {3, 3}).attr_ints("strides", {2, 2}).attr_ints("pads", {1, 1, 1, 1}).build(),
                 {f32({1, 64, 112, 112})}, 2, &syms);
  ASSERT_TRUE(r.status.is_ok()) << r.status.to_string();
  EXPECT_EQ(r.outputs[0].shape, (SymShape{1, 64, 56, 56}));
  EXPECT_EQ(r.outputs[1].dtype, DType::kInt64);
  // ceil_mode: 5 with k2 s2 -> 3 (floor would be 2); a window starting in the right pad is dropped.
  r = infer(NodeBuilder("AveragePool", 19).attr_ints("kernel_shape", {2}).attr_ints("strides", {2}).attr_i("ceil_mode", 1).build(),
            {f32({1, 1, 5})}, 1, &syms);
  EXPECT_EQ(r.outputs[0].shape, (SymShape{1, 1, 3}));
  r = infer(NodeBuilder("MaxPool", 12).attr_ints("kernel_shape", {2}).attr_ints("strides", {2}).attr_ints("pads", {0, 1}).attr_i("ceil_mode", 1).build(),
            {f32({1, 1, 4})}, 1, &syms);
  EXPECT_EQ(r.outputs[0].shape, (SymShape{1, 1, 2}));
  // ceil_mode is ignored before opset 10.
  r = infer(NodeBuilder("MaxPool", 8).attr_ints("kernel_shape", {2}).attr_ints("strides", {2}).attr_i("ceil_mode", 1).build(),
            {f32({1, 1, 5})}, 1, &syms);
  EXPECT_EQ(r.outputs[0].shape, (SymShape{1, 1, 2}));
  r = infer(NodeBuilder("MaxPool", 12).build(), {f32({1, 1, 5})}, 1, &syms);
  EXPECT_FALSE(r.status.is_ok());  // kernel_shape is required
  r = infer(NodeBuilder("GlobalAveragePool", 1).build(), {f32({2, 8, 7, 7})}, 1, &syms);
  EXPECT_EQ(r.outputs[0].shape, (SymShape{2, 8, 1, 1}));
}

TEST(NnInfer, NormAndSoftmax) {
  SymbolTable syms;
  const Dim b = Dim::symbol(syms.intern("b"));
  auto r = infer(NodeBuilder("LayerNormalization", 17).attr_i("axis", -1).build(), {f32({b, 7, 768}), f32({768})}, 3, &syms);
  ASSERT_TRUE(r.status.is_ok()) << r.status.to_string();
  EXPECT_EQ(r.outputs[0].shape, (SymShape{b, 7, 768}));
  EXPECT_EQ(r.outputs[1].shape, (SymShape{b, 7, 1}));
  r = infer(NodeBuilder("Softmax", 13).attr_i("axis", 3).build(), {f32({2, 3})}, 1, &syms);
  EXPECT_FALSE(r.status.is_ok());
  r = infer(NodeBuilder("Softmax", 11).build(), {f32({2, 3, 4})}, 1, &syms);
  EXPECT_TRUE(r.status.is_ok());
  r = infer(NodeBuilder("Dropout", 13).build(), {f32({2, 3})}, 2, &syms);
  EXPECT_EQ(r.outputs[1].dtype, DType::kBool);
  r = infer(NodeBuilder("Dropout", 7).build(), {f32({2, 3})}, 2, &syms);
  EXPECT_EQ(r.outputs[1].dtype, DType::kFloat32);
  r = infer(NodeBuilder("GroupNormalization", 21).attr_i("num_groups", 3).build(), {f32({1, 4, 2}), f32({4}), f32({4})}, 1, &syms);
  EXPECT_FALSE(r.status.is_ok());
  r = infer(NodeBuilder("BatchNormalization", 15).build(), {f32({1, 4, 2}), f32({4}), f32({4}), f32({4}), f32({3})}, 1, &syms);
  EXPECT_FALSE(r.status.is_ok());
}

}  // namespace
}  // namespace onnxrt::testing
