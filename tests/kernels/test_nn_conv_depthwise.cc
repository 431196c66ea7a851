// Depthwise Conv / FusedConv (kernels/cpu/nn_conv_depthwise.cc) against the reference Conv: the
// channel-blocked path (16 channels per vector, rows split into bands) and the per-plane path
// (wide stride-1 planes, depth multiplier > 1), swept over channel counts around the 16-channel
// blocks (1 to 130), odd plane sizes, strides, dilations, asymmetric pads, kernel sizes, batches,
// band splits, and the FusedConv epilogues (clamped in registers, or a second pass with Z).
#include <gtest/gtest.h>

#include <cmath>
#include <random>

#include "kernels/harness.h"

namespace onnxrt::testing {
namespace {

struct DwCase {
  int64_t n, c, h, w, kh, kw;
  std::vector<int64_t> strides, dilations, pads;
  int64_t multiplier = 1;
};

struct Act {
  const char* name;  // "" = plain Conv
  std::vector<float> params;
};

Tensor run_reference_shape(const ir::Node& node, const std::vector<Tensor>& in) {
  auto y = run_node(kernels::Backend::kReference, node, in, 1);
  EXPECT_TRUE(y.has_value()) << y.status().to_string();
  return y.has_value() ? (*y)[0] : Tensor();
}

void check(const DwCase& c, const Act& act, bool bias, bool z, std::mt19937& rng) {
  const int64_t m = c.c * c.multiplier;
  NodeBuilder b = *act.name || z ? NodeBuilder("FusedConv", 1, "com.onnxrt") : NodeBuilder("Conv", 22);
  if (*act.name) b.attr_s("activation", act.name);
  if (!act.params.empty()) b.attr_floats("activation_params", act.params);
  b.attr_i("group", c.c);
  b.attr_ints("kernel_shape", {c.kh, c.kw});
  if (!c.strides.empty()) b.attr_ints("strides", c.strides);
  if (!c.dilations.empty()) b.attr_ints("dilations", c.dilations);
  if (!c.pads.empty()) b.attr_ints("pads", c.pads);
  const ir::Node node = b.build();
  std::vector<Tensor> in{random_tensor(DType::kFloat32, {c.n, c.c, c.h, c.w}, rng),
                         random_tensor(DType::kFloat32, {m, 1, c.kh, c.kw}, rng)};
  if (bias || z) in.push_back(bias ? random_tensor(DType::kFloat32, {m}, rng) : Tensor());
  if (z) {
    const Tensor y = run_reference_shape(node, in);
    in.push_back(random_tensor(DType::kFloat32, y.shape(), rng));
  }
  SCOPED_TRACE("x [" + std::to_string(c.n) + "," + std::to_string(c.c) + "," + std::to_string(c.h) + "," +
               std::to_string(c.w) + "] k " + std::to_string(c.kh) + "x" + std::to_string(c.kw) + " mult " +
               std::to_string(c.multiplier) + " act '" + act.name + "' bias " + std::to_string(bias) + " z " +
               std::to_string(z));
  expect_matches_reference(node, in, 1, 1e-5 * (4 + std::sqrt(double(c.kh * c.kw))), 1e-5);
}

TEST(NnConvDepthwise, MatchesReferenceOverShapes) {
  std::mt19937 rng(23);
  const DwCase cases[] = {
      // channel counts around the 16-channel blocks, MobileNet-like 3x3 pad 1
      {1, 1, 7, 7, 3, 3, {}, {}, {1, 1, 1, 1}},
      {1, 2, 7, 7, 3, 3, {}, {}, {1, 1, 1, 1}},
      {1, 15, 7, 7, 3, 3, {}, {}, {1, 1, 1, 1}},
      {1, 16, 7, 7, 3, 3, {}, {}, {1, 1, 1, 1}},
      {1, 17, 14, 14, 3, 3, {2, 2}, {}, {0, 0, 1, 1}},
      {2, 33, 9, 11, 3, 3, {}, {}, {1, 1, 1, 1}},
      {1, 130, 5, 6, 3, 3, {2, 2}, {}, {1, 1, 1, 1}},
      // odd planes, 1x1 planes, no pad, asymmetric pads, larger / non-square kernels
      {3, 18, 1, 1, 3, 3, {}, {}, {1, 1, 1, 1}},
      {1, 20, 3, 5, 1, 1, {}, {}, {}},
      {1, 21, 13, 9, 5, 5, {}, {}, {2, 1, 2, 3}},
      {1, 19, 10, 17, 2, 3, {1, 2}, {}, {0, 1, 1, 0}},
      {2, 24, 12, 10, 3, 3, {3, 2}, {2, 1}, {2, 2, 1, 0}},
      {1, 16, 11, 12, 3, 3, {}, {2, 3}, {2, 3, 2, 3}},
      {1, 17, 6, 6, 3, 3, {}, {}, {3, 0, 0, 3}},  // rows and columns of pure padding
      // a plane tall enough for several row bands per task
      {1, 17, 80, 80, 3, 3, {2, 2}, {}, {1, 1, 1, 1}},
      {2, 40, 130, 31, 3, 3, {1, 1}, {}, {1, 1, 1, 1}},
      // wide stride-1 planes (per-plane path) and depth multiplier 2 (per-plane path)
      {1, 18, 50, 50, 3, 3, {}, {}, {1, 1, 1, 1}},
      {2, 5, 9, 8, 3, 3, {2, 1}, {}, {1, 0, 1, 1}, 2},
  };
  for (const DwCase& c : cases) {
    check(c, {""}, true, false, rng);
    check(c, {""}, false, false, rng);
  }
}

// The 3x3 per-plane kernel (dwconv_3x3_f32_avx512.cc: stride 1 or 2, output width > 8): every
// remainder of its row bands (8 rows at stride 1, 4 at stride 2), column tails around its
// 16-lane vectors, pads of 0 to 3 on each side (padding comes from load masks, including rows
// and columns that are pure padding), widths narrower than one vector, batches, and depth
// multiplier 2.
TEST(NnConvDepthwise, ThreeByThreePerPlaneKernel) {
  std::mt19937 rng(31);
  std::vector<DwCase> cases;
  for (int64_t h : {1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 15, 16, 17})
    cases.push_back({1, 3, h, 9 + h % 4 * 8, 3, 3, {}, {}, {1, 1, 1, 1}});
  for (int64_t h : {1, 2, 3, 4, 5, 8, 9, 18, 19})
    cases.push_back({1, 3, h, 2 * (9 + h % 3 * 8) + h % 2, 3, 3, {2, 2}, {}, {1, 1, 1, 1}});
  const DwCase more[] = {
      {2, 5, 12, 31, 3, 3, {}, {}, {0, 0, 0, 0}},
      {1, 4, 13, 33, 3, 3, {}, {}, {2, 3, 0, 1}},
      {1, 4, 7, 14, 3, 3, {}, {}, {3, 3, 3, 3}},  // rows and columns of pure padding
      {1, 4, 21, 40, 3, 3, {2, 2}, {}, {0, 0, 0, 0}},
      {1, 4, 21, 39, 3, 3, {2, 2}, {}, {0, 1, 1, 0}},
      {1, 4, 10, 23, 3, 3, {2, 2}, {}, {2, 3, 3, 2}},
      {2, 6, 17, 34, 3, 3, {2, 2}, {}, {1, 1, 1, 1}},
      {1, 3, 16, 64, 3, 3, {2, 2}, {}, {1, 1, 1, 1}, 2},
      {1, 3, 20, 20, 3, 3, {}, {}, {1, 1, 1, 1}, 2},
  };
  cases.insert(cases.end(), std::begin(more), std::end(more));
  for (const DwCase& c : cases) check(c, {""}, true, false, rng);
  check(more[1], {"Relu", {}}, true, false, rng);
  check(more[4], {"Clip", {-0.5f, 0.25f}}, true, false, rng);
  check(more[4], {"HardSwish", {}}, true, true, rng);
}

TEST(NnConvDepthwise, FusedEpilogues) {
  std::mt19937 rng(29);
  const Act acts[] = {{"Relu", {}}, {"Clip", {-0.5f, 0.25f}}, {"LeakyRelu", {0.1f}}, {"Sigmoid", {}},
                      {"HardSwish", {}}};
  const DwCase cases[] = {
      {1, 17, 7, 7, 3, 3, {}, {}, {1, 1, 1, 1}},
      {2, 33, 14, 13, 3, 3, {2, 2}, {}, {1, 1, 1, 1}},
      {1, 16, 60, 60, 3, 3, {}, {}, {1, 1, 1, 1}},  // per-plane path
      {2, 9, 5, 7, 1, 1, {}, {}, {}},               // 1x1: planes scaled (an unfused BatchNorm)
      {1, 3, 4, 9, 1, 1, {}, {}, {}, 2},            // 1x1 with depth multiplier 2
  };
  for (const DwCase& c : cases)
    for (const Act& a : acts) {
      check(c, a, true, false, rng);  // clamped in registers (Relu, Clip) or a second pass
      check(c, a, true, true, rng);   // with Z: always a second pass
    }
  check(cases[0], {""}, false, true, rng);  // Z without an activation
}

}  // namespace
}  // namespace onnxrt::testing
