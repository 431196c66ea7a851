// The channel-blocked ops (com.onnxrt ToBlocked, FromBlocked, BlockedConv): CPU kernels against
// their reference kernels, and BlockedConv against the reference FusedConv on the same data in
// NCHW (so that the blocked reference is itself checked against the plain conv), over pointwise
// and depthwise geometries, every activation, bias and residual; plus the errors a bad node or
// input gets.
#include <gtest/gtest.h>

#include <cmath>
#include <random>
#include <string>

#include "kernels/harness.h"

namespace onnxrt::testing {
namespace {

struct Act {
  const char* name;
  std::vector<float> params;
};

const Act kActs[] = {{"", {}},        {"Relu", {}},         {"Clip", {0.f, 6.f}},       {"Sigmoid", {}},
                     {"Tanh", {}},    {"LeakyRelu", {0.1f}}, {"HardSigmoid", {0.2f, 0.5f}}, {"HardSwish", {}},
                     {"Gelu", {}},    {"GeluTanh", {}},   {"Swish", {1.0f}},  {"Swish", {1.702f}},
                     {"Mish", {}}};

NodeBuilder with_act(const char* op, const Act& a) {
  NodeBuilder b(op, 1, "com.onnxrt");
  if (*a.name) b.attr_s("activation", a.name);
  if (!a.params.empty()) b.attr_floats("activation_params", a.params);
  return b;
}

Tensor run1(kernels::Backend backend, const ir::Node& node, const std::vector<Tensor>& in) {
  auto r = run_node(backend, node, in, 1);
  EXPECT_TRUE(r.has_value()) << r.status().to_string();
  return r.has_value() ? (*r)[0] : Tensor();
}

Tensor to_blocked(const Tensor& x) {
  return run1(kernels::Backend::kReference, NodeBuilder("ToBlocked", 1, "com.onnxrt").build(), {x});
}

struct Case {
  Shape x;  // NCHW
  int64_t m;
  int64_t k;  // window (k x k); depthwise when group = C, else dense (1x1 or 3x3)
  bool depthwise;
  std::vector<int64_t> strides, pads, dilations;
  std::string auto_pad;
  int64_t group = 1;  // of a dense conv (depthwise sets group = C)
};

TEST(BlockedConv, MatchesReferenceAndFusedConv) {
  std::mt19937 rng(17);
  const Case cases[] = {
      {{1, 8, 1, 1}, 8, 1, false, {}, {}, {}, ""},
      {{1, 16, 3, 5}, 24, 1, false, {}, {}, {}, ""},       // one group of 3 output blocks
      {{2, 24, 7, 7}, 40, 1, false, {}, {}, {}, ""},       // 3 + 2 blocks, batch 2
      {{1, 40, 14, 14}, 16, 1, false, {}, {}, {}, ""},
      {{1, 8, 17, 3}, 56, 1, false, {}, {}, {}, ""},       // 7 blocks: 3 + 2 + 2
      {{1, 16, 20, 20}, 8, 1, false, {}, {}, {}, ""},      // 400 pixels: several chunks
      {{1, 264, 7, 7}, 16, 1, false, {}, {}, {}, ""},      // K in 2 slices, 49 pixels
      {{2, 520, 3, 5}, 24, 1, false, {}, {}, {}, ""},      // 3 slices, a group of 3 blocks
      {{1, 8, 9, 9}, 8, 3, true, {}, {1, 1, 1, 1}, {}, ""},
      {{2, 24, 14, 13}, 24, 3, true, {2, 2}, {1, 1, 1, 1}, {}, ""},
      {{1, 16, 12, 12}, 16, 5, true, {1, 1}, {2, 2, 2, 2}, {}, ""},
      {{1, 8, 15, 11}, 8, 7, true, {2, 2}, {3, 3, 3, 3}, {}, ""},
      {{1, 8, 10, 10}, 8, 3, true, {1, 1}, {2, 2, 2, 2}, {2, 2}, ""},   // dilation 2
      {{1, 8, 9, 10}, 8, 3, true, {3, 2}, {0, 1, 2, 0}, {}, ""},        // asymmetric
      {{1, 16, 7, 9}, 16, 3, true, {2, 2}, {}, {}, "SAME_UPPER"},
      {{1, 8, 6, 6}, 8, 4, true, {1, 1}, {1, 2, 2, 1}, {}, ""},         // even window
      // 3x3 stride 1: Winograd from 32 x 32 channels (BlockedConvKernel::winograd_pays), dense below.
      {{1, 32, 9, 11}, 32, 3, false, {}, {1, 1, 1, 1}, {}, ""},          // Winograd: tiles past the edges
      {{2, 32, 14, 14}, 48, 3, false, {}, {1, 1, 1, 1}, {}, ""},
      {{1, 32, 6, 7}, 40, 3, false, {1, 1}, {0, 1, 2, 0}, {}, ""},        // asymmetric pads
      {{1, 40, 5, 5}, 32, 3, false, {}, {}, {}, "SAME_UPPER"},
      {{1, 16, 9, 11}, 24, 3, false, {}, {1, 1, 1, 1}, {}, ""},          // dense 3x3
      {{2, 32, 14, 14}, 16, 3, false, {}, {1, 1, 1, 1}, {}, ""},
      {{1, 8, 6, 7}, 8, 3, false, {1, 1}, {0, 1, 2, 0}, {}, ""},
      {{1, 24, 5, 5}, 40, 3, false, {}, {}, {}, "SAME_UPPER"},
      {{1, 16, 14, 13}, 24, 3, false, {2, 2}, {1, 1, 1, 1}, {}, ""},     // dense, per-tap tiles
      {{2, 8, 11, 9}, 16, 3, false, {3, 1}, {0, 2, 1, 1}, {2, 1}, ""},   // dilated, odd strides
      {{1, 8, 12, 11}, 8, 3, false, {1, 2}, {2, 2, 2, 2}, {1, 2}, ""},   // dilated along the width
      {{1, 8, 9, 9}, 8, 5, false, {1, 1}, {2, 2, 2, 2}, {}, ""},          // 5x5, too narrow for Winograd
      {{1, 264, 9, 9}, 16, 3, false, {2, 2}, {1, 1, 1, 1}, {}, ""},      // dense with K in 2 slices
      // Dense with weights larger than the input: tasks split the groups first (RowGroupSplit),
      // 4 groups x 2 row ranges; then 3 groups x 3 row ranges with K in 2 slices.
      {{1, 136, 10, 10}, 64, 3, false, {2, 2}, {1, 1, 1, 1}, {}, ""},
      {{1, 272, 8, 8}, 48, 3, false, {2, 2}, {1, 1, 1, 1}, {}, ""},
      {{2, 16, 14, 13}, 24, 1, false, {2, 2}, {}, {}, ""},               // strided 1x1: compact copy
      {{1, 8, 7, 8}, 8, 1, false, {1, 2}, {}, {}, ""},
      {{1, 8, 8, 8}, 16, 1, false, {2, 2}, {0, 0, 1, 1}, {}, ""},        // 1x1 whose last outputs read padding
      {{1, 8, 5, 6}, 8, 1, false, {1, 1}, {0, 0, 1, 2}, {}, ""},
      // Grouped (ir::blocked_merged_groups): groups of 8+ channels (RegNet, ShuffleNet), groups of 4 or 2
      // merged into whole blocks (ResNeXt), 1x1 at stride 1 and 2, all taps in registers and
      // per-tap tiles (K = 96 per group), 1-3 output blocks per group.
      {{1, 32, 9, 10}, 32, 3, false, {}, {1, 1, 1, 1}, {}, "", 4},
      {{2, 32, 8, 8}, 32, 3, false, {}, {1, 1, 1, 1}, {}, "", 8},
      {{1, 16, 11, 9}, 48, 3, false, {2, 2}, {1, 1, 1, 1}, {}, "", 8},
      {{1, 48, 7, 7}, 48, 3, false, {1, 1}, {1, 1, 1, 1}, {}, "", 2},
      {{1, 48, 6, 8}, 24, 1, false, {}, {}, {}, "", 3},
      {{1, 32, 8, 9}, 64, 1, false, {2, 2}, {}, {}, "", 2},
      {{1, 192, 9, 9}, 32, 3, false, {2, 1}, {1, 1, 1, 1}, {}, "", 2},
      {{1, 64, 10, 10}, 64, 3, false, {1, 1}, {2, 2, 2, 2}, {2, 2}, "", 16},
  };
  for (const Case& c : cases) {
    for (const Act& a : kActs) {
      for (int variant = 0; variant < 3; ++variant) {  // 0: plain, 1: bias, 2: bias + Z
        SCOPED_TRACE(std::string("act '") + a.name + "' variant " + std::to_string(variant) + " x " +
                     shape_to_string(c.x) + " k " + std::to_string(c.k) + (c.depthwise ? " depthwise" : "") +
                     " group " + std::to_string(c.group));
        auto attrs = [&](NodeBuilder b) {
          b.attr_i("group", c.depthwise ? c.x[1] : c.group);
          if (!c.strides.empty()) b.attr_ints("strides", c.strides);
          if (!c.pads.empty()) b.attr_ints("pads", c.pads);
          if (!c.dilations.empty()) b.attr_ints("dilations", c.dilations);
          if (!c.auto_pad.empty()) b.attr_s("auto_pad", c.auto_pad);
          return b.build();
        };
        const ir::Node blocked = attrs(with_act("BlockedConv", a));
        const ir::Node plain = attrs(with_act("FusedConv", a));
        const Tensor x = random_tensor(DType::kFloat32, c.x, rng);
        std::vector<Tensor> in{x, random_tensor(DType::kFloat32, {c.m, c.depthwise ? 1 : c.x[1] / c.group, c.k, c.k}, rng)};
        in.push_back(variant >= 1 ? random_tensor(DType::kFloat32, {c.m}, rng) : Tensor());
        if (variant == 2) {
          const Tensor y = run1(kernels::Backend::kReference, plain, in);
          in.push_back(random_tensor(DType::kFloat32, y.shape(), rng));
        }
        const Tensor expected = to_blocked(run1(kernels::Backend::kReference, plain, in));
        std::vector<Tensor> bin = in;
        bin[0] = to_blocked(x);
        if (variant == 2) bin[3] = to_blocked(in[3]);
        const double tol = 1e-5 * (4 + std::sqrt(static_cast<double>(c.k * c.k * (c.depthwise ? 1 : c.x[1]))));
        EXPECT_TRUE(tensors_close(run1(kernels::Backend::kCpu, blocked, bin), expected, tol, 1e-5));
        expect_matches_reference(blocked, bin, 1, tol, 1e-5);
      }
    }
  }
}

// Which kernel a 3x3 stride-1 BlockedConv prepares: Winograd when both the channels (C * M >= 1024)
// and the declared image (two or more 4x4 output tiles) are large enough to pay for its
// transforms, else the dense kernel; with H and W unknown, the channels alone decide.
TEST(BlockedConv, PicksWinogradOnlyWhereItPays) {
  const ir::Node node = NodeBuilder("BlockedConv", 1, "com.onnxrt").attr_ints("pads", {1, 1, 1, 1}).build();
  auto variant = [&](int64_t c, int64_t m, int64_t h, int64_t w, int64_t n = 1) {
    return cpu_variant_with_constant_w(node, {n, c / 8, h, w, 8}, {m, c, 3, 3});
  };
  EXPECT_EQ(variant(64, 64, 8, 8), "blocked_winograd_f4");
  EXPECT_EQ(variant(32, 32, 16, 16), "blocked_winograd_f4");
  EXPECT_EQ(variant(16, 64, 16, 16), "blocked_winograd_f4");
  EXPECT_EQ(variant(64, 64, 4, 8), "blocked_winograd_f4");      // two tiles
  EXPECT_EQ(variant(64, 64, 4, 4, 2), "blocked_winograd_f4");   // one tile per image, two images
  EXPECT_EQ(variant(64, 64, 4, 4), "blocked_direct");           // a single tile
  EXPECT_EQ(variant(128, 128, 3, 3), "blocked_direct");
  EXPECT_EQ(variant(16, 32, 16, 16), "blocked_direct");         // C * M = 512
  EXPECT_EQ(variant(24, 24, 56, 56), "blocked_direct");
  EXPECT_EQ(variant(8, 8, 32, 32), "blocked_direct");
  EXPECT_EQ(variant(64, 64, -1, -1), "blocked_winograd_f4");    // H, W unknown: channels decide
  EXPECT_EQ(variant(16, 16, -1, -1), "blocked_direct");
}

// x_layout "NCHW": a stem on an image writes blocked output from an NCHW input of any channel
// count, against the reference FusedConv on the same data (then blocked) and the blocked
// reference. Windows 3 and 7, width strides 1 and 2, pads past the edges, dilation, 1-3 groups
// of output blocks, rows too short for one tile.
TEST(BlockedConv, NchwInputStemMatchesReferenceAndFusedConv) {
  std::mt19937 rng(29);
  const Case cases[] = {
      {{1, 3, 16, 16}, 32, 3, false, {2, 2}, {1, 1, 1, 1}, {}, ""},   // MobileNetV2's stem
      {{2, 3, 23, 21}, 64, 7, false, {2, 2}, {3, 3, 3, 3}, {}, ""},   // ResNet's
      {{1, 1, 9, 10}, 8, 3, false, {1, 1}, {1, 1, 1, 1}, {}, ""},
      {{1, 4, 11, 7}, 24, 3, false, {1, 2}, {0, 2, 1, 0}, {2, 1}, ""},
      {{1, 5, 6, 3}, 40, 5, false, {1, 1}, {2, 2, 2, 2}, {}, ""},
      {{1, 3, 12, 12}, 16, 3, false, {2, 2}, {}, {}, "SAME_UPPER"},
      {{1, 2, 4, 4}, 8, 1, false, {}, {}, {}, ""},
  };
  for (const Case& c : cases) {
    for (const Act& a : {kActs[0], kActs[2], kActs[5]}) {
      for (bool with_bias : {false, true}) {
        SCOPED_TRACE(std::string("act '") + a.name + "' bias " + std::to_string(with_bias) + " x " +
                     shape_to_string(c.x) + " k " + std::to_string(c.k));
        auto attrs = [&](NodeBuilder b) {
          if (!c.strides.empty()) b.attr_ints("strides", c.strides);
          if (!c.pads.empty()) b.attr_ints("pads", c.pads);
          if (!c.dilations.empty()) b.attr_ints("dilations", c.dilations);
          if (!c.auto_pad.empty()) b.attr_s("auto_pad", c.auto_pad);
          return b.build();
        };
        const ir::Node stem = attrs(with_act("BlockedConv", a).attr_s("x_layout", "NCHW"));
        const ir::Node plain = attrs(with_act("FusedConv", a));
        std::vector<Tensor> in{random_tensor(DType::kFloat32, c.x, rng),
                               random_tensor(DType::kFloat32, {c.m, c.x[1], c.k, c.k}, rng)};
        if (with_bias) in.push_back(random_tensor(DType::kFloat32, {c.m}, rng));
        const Tensor expected = to_blocked(run1(kernels::Backend::kReference, plain, in));
        const double tol = 1e-5 * (4 + std::sqrt(static_cast<double>(c.k * c.k * c.x[1])));
        EXPECT_TRUE(tensors_close(run1(kernels::Backend::kCpu, stem, in), expected, tol, 1e-5));
        expect_matches_reference(stem, in, 1, tol, 1e-5);
      }
    }
  }
}

TEST(BlockedConv, LayoutChangesMatchReference) {
  std::mt19937 rng(19);
  for (const Shape& s : {Shape{1, 8, 1, 1}, Shape{2, 16, 5, 7}, Shape{1, 24, 112, 112}, Shape{3, 8, 0, 4}}) {
    const Tensor x = random_tensor(DType::kFloat32, s, rng);
    expect_matches_reference(NodeBuilder("ToBlocked", 1, "com.onnxrt").build(), {x}, 1, 0, 0);
    const Tensor b = to_blocked(x);
    expect_matches_reference(NodeBuilder("FromBlocked", 1, "com.onnxrt").build(), {b}, 1, 0, 0);
    EXPECT_TRUE(tensors_close(run1(kernels::Backend::kCpu, NodeBuilder("FromBlocked", 1, "com.onnxrt").build(), {b}),
                              x, 0, 0));
  }
}

TEST(BlockedConv, Errors) {
  std::mt19937 rng(23);
  auto has = [](const Status& s, const std::string& what) {
    return s.message().find(what) != std::string::npos;
  };
  const Tensor xb = random_tensor(DType::kFloat32, {1, 2, 5, 5, 8}, rng);
  // A dense conv with a width stride of 3 is none of the kinds: refused at creation, naming it.
  auto dense = NodeBuilder("BlockedConv", 1, "com.onnxrt").name("bc").attr_ints("pads", {1, 1, 1, 1})
                   .attr_ints("strides", {1, 3}).build();
  auto e = run_node(kernels::Backend::kCpu, dense, {xb, random_tensor(DType::kFloat32, {16, 16, 3, 3}, rng)}, 1);
  ASSERT_FALSE(e.has_value());
  EXPECT_TRUE(has(e.status(), "bc")) << e.status().to_string();
  EXPECT_TRUE(has(e.status(), "width stride")) << e.status().to_string();
  // A grouped conv whose groups do not fill whole blocks (8 groups of 2 inputs and 1 output:
  // merged 4 at a time they would write half a block), likewise.
  auto grouped = NodeBuilder("BlockedConv", 1, "com.onnxrt").attr_i("group", 8).attr_ints("pads", {1, 1, 1, 1}).build();
  auto g = run_node(kernels::Backend::kCpu, grouped, {xb, random_tensor(DType::kFloat32, {8, 2, 3, 3}, rng)}, 1);
  ASSERT_FALSE(g.has_value());
  EXPECT_TRUE(has(g.status(), "group 8")) << g.status().to_string();
  // Output channels that are not a multiple of 8, and channels that do not match W.
  auto pw = NodeBuilder("BlockedConv", 1, "com.onnxrt").build();
  EXPECT_FALSE(run_node(kernels::Backend::kCpu, pw, {xb, random_tensor(DType::kFloat32, {12, 16, 1, 1}, rng)}, 1)
                   .has_value());
  EXPECT_FALSE(run_node(kernels::Backend::kCpu, pw, {xb, random_tensor(DType::kFloat32, {8, 24, 1, 1}, rng)}, 1)
                   .has_value());
  // An NCHW tensor where a blocked one belongs, a Z of the wrong shape, a bias of the wrong size.
  EXPECT_FALSE(run_node(kernels::Backend::kCpu, pw,
                        {random_tensor(DType::kFloat32, {1, 16, 5, 5}, rng),
                         random_tensor(DType::kFloat32, {8, 16, 1, 1}, rng)}, 1)
                   .has_value());
  const Tensor w = random_tensor(DType::kFloat32, {8, 16, 1, 1}, rng);
  EXPECT_FALSE(run_node(kernels::Backend::kCpu, pw,
                        {xb, w, random_tensor(DType::kFloat32, {8}, rng),
                         random_tensor(DType::kFloat32, {1, 1, 5, 4, 8}, rng)}, 1)
                   .has_value());
  EXPECT_FALSE(run_node(kernels::Backend::kCpu, pw, {xb, w, random_tensor(DType::kFloat32, {7}, rng)}, 1).has_value());
  // x_layout "NCHW": blocked X, a Z, more than one group, an unknown layout.
  auto stem = NodeBuilder("BlockedConv", 1, "com.onnxrt").name("stem").attr_s("x_layout", "NCHW").build();
  const Tensor x3 = random_tensor(DType::kFloat32, {1, 3, 5, 5}, rng), w3 = random_tensor(DType::kFloat32, {8, 3, 1, 1}, rng);
  EXPECT_TRUE(run_node(kernels::Backend::kCpu, stem, {x3, w3}, 1).has_value());
  EXPECT_FALSE(run_node(kernels::Backend::kCpu, stem, {xb, w3}, 1).has_value());
  auto sz = run_node(kernels::Backend::kCpu, stem,
                     {x3, w3, random_tensor(DType::kFloat32, {8}, rng), random_tensor(DType::kFloat32, {1, 1, 5, 5, 8}, rng)}, 1);
  ASSERT_FALSE(sz.has_value());
  EXPECT_TRUE(has(sz.status(), "no Z")) << sz.status().to_string();
  auto sg = run_node(kernels::Backend::kCpu,
                     NodeBuilder("BlockedConv", 1, "com.onnxrt").attr_s("x_layout", "NCHW").attr_i("group", 3).build(),
                     {x3, random_tensor(DType::kFloat32, {24, 1, 1, 1}, rng)}, 1);
  ASSERT_FALSE(sg.has_value());
  EXPECT_TRUE(has(sg.status(), "group 3")) << sg.status().to_string();
  auto sl = run_node(kernels::Backend::kCpu, NodeBuilder("BlockedConv", 1, "com.onnxrt").attr_s("x_layout", "NHWC").build(),
                     {x3, w3}, 1);
  ASSERT_FALSE(sl.has_value());
  EXPECT_TRUE(has(sl.status(), "x_layout")) << sl.status().to_string();
  // ToBlocked needs a channel count that is a multiple of 8.
  auto tb = run_node(kernels::Backend::kCpu, NodeBuilder("ToBlocked", 1, "com.onnxrt").build(),
                     {random_tensor(DType::kFloat32, {1, 12, 2, 2}, rng)}, 1);
  ASSERT_FALSE(tb.has_value());
  EXPECT_TRUE(has(tb.status(), "multiple of 8")) << tb.status().to_string();
}

}  // namespace
}  // namespace onnxrt::testing
