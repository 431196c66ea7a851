// The pixels-as-rows conv (kernels/cpu/nn_conv_pixel_gemm.cc):
//   - pixel_gemm::conv called directly, against a float64 conv, on shapes around its
//     12-pixel tiles (tiles spanning images, a last partial tile), its 32-channel panels (M = 1,
//     31, 33, 70), strides 1, 2 and (1, 3), bias, Z and every activation class (clamped in the
//     store, or a second pass), on one thread and on the 2-thread test pool (task splits over
//     panels and over tiles); outputs start as NaN, so an output never written fails;
//   - windowed convs (3x3 with pads, strides and dilations: im2col rows gathered while packing);
//   - Conv / FusedConv nodes that ConvKernel sends to this path (1x1 with C > 256 on planes <=
//     14x14; windowed with K > 256 and <= 200 output pixels), against the reference kernels.
#include <gtest/gtest.h>

#include <cmath>
#include <limits>
#include <random>

#include "base/cpu_features.h"
#include "base/thread_pool.h"
#include "kernels/cpu/nn_conv_impl.h"
#include "kernels/cpu/nn_conv_pixel_gemm.h"
#include "kernels/harness.h"

namespace onnxrt::testing {
namespace {

using kernels::nn::ConvGeom;

ConvGeom pointwise_geom(int64_t N, int64_t C, int64_t M, int64_t H, int64_t W, int64_t sh, int64_t sw) {
  ConvGeom g;
  g.N = N, g.C = C, g.M = M, g.G = 1, g.Cg = C, g.Mg = M;
  g.in = {H, W};
  g.out = {(H - 1) / sh + 1, (W - 1) / sw + 1};
  g.kernel = {1, 1}, g.stride = {sh, sw}, g.dil = {1, 1}, g.pad_begin = {0, 0};
  g.in_size = H * W, g.out_size = g.out[0] * g.out[1], g.kernel_size = 1;
  return g;
}

// kh x kw windows with pads (top, left, bottom, right), strides and dilations.
ConvGeom windowed_geom(int64_t N, int64_t C, int64_t M, int64_t H, int64_t W, int64_t k, int64_t s, int64_t d,
                       std::vector<int64_t> pads) {
  ConvGeom g;
  g.N = N, g.C = C, g.M = M, g.G = 1, g.Cg = C, g.Mg = M;
  g.in = {H, W};
  const int64_t span = (k - 1) * d + 1;
  g.out = {(H + pads[0] + pads[2] - span) / s + 1, (W + pads[1] + pads[3] - span) / s + 1};
  g.kernel = {k, k}, g.stride = {s, s}, g.dil = {d, d}, g.pad_begin = {pads[0], pads[1]};
  g.in_size = H * W, g.out_size = g.out[0] * g.out[1], g.kernel_size = k * k;
  return g;
}

double activate(const ir::FusedActivation& act, double v) {
  switch (act.kind) {
    case ir::FusedAct::kRelu: return std::max(v, 0.0);
    case ir::FusedAct::kClip: return std::min(std::max(v, static_cast<double>(act.p0)), static_cast<double>(act.p1));
    case ir::FusedAct::kLeakyRelu: return v < 0 ? v * act.p0 : v;
    case ir::FusedAct::kSigmoid: return 1.0 / (1.0 + std::exp(-v));
    default: return v;
  }
}

void check(const ConvGeom& g, bool bias, bool z, ir::FusedActivation act, ThreadPool& pool, std::mt19937& rng) {
  SCOPED_TRACE("N " + std::to_string(g.N) + " C " + std::to_string(g.C) + " M " + std::to_string(g.M) + " " +
               std::to_string(g.in[0]) + "x" + std::to_string(g.in[1]) + " stride " + std::to_string(g.stride[0]) +
               "," + std::to_string(g.stride[1]) + " bias " + std::to_string(bias) + " z " + std::to_string(z) +
               " act " + std::to_string(static_cast<int>(act.kind)) + " threads " +
               std::to_string(pool.num_threads()));
  ASSERT_TRUE(kernels::pixel_gemm::applies(g));
  const auto uk = kernels::conv_impl::pick_sgemm_ukernel();
  const auto x = uniform_floats(static_cast<size_t>(g.N * g.C * g.in_size), rng);
  const int64_t K = g.K(), KH = g.kernel[0], KW = g.kernel[1];
  const auto w = uniform_floats(static_cast<size_t>(g.M * K), rng);
  const auto b = bias ? uniform_floats(static_cast<size_t>(g.M), rng) : std::vector<float>{};
  const auto zv = z ? uniform_floats(static_cast<size_t>(g.N * g.M * g.out_size), rng) : std::vector<float>{};
  const auto weights = kernels::pixel_gemm::Weights::make(w.data(), g.M, K, uk.nr);
  std::vector<float> scratch(static_cast<size_t>(kernels::pixel_gemm::scratch_floats(g, uk.mr)));
  std::vector<float> y(static_cast<size_t>(g.N * g.M * g.out_size), std::numeric_limits<float>::quiet_NaN());
  kernels::pixel_gemm::conv(uk, weights, g, x.data(), bias ? b.data() : nullptr, z ? zv.data() : nullptr, act,
                            y.data(), scratch.data(), pool);
  int64_t bad = 0;
  for (int64_t n = 0; n < g.N; ++n)
    for (int64_t m = 0; m < g.M; ++m)
      for (int64_t oh = 0; oh < g.out[0]; ++oh)
        for (int64_t ow = 0; ow < g.out[1]; ++ow) {
          const int64_t p = oh * g.out[1] + ow;
          double s = bias ? b[static_cast<size_t>(m)] : 0.0, mag = std::abs(s);
          for (int64_t c = 0; c < g.C; ++c)
            for (int64_t kh = 0; kh < KH; ++kh)
              for (int64_t kw = 0; kw < KW; ++kw) {
                const int64_t ih = oh * g.stride[0] - g.pad_begin[0] + kh * g.dil[0];
                const int64_t iw = ow * g.stride[1] - g.pad_begin[1] + kw * g.dil[1];
                if (ih < 0 || ih >= g.in[0] || iw < 0 || iw >= g.in[1]) continue;
                const double t = static_cast<double>(w[static_cast<size_t>(m * K + (c * KH + kh) * KW + kw)]) *
                                 x[static_cast<size_t>((n * g.C + c) * g.in_size + ih * g.in[1] + iw)];
                s += t;
                mag += std::abs(t);
              }
          const size_t yi = static_cast<size_t>((n * g.M + m) * g.out_size + p);
          if (z) s += zv[yi], mag += std::abs(zv[yi]);
          const double want = activate(act, s), got = y[yi];
          if (!(std::abs(got - want) <= 1e-6 * (mag + 1.0))) {
            if (bad++ == 0)
              ADD_FAILURE() << "n " << n << " m " << m << " pixel " << p << ": " << got << " vs expected " << want;
          }
        }
  EXPECT_EQ(bad, 0);
}

TEST(NnConvPixelGemm, MatchesFloat64OverShapes) {
  if (!cpu_features().has_avx512() && !cpu_features().has_avx2_fma()) GTEST_SKIP() << "needs AVX2 or AVX-512";
  std::mt19937 rng(53);
  ThreadPool one(1);
  struct Case {
    int64_t N, C, M, H, W, sh, sw;
  };
  const Case cases[] = {
      {1, 1, 1, 1, 1, 1, 1},      // one pixel, one channel
      {1, 3, 32, 3, 4, 1, 1},     // exactly one 12-pixel tile, one panel
      {1, 5, 31, 1, 11, 1, 1},    // a partial tile and a partial panel
      {1, 7, 33, 1, 13, 1, 1},    // one pixel and one channel past them
      {3, 9, 70, 7, 7, 1, 1},     // 49-pixel planes: tiles span images
      {2, 300, 64, 7, 7, 1, 1},   // ResNet-like depth
      {2, 16, 40, 14, 14, 2, 2},  // strided: pixels gathered while packing
      {1, 12, 24, 9, 10, 1, 3},   // different strides per axis
      {3, 20, 96, 5, 3, 2, 1},
  };
  for (const Case& c : cases) {
    const ConvGeom g = pointwise_geom(c.N, c.C, c.M, c.H, c.W, c.sh, c.sw);
    for (ThreadPool* pool : {&one, &test_pool()}) {
      check(g, true, false, {}, *pool, rng);
      check(g, false, false, {}, *pool, rng);
      check(g, true, true, {ir::FusedAct::kRelu}, *pool, rng);
    }
  }
}

TEST(NnConvPixelGemm, EpiloguesAndTaskSplits) {
  if (!cpu_features().has_avx512() && !cpu_features().has_avx2_fma()) GTEST_SKIP() << "needs AVX2 or AVX-512";
  std::mt19937 rng(59);
  ir::FusedActivation clip{ir::FusedAct::kClip}, leaky{ir::FusedAct::kLeakyRelu}, sigmoid{ir::FusedAct::kSigmoid};
  clip.p0 = -0.25f, clip.p1 = 0.5f;
  leaky.p0 = 0.1f;
  // 2 threads: many panels (split over panels), one panel with many tiles (split over tiles),
  // and a batch whose tiles cross image boundaries inside a task.
  const ConvGeom shapes[] = {pointwise_geom(1, 260, 200, 7, 7, 1, 1), pointwise_geom(2, 300, 32, 14, 14, 1, 1),
                             pointwise_geom(3, 64, 96, 5, 5, 2, 2)};
  for (const ConvGeom& g : shapes)
    for (const ir::FusedActivation& act : {ir::FusedActivation{}, ir::FusedActivation{ir::FusedAct::kRelu}, clip, leaky, sigmoid})
      for (bool z : {false, true}) check(g, true, z, act, test_pool(), rng);
}

TEST(NnConvPixelGemm, WindowedMatchesFloat64) {
  if (!cpu_features().has_avx512() && !cpu_features().has_avx2_fma()) GTEST_SKIP() << "needs AVX2 or AVX-512";
  std::mt19937 rng(67);
  ThreadPool one(1);
  const ConvGeom shapes[] = {
      windowed_geom(1, 8, 40, 14, 14, 3, 2, 1, {1, 1, 1, 1}),  // ResNet's stride-2 3x3, small
      windowed_geom(2, 5, 33, 7, 9, 3, 1, 1, {1, 1, 1, 1}),    // tiles across images, padding all round
      windowed_geom(1, 3, 16, 9, 8, 3, 2, 2, {2, 0, 1, 3}),    // dilation, asymmetric pads
      windowed_geom(1, 4, 20, 6, 6, 5, 1, 1, {0, 0, 0, 0}),    // 5x5 without pads
      windowed_geom(3, 6, 64, 4, 5, 1, 1, 1, {1, 0, 0, 1}),    // 1x1 with pads
      windowed_geom(2, 7, 40, 5, 4, 1, 2, 1, {0, 0, 2, 1}),    // 1x1 with end pads only: padded rows
  };
  for (const ConvGeom& g : shapes)
    for (ThreadPool* pool : {&one, &test_pool()}) {
      check(g, true, false, {}, *pool, rng);
      check(g, true, true, {ir::FusedAct::kRelu}, *pool, rng);
    }
}

// Conv / FusedConv nodes that take the pixel_gemm path in ConvKernel (1x1 with C > 256 on small
// planes; windowed with K > 256 on small output planes), against the reference kernels.
TEST(NnConvPixelGemm, NodesMatchReference) {
  std::mt19937 rng(61);
  struct Case {
    Shape x, w;
    std::vector<int64_t> strides, pads;
  };
  const Case cases[] = {
      {{1, 257, 7, 7}, {64, 257, 1, 1}, {}, {}},
      {{2, 300, 5, 6}, {40, 300, 1, 1}, {}, {}},
      {{1, 264, 14, 14}, {96, 264, 1, 1}, {2, 2}, {}},
      {{3, 320, 4, 4}, {33, 320, 1, 1}, {}, {}},
      {{1, 40, 14, 14}, {64, 40, 3, 3}, {2, 2}, {1, 1, 1, 1}},  // windowed, K = 360
      {{2, 30, 9, 9}, {32, 30, 3, 3}, {2, 2}, {0, 1, 1, 0}},
      {{1, 264, 7, 7}, {64, 264, 1, 1}, {}, {0, 0, 1, 2}},  // 1x1 with end pads: zero taps past the plane
  };
  for (const Case& c : cases) {
    for (int variant = 0; variant < 4; ++variant) {
      const bool fused = variant > 0, z = variant == 2 || variant == 3;
      NodeBuilder b = fused ? NodeBuilder("FusedConv", 1, "com.onnxrt") : NodeBuilder("Conv", 22);
      if (variant == 1 || variant == 2) b.attr_s("activation", "Relu");
      if (variant == 3) {
        b.attr_s("activation", "HardSwish");
      }
      if (!c.strides.empty()) b.attr_ints("strides", c.strides);
      if (!c.pads.empty()) b.attr_ints("pads", c.pads);
      const ir::Node node = b.build();
      std::vector<Tensor> in{random_tensor(DType::kFloat32, c.x, rng), random_tensor(DType::kFloat32, c.w, rng),
                             random_tensor(DType::kFloat32, {c.w[0]}, rng)};
      if (z) {
        auto y = run_node(kernels::Backend::kReference, node, in, 1);
        ASSERT_TRUE(y.has_value()) << y.status().to_string();
        in.push_back(random_tensor(DType::kFloat32, (*y)[0].shape(), rng));
      }
      SCOPED_TRACE("x " + shape_to_string(c.x) + " variant " + std::to_string(variant));
      expect_matches_reference(node, in, 1, 1e-5 * (4 + std::sqrt(static_cast<double>(c.w[1]))), 1e-5);
    }
  }
}

}  // namespace
}  // namespace onnxrt::testing
