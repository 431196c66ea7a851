// The direct (no im2col) Conv path (kernels/cpu/nn_conv_direct.cc: small K = C*KH*KW, constant
// W, AVX-512) against the reference Conv: output channel counts around its 8- and 12-row panels,
// output rows around its 16-pixel vectors (pairs of vectors span rows), strides 1 to 3 (column
// phases), dilations, asymmetric pads, K up to its 256 limit and past it (GEMM path), batches,
// and the FusedConv epilogues (clamped in registers, or a second pass with Z); the same for
// pointwise convs.
#include <gtest/gtest.h>

#include <cmath>
#include <random>

#include "base/cpu_features.h"
#include "kernels/harness.h"

namespace onnxrt::testing {
namespace {

struct DirectCase {
  Shape x, w;
  std::vector<int64_t> strides, dilations, pads;
};

void check(const DirectCase& c, const char* act, std::vector<float> params, bool bias, bool z, std::mt19937& rng) {
  NodeBuilder b = *act || z ? NodeBuilder("FusedConv", 1, "com.onnxrt") : NodeBuilder("Conv", 22);
  if (*act) b.attr_s("activation", act);
  if (!params.empty()) b.attr_floats("activation_params", params);
  if (!c.strides.empty()) b.attr_ints("strides", c.strides);
  if (!c.dilations.empty()) b.attr_ints("dilations", c.dilations);
  if (!c.pads.empty()) b.attr_ints("pads", c.pads);
  const ir::Node node = b.build();
  std::vector<Tensor> in{random_tensor(DType::kFloat32, c.x, rng), random_tensor(DType::kFloat32, c.w, rng)};
  if (bias || z) in.push_back(bias ? random_tensor(DType::kFloat32, {c.w[0]}, rng) : Tensor());
  if (z) {
    auto y = run_node(kernels::Backend::kReference, node, in, 1);
    ASSERT_TRUE(y.has_value()) << y.status().to_string();
    in.push_back(random_tensor(DType::kFloat32, (*y)[0].shape(), rng));
  }
  SCOPED_TRACE("x " + shape_to_string(c.x) + " w " + shape_to_string(c.w) + " act '" + act + "' bias " +
               std::to_string(bias) + " z " + std::to_string(z));
  const double k = static_cast<double>(shape_size(c.w) / std::max<int64_t>(1, c.w[0]));
  expect_matches_reference(node, in, 1, 1e-5 * (4 + std::sqrt(k)), 1e-5);
}

TEST(NnConvDirect, MatchesReferenceOverShapes) {
  std::mt19937 rng(31);
  const DirectCase cases[] = {
      // stems: 3 channels, 3x3 and 7x7 stride 2 (ResNet: K = 147)
      {{1, 3, 32, 32}, {16, 3, 3, 3}, {}, {}, {1, 1, 1, 1}},
      {{1, 3, 35, 37}, {32, 3, 3, 3}, {2, 2}, {}, {1, 1, 1, 1}},
      {{2, 3, 29, 30}, {24, 3, 7, 7}, {2, 2}, {}, {3, 3, 3, 3}},
      // output channels around the 8- and 12-row panels
      {{1, 1, 9, 9}, {1, 1, 3, 3}, {}, {}, {}},
      {{1, 2, 9, 20}, {7, 2, 3, 3}, {}, {}, {1, 1, 1, 1}},
      {{1, 2, 9, 17}, {13, 2, 3, 3}, {}, {}, {0, 2, 1, 0}},
      {{1, 4, 6, 33}, {30, 4, 2, 3}, {1, 3}, {}, {0, 1, 1, 2}},
      {{3, 5, 5, 16}, {130, 5, 3, 3}, {}, {}, {1, 1, 1, 1}},
      // rows of 1, 15, 16 and 17 outputs; dilations; stride 3; non-square windows
      {{1, 3, 4, 1}, {8, 3, 3, 1}, {}, {}, {1, 0, 1, 0}},
      {{1, 3, 8, 17}, {12, 3, 3, 3}, {}, {2, 1}, {2, 1, 2, 1}},
      {{1, 6, 10, 40}, {9, 6, 5, 1}, {3, 3}, {1, 2}, {2, 0, 2, 1}},
      {{1, 3, 12, 12}, {8, 3, 4, 4}, {2, 3}, {2, 2}, {3, 1, 0, 2}},
      // K at the limit (28 * 9 = 252) and past it (the GEMM path)
      {{1, 28, 7, 9}, {20, 28, 3, 3}, {}, {}, {1, 1, 1, 1}},
      {{1, 29, 7, 9}, {20, 29, 3, 3}, {2, 1}, {}, {1, 1, 1, 1}},
      // several blocks of pixel pairs per task (every panel runs over a block before the next
      // block; the test pool's 2 threads make up to 8 tasks): K = 252 gives blocks of 8 pairs
      // (AVX2; 4 with 16-lane AVX-512), K = 144 of 14 (7); strided, so not Winograd's
      {{1, 28, 60, 40}, {16, 28, 3, 3}, {2, 1}, {}, {1, 1, 1, 1}},
      {{1, 16, 120, 40}, {26, 16, 3, 3}, {1, 2}, {}, {1, 0, 1, 2}},
      {{1, 1, 121, 80}, {20, 1, 3, 3}, {2, 2}, {}, {}},
  };
  for (const DirectCase& c : cases) {
    check(c, "", {}, true, false, rng);
    check(c, "", {}, false, false, rng);
  }
}

TEST(NnConvDirect, FusedEpilogues) {
  std::mt19937 rng(37);
  const DirectCase cases[] = {
      {{1, 3, 20, 18}, {16, 3, 3, 3}, {2, 2}, {}, {1, 1, 1, 1}},
      {{2, 4, 9, 9}, {13, 4, 3, 3}, {}, {}, {1, 1, 1, 1}},
      {{1, 28, 60, 40}, {16, 28, 3, 3}, {2, 1}, {}, {1, 1, 1, 1}},  // several pixel blocks per task
  };
  const std::pair<const char*, std::vector<float>> acts[] = {
      {"Relu", {}}, {"Clip", {-0.25f, 0.5f}}, {"LeakyRelu", {0.1f}}, {"Sigmoid", {}}, {"HardSwish", {}}};
  for (const DirectCase& c : cases) {
    for (const auto& [a, p] : acts) {
      check(c, a, p, true, false, rng);
      check(c, a, p, true, true, rng);
    }
    check(c, "", {}, false, true, rng);
  }
}

// Pointwise convs (1x1, stride 1, no pads, K <= 256: conv_pointwise reads X's planes in place):
// output planes around the 32-pixel pairs (1, 16, 17, 33 pixels, one partial vector), output
// channels around the 8- and 12-row panels, batches whose pixel pairs are split across the two
// test threads, K at the limit and past it, and 1x1 convs that stay on the GEMM (strided,
// padded, 1-D and 3-D).
TEST(NnConvDirect, PointwiseMatchesReference) {
  std::mt19937 rng(41);
  const DirectCase cases[] = {
      {{1, 3, 1, 1}, {5, 3, 1, 1}, {}, {}, {}},
      {{1, 4, 4, 4}, {8, 4, 1, 1}, {}, {}, {}},
      {{1, 5, 1, 17}, {12, 5, 1, 1}, {}, {}, {}},
      {{1, 3, 5, 7}, {13, 3, 1, 1}, {}, {}, {}},
      {{1, 16, 20, 20}, {96, 16, 1, 1}, {}, {}, {}},
      {{1, 32, 33, 35}, {16, 32, 1, 1}, {}, {}, {}},
      {{2, 24, 30, 30}, {13, 24, 1, 1}, {}, {}, {}},
      {{3, 7, 3, 11}, {20, 7, 1, 1}, {}, {}, {}},
      {{1, 256, 4, 5}, {20, 256, 1, 1}, {}, {}, {}},
      {{1, 257, 4, 5}, {8, 257, 1, 1}, {}, {}, {}},
      {{1, 16, 9, 9}, {8, 16, 1, 1}, {2, 2}, {}, {}},
      {{1, 16, 6, 7}, {8, 16, 1, 1}, {}, {}, {1, 0, 0, 1}},
      {{1, 8, 40}, {12, 8, 1}, {}, {}, {}},
      {{1, 8, 3, 4, 5}, {7, 8, 1, 1, 1}, {}, {}, {}},
  };
  for (const DirectCase& c : cases) {
    check(c, "", {}, true, false, rng);
    check(c, "", {}, false, false, rng);
  }
  const std::pair<const char*, std::vector<float>> acts[] = {
      {"Relu", {}}, {"Clip", {0.f, 6.f}}, {"Clip", {-0.25f, 0.5f}}, {"LeakyRelu", {0.1f}}, {"HardSwish", {}}};
  const DirectCase fused[] = {
      {{1, 16, 9, 13}, {24, 16, 1, 1}, {}, {}, {}},
      {{2, 24, 30, 30}, {13, 24, 1, 1}, {}, {}, {}},
      // one pixel block, enough work for the two test threads to split it over channel panels
      {{1, 64, 14, 14}, {256, 64, 1, 1}, {}, {}, {}},
  };
  for (const DirectCase& c : fused) {
    for (const auto& [a, p] : acts) {
      check(c, a, p, true, false, rng);
      check(c, a, p, true, true, rng);
    }
    check(c, "", {}, false, true, rng);
  }
}

// Inputs of 4 MB and more with K >= 32 and M <= 32: conv_pointwise copies each pixel block's
// planes into a packed buffer first. A plane that ends in a partial vector (181 x 181), an input
// of exactly 4 MB, Z and both kinds of epilogue.
TEST(NnConvDirect, PointwisePackedBlocksMatchReference) {
  std::mt19937 rng(43);
  const DirectCase cases[] = {
      {{1, 32, 181, 181}, {8, 32, 1, 1}, {}, {}, {}},
      {{1, 64, 128, 128}, {7, 64, 1, 1}, {}, {}, {}},
  };
  check(cases[0], "", {}, true, false, rng);
  check(cases[0], "Sigmoid", {}, false, true, rng);
  check(cases[1], "Relu", {}, true, true, rng);
}

}  // namespace
}  // namespace onnxrt::testing
