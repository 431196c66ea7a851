// Quantization kernels (cpu/quant_ops.cc, shared by the CPU and reference tables): values pinned
// from onnx.reference.ReferenceEvaluator, plus error values on bad parameters.
#include <gtest/gtest.h>

#include <cmath>
#include <vector>

#include "base/float8.h"
#include "kernels/harness.h"

namespace onnxrt::testing {
namespace {

Tensor f32(Shape s, std::vector<float> v) { return make_tensor<float>(DType::kFloat32, std::move(s), v); }
Tensor u8(Shape s, std::vector<uint8_t> v) { return make_tensor<uint8_t>(DType::kUInt8, std::move(s), v); }
Tensor i8(Shape s, std::vector<int8_t> v) { return make_tensor<int8_t>(DType::kInt8, std::move(s), v); }

std::vector<Tensor> run_ok(const ir::Node& node, const std::vector<Tensor>& in, size_t outs = 1) {
  auto r = run_node(kernels::Backend::kCpu, node, in, outs);
  EXPECT_TRUE(r.has_value()) << r.status().to_string();
  if (!r.has_value()) return {};
  auto ref = run_node(kernels::Backend::kReference, node, in, outs);
  EXPECT_TRUE(ref.has_value());
  return *r;
}

TEST(QuantQuantizeLinear, PerAxisAndBlocked) {
  Tensor x = f32({2, 4}, {-2.6f, 0.4f, 1.5f, 2.5f, 100, -300, 7.2f, -0.5f});
  auto y = run_ok(NodeBuilder("QuantizeLinear", 21).attr_i("axis", 0).build(),
                  {x, f32({2}, {0.5f, 2.0f}), i8({2}, {1, -3})});
  ASSERT_EQ(y.size(), 1u);
  EXPECT_TRUE(tensors_close(y[0], i8({2, 4}, {-4, 2, 4, 6, 47, -128, 1, -3}), 0, 0));
  y = run_ok(NodeBuilder("QuantizeLinear", 21).attr_i("axis", 1).attr_i("block_size", 2).build(),
             {x, f32({2, 2}, {0.5f, 2.0f, 1, 4}), u8({2, 2}, {1, 0, 2, 255})});
  ASSERT_EQ(y.size(), 1u);
  EXPECT_TRUE(tensors_close(y[0], u8({2, 4}, {0, 2, 1, 1, 102, 0, 255, 255}), 0, 0));
  // No zero point: uint8 by default; output_dtype picks int4 (packed, clipped to [-8, 7]).
  y = run_ok(NodeBuilder("QuantizeLinear", 21).attr_i("output_dtype", 22).build(), {x, f32({}, {1.0f})});
  ASSERT_EQ(y.size(), 1u);
  ASSERT_EQ(y[0].dtype(), DType::kInt4);
  const int want[] = {-3, 0, 2, 2, 7, -8, 7, 0};  // rint(-2.6)=-3, rint(2.5)=2 (half to even)
  for (int i = 0; i < 8; ++i) EXPECT_EQ(small_to_int(load_code(y[0].raw(), i, 4), DType::kInt4), want[i]);
  // float8 target saturates by default.
  y = run_ok(NodeBuilder("QuantizeLinear", 21).attr_i("output_dtype", 17).build(), {x, f32({}, {0.5f})});
  ASSERT_EQ(y.size(), 1u);
  EXPECT_EQ(y[0].data<uint8_t>()[5], 0xFE);  // -600 -> -448
}

TEST(QuantQuantizeLinear, BadScaleShapeIsAnError) {
  Tensor x = f32({2, 4}, std::vector<float>(8, 1.0f));
  EXPECT_FALSE(run_node(kernels::Backend::kCpu, NodeBuilder("QuantizeLinear", 13).attr_i("axis", 1).build(),
                        {x, f32({3}, {1, 1, 1})}, 1).has_value());
}

TEST(QuantDequantizeLinear, PerAxis) {
  auto y = run_ok(NodeBuilder("DequantizeLinear", 13).attr_i("axis", 1).build(),
                  {u8({2, 3}, {0, 255, 7, 128, 3, 4}), f32({3}, {0.5f, 2.0f, 0.1f}), u8({3}, {128, 0, 3})});
  ASSERT_EQ(y.size(), 1u);
  EXPECT_TRUE(tensors_close(y[0], f32({2, 3}, {-64, 510, 0.4f, 0, 6, 0.1f}), 0, 0));
  // Large tensor: threaded blocks agree with the per-element formula.
  std::vector<uint8_t> big(100003);
  for (size_t i = 0; i < big.size(); ++i) big[i] = static_cast<uint8_t>(i * 7);
  y = run_ok(NodeBuilder("DequantizeLinear", 13).build(), {u8({100003}, big), f32({}, {0.25f}), u8({}, {3})});
  ASSERT_EQ(y.size(), 1u);
  for (size_t i = 0; i < big.size(); i += 997) EXPECT_EQ(y[0].data<float>()[i], (big[i] - 3) * 0.25f);
}

TEST(QuantDynamicQuantizeLinear, Pinned) {
  auto y = run_ok(NodeBuilder("DynamicQuantizeLinear", 11).build(), {f32({6}, {0, 2, -3, -2.5f, 1.34f, 0.5f})}, 3);
  ASSERT_EQ(y.size(), 3u);
  EXPECT_TRUE(tensors_close(y[0], u8({6}, {153, 255, 0, 26, 221, 179}), 0, 0));
  EXPECT_NEAR(y[1].data<float>()[0], 0.01960784f, 1e-8);
  EXPECT_EQ(y[2].data<uint8_t>()[0], 153);
}

TEST(QuantQLinearMatMul, Pinned) {
  Tensor a = u8({2, 4}, {208, 236, 0, 238, 3, 214, 255, 29});
  Tensor b = u8({4, 3}, {152, 51, 244, 60, 26, 255, 0, 127, 246, 127, 254, 247});
  auto y = run_ok(NodeBuilder("QLinearMatMul", 10).build(),
                  {a, f32({}, {0.0066f}), u8({}, {113}), b, f32({}, {0.00705f}), u8({}, {114}),
                   f32({}, {0.0107f}), u8({}, {118})});
  ASSERT_EQ(y.size(), 1u);
  EXPECT_TRUE(tensors_close(y[0], u8({2, 3}, {168, 115, 255, 1, 66, 151}), 0, 0));
}

TEST(QuantMatMulInteger, BatchedWithZeroPoints) {
  // [2,2,3] x [3,2] with a per-row A zero point and a per-column B zero point.
  Tensor a = u8({2, 2, 3}, {1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12});
  Tensor b = u8({3, 2}, {1, 2, 3, 4, 5, 6});
  auto y = run_ok(NodeBuilder("MatMulInteger", 10).build(), {a, b, u8({2}, {1, 2}), u8({2}, {0, 1})});
  ASSERT_EQ(y.size(), 1u);
  // Row 0 of batch 0: (0,1,2) . cols (1,3,5) / (1,3,5) = 13, 13; row 1: (2,3,4) -> 31, 22.
  std::vector<int32_t> want = {13, 13, 2 * 1 + 3 * 3 + 4 * 5, 2 * 1 + 3 * 3 + 4 * 5};
  EXPECT_EQ(y[0].data<int32_t>()[0], 13);
  EXPECT_EQ(y[0].data<int32_t>()[2], 31);
  EXPECT_EQ(y[0].data<int32_t>()[3], 2 * 1 + 3 * 3 + 4 * 5);
  EXPECT_EQ(y[0].shape(), (Shape{2, 2, 2}));
}

TEST(QuantConvInteger, PaddedPinned) {
  std::vector<uint8_t> xv;
  for (int i = 2; i < 11; ++i) xv.push_back(static_cast<uint8_t>(i));
  auto y = run_ok(NodeBuilder("ConvInteger", 10).attr_ints("pads", {1, 1, 1, 1}).build(),
                  {u8({1, 1, 3, 3}, xv), u8({1, 1, 2, 2}, {1, 1, 1, 1}), u8({}, {1})});
  ASSERT_EQ(y.size(), 1u);
  const std::vector<int32_t> want = {1, 3, 5, 3, 5, 12, 16, 9, 11, 24, 28, 15, 7, 15, 17, 9};
  EXPECT_TRUE(tensors_close(y[0], make_tensor<int32_t>(DType::kInt32, {1, 1, 4, 4}, want), 0, 0));
}

TEST(QuantQLinearConv, MatchesFloatConvOfDequantized) {
  // 1x2x4x4 input, 3 output channels, group 1, stride 2, per-channel weight scales.
  std::vector<uint8_t> xv(32);
  for (size_t i = 0; i < xv.size(); ++i) xv[i] = static_cast<uint8_t>((i * 37) % 256);
  std::vector<int8_t> wv(3 * 2 * 2 * 2);
  for (size_t i = 0; i < wv.size(); ++i) wv[i] = static_cast<int8_t>(static_cast<int>(i * 11 % 31) - 15);
  const float xs = 0.02f, ys = 0.5f;
  const std::vector<float> ws = {0.01f, 0.03f, 0.002f};
  auto y = run_ok(NodeBuilder("QLinearConv", 10).attr_ints("strides", {2, 2}).build(),
                  {u8({1, 2, 4, 4}, xv), f32({}, {xs}), u8({}, {100}), i8({3, 2, 2, 2}, wv),
                   f32({3}, ws), i8({3}, {0, 0, 0}), f32({}, {ys}), u8({}, {128}),
                   make_tensor<int32_t>(DType::kInt32, {3}, {5, -7, 100})});
  ASSERT_EQ(y.size(), 1u);
  ASSERT_EQ(y[0].shape(), (Shape{1, 3, 2, 2}));
  for (int m = 0; m < 3; ++m)
    for (int oy = 0; oy < 2; ++oy)
      for (int ox = 0; ox < 2; ++ox) {
        int64_t acc = std::vector<int>{5, -7, 100}[m];
        for (int c = 0; c < 2; ++c)
          for (int ky = 0; ky < 2; ++ky)
            for (int kx = 0; kx < 2; ++kx)
              acc += (xv[c * 16 + (oy * 2 + ky) * 4 + ox * 2 + kx] - 100) * wv[((m * 2 + c) * 2 + ky) * 2 + kx];
        const double mult = static_cast<float>(static_cast<float>(xs * ws[m]) / ys);
        const double want = std::clamp(std::nearbyint(acc * mult + 128), 0.0, 255.0);
        EXPECT_EQ(y[0].data<uint8_t>()[(m * 2 + oy) * 2 + ox], want) << m << " " << oy << " " << ox;
      }
}

}  // namespace
}  // namespace onnxrt::testing
