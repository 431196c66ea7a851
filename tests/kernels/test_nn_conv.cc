// Conv and pooling CPU kernels vs the reference kernels (kernels/reference/nn_conv_pool.cc),
// plus values pinned from onnx.reference.ReferenceEvaluator (onnx 1.23.2) and by hand.
#include <gtest/gtest.h>

#include <cmath>
#include <limits>
#include <random>

#include "kernels/harness.h"

namespace onnxrt::testing {
namespace {

Tensor f32(Shape s, std::vector<float> v) { return make_tensor<float>(DType::kFloat32, std::move(s), v); }

struct ConvCase {
  Shape x, w;
  int64_t group;
  std::vector<int64_t> strides, dilations, pads;
  std::string auto_pad;
  bool bias;
};

NodeBuilder conv_node(const ConvCase& c, int opset) {
  NodeBuilder b("Conv", opset);
  b.attr_i("group", c.group);
  if (!c.strides.empty()) b.attr_ints("strides", c.strides);
  if (!c.dilations.empty()) b.attr_ints("dilations", c.dilations);
  if (!c.pads.empty()) b.attr_ints("pads", c.pads);
  if (!c.auto_pad.empty()) b.attr_s("auto_pad", c.auto_pad);
  return b;
}

TEST(NnConv, MatchesReference) {
  std::mt19937 rng(11);
  const ConvCase cases[] = {
      // 2-D: pointwise, 3x3 pads, strides, dilations, asymmetric pads, odd sizes
      {{1, 3, 5, 5}, {4, 3, 1, 1}, 1, {}, {}, {}, "", true},
      {{2, 3, 7, 6}, {5, 3, 3, 3}, 1, {}, {}, {1, 1, 1, 1}, "", true},
      {{1, 4, 9, 8}, {6, 4, 3, 2}, 1, {2, 3}, {}, {0, 1, 2, 0}, "", false},
      {{1, 2, 10, 11}, {3, 2, 3, 3}, 1, {1, 2}, {2, 3}, {2, 1, 0, 3}, "", true},
      {{1, 3, 5, 5}, {4, 3, 1, 1}, 1, {2, 2}, {}, {}, "", true},
      // groups, depthwise (multiplier 1 and 2), depthwise with stride / dilation / pads
      {{2, 6, 7, 7}, {9, 2, 3, 3}, 3, {}, {}, {1, 1, 1, 1}, "", true},
      {{1, 8, 9, 9}, {8, 1, 3, 3}, 8, {}, {}, {1, 1, 1, 1}, "", true},
      {{2, 4, 8, 7}, {8, 1, 3, 3}, 4, {2, 2}, {}, {0, 1, 1, 0}, "", true},
      {{1, 5, 11, 10}, {5, 1, 5, 3}, 5, {1, 3}, {2, 1}, {3, 2, 1, 2}, "", false},
      // auto_pad in every mode
      {{1, 3, 7, 8}, {4, 3, 3, 3}, 1, {2, 2}, {}, {}, "SAME_UPPER", true},
      {{1, 3, 7, 8}, {4, 3, 4, 2}, 1, {2, 3}, {}, {}, "SAME_LOWER", true},
      {{1, 3, 7, 8}, {4, 3, 3, 3}, 1, {2, 1}, {}, {}, "VALID", true},
      {{1, 4, 6, 6}, {4, 1, 3, 3}, 4, {1, 1}, {}, {}, "SAME_UPPER", false},
      {{1, 2, 5, 5}, {2, 2, 2, 2}, 1, {3, 3}, {}, {}, "SAME_UPPER", false},  // negative pad need
      // 1-D and 3-D
      {{2, 3, 17}, {4, 3, 3}, 1, {2}, {}, {1, 2}, "", true},
      {{1, 4, 9}, {4, 1, 3}, 4, {1}, {2}, {2, 2}, "", true},
      {{1, 2, 12}, {3, 2, 4}, 1, {3}, {}, {}, "SAME_LOWER", false},
      // 1-D convs on the 2-D paths (as_2d): depthwise (Conformer's k = 31, Mamba's causal k = 4,
      // multiplier 2 with stride 3), direct (wav2vec2's first conv, a K = 72 stride-2 one) and
      // pointwise
      {{2, 16, 99}, {16, 1, 31}, 16, {}, {}, {15, 15}, "", true},
      {{1, 8, 64}, {8, 1, 4}, 8, {}, {}, {3, 3}, "", false},
      {{2, 8, 40}, {16, 1, 5}, 8, {3}, {}, {2, 1}, "", true},
      {{1, 1, 400}, {32, 1, 10}, 1, {5}, {}, {}, "", false},
      {{1, 24, 50}, {40, 24, 3}, 1, {2}, {}, {1, 1}, "", true},
      {{2, 16, 70}, {24, 16, 1}, 1, {}, {}, {}, "", true},
      // pointwise with K and M above 64: the packed GEMM, not the direct kernel
      {{1, 128, 10, 10}, {96, 128, 1, 1}, 1, {}, {}, {}, "", true},
      // ...with planes past 256 pixels, packed rather than read in place
      {{1, 96, 20, 20}, {80, 96, 1, 1}, 1, {}, {}, {}, "", true},
      {{2, 72, 1024}, {70, 72, 1}, 1, {}, {}, {}, "", false},
      {{1, 2, 5, 6, 4}, {3, 2, 3, 3, 2}, 1, {1, 2, 1}, {}, {1, 1, 0, 1, 1, 1}, "", true},
      {{2, 4, 4, 5, 6}, {4, 2, 2, 3, 3}, 2, {2, 1, 2}, {1, 1, 2}, {}, "SAME_UPPER", true},
      // 3-D im2col on a padded copy of X: 2400 output columns cross the 1024-column blocks in
      // mid-row and mid-slice; strides and dilations per dim; no pads (X read in place)
      {{1, 3, 6, 20, 20}, {8, 3, 3, 3, 3}, 1, {}, {}, {1, 1, 1, 1, 1, 1}, "", true},
      {{1, 3, 7, 9, 11}, {5, 3, 3, 2, 3}, 1, {2, 1, 2}, {1, 2, 1}, {0, 2, 1, 1, 0, 2}, "", true},
      {{2, 2, 5, 13, 14}, {4, 2, 2, 3, 3}, 1, {1, 2, 1}, {2, 1, 1}, {}, "", false},
      // zero-size batch / channels
      {{0, 3, 5, 5}, {4, 3, 3, 3}, 1, {}, {}, {1, 1, 1, 1}, "", true},
      {{1, 0, 5, 5}, {4, 0, 3, 3}, 1, {}, {}, {}, "", true},
      {{1, 3, 5, 5}, {0, 3, 3, 3}, 1, {}, {}, {}, "", false},
      // large enough for the threaded im2col / GEMM paths and the column tiling
      {{1, 32, 40, 40}, {48, 32, 3, 3}, 1, {}, {}, {1, 1, 1, 1}, "", true},
      {{4, 16, 20, 20}, {32, 16, 3, 3}, 1, {2, 2}, {}, {1, 1, 1, 1}, "", true},
      {{1, 64, 24, 24}, {64, 64, 1, 1}, 1, {}, {}, {}, "", true},
      {{2, 32, 30, 30}, {32, 1, 3, 3}, 32, {}, {}, {1, 1, 1, 1}, "", true},
      {{1, 4, 300, 300}, {2, 4, 3, 3}, 1, {}, {}, {1, 1, 1, 1}, "", false},
  };
  for (const ConvCase& c : cases) {
    for (int opset : {11, 22}) {
      auto node = conv_node(c, opset).build();
      std::vector<Tensor> in{random_tensor(DType::kFloat32, c.x, rng),
                             random_tensor(DType::kFloat32, c.w, rng)};
      if (c.bias) in.push_back(random_tensor(DType::kFloat32, {c.w[0]}, rng));
      SCOPED_TRACE("x " + shape_to_string(c.x) + " w " + shape_to_string(c.w));
      const double k = static_cast<double>(shape_size(c.w) / std::max<int64_t>(1, c.w[0]));
      expect_matches_reference(node, in, 1, 1e-5 * (4 + std::sqrt(k)), 1e-5);
    }
  }
}

TEST(NnConv, KernelShapeAttributeAndErrors) {
  std::mt19937 rng(3);
  auto node = NodeBuilder("Conv", 11).attr_ints("kernel_shape", {3, 3}).attr_ints("pads", {1, 1, 1, 1}).build();
  expect_matches_reference(node, {random_tensor(DType::kFloat32, {1, 2, 6, 6}, rng),
                                  random_tensor(DType::kFloat32, {3, 2, 3, 3}, rng)},
                           1, 1e-5, 1e-5);
  // Channel mismatch is an error value, not a crash.
  auto r = run_node(kernels::Backend::kCpu, NodeBuilder("Conv", 11).build(),
                    {random_tensor(DType::kFloat32, {1, 3, 6, 6}, rng),
                     random_tensor(DType::kFloat32, {3, 2, 3, 3}, rng)}, 1);
  EXPECT_FALSE(r.has_value());
  // Kernel larger than the padded input.
  r = run_node(kernels::Backend::kCpu, NodeBuilder("Conv", 11).build(),
               {random_tensor(DType::kFloat32, {1, 1, 2, 2}, rng),
                random_tensor(DType::kFloat32, {1, 1, 3, 3}, rng)}, 1);
  EXPECT_FALSE(r.has_value());
}

// Pinned: onnx.reference.ReferenceEvaluator on x = arange(25).reshape(1,1,5,5), w = ones(1,1,3,3),
// pads 1, strides 2 (the spec's conv_with_strides_padding example).
TEST(NnConv, PinnedStridesPadding) {
  std::vector<float> xv(25);
  for (int i = 0; i < 25; ++i) xv[i] = static_cast<float>(i);
  auto node = NodeBuilder("Conv", 11).attr_ints("kernel_shape", {3, 3}).attr_ints("pads", {1, 1, 1, 1}).attr_ints("strides", {2, 2}).build();
  for (auto be : {kernels::Backend::kCpu, kernels::Backend::kReference}) {
    auto r = run_node(be, node, {f32({1, 1, 5, 5}, xv), f32({1, 1, 3, 3}, std::vector<float>(9, 1.0f))}, 1);
    ASSERT_TRUE(r.has_value()) << r.status().to_string();
    EXPECT_TRUE(tensors_close((*r)[0], f32({1, 1, 3, 3}, {12, 27, 24, 63, 108, 81, 72, 117, 84}), 0, 0));
  }
}

// Hand-computed depthwise with bias: each channel's 2x2 window sum * weight + bias.
TEST(NnConv, PinnedDepthwise) {
  auto node = NodeBuilder("Conv", 22).attr_i("group", 2).build();
  auto x = f32({1, 2, 2, 2}, {1, 2, 3, 4, 5, 6, 7, 8});
  auto w = f32({2, 1, 2, 2}, {1, 1, 1, 1, 2, 0, 0, -1});
  auto b = f32({2}, {0.5f, -1});
  auto r = run_node(kernels::Backend::kCpu, node, {x, w, b}, 1);
  ASSERT_TRUE(r.has_value()) << r.status().to_string();
  EXPECT_TRUE(tensors_close((*r)[0], f32({1, 2, 1, 1}, {10.5f, 1.0f}), 0, 0));
}

struct PoolCase {
  Shape x;
  std::vector<int64_t> kernel, strides, dilations, pads;
  std::string auto_pad;
  int ceil_mode;
};

const PoolCase kPoolCases[] = {
    {{1, 2, 5, 5}, {2, 2}, {}, {}, {}, "", 0},
    {{2, 3, 7, 6}, {3, 3}, {2, 2}, {}, {1, 1, 1, 1}, "", 0},
    {{2, 3, 7, 6}, {3, 3}, {2, 2}, {}, {1, 1, 1, 1}, "", 1},
    {{1, 2, 8, 9}, {3, 2}, {3, 2}, {}, {0, 1, 2, 0}, "", 1},
    {{1, 2, 9, 10}, {2, 3}, {1, 2}, {2, 2}, {1, 0, 1, 2}, "", 0},
    {{1, 2, 9, 10}, {2, 3}, {2, 2}, {2, 1}, {}, "", 1},
    {{1, 3, 7, 8}, {3, 3}, {2, 2}, {}, {}, "SAME_UPPER", 0},
    {{1, 3, 7, 8}, {4, 3}, {2, 3}, {}, {}, "SAME_LOWER", 0},
    {{1, 3, 7, 8}, {3, 2}, {2, 2}, {}, {}, "VALID", 0},
    {{2, 3, 13}, {3}, {2}, {}, {1, 1}, "", 1},
    {{1, 2, 11}, {4}, {3}, {2}, {}, "SAME_UPPER", 0},
    {{1, 2, 5, 6, 7}, {2, 3, 2}, {2, 1, 2}, {}, {1, 0, 1, 0, 1, 1}, "", 1},
    {{1, 2, 5, 6, 7}, {3, 3, 3}, {1, 2, 2}, {1, 1, 2}, {}, "SAME_UPPER", 0},
    {{0, 3, 5, 5}, {2, 2}, {}, {}, {}, "", 0},
    {{1, 0, 5, 5}, {2, 2}, {}, {}, {}, "", 0},
    {{4, 32, 28, 28}, {3, 3}, {2, 2}, {}, {1, 1, 1, 1}, "", 0},
};

NodeBuilder pool_node(const std::string& op, int opset, const PoolCase& c) {
  NodeBuilder b(op, opset);
  b.attr_ints("kernel_shape", c.kernel);
  if (!c.strides.empty()) b.attr_ints("strides", c.strides);
  if (!c.dilations.empty()) b.attr_ints("dilations", c.dilations);
  if (!c.pads.empty()) b.attr_ints("pads", c.pads);
  if (!c.auto_pad.empty()) b.attr_s("auto_pad", c.auto_pad);
  if (c.ceil_mode) b.attr_i("ceil_mode", 1);
  return b;
}

TEST(NnPool, MaxPoolMatchesReference) {
  std::mt19937 rng(5);
  for (const PoolCase& c : kPoolCases) {
    SCOPED_TRACE("x " + shape_to_string(c.x));
    for (int so : {0, 1}) {
      auto node = pool_node("MaxPool", 12, c).attr_i("storage_order", so).build();
      expect_matches_reference(node, {random_tensor(DType::kFloat32, c.x, rng)}, 2, 0, 0);
    }
    if (c.dilations.empty() && !c.ceil_mode)
      expect_matches_reference(pool_node("MaxPool", 8, c).build(),
                               {random_tensor(DType::kFloat32, c.x, rng)}, 1, 0, 0);
  }
}

TEST(NnPool, AveragePoolMatchesReference) {
  std::mt19937 rng(6);
  for (const PoolCase& c : kPoolCases) {
    SCOPED_TRACE("x " + shape_to_string(c.x));
    for (int cip : {0, 1}) {
      auto node = pool_node("AveragePool", 19, c).attr_i("count_include_pad", cip).build();
      expect_matches_reference(node, {random_tensor(DType::kFloat32, c.x, rng)}, 1, 1e-6, 1e-5);
    }
    auto lp = pool_node("LpPool", 18, c).attr_i("p", 3).build();
    expect_matches_reference(lp, {random_tensor(DType::kFloat32, c.x, rng)}, 1, 1e-5, 1e-4);
  }
  // The row-sum path (nn_pool.cc avgpool_rows; dilation 1): 3x3 stride 1, 3-D, strides 3 and 4
  // (the stride-phase loop), a window wider than the input, and many rows for the threads.
  const PoolCase avg_cases[] = {
      {{1, 2, 6, 6}, {3, 3}, {1, 1}, {}, {1, 1, 1, 1}, "", 0},
      {{1, 3, 4, 9, 10}, {2, 2, 2}, {2, 2, 2}, {}, {}, "", 1},
      {{1, 2, 12, 13}, {4, 4}, {4, 4}, {}, {0, 1, 3, 2}, "", 1},
      {{1, 2, 11, 17}, {2, 5}, {1, 3}, {}, {1, 2, 0, 4}, "", 0},
      {{1, 1, 3, 3}, {5, 5}, {1, 1}, {}, {2, 2, 2, 2}, "", 0},
      {{2, 16, 30, 31}, {3, 3}, {2, 2}, {}, {1, 1, 1, 1}, "", 1},
  };
  for (const PoolCase& c : avg_cases) {
    SCOPED_TRACE("avg x " + shape_to_string(c.x));
    for (int cip : {0, 1}) {
      auto node = pool_node("AveragePool", 19, c).attr_i("count_include_pad", cip).build();
      expect_matches_reference(node, {random_tensor(DType::kFloat32, c.x, rng)}, 1, 1e-6, 1e-5);
    }
  }
}

// Pools whose last window dim is 1 (nn_pool.cc lane_pool): the channel-blocked pools that
// block_channels writes ([N, C/8, H, W, 8], window [kh, kw, 1]) and other lane widths, with pads,
// ceil mode, dilations, SAME padding, windows past the input, both counts for the average.
TEST(NnPool, LanePoolsMatchReference) {
  std::mt19937 rng(8);
  const PoolCase cases[] = {
      {{1, 2, 9, 9, 8}, {3, 3, 1}, {2, 2, 1}, {}, {1, 1, 0, 1, 1, 0}, "", 0},
      {{2, 3, 8, 7, 8}, {2, 2, 1}, {2, 2, 1}, {}, {}, "", 1},
      {{1, 1, 10, 12, 5}, {3, 2, 1}, {1, 3, 1}, {2, 1, 1}, {2, 0, 0, 1, 1, 0}, "", 0},
      {{1, 2, 7, 6, 8}, {3, 3, 1}, {2, 2, 1}, {}, {}, "SAME_UPPER", 0},
      {{1, 2, 3, 3, 8}, {5, 5, 1}, {1, 1, 1}, {}, {2, 2, 0, 2, 2, 0}, "", 0},
      {{1, 4, 56, 56, 8}, {3, 3, 1}, {2, 2, 1}, {}, {1, 1, 0, 1, 1, 0}, "", 0},
  };
  for (const PoolCase& c : cases) {
    SCOPED_TRACE("lane x " + shape_to_string(c.x));
    auto mp = pool_node("MaxPool", 12, c).build();
    expect_matches_reference(mp, {random_tensor(DType::kFloat32, c.x, rng)}, 1, 0, 0);
    for (int cip : {0, 1}) {
      auto ap = pool_node("AveragePool", 19, c).attr_i("count_include_pad", cip).build();
      expect_matches_reference(ap, {random_tensor(DType::kFloat32, c.x, rng)}, 1, 1e-6, 1e-5);
    }
  }
  // NaN: a window whose first value is NaN gives NaN, a later NaN is passed over (pool_plane's rule).
  Tensor x = random_tensor(DType::kFloat32, {1, 1, 2, 2, 8}, rng);
  x.data<float>()[0] = std::numeric_limits<float>::quiet_NaN();      // first tap of lane 0
  x.data<float>()[3 * 8 + 1] = std::numeric_limits<float>::quiet_NaN();  // last tap of lane 1
  const PoolCase whole{{1, 1, 2, 2, 8}, {2, 2, 1}, {}, {}, {}, "", 0};
  expect_matches_reference(pool_node("MaxPool", 12, whole).build(), {x}, 1, 0, 0);
}

TEST(NnPool, GlobalPoolsMatchReference) {
  std::mt19937 rng(7);
  for (Shape s : {Shape{1, 3, 5}, Shape{2, 4, 7, 7}, Shape{1, 2, 3, 4, 5}, Shape{0, 2, 3, 3},
                  Shape{2, 64, 14, 14}}) {
    for (const char* op : {"GlobalAveragePool", "GlobalMaxPool", "GlobalLpPool"})
      expect_matches_reference(NodeBuilder(op, 22).build(), {random_tensor(DType::kFloat32, s, rng)}, 1,
                               1e-6, 1e-5);
  }
}

// Pinned from onnx.reference.ReferenceEvaluator: x = arange(16).reshape(1,1,4,4).
TEST(NnPool, PinnedValues) {
  std::vector<float> xv(16);
  for (int i = 0; i < 16; ++i) xv[i] = static_cast<float>(i);
  const Tensor x = f32({1, 1, 4, 4}, xv);
  // MaxPool k=3 s=2 ceil_mode: windows start at 0 and 2 (the second one hangs off the end).
  auto mp = NodeBuilder("MaxPool", 12).attr_ints("kernel_shape", {3, 3}).attr_ints("strides", {2, 2}).attr_i("ceil_mode", 1).build();
  auto r = run_node(kernels::Backend::kCpu, mp, {x}, 2);
  ASSERT_TRUE(r.has_value()) << r.status().to_string();
  EXPECT_TRUE(tensors_close((*r)[0], f32({1, 1, 2, 2}, {10, 11, 14, 15}), 0, 0));
  EXPECT_TRUE(tensors_close((*r)[1], make_tensor<int64_t>(DType::kInt64, {1, 1, 2, 2}, {10, 11, 14, 15}), 0, 0));
  // AveragePool k=3 pads=1: count_include_pad 0 averages real elements, 1 divides by 9.
  auto ap = NodeBuilder("AveragePool", 11).attr_ints("kernel_shape", {3, 3}).attr_ints("pads", {1, 1, 1, 1}).attr_ints("strides", {3, 3}).build();
  r = run_node(kernels::Backend::kCpu, ap, {x}, 1);
  ASSERT_TRUE(r.has_value());
  EXPECT_TRUE(tensors_close((*r)[0], f32({1, 1, 2, 2}, {2.5f, 4.5f, 10.5f, 12.5f}), 1e-6, 0));
  auto ap1 = NodeBuilder("AveragePool", 11).attr_ints("kernel_shape", {3, 3}).attr_ints("pads", {1, 1, 1, 1}).attr_ints("strides", {3, 3}).attr_i("count_include_pad", 1).build();
  r = run_node(kernels::Backend::kCpu, ap1, {x}, 1);
  ASSERT_TRUE(r.has_value());
  EXPECT_TRUE(tensors_close((*r)[0], f32({1, 1, 2, 2}, {10.0f / 9, 18.0f / 9, 42.0f / 9, 50.0f / 9}), 1e-6, 0));
}

}  // namespace
}  // namespace onnxrt::testing
