// Shape inference of the image family: exact with concrete shapes and constant scales / sizes,
// symbolic dims kept where the op cannot change them, fresh symbols otherwise, errors on bad
// input.
#include <gtest/gtest.h>

#include "ir/infer.h"
#include "ir/op_families.h"
#include "kernels/harness.h"

namespace onnxrt::testing {
namespace {

using Result = InferResult;

// `values[i]` (may be shorter than `in`) gives constant input values; undefined = unknown.
Result infer(const ir::Node& node, std::vector<ir::ValueType> in, SymbolTable* syms, std::vector<Tensor> values = {}) {
  return infer_node(node, in, 1, syms, values);
}

ir::ValueType f32(SymShape s) { return ir::ValueType::tensor(DType::kFloat32, std::move(s)); }
ir::ValueType i64t(SymShape s) { return ir::ValueType::tensor(DType::kInt64, std::move(s)); }
Tensor i64v(std::vector<int64_t> v) { return make_tensor<int64_t>(DType::kInt64, {static_cast<int64_t>(v.size())}, v); }
Tensor f32v(std::vector<float> v) { return make_tensor<float>(DType::kFloat32, {static_cast<int64_t>(v.size())}, v); }

TEST(ImageInfer, ConvTransposeShapes) {
  SymbolTable syms;
  const Dim batch = Dim::symbol(syms.intern("batch"));
  auto r = infer(NodeBuilder("ConvTranspose", 22).attr_ints("strides", {3, 2}).build(),
                 {f32({batch, 1, 3, 3}), f32({1, 2, 3, 3})}, &syms);
  ASSERT_TRUE(r.status.is_ok()) << r.status.to_string();
  EXPECT_EQ(r.outputs[0].shape, (SymShape{batch, 2, 9, 7}));
  // output_shape wins; SAME_UPPER gives in * stride; group multiplies W.shape[1].
  r = infer(NodeBuilder("ConvTranspose", 22).attr_ints("output_shape", {10, 8}).attr_ints("strides", {3, 2}).build(),
            {f32({1, 1, 3, 3}), f32({1, 2, 3, 3})}, &syms);
  EXPECT_EQ(r.outputs[0].shape, (SymShape{1, 2, 10, 8}));
  r = infer(NodeBuilder("ConvTranspose", 22).attr_s("auto_pad", "SAME_UPPER").attr_ints("strides", {2, 2}).attr_i("group", 2).build(),
            {f32({1, 4, 3, 5}), f32({4, 3, 3, 3})}, &syms);
  EXPECT_EQ(r.outputs[0].shape, (SymShape{1, 6, 6, 10}));
  r = infer(NodeBuilder("ConvTranspose", 11).attr_ints("pads", {1, 2}).attr_ints("output_padding", {1}).attr_ints("strides", {2}).build(),
            {f32({1, 1, 5}), f32({1, 1, 3})}, &syms);
  EXPECT_EQ(r.outputs[0].shape, (SymShape{1, 1, 9}));  // 2*4 + 1 + 3 - 3
  // Symbolic spatial dim: fresh.
  const Dim h = Dim::symbol(syms.intern("h"));
  r = infer(NodeBuilder("ConvTranspose", 22).build(), {f32({1, 1, h, 3}), f32({1, 2, 3, 3})}, &syms);
  ASSERT_TRUE(r.status.is_ok());
  EXPECT_TRUE(r.outputs[0].shape[2].is_symbol());
  EXPECT_EQ(r.outputs[0].shape[3], Dim(5));
  // Errors: channel mismatch, bad group, wrong rank.
  EXPECT_FALSE(infer(NodeBuilder("ConvTranspose", 22).build(), {f32({1, 3, 4, 4}), f32({2, 2, 3, 3})}, &syms).status.is_ok());
  EXPECT_FALSE(infer(NodeBuilder("ConvTranspose", 22).attr_i("group", 3).build(), {f32({1, 4, 4, 4}), f32({4, 2, 3, 3})}, &syms).status.is_ok());
  EXPECT_FALSE(infer(NodeBuilder("ConvTranspose", 22).build(), {f32({1, 4}), f32({4, 2})}, &syms).status.is_ok());
}

// group, strides, dilations, pads and output_padding are attributes: W.shape[1] * group and the
// output size arithmetic can leave int64 (UB before the guard) and must be refused.
TEST(ImageInfer, ConvTransposeAttributesThatOverflowInt64AreRefused) {
  SymbolTable syms;
  const int64_t big = int64_t{1} << 62, max = std::numeric_limits<int64_t>::max();
  auto expect_overflow = [&](const ir::Node& node) {
    auto r = infer(node, {f32({1, 4, 5, 5}), f32({4, 4, 3, 3})}, &syms);
    ASSERT_FALSE(r.status.is_ok());
    EXPECT_NE(r.status.message().find("overflows int64"), std::string::npos) << r.status.message();
  };
  expect_overflow(NodeBuilder("ConvTranspose", 22).attr_i("group", big).build());
  expect_overflow(NodeBuilder("ConvTranspose", 22).attr_ints("strides", {big, 1}).build());          // stride * (in - 1)
  expect_overflow(NodeBuilder("ConvTranspose", 22).attr_ints("dilations", {1, big}).build());        // (k - 1) * dilation
  expect_overflow(NodeBuilder("ConvTranspose", 22).attr_ints("output_padding", {max, 0}).build());   // + output_padding
  expect_overflow(NodeBuilder("ConvTranspose", 22).attr_ints("pads", {max, 0, max, 0}).build());     // - both pads
}

TEST(ImageInfer, ResizeShapes) {
  SymbolTable syms;
  const Dim batch = Dim::symbol(syms.intern("batch"));
  const ir::ValueType none;
  // Constant scales: exact, batch kept (scale 1).
  auto r = infer(NodeBuilder("Resize", 19).build(), {f32({batch, 3, 4, 5}), none, f32({4})}, &syms,
                 {Tensor(), Tensor(), f32v({1, 1, 2, 0.5f})});
  ASSERT_TRUE(r.status.is_ok()) << r.status.to_string();
  EXPECT_EQ(r.outputs[0].shape, (SymShape{batch, 3, 8, 2}));
  // Constant sizes with axes.
  r = infer(NodeBuilder("Resize", 19).attr_ints("axes", {-1, 2}).build(),
            {f32({1, 3, 4, 5}), none, none, i64t({2})}, &syms, {Tensor(), Tensor(), Tensor(), i64v({7, 9})});
  ASSERT_TRUE(r.status.is_ok()) << r.status.to_string();
  EXPECT_EQ(r.outputs[0].shape, (SymShape{1, 3, 9, 7}));
  // keep_aspect_ratio_policy not_smaller.
  r = infer(NodeBuilder("Resize", 19).attr_ints("axes", {2, 3}).attr_s("keep_aspect_ratio_policy", "not_smaller").build(),
            {f32({1, 1, 2, 4}), none, none, i64t({2})}, &syms, {Tensor(), Tensor(), Tensor(), i64v({3, 3})});
  EXPECT_EQ(r.outputs[0].shape, (SymShape{1, 1, 3, 6}));
  // Unknown sizes: fresh dims for resized axes, others kept.
  r = infer(NodeBuilder("Resize", 19).attr_ints("axes", {2, 3}).build(), {f32({batch, 3, 4, 5}), none, none, i64t({2})}, &syms);
  ASSERT_TRUE(r.status.is_ok());
  EXPECT_EQ(r.outputs[0].shape[0], batch);
  EXPECT_EQ(r.outputs[0].shape[1], Dim(3));
  EXPECT_TRUE(r.outputs[0].shape[2].is_symbol());
  // Resize-10 and Upsample-7/9.
  r = infer(NodeBuilder("Resize", 10).build(), {f32({1, 1, 2, 2}), f32({4})}, &syms, {Tensor(), f32v({1, 1, 2, 3})});
  EXPECT_EQ(r.outputs[0].shape, (SymShape{1, 1, 4, 6}));
  r = infer(NodeBuilder("Upsample", 7).attr_floats("scales", {1, 1, 2, 2}).build(), {f32({1, 1, 2, 3})}, &syms);
  EXPECT_EQ(r.outputs[0].shape, (SymShape{1, 1, 4, 6}));
  // Errors: bad mode, scale count, both scales and sizes.
  EXPECT_FALSE(infer(NodeBuilder("Resize", 19).attr_s("mode", "area").build(), {f32({1, 1, 2, 2}), none, f32({4})}, &syms).status.is_ok());
  EXPECT_FALSE(infer(NodeBuilder("Resize", 19).build(), {f32({1, 1, 2, 2}), none, f32({3})}, &syms,
                     {Tensor(), Tensor(), f32v({1, 2, 2})}).status.is_ok());
  EXPECT_FALSE(infer(NodeBuilder("Resize", 19).build(), {f32({1, 1, 2, 2}), none, f32({4}), i64t({4})}, &syms,
                     {Tensor(), Tensor(), f32v({1, 1, 2, 2}), i64v({1, 1, 4, 4})}).status.is_ok());
}

TEST(ImageInfer, SamplingAndRoiOps) {
  SymbolTable syms;
  const Dim n = Dim::symbol(syms.intern("n"));
  auto r = infer(NodeBuilder("GridSample", 22).build(), {f32({n, 3, 8, 8}), f32({n, 5, 6, 2})}, &syms);
  ASSERT_TRUE(r.status.is_ok()) << r.status.to_string();
  EXPECT_EQ(r.outputs[0].shape, (SymShape{n, 3, 5, 6}));
  r = infer(NodeBuilder("GridSample", 22).build(), {f32({n, 3, 2, 8, 8}), f32({n, 4, 5, 6, 3})}, &syms);
  EXPECT_EQ(r.outputs[0].shape, (SymShape{n, 3, 4, 5, 6}));
  EXPECT_FALSE(infer(NodeBuilder("GridSample", 16).build(), {f32({1, 3, 2, 8, 8}), f32({1, 4, 5, 6, 3})}, &syms).status.is_ok());
  EXPECT_FALSE(infer(NodeBuilder("GridSample", 22).build(), {f32({1, 3, 8, 8}), f32({1, 5, 6, 3})}, &syms).status.is_ok());
  EXPECT_FALSE(infer(NodeBuilder("GridSample", 22).attr_s("padding_mode", "wrap").build(), {f32({1, 3, 8, 8}), f32({1, 5, 6, 2})}, &syms).status.is_ok());

  r = infer(NodeBuilder("AffineGrid", 20).build(), {f32({n, 2, 3}), i64t({4})}, &syms, {Tensor(), i64v({2, 3, 5, 7})});
  ASSERT_TRUE(r.status.is_ok()) << r.status.to_string();
  EXPECT_EQ(r.outputs[0].shape, (SymShape{n, 5, 7, 2}));
  r = infer(NodeBuilder("AffineGrid", 20).build(), {f32({n, 3, 4}), i64t({5})}, &syms);
  ASSERT_TRUE(r.status.is_ok());
  EXPECT_EQ(r.outputs[0].rank(), 5);
  EXPECT_EQ(r.outputs[0].shape[4], Dim(3));

  const Dim nr = Dim::symbol(syms.intern("num_rois"));
  r = infer(NodeBuilder("RoiAlign", 22).attr_i("output_height", 7).attr_i("output_width", 5).build(),
            {f32({1, 16, 20, 20}), f32({nr, 4}), i64t({nr})}, &syms);
  ASSERT_TRUE(r.status.is_ok()) << r.status.to_string();
  EXPECT_EQ(r.outputs[0].shape, (SymShape{nr, 16, 7, 5}));
  EXPECT_FALSE(infer(NodeBuilder("RoiAlign", 22).build(), {f32({1, 16, 20, 20}), f32({3, 5}), i64t({3})}, &syms).status.is_ok());
  r = infer(NodeBuilder("MaxRoiPool", 22).attr_ints("pooled_shape", {2, 3}).build(), {f32({1, 16, 20, 20}), f32({4, 5})}, &syms);
  EXPECT_EQ(r.outputs[0].shape, (SymShape{4, 16, 2, 3}));
  EXPECT_FALSE(infer(NodeBuilder("MaxRoiPool", 22).build(), {f32({1, 16, 20, 20}), f32({4, 5})}, &syms).status.is_ok());

  r = infer(NodeBuilder("MaxUnpool", 22).attr_ints("kernel_shape", {2, 2}).attr_ints("strides", {2, 2}).build(),
            {f32({n, 3, 2, 3}), i64t({n, 3, 2, 3})}, &syms);
  ASSERT_TRUE(r.status.is_ok()) << r.status.to_string();
  EXPECT_EQ(r.outputs[0].shape, (SymShape{n, 3, 4, 6}));
  r = infer(NodeBuilder("MaxUnpool", 22).attr_ints("kernel_shape", {2, 2}).build(),
            {f32({1, 3, 2, 3}), i64t({1, 3, 2, 3}), i64t({4})}, &syms, {Tensor(), Tensor(), i64v({1, 3, 5, 5})});
  EXPECT_EQ(r.outputs[0].shape, (SymShape{1, 3, 5, 5}));

  r = infer(NodeBuilder("DeformConv", 22).attr_ints("pads", {1, 1, 1, 1}).build(),
            {f32({n, 4, 9, 9}), f32({8, 4, 3, 3}), f32({n, 18, 9, 9})}, &syms);
  ASSERT_TRUE(r.status.is_ok()) << r.status.to_string();
  EXPECT_EQ(r.outputs[0].shape, (SymShape{n, 8, 9, 9}));
}

}  // namespace
}  // namespace onnxrt::testing
