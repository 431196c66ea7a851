// The fused ops (com.onnxrt FusedConv, FusedMatMul): CPU kernels vs their reference kernels
// (reference Conv / MatMul plus a naive epilogue) over swept shapes and every activation, plus
// hand-computed values and error cases. The nn_conv.cc blocking edges are swept here too: K past
// one 256-deep block, more than 144 output channels, more than 1024 output pixels, channel counts
// that are not multiples of the 12-row microkernel.
#include <gtest/gtest.h>

#include <cmath>
#include <random>

#include "ir/infer_fused.h"
#include "kernels/harness.h"

namespace onnxrt::testing {
namespace {

Tensor f32(Shape s, std::vector<float> v) { return make_tensor<float>(DType::kFloat32, std::move(s), v); }

struct Act {
  const char* name;
  std::vector<float> params;
};

const Act kActs[] = {{"", {}},         {"Relu", {}},          {"Clip", {0.f, 6.f}},
                     {"Sigmoid", {}},  {"Tanh", {}},          {"LeakyRelu", {0.1f}},
                     {"HardSigmoid", {0.2f, 0.5f}},          {"HardSwish", {}},
                     {"Gelu", {}},     {"GeluTanh", {}},   {"Swish", {1.0f}},  {"Swish", {1.702f}},
                     {"Mish", {}}};

NodeBuilder fused(const char* op, const Act& a) {
  NodeBuilder b(op, 1, "com.onnxrt");
  if (*a.name) b.attr_s("activation", a.name);
  if (!a.params.empty()) b.attr_floats("activation_params", a.params);
  return b;
}

struct ConvCase {
  Shape x, w;
  int64_t group;
  std::vector<int64_t> strides, pads, dilations;
};

TEST(FusedConv, MatchesReference) {
  std::mt19937 rng(41);
  const ConvCase cases[] = {
      {{1, 3, 5, 5}, {4, 3, 1, 1}, 1, {}, {}, {}},                      // pointwise
      {{2, 5, 7, 6}, {13, 5, 3, 3}, 1, {}, {1, 1, 1, 1}, {}},          // 13 rows: a short panel
      {{1, 4, 9, 8}, {6, 4, 3, 2}, 1, {2, 3}, {0, 1, 2, 0}, {}},
      {{1, 2, 10, 11}, {3, 2, 3, 3}, 1, {1, 2}, {2, 1, 0, 3}, {2, 3}},
      {{2, 6, 7, 7}, {9, 2, 3, 3}, 3, {}, {1, 1, 1, 1}, {}},           // groups
      {{1, 8, 9, 9}, {8, 1, 3, 3}, 8, {}, {1, 1, 1, 1}, {}},           // depthwise
      {{1, 16, 20, 37}, {16, 1, 3, 3}, 16, {2, 2}, {1, 1, 1, 1}, {}},  // depthwise stride 2
      {{2, 4, 8, 7}, {8, 1, 3, 3}, 4, {1, 1}, {0, 1, 1, 0}, {}},       // multiplier 2
      {{1, 5, 11, 40}, {5, 1, 5, 3}, 5, {1, 3}, {3, 2, 1, 2}, {2, 1}},
      {{2, 3, 17}, {4, 3, 3}, 1, {2}, {1, 2}, {}},                     // 1-D
      {{1, 2, 5, 6, 4}, {3, 2, 3, 3, 2}, 1, {1, 2, 1}, {1, 1, 0, 1, 1, 1}, {}},  // 3-D
      {{0, 3, 5, 5}, {4, 3, 3, 3}, 1, {}, {1, 1, 1, 1}, {}},           // empty batch
      {{1, 0, 5, 5}, {4, 0, 3, 3}, 1, {}, {}, {}},                     // K = 0
      {{1, 40, 12, 12}, {150, 40, 3, 3}, 1, {}, {1, 1, 1, 1}, {}},     // K = 360, M = 150
      {{1, 300, 7, 7}, {20, 300, 1, 1}, 1, {}, {}, {}},                // pointwise, K = 300
      {{1, 8, 40, 40}, {12, 8, 3, 3}, 1, {}, {1, 1, 1, 1}, {}},        // 1600 pixels
      {{3, 16, 10, 10}, {24, 16, 1, 1}, 1, {}, {}, {}},                // batch: threads per image
  };
  for (const ConvCase& c : cases) {
    // The big cases exercise blocking, not activations: a few of those keep the suite fast.
    const bool big = shape_size(c.x) * c.w[0] > 50000;
    for (const Act& a : kActs) {
      if (big && a.name != std::string("Clip") && a.name != std::string("Sigmoid")) continue;
      for (int variant = 0; variant < 3; ++variant) {  // 0: plain, 1: bias, 2: bias + Z
        NodeBuilder b = fused("FusedConv", a);
        b.attr_i("group", c.group);
        if (!c.strides.empty()) b.attr_ints("strides", c.strides);
        if (!c.pads.empty()) b.attr_ints("pads", c.pads);
        if (!c.dilations.empty()) b.attr_ints("dilations", c.dilations);
        std::vector<Tensor> in{random_tensor(DType::kFloat32, c.x, rng),
                               random_tensor(DType::kFloat32, c.w, rng)};
        in.push_back(variant >= 1 ? random_tensor(DType::kFloat32, {c.w[0]}, rng) : Tensor());
        if (variant == 2) {
          // Z has the output's shape: run the reference once for it.
          auto y = run_node(kernels::Backend::kReference, b.build(), in, 1);
          ASSERT_TRUE(y.has_value()) << y.status().to_string();
          in.push_back(random_tensor(DType::kFloat32, (*y)[0].shape(), rng));
        }
        SCOPED_TRACE(std::string("act '") + a.name + "' variant " + std::to_string(variant) + " x " +
                     shape_to_string(c.x) + " w " + shape_to_string(c.w));
        const double k = static_cast<double>(shape_size(c.w) / std::max<int64_t>(1, c.w[0]));
        expect_matches_reference(b.build(), in, 1, 1e-5 * (4 + std::sqrt(k)), 1e-5);
      }
    }
  }
}

TEST(FusedConv, PinnedAndErrors) {
  // y = relu(2x - 5 + z), z = 1: x = 1..4 -> 0, 0, 2, 4.
  auto node = NodeBuilder("FusedConv", 1, "com.onnxrt").attr_s("activation", "Relu").build();
  std::vector<Tensor> in{f32({1, 1, 2, 2}, {1, 2, 3, 4}), f32({1, 1, 1, 1}, {2}), f32({1}, {-5}),
                         f32({1, 1, 2, 2}, {1, 1, 1, 1})};
  for (auto backend : {kernels::Backend::kCpu, kernels::Backend::kReference}) {
    auto r = run_node(backend, node, in, 1);
    ASSERT_TRUE(r.has_value()) << r.status().to_string();
    EXPECT_TRUE(tensors_close((*r)[0], f32({1, 1, 2, 2}, {0, 0, 2, 4}), 0, 0));
  }
  // Clip(0, 6): a 3x3 box of ones over a 3x3 input of ones, pads 1 -> 4 6 4 / 6 9 6 / 4 6 4, clipped.
  auto dw = NodeBuilder("FusedConv", 1, "com.onnxrt").attr_s("activation", "Clip")
                .attr_floats("activation_params", {0.f, 6.f}).attr_i("group", 1)
                .attr_ints("pads", {1, 1, 1, 1}).build();
  auto r = run_node(kernels::Backend::kCpu, dw, {f32({1, 1, 3, 3}, std::vector<float>(9, 1.f)),
                                                 f32({1, 1, 3, 3}, std::vector<float>(9, 1.f))}, 1);
  ASSERT_TRUE(r.has_value()) << r.status().to_string();
  EXPECT_TRUE(tensors_close((*r)[0], f32({1, 1, 3, 3}, {4, 6, 4, 6, 6, 6, 4, 6, 4}), 0, 0));
  // Errors are values naming the node: unknown activation, wrong parameter count, Z's shape.
  auto bad = NodeBuilder("FusedConv", 1, "com.onnxrt").name("fc").attr_s("activation", "Celu").build();
  auto e = run_node(kernels::Backend::kCpu, bad, {in[0], in[1]}, 1);
  ASSERT_FALSE(e.has_value());
  EXPECT_NE(e.status().message().find("Celu"), std::string::npos);
  EXPECT_NE(e.status().message().find("fc"), std::string::npos);
  auto bad_params = NodeBuilder("FusedConv", 1, "com.onnxrt").attr_s("activation", "Clip").build();
  EXPECT_FALSE(run_node(kernels::Backend::kCpu, bad_params, {in[0], in[1]}, 1).has_value());
  EXPECT_FALSE(run_node(kernels::Backend::kCpu, node,
                        {in[0], in[1], in[2], f32({1, 1, 1, 2}, {1, 1})}, 1).has_value());
}

// A FusedMatMul node against the reference in three variants: no bias, a bias of the N output
// columns, and a bias plus a residual Z of the output's shape.
void expect_fused_matmul_variants(const ir::Node& node, const Shape& a, const Shape& b, int64_t n,
                                  const std::string& act, std::mt19937& rng) {
  for (int variant = 0; variant < 3; ++variant) {
    std::vector<Tensor> in{random_tensor(DType::kFloat32, a, rng), random_tensor(DType::kFloat32, b, rng)};
    in.push_back(variant >= 1 ? random_tensor(DType::kFloat32, {n}, rng) : Tensor());
    if (variant == 2) {
      auto y = run_node(kernels::Backend::kReference, node, in, 1);
      ASSERT_TRUE(y.has_value()) << y.status().to_string();
      in.push_back(random_tensor(DType::kFloat32, (*y)[0].shape(), rng));
    }
    SCOPED_TRACE("act '" + act + "' variant " + std::to_string(variant) + " a " + shape_to_string(a) + " b " +
                 shape_to_string(b));
    const double k = static_cast<double>(a.back());
    expect_matches_reference(node, in, 1, 1e-5 * (4 + std::sqrt(k)), 1e-5);
  }
}

TEST(FusedMatMul, MatchesReference) {
  std::mt19937 rng(42);
  struct Case {
    Shape a, b;
  };
  const Case cases[] = {
      {{5, 7}, {7, 9}},       {{1, 64}, {64, 33}},      {{2, 3, 16}, {16, 40}},
      {{0, 8}, {8, 5}},       {{4, 0}, {0, 6}},         {{130, 96}, {96, 70}},  // row bands
      {{2, 64, 32}, {2, 32, 17}},                                                // batched B
      {{7}, {7, 3}},
  };
  for (const Case& c : cases) {
    for (const Act& a : kActs) {
      expect_fused_matmul_variants(fused("FusedMatMul", a).build(), c.a, c.b, c.b.back(), a.name, rng);
    }
  }
}

TEST(FusedMatMul, TransBMatchesReference) {
  // trans_b = 1 (passes/fuse_matmul_transpose.cc): B is [N, K]; the CPU kernel packs B^T straight
  // from it. Shapes cross the microkernel's 32-column panels, the 256-deep K blocks and the row
  // bands; A of rank 1, 2 and 3.
  std::mt19937 rng(43);
  struct Case {
    Shape a, b;
  };
  const Case cases[] = {
      {{5, 7}, {9, 7}},   {{1, 64}, {33, 64}},   {{2, 3, 16}, {40, 16}}, {{0, 8}, {5, 8}},
      {{4, 0}, {6, 0}},   {{130, 300}, {70, 300}}, {{7}, {3, 7}},        {{3, 5}, {1, 5}},
  };
  for (const Case& c : cases) {
    for (const Act& a : {kActs[0], kActs[1], kActs[8]}) {
      expect_fused_matmul_variants(fused("FusedMatMul", a).attr_i("trans_b", 1).build(), c.a, c.b, c.b[0], a.name,
                                   rng);
    }
  }
  // Pinned: [1 2; 3 4] @ [5 6; 7 8]^T = [17 23; 39 53].
  auto node = NodeBuilder("FusedMatMul", 1, "com.onnxrt").attr_i("trans_b", 1).build();
  for (auto backend : {kernels::Backend::kCpu, kernels::Backend::kReference}) {
    auto r = run_node(backend, node, {f32({2, 2}, {1, 2, 3, 4}), f32({2, 2}, {5, 6, 7, 8})}, 1);
    ASSERT_TRUE(r.has_value()) << r.status().to_string();
    EXPECT_TRUE(tensors_close((*r)[0], f32({2, 2}, {17, 23, 39, 53}), 0, 0));
  }
  // B must be 2-D, and its K (columns) must match A's; errors name the node.
  auto named = NodeBuilder("FusedMatMul", 1, "com.onnxrt").name("lm_head").attr_i("trans_b", 1).build();
  auto e = run_node(kernels::Backend::kCpu, named, {f32({2, 3}, std::vector<float>(6, 1.f)),
                                                    f32({1, 2, 3}, std::vector<float>(6, 1.f))}, 1);
  ASSERT_FALSE(e.has_value());
  EXPECT_NE(e.status().message().find("lm_head"), std::string::npos);
  EXPECT_NE(e.status().message().find("2-D"), std::string::npos);
  EXPECT_FALSE(run_node(kernels::Backend::kCpu, named, {f32({2, 3}, std::vector<float>(6, 1.f)),
                                                        f32({3, 2}, std::vector<float>(6, 1.f))}, 1)
                   .has_value());
  auto bad = NodeBuilder("FusedMatMul", 1, "com.onnxrt").attr_i("trans_b", 2).build();
  EXPECT_FALSE(run_node(kernels::Backend::kCpu, bad, {f32({1, 1}, {1}), f32({1, 1}, {1})}, 1).has_value());
}

TEST(FusedMatMul, LargeShapesEpilogueInTheGemm) {
  // The packed path runs the epilogue inside the GEMM, block by block: shapes past the driver's
  // 144-row A blocks, 256-deep K blocks, 1024-column N blocks and 128-column epilogue groups, on
  // the 2-thread test pool, with bias, residual and an activation.
  std::mt19937 rng(44);
  struct Case {
    Shape a, b;
    bool trans_b;
  };
  const Case cases[] = {{{2, 75, 260}, {260, 1100}, false}, {{150, 130}, {1030, 130}, true}};
  for (const Case& c : cases) {
    for (const Act& a : {kActs[0], kActs[8]}) {
      auto node = fused("FusedMatMul", a).attr_i("trans_b", c.trans_b ? 1 : 0).build();
      const int64_t n = c.trans_b ? c.b[0] : c.b[1];
      std::vector<Tensor> in{random_tensor(DType::kFloat32, c.a, rng), random_tensor(DType::kFloat32, c.b, rng),
                             random_tensor(DType::kFloat32, {n}, rng)};
      Shape y = c.a;
      y.back() = n;
      in.push_back(random_tensor(DType::kFloat32, y, rng));
      SCOPED_TRACE(std::string("act '") + a.name + "' a " + shape_to_string(c.a) + " b " + shape_to_string(c.b));
      const double k = static_cast<double>(c.a.back());
      expect_matches_reference(node, in, 1, 1e-5 * (4 + std::sqrt(k)), 1e-5);
    }
  }
}

TEST(FusedMatMul, PinnedAndErrors) {
  // [1 2; 3 4] @ I + [10, -10] + Z(1) -> Relu: [12, 0; 14, 0].
  auto node = NodeBuilder("FusedMatMul", 1, "com.onnxrt").attr_s("activation", "Relu").build();
  std::vector<Tensor> in{f32({2, 2}, {1, 2, 3, 4}), f32({2, 2}, {1, 0, 0, 1}), f32({2}, {10, -10}),
                         f32({2, 2}, {1, 1, 1, 1})};
  for (auto backend : {kernels::Backend::kCpu, kernels::Backend::kReference}) {
    auto r = run_node(backend, node, in, 1);
    ASSERT_TRUE(r.has_value()) << r.status().to_string();
    EXPECT_TRUE(tensors_close((*r)[0], f32({2, 2}, {12, 0, 14, 0}), 0, 0));
  }
  // Gelu(1) = 0.8413447.
  auto gelu = NodeBuilder("FusedMatMul", 1, "com.onnxrt").attr_s("activation", "Gelu").build();
  auto r = run_node(kernels::Backend::kCpu, gelu, {f32({1, 1}, {1}), f32({1, 1}, {1})}, 1);
  ASSERT_TRUE(r.has_value());
  EXPECT_TRUE(tensors_close((*r)[0], f32({1, 1}, {0.8413447f}), 1e-6, 1e-6));
  // A bias of the wrong length is an error value.
  EXPECT_FALSE(run_node(kernels::Backend::kCpu, node, {in[0], in[1], f32({3}, {1, 2, 3})}, 1).has_value());
}

}  // namespace
}  // namespace onnxrt::testing
