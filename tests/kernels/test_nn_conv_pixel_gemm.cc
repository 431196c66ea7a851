// The pixels-as-rows pointwise conv (kernels/cpu/nn_conv_pixel_gemm.cc):
//   - pixel_gemm::conv called directly, against a float64 1x1 conv, on shapes around its
//     12-pixel tiles (tiles spanning images, a last partial tile), its 32-channel panels (M = 1,
//     31, 33, 70), strides 1, 2 and (1, 3), bias, Z and every activation class (clamped in the
//     store, or a second pass), on one thread and on the 2-thread test pool (task splits over
//     panels and over tiles); outputs start as NaN, so an output never written fails;
//   - Conv / FusedConv nodes that ConvKernel sends to this path (C > 256, planes <= 14x14),
//     against the reference kernels.
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

std::vector<float> uniform(size_t n, std::mt19937& rng) {
  std::uniform_real_distribution<float> u(-1.f, 1.f);
  std::vector<float> v(n);
  for (float& e : v) e = u(rng);
  return v;
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
  const auto x = uniform(static_cast<size_t>(g.N * g.C * g.in_size), rng);
  const auto w = uniform(static_cast<size_t>(g.M * g.C), rng);
  const auto b = bias ? uniform(static_cast<size_t>(g.M), rng) : std::vector<float>{};
  const auto zv = z ? uniform(static_cast<size_t>(g.N * g.M * g.out_size), rng) : std::vector<float>{};
  const auto weights = kernels::pixel_gemm::Weights::make(w.data(), g.M, g.C, uk.nr);
  std::vector<float> scratch(static_cast<size_t>(kernels::pixel_gemm::scratch_floats(g, uk.mr)));
  std::vector<float> y(static_cast<size_t>(g.N * g.M * g.out_size), std::numeric_limits<float>::quiet_NaN());
  kernels::pixel_gemm::conv(uk, weights, g, x.data(), bias ? b.data() : nullptr, z ? zv.data() : nullptr, act,
                            y.data(), scratch.data(), pool);
  int64_t bad = 0;
  for (int64_t n = 0; n < g.N; ++n)
    for (int64_t m = 0; m < g.M; ++m)
      for (int64_t oh = 0; oh < g.out[0]; ++oh)
        for (int64_t ow = 0; ow < g.out[1]; ++ow) {
          const int64_t p = oh * g.out[1] + ow, ip = oh * g.stride[0] * g.in[1] + ow * g.stride[1];
          double s = bias ? b[static_cast<size_t>(m)] : 0.0, mag = std::abs(s);
          for (int64_t c = 0; c < g.C; ++c) {
            const double t = static_cast<double>(w[static_cast<size_t>(m * g.C + c)]) *
                             x[static_cast<size_t>((n * g.C + c) * g.in_size + ip)];
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
  if (!cpu_features().has_avx512()) GTEST_SKIP() << "AVX-512 only";
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
  if (!cpu_features().has_avx512()) GTEST_SKIP() << "AVX-512 only";
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

// Conv / FusedConv nodes that take the pixel_gemm path in ConvKernel (C > 256 on small planes),
// against the reference kernels.
TEST(NnConvPixelGemm, NodesMatchReference) {
  std::mt19937 rng(61);
  struct Case {
    Shape x, w;
    std::vector<int64_t> strides;
  };
  const Case cases[] = {
      {{1, 257, 7, 7}, {64, 257, 1, 1}, {}},
      {{2, 300, 5, 6}, {40, 300, 1, 1}, {}},
      {{1, 264, 14, 14}, {96, 264, 1, 1}, {2, 2}},
      {{3, 320, 4, 4}, {33, 320, 1, 1}, {}},
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
