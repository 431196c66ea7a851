// QuantizeLinear then DequantizeLinear as one step (base/quantize_dequantize.h): the AVX2 and
// scalar ukernels against the two ops' own steps, the com.onnxrt QuantizeDequantize op against
// the QuantizeLinear and DequantizeLinear kernels, and the "QuantizeDequantize" activation of
// FusedConv / BlockedConv / FusedMatMul against the reference conv or product followed by the op.
// Everything is compared bit for bit: the conv and matmul cases use integer data, so that their
// sums are exact in any order, and scales that put many quotients on ties.
#include <gtest/gtest.h>

#include <climits>
#include <cmath>
#include <cstring>
#include <random>
#include <string>

#include "base/cpu_features.h"
#include "kernels/harness.h"
#include "kernels/ukernels/elementwise/quantize.h"

namespace onnxrt::testing {
namespace {

struct Range {
  DType type;
  int32_t lo, hi, zero_point;
};

const Range kRanges[] = {{DType::kUInt8, 0, 255, 131}, {DType::kUInt8, 0, 255, 0},   {DType::kInt8, -128, 127, -3},
                         {DType::kInt8, -128, 127, 0}, {DType::kInt16, -32768, 32767, -300},
                         {DType::kUInt16, 0, 65535, 40000}};

// The two ops' steps written out: QuantizeLinear (float division, rint, x86's int32 conversion,
// wrapping add, clamp), then DequantizeLinear ((q - zero point) in float, times the scale).
float two_steps(float x, float scale, const Range& r) {
  const double d = std::nearbyint(static_cast<double>(x / scale));
  const int64_t v = d >= -2147483648.0 && d < 2147483648.0 ? static_cast<int64_t>(d) : INT32_MIN;
  const int64_t q = std::clamp<int64_t>(static_cast<int32_t>(static_cast<uint32_t>(v + r.zero_point)), r.lo, r.hi);
  return (static_cast<float>(q) - static_cast<float>(r.zero_point)) * scale;
}

bool same_bits(float a, float b) { return std::memcmp(&a, &b, sizeof(float)) == 0; }

std::vector<float> hostile_values(size_t n, float scale, std::mt19937& rng) {
  std::uniform_int_distribution<uint32_t> bits;
  std::normal_distribution<float> g(0.0f, 200.0f);
  std::vector<float> x(n);
  for (size_t i = 0; i < n; ++i) {
    switch (i % 4) {
      case 0: {  // any bit pattern: NaN payloads, infinities, subnormals, huge values
        const uint32_t b = bits(rng);
        std::memcpy(&x[i], &b, sizeof(float));
        break;
      }
      case 1: x[i] = (static_cast<float>(static_cast<int32_t>(bits(rng) % 800) - 400) + 0.5f) * scale; break;  // ties
      default: x[i] = g(rng) * scale;
    }
  }
  if (n > 8) {
    x[0] = std::numeric_limits<float>::quiet_NaN();
    x[1] = std::numeric_limits<float>::infinity();
    x[2] = -std::numeric_limits<float>::infinity();
    x[3] = 3e9f * scale;   // past int32: INT32_MIN, so the low end (or, with a negative zero point, the high)
    x[5] = -0.0f;
  }
  return x;
}

TEST(QuantizeDequantizeUkernel, MatchesTheTwoOpsStepByStep) {
  std::mt19937 rng(71);
  for (float scale : {0.0235f, 0.5f, 3.0f, 1e-3f, -0.75f}) {
    for (const Range& r : kRanges) {
      for (int64_t n : {0, 1, 7, 8, 15, 16, 17, 33, 100, 1001}) {
        SCOPED_TRACE("scale " + std::to_string(scale) + " n " + std::to_string(n) + " zp " + std::to_string(r.zero_point));
        const std::vector<float> x = hostile_values(static_cast<size_t>(n + 3), scale, rng);
        std::vector<float> want(x.size());
        for (size_t i = 0; i < x.size(); ++i) want[i] = two_steps(x[i], scale, r);
        // From offset 3 (unaligned) into a buffer with guard values around it; then in place.
        std::vector<float> y(x.size() + 2, 12345.0f);
        kernels::ew::quantize_dequantize_f32_scalar(x.data() + 3, n, scale, r.zero_point, r.lo, r.hi, y.data() + 1);
        for (int64_t i = 0; i < n; ++i)
          ASSERT_TRUE(same_bits(y[static_cast<size_t>(i + 1)], want[static_cast<size_t>(i + 3)])) << "scalar, x " << x[static_cast<size_t>(i + 3)];
        if (!cpu_features().has_avx2_fma()) continue;
        std::vector<float> v(x.size() + 2, 12345.0f);
        kernels::ew::quantize_dequantize_f32_avx2(x.data() + 3, n, scale, r.zero_point, r.lo, r.hi, v.data() + 1);
        EXPECT_EQ(v.front(), 12345.0f);
        EXPECT_EQ(v[static_cast<size_t>(n + 1)], 12345.0f);
        for (int64_t i = 0; i < n; ++i)
          ASSERT_TRUE(same_bits(v[static_cast<size_t>(i + 1)], want[static_cast<size_t>(i + 3)])) << "avx2, x " << x[static_cast<size_t>(i + 3)];
        std::vector<float> in_place = x;
        kernels::ew::quantize_dequantize_f32_avx2(in_place.data() + 3, n, scale, r.zero_point, r.lo, r.hi, in_place.data() + 3);
        for (int64_t i = 0; i < n; ++i)
          ASSERT_TRUE(same_bits(in_place[static_cast<size_t>(i + 3)], want[static_cast<size_t>(i + 3)])) << "in place";
      }
    }
  }
}

Tensor zero_point_tensor(const Range& r) {
  Tensor z = Tensor::allocate(r.type, {});
  switch (r.type) {
    case DType::kInt8: z.data<int8_t>()[0] = static_cast<int8_t>(r.zero_point); break;
    case DType::kUInt8: z.data<uint8_t>()[0] = static_cast<uint8_t>(r.zero_point); break;
    case DType::kInt16: z.data<int16_t>()[0] = static_cast<int16_t>(r.zero_point); break;
    default: z.data<uint16_t>()[0] = static_cast<uint16_t>(r.zero_point); break;
  }
  return z;
}

Tensor run1(kernels::Backend backend, const ir::Node& node, const std::vector<Tensor>& in) {
  auto r = run_node(backend, node, in, 1);
  EXPECT_TRUE(r.has_value()) << r.status().to_string();
  return r.has_value() ? (*r)[0] : Tensor();
}

// QuantizeLinear then DequantizeLinear through their own (reference) kernels.
Tensor quantize_then_dequantize(const Tensor& x, float scale, const Range& r) {
  const Tensor s = make_tensor<float>(DType::kFloat32, {}, {scale});
  const Tensor q = run1(kernels::Backend::kReference, NodeBuilder("QuantizeLinear", 21).build(), {x, s, zero_point_tensor(r)});
  return run1(kernels::Backend::kReference, NodeBuilder("DequantizeLinear", 21).build(), {q, s, zero_point_tensor(r)});
}

::testing::AssertionResult bit_equal(const Tensor& a, const Tensor& b) {
  if (a.shape() != b.shape() || a.dtype() != b.dtype()) return ::testing::AssertionFailure() << "shape or type differs";
  for (int64_t i = 0; i < a.size(); ++i)
    if (!same_bits(a.data<float>()[i], b.data<float>()[i]))
      return ::testing::AssertionFailure() << "element " << i << ": " << a.data<float>()[i] << " vs " << b.data<float>()[i];
  return ::testing::AssertionSuccess();
}

TEST(QuantizeDequantizeOp, MatchesQuantizeLinearThenDequantizeLinear) {
  std::mt19937 rng(72);
  const ir::Node node = NodeBuilder("QuantizeDequantize", 1, "com.onnxrt").build();
  for (const Range& r : kRanges) {
    for (float scale : {0.5f, 0.0179f}) {
      const std::vector<float> v = hostile_values(20000, scale, rng);  // several blocks: every thread
      const Tensor x = make_tensor<float>(DType::kFloat32, {4, 5000}, v);
      const Tensor want = quantize_then_dequantize(x, scale, r);
      const std::vector<Tensor> in{x, make_tensor<float>(DType::kFloat32, {1}, {scale}), zero_point_tensor(r)};
      for (auto backend : {kernels::Backend::kCpu, kernels::Backend::kReference})
        EXPECT_TRUE(bit_equal(run1(backend, node, in), want)) << dtype_name(r.type) << " zp " << r.zero_point;
    }
  }
  // Errors: a zero point of another type, a scale of two values.
  const Tensor x = make_tensor<float>(DType::kFloat32, {2}, {1, 2});
  const Tensor s = make_tensor<float>(DType::kFloat32, {}, {0.5f});
  EXPECT_FALSE(run_node(kernels::Backend::kCpu, node, {x, s, make_tensor<int32_t>(DType::kInt32, {}, {0})}, 1).has_value());
  EXPECT_FALSE(run_node(kernels::Backend::kCpu, node, {x, make_tensor<float>(DType::kFloat32, {2}, {1, 2}),
                                                       zero_point_tensor(kRanges[0])}, 1).has_value());
}

Tensor integers(DType t, Shape s, std::mt19937& rng, int lo, int hi) {
  std::uniform_int_distribution<int> u(lo, hi);
  Tensor x = Tensor::allocate(t, std::move(s));
  for (int64_t i = 0; i < x.size(); ++i) x.data<float>()[i] = static_cast<float>(u(rng));
  return x;
}

std::vector<float> act_params(float scale, const Range& r) {
  return {scale, static_cast<float>(r.zero_point), static_cast<float>(r.lo), static_cast<float>(r.hi)};
}

Tensor to_blocked(const Tensor& x) {
  return run1(kernels::Backend::kReference, NodeBuilder("ToBlocked", 1, "com.onnxrt").build(), {x});
}

struct ConvCase {
  Shape x, w;
  int64_t group;
  std::vector<int64_t> strides, pads;
  bool blocked;  // also as BlockedConv (channels multiples of 8, not a Winograd conv)
};

// Integer data: every conv sum is exact, so the fused result must equal the reference conv
// followed by QuantizeLinear and DequantizeLinear bit for bit, on every kernel path.
TEST(QuantizeDequantizeActivation, FusedAndBlockedConvsMatchConvThenTheOps) {
  std::mt19937 rng(73);
  const ConvCase cases[] = {
      {{1, 8, 9, 10}, {16, 8, 1, 1}, 1, {}, {}, true},                 // pointwise
      {{2, 16, 7, 7}, {40, 16, 1, 1}, 1, {}, {}, true},                // groups of output blocks, batch 2
      {{1, 8, 11, 12}, {8, 1, 3, 3}, 8, {}, {1, 1, 1, 1}, true},        // depthwise
      {{1, 16, 14, 13}, {16, 1, 3, 3}, 16, {2, 2}, {1, 1, 1, 1}, true},  // depthwise stride 2
      {{1, 8, 10, 9}, {8, 8, 3, 3}, 1, {2, 2}, {1, 1, 1, 1}, true},      // dense, per-tap tiles
      {{1, 3, 12, 12}, {8, 3, 3, 3}, 1, {2, 2}, {1, 1, 1, 1}, false},    // a stem (NCHW in)
      {{1, 5, 9, 8}, {7, 5, 3, 2}, 1, {1, 2}, {0, 1, 2, 0}, false},      // NCHW direct
      {{2, 6, 7, 7}, {9, 2, 3, 3}, 3, {}, {1, 1, 1, 1}, false},          // groups
      {{1, 4, 40, 40}, {12, 4, 1, 1}, 1, {}, {}, false},                 // 1600 pixels: several tiles
      {{2, 3, 17}, {4, 3, 3}, 1, {2}, {1, 2}, false},                   // 1-D
  };
  for (const ConvCase& c : cases) {
    for (const Range& r : {kRanges[0], kRanges[2], kRanges[4]}) {
      for (float scale : {2.0f, 0.37f}) {
        for (int variant = 0; variant < 3; ++variant) {  // 0: plain, 1: bias, 2: bias + Z
          SCOPED_TRACE("x " + shape_to_string(c.x) + " w " + shape_to_string(c.w) + " scale " + std::to_string(scale) +
                       " zp " + std::to_string(r.zero_point) + " variant " + std::to_string(variant));
          auto attrs = [&](NodeBuilder b) {
            b.attr_i("group", c.group);
            if (!c.strides.empty()) b.attr_ints("strides", c.strides);
            if (!c.pads.empty()) b.attr_ints("pads", c.pads);
            return b;
          };
          const ir::Node conv = attrs(NodeBuilder("FusedConv", 1, "com.onnxrt")).build();
          const ir::Node fused = attrs(NodeBuilder("FusedConv", 1, "com.onnxrt"))
                                     .attr_s("activation", "QuantizeDequantize")
                                     .attr_floats("activation_params", act_params(scale, r)).build();
          std::vector<Tensor> in{integers(DType::kFloat32, c.x, rng, -6, 6), integers(DType::kFloat32, c.w, rng, -3, 3)};
          in.push_back(variant >= 1 ? integers(DType::kFloat32, {c.w[0]}, rng, -9, 9) : Tensor());
          if (variant == 2) in.push_back(integers(DType::kFloat32, run1(kernels::Backend::kReference, conv, in).shape(), rng, -9, 9));
          const Tensor want = quantize_then_dequantize(run1(kernels::Backend::kReference, conv, in), scale, r);
          EXPECT_TRUE(bit_equal(run1(kernels::Backend::kCpu, fused, in), want)) << "FusedConv cpu";
          EXPECT_TRUE(bit_equal(run1(kernels::Backend::kReference, fused, in), want)) << "FusedConv reference";
          const bool stem = c.x.size() == 4 && c.x[1] % 8 != 0 && c.group == 1 && c.w[0] % 8 == 0;
          if (!c.blocked && !stem) continue;
          // BlockedConv: blocked X and Z, or an NCHW X (x_layout) for the stem.
          NodeBuilder b = attrs(NodeBuilder("BlockedConv", 1, "com.onnxrt"))
                              .attr_s("activation", "QuantizeDequantize")
                              .attr_floats("activation_params", act_params(scale, r));
          std::vector<Tensor> bin = in;
          if (stem) {
            if (variant == 2) continue;  // a stem takes no Z
            b.attr_s("x_layout", "NCHW");
          } else {
            bin[0] = to_blocked(in[0]);
            if (variant == 2) bin[3] = to_blocked(in[3]);
          }
          const Tensor want_blocked = to_blocked(want);
          EXPECT_TRUE(bit_equal(run1(kernels::Backend::kCpu, b.build(), bin), want_blocked)) << "BlockedConv cpu";
          EXPECT_TRUE(bit_equal(run1(kernels::Backend::kReference, b.build(), bin), want_blocked)) << "BlockedConv reference";
        }
      }
    }
  }
}

TEST(QuantizeDequantizeActivation, FusedMatMulMatchesMatMulThenTheOps) {
  std::mt19937 rng(74);
  const Range r = kRanges[2];
  for (int64_t m : {1, 5, 64}) {
    for (bool bias : {false, true}) {
      const ir::Node plain = NodeBuilder("FusedMatMul", 1, "com.onnxrt").build();
      const ir::Node fused = NodeBuilder("FusedMatMul", 1, "com.onnxrt")
                                 .attr_s("activation", "QuantizeDequantize")
                                 .attr_floats("activation_params", act_params(2.0f, r)).build();
      std::vector<Tensor> in{integers(DType::kFloat32, {m, 37}, rng, -5, 5), integers(DType::kFloat32, {37, 70}, rng, -4, 4)};
      if (bias) in.push_back(integers(DType::kFloat32, {70}, rng, -20, 20));
      const Tensor want = quantize_then_dequantize(run1(kernels::Backend::kReference, plain, in), 2.0f, r);
      EXPECT_TRUE(bit_equal(run1(kernels::Backend::kCpu, fused, in), want)) << "rows " << m << " bias " << bias;
    }
  }
}

TEST(QuantizeDequantizeActivation, BadParametersAreAnError) {
  const Tensor x = make_tensor<float>(DType::kFloat32, {1, 1, 2, 2}, {1, 2, 3, 4});
  const Tensor w = make_tensor<float>(DType::kFloat32, {1, 1, 1, 1}, {2});
  for (std::vector<float> params : {std::vector<float>{0.5f, 0.5f, 0.f, 255.f}, std::vector<float>{0.5f, 0.f, 255.f, 0.f},
                                    std::vector<float>{0.5f, 0.f, 0.f, 1e9f}, std::vector<float>{0.5f, 0.f, 0.f}}) {
    const ir::Node node = NodeBuilder("FusedConv", 1, "com.onnxrt").name("qconv")
                              .attr_s("activation", "QuantizeDequantize").attr_floats("activation_params", params).build();
    auto r = run_node(kernels::Backend::kCpu, node, {x, w}, 1);
    ASSERT_FALSE(r.has_value());
    EXPECT_NE(r.status().message().find("qconv"), std::string::npos) << r.status().message();
  }
}

}  // namespace
}  // namespace onnxrt::testing
