// Winograd 3x3 convolution (kernels/cpu/nn_conv_winograd.cc):
//   - the transforms themselves, called directly for both tile sizes on shapes the Conv kernel
//     would not send to Winograd (C, M from 1, planes from 1x1), against a float64 direct conv,
//     with the error bound of the header checked as max |err| / sum(|w||x|);
//   - Conv and FusedConv nodes large enough to take the Winograd path in ConvKernel, against the
//     reference kernels (odd planes with partial border tiles, pads 0/1/asymmetric, batches,
//     bias, Relu / Clip / residual Z).
#include <gtest/gtest.h>

#include <cmath>
#include <random>

#include "base/cpu_features.h"
#include "kernels/cpu/nn_conv_winograd.h"
#include "kernels/harness.h"
#include "kernels/registry.h"
#include "kernels/ukernels/nn/winograd.h"

namespace onnxrt::testing {
namespace {

using kernels::nn::ConvGeom;

ConvGeom geom(int64_t N, int64_t C, int64_t M, int64_t H, int64_t W, const std::vector<int64_t>& pads) {
  ConvGeom g;
  g.N = N, g.C = C, g.M = M, g.G = 1, g.Cg = C, g.Mg = M;
  g.in = {H, W};
  g.out = {H + pads[0] + pads[2] - 2, W + pads[1] + pads[3] - 2};
  g.kernel = {3, 3}, g.stride = {1, 1}, g.dil = {1, 1};
  g.pad_begin = {pads[0], pads[1]};
  g.in_size = H * W, g.out_size = g.out[0] * g.out[1], g.kernel_size = 9;
  return g;
}

struct Direct {
  std::vector<double> y, mag;  // float64 result and sum |w||x| (+ |b|) per output
};

// Direct conv in float64, plus the magnitude that bounds any summation order's rounding.
Direct direct_conv(const ConvGeom& g, const std::vector<float>& x, const std::vector<float>& w,
                   const std::vector<float>& b) {
  const int64_t H = g.in[0], W = g.in[1], OH = g.out[0], OW = g.out[1];
  Direct d;
  d.y.assign(static_cast<size_t>(g.N * g.M * OH * OW), 0.0);
  d.mag.assign(d.y.size(), 0.0);
  for (int64_t n = 0; n < g.N; ++n)
    for (int64_t m = 0; m < g.M; ++m)
      for (int64_t oh = 0; oh < OH; ++oh)
        for (int64_t ow = 0; ow < OW; ++ow) {
          double s = b.empty() ? 0.0 : b[static_cast<size_t>(m)], a = std::abs(s);
          for (int64_t c = 0; c < g.C; ++c)
            for (int64_t kh = 0; kh < 3; ++kh)
              for (int64_t kw = 0; kw < 3; ++kw) {
                const int64_t ih = oh + kh - g.pad_begin[0], iw = ow + kw - g.pad_begin[1];
                if (ih < 0 || ih >= H || iw < 0 || iw >= W) continue;
                const double xv = x[static_cast<size_t>(((n * g.C + c) * H + ih) * W + iw)];
                const double wv = w[static_cast<size_t>(((m * g.C + c) * 3 + kh) * 3 + kw)];
                s += xv * wv;
                a += std::abs(xv * wv);
              }
          const size_t i = static_cast<size_t>(((n * g.M + m) * OH + oh) * OW + ow);
          d.y[i] = s;
          d.mag[i] = a;
        }
  return d;
}

// Runs winograd::conv on g and returns max |err| / sum(|w||x|) vs float64; also checks that every
// output was written (the output buffer starts as NaN).
double winograd_rel_error(const ConvGeom& g, int tile, bool bias, std::mt19937& rng,
                          ThreadPool& pool = test_pool()) {
  const auto x = uniform_floats(static_cast<size_t>(g.N * g.C * g.in_size), rng);
  const auto w = uniform_floats(static_cast<size_t>(g.M * g.C * 9), rng);
  const auto b = bias ? uniform_floats(static_cast<size_t>(g.M), rng) : std::vector<float>{};
  const auto weights = kernels::winograd::Weights::make(w.data(), g.M, g.C, tile);
  std::vector<float> scratch(static_cast<size_t>(kernels::winograd::scratch_floats(g, tile, pool.num_threads())));
  std::vector<float> y(static_cast<size_t>(g.N * g.M * g.out_size), std::nanf(""));
  kernels::winograd::conv(weights, g, x.data(), bias ? b.data() : nullptr, nullptr, {}, y.data(), scratch.data(),
                          pool);
  const Direct d = direct_conv(g, x, w, b);
  double worst = 0.0;
  for (size_t i = 0; i < y.size(); ++i) {
    const double e = std::abs(y[i] - d.y[i]) / std::max(d.mag[i], 1e-30);
    if (!(e <= worst)) worst = e;  // NaN (an output never written) propagates
  }
  return worst;
}

// Error bounds per tile size: about 2x the largest measured over these cases (2.6e-6 for
// F(4x4,3x3), 2.3e-7 for F(2x2,3x3); the header quotes them).
double bound(int tile) { return tile == 4 ? 5e-6 : 5e-7; }

TEST(NnConvWinograd, TransformsMatchFloat64DirectConv) {
  std::mt19937 rng(5);
  struct Case {
    int64_t N, C, M, H, W;
    std::vector<int64_t> pads;  // top, left, bottom, right
  };
  const Case cases[] = {
      {1, 1, 1, 3, 3, {0, 0, 0, 0}},      // one output pixel
      {1, 1, 1, 1, 1, {1, 1, 1, 1}},      // 1x1 input, all padding
      {1, 2, 3, 5, 7, {1, 1, 1, 1}},      // odd sizes: partial border tiles
      {2, 3, 5, 9, 6, {0, 1, 2, 0}},      // asymmetric pads, batch
      {3, 16, 16, 8, 8, {1, 1, 1, 1}},    // exact 16-lane blocks
      {1, 17, 33, 11, 13, {2, 0, 1, 1}},  // one lane past a block in C and M
      {2, 31, 7, 6, 10, {0, 0, 0, 0}},    // no padding
      {1, 130, 130, 7, 7, {1, 1, 1, 1}},  // ResNet-like late layer, 130 channels
      {1, 5, 130, 15, 4, {1, 2, 0, 1}},
      {1, 64, 64, 30, 29, {1, 1, 1, 1}},  // several chunks of tile rows
  };
  for (int tile : {2, 4}) {
    for (const Case& c : cases) {
      const ConvGeom g = geom(c.N, c.C, c.M, c.H, c.W, c.pads);
      SCOPED_TRACE("tile " + std::to_string(tile) + " N " + std::to_string(c.N) + " C " + std::to_string(c.C) +
                   " M " + std::to_string(c.M) + " " + std::to_string(c.H) + "x" + std::to_string(c.W));
      ASSERT_TRUE(kernels::winograd::applies(g));
      for (bool bias : {false, true}) EXPECT_LE(winograd_rel_error(g, tile, bias, rng), bound(tile));
    }
  }
}

TEST(NnConvWinograd, ErrorBoundOverDepth) {
  // The error grows with C; check it stays under the documented bound up to C = 256.
  std::mt19937 rng(9);
  for (int tile : {2, 4})
    for (int64_t C : {32, 256}) {
      SCOPED_TRACE("tile " + std::to_string(tile) + " C " + std::to_string(C));
      EXPECT_LE(winograd_rel_error(geom(1, C, 16, 12, 12, {1, 1, 1, 1}), tile, true, rng), bound(tile));
    }
}

TEST(NnConvWinograd, RowSplitOverThreadsMatchesFloat64) {
  // Small convs with a small U split their tile rows over the threads (each thread runs all three
  // stages on its rows); a scratch size that grows with the thread count shows the split is taken.
  std::mt19937 rng(21);
  struct Case {
    int64_t N, C, M, H, W;
    std::vector<int64_t> pads;
  };
  const Case cases[] = {
      {1, 16, 32, 16, 16, {1, 1, 1, 1}},  // small_cnn's second conv
      {2, 16, 24, 16, 16, {1, 1, 1, 1}},  // rows of two images
      {1, 24, 40, 9, 11, {0, 1, 2, 0}},   // partial tiles, asymmetric pads, odd row count
      {1, 64, 16, 10, 30, {1, 1, 1, 1}},
  };
  for (int threads : {2, 3}) {
    ThreadPool pool(threads);
    for (int tile : {2, 4}) {
      for (const Case& c : cases) {
        const ConvGeom g = geom(c.N, c.C, c.M, c.H, c.W, c.pads);
        SCOPED_TRACE("threads " + std::to_string(threads) + " tile " + std::to_string(tile) + " C " +
                     std::to_string(c.C) + " M " + std::to_string(c.M) + " " + std::to_string(c.H) + "x" +
                     std::to_string(c.W));
        EXPECT_GT(kernels::winograd::scratch_floats(g, tile, threads), kernels::winograd::scratch_floats(g, tile, 1));
        EXPECT_LE(winograd_rel_error(g, tile, true, rng, pool), bound(tile));
      }
    }
  }
}

TEST(NnConvWinograd, PortableTransformsMatchEveryIsa) {
  // The portable transforms run on CPUs without AVX2; compare them with the AVX2 and AVX-512 ones
  // this CPU has on the same strips, for both tile sizes and a partial lane block.
  namespace uk = kernels::ukernels;
  std::vector<std::pair<uk::WinogradInputFn, uk::WinogradOutputFn>> isas;
  if (cpu_features().has_avx2_fma()) isas.emplace_back(&uk::winograd_input_f32_avx2, &uk::winograd_output_f32_avx2);
  if (cpu_features().has_avx512()) isas.emplace_back(&uk::winograd_input_f32_avx512, &uk::winograd_output_f32_avx512);
  if (isas.empty()) GTEST_SKIP() << "no vector transforms on this CPU";
  std::mt19937 rng(21);
  for (const auto& [input_fn, output_fn] : isas) {
    for (int64_t tile : {2, 4}) {
      const int64_t alpha = tile + 2, tiles = 3, cols = tiles * tile + 2, a2 = alpha * alpha;
      const auto buf = uniform_floats(static_cast<size_t>(alpha * cols * kernels::ukernels::kWinogradLanes), rng);
      for (int64_t lanes : {16, 5}) {
        std::vector<float> v1(static_cast<size_t>(a2 * tiles * 16), 7.f), v2 = v1;
        kernels::ukernels::WinogradInputArgs in{tile, buf.data(), cols * 16, tiles, v1.data(), tiles * 16, 16, lanes};
        kernels::ukernels::winograd_input_f32_scalar(in);
        in.v = v2.data();
        input_fn(in);
        for (size_t i = 0; i < v1.size(); ++i) ASSERT_NEAR(v1[i], v2[i], 1e-5) << "input tile " << tile << " at " << i;
      }
      const auto m = uniform_floats(static_cast<size_t>(a2 * tiles * 16), rng);
      const auto bias = uniform_floats(16, rng);
      std::vector<float> o1(static_cast<size_t>(tile * tiles * tile * 16)), o2(o1.size());
      kernels::ukernels::WinogradOutputArgs out{tile, m.data(), tiles * 16, 16, tiles, bias.data(), o1.data(), tiles * tile * 16};
      kernels::ukernels::winograd_output_f32_scalar(out);
      out.out = o2.data();
      output_fn(out);
      for (size_t i = 0; i < o1.size(); ++i) ASSERT_NEAR(o1[i], o2[i], 1e-4) << "output tile " << tile << " at " << i;
    }
  }
}

// Nodes that ConvKernel sends to Winograd (C, M >= 16, output >= 8x8) vs the reference kernels.
struct NodeCase {
  Shape x, w;
  std::vector<int64_t> pads;
};

const NodeCase kNodeCases[] = {
    {{1, 16, 8, 8}, {16, 16, 3, 3}, {1, 1, 1, 1}},
    {{2, 17, 11, 9}, {20, 17, 3, 3}, {1, 1, 1, 1}},    // odd planes, batch 2
    {{1, 24, 13, 12}, {33, 24, 3, 3}, {0, 0, 0, 0}},   // no padding: 11x10 output
    {{3, 16, 10, 10}, {18, 16, 3, 3}, {2, 0, 1, 1}},   // asymmetric pads, batch 3
    {{1, 130, 9, 9}, {130, 130, 3, 3}, {1, 1, 1, 1}},  // 130 channels
};

double tolerance(const Shape& w) {
  // The reference sums in float32 too; the Winograd bound is 4e-6 * sum(|w||x|) ~ 4e-6 * K / 4.
  const double k = static_cast<double>(w[1] * 9);
  return 1e-5 * (4 + std::sqrt(k)) + 1e-6 * k;
}

TEST(NnConvWinograd, ConvNodeMatchesReference) {
  std::mt19937 rng(13);
  for (const NodeCase& c : kNodeCases) {
    auto node = NodeBuilder("Conv", 11).attr_ints("pads", c.pads).build();
    for (bool bias : {false, true}) {
      std::vector<Tensor> in{random_tensor(DType::kFloat32, c.x, rng), random_tensor(DType::kFloat32, c.w, rng)};
      if (bias) in.push_back(random_tensor(DType::kFloat32, {c.w[0]}, rng));
      expect_matches_reference(node, in, 1, tolerance(c.w), 1e-5);
    }
  }
}

TEST(NnConvWinograd, FusedConvEpilogues) {
  std::mt19937 rng(17);
  struct Act {
    const char* name;
    std::vector<float> params;
  };
  const Act acts[] = {{"", {}}, {"Relu", {}}, {"Clip", {-0.5f, 2.f}}, {"Sigmoid", {}}};
  for (const NodeCase& c : kNodeCases) {
    for (const Act& a : acts) {
      NodeBuilder b("FusedConv", 1, "com.onnxrt");
      if (*a.name) b.attr_s("activation", a.name);
      if (!a.params.empty()) b.attr_floats("activation_params", a.params);
      b.attr_ints("pads", c.pads);
      std::vector<Tensor> in{random_tensor(DType::kFloat32, c.x, rng), random_tensor(DType::kFloat32, c.w, rng),
                             random_tensor(DType::kFloat32, {c.w[0]}, rng)};
      auto y = run_node(kernels::Backend::kReference, b.build(), in, 1);
      ASSERT_TRUE(y.has_value()) << y.status().to_string();
      in.push_back(random_tensor(DType::kFloat32, (*y)[0].shape(), rng));  // residual Z
      SCOPED_TRACE(std::string("act '") + a.name + "' x " + shape_to_string(c.x));
      expect_matches_reference(b.build(), in, 1, tolerance(c.w), 1e-5);
    }
  }
}

// The variant of the CPU Conv kernel created for x and a constant w (shapes known at create time).
std::string conv_variant(Shape x, Shape w, std::vector<int64_t> pads, std::vector<int64_t> strides) {
  return cpu_variant_with_constant_w(NodeBuilder("Conv", 11).attr_ints("pads", pads).attr_ints("strides", strides).build(),
                                     x, w);
}

TEST(NnConvWinograd, ConvKernelPreparesTheMeasuredTile) {
  if (!cpu_features().has_avx512() && !cpu_features().has_avx2_fma())
    GTEST_SKIP() << "the direct and pixel-GEMM conv kernels need AVX2 or AVX-512";
  EXPECT_EQ(conv_variant({1, 64, 56, 56}, {64, 64, 3, 3}, {1, 1, 1, 1}, {1, 1}), "winograd_f4_or_packed_gemm");
  EXPECT_EQ(conv_variant({1, 512, 7, 7}, {512, 512, 3, 3}, {1, 1, 1, 1}, {1, 1}), "winograd_f2_or_packed_gemm");
  // C = 3: K = 27 is small enough for the direct kernel (nn_conv_direct.cc).
  // The attributes guarantee the direct path, so no GEMM-packed copy of W is kept.
  EXPECT_EQ(conv_variant({1, 3, 224, 224}, {64, 3, 3, 3}, {1, 1, 1, 1}, {1, 1}), "direct");
  // K = 144: Winograd first, the direct kernel when the run-time tile differs; no packed copy.
  EXPECT_EQ(conv_variant({1, 16, 16, 16}, {32, 16, 3, 3}, {1, 1, 1, 1}, {1, 1}).substr(0, 10), "winograd_f");
  EXPECT_TRUE(conv_variant({1, 16, 16, 16}, {32, 16, 3, 3}, {1, 1, 1, 1}, {1, 1}).ends_with("_or_direct"));
  // 1x1 with K <= 256: direct when stride 1 without pads; otherwise the packed GEMM stays.
  EXPECT_EQ(conv_variant({1, 64, 56, 56}, {256, 64, 1, 1}, {0, 0, 0, 0}, {1, 1}), "direct");
  EXPECT_EQ(conv_variant({1, 64, 56, 56}, {256, 64, 1, 1}, {0, 0, 0, 0}, {2, 2}), "direct_or_packed_gemm");
  EXPECT_EQ(conv_variant({1, 64, 56, 56}, {256, 64, 1, 1}, {1, 1, 1, 1}, {1, 1}), "direct_or_packed_gemm");
  // 1x1 with K > 256: pixel_gemm on 7x7 planes (also strided, judged by the output plane); on
  // 14x14 ones with AVX-512 only (AVX2's 16-wide pixel tiles fill 196 of 208 lanes there); the
  // packed GEMM on larger ones.
  EXPECT_EQ(conv_variant({1, 512, 7, 7}, {256, 512, 1, 1}, {0, 0, 0, 0}, {1, 1}), "pixel_gemm");
  EXPECT_EQ(conv_variant({1, 512, 14, 14}, {256, 512, 1, 1}, {0, 0, 0, 0}, {2, 2}), "pixel_gemm");
  const char* at14 = cpu_features().has_avx512() ? "pixel_gemm" : "packed_gemm";
  EXPECT_EQ(conv_variant({1, 512, 14, 14}, {256, 512, 1, 1}, {0, 0, 0, 0}, {1, 1}), at14);
  EXPECT_EQ(conv_variant({1, 512, 28, 28}, {256, 512, 1, 1}, {0, 0, 0, 0}, {2, 2}), at14);
  EXPECT_EQ(conv_variant({1, 512, 28, 28}, {256, 512, 1, 1}, {0, 0, 0, 0}, {1, 1}), "packed_gemm");
  EXPECT_EQ(conv_variant({1, 512, 14, 14}, {256, 512, 1, 1}, {1, 1, 1, 1}, {1, 1}), "packed_gemm");  // pads
  EXPECT_EQ(conv_variant({1, 64, 56, 56}, {64, 64, 3, 3}, {1, 1, 1, 1}, {2, 2}), "packed_gemm");  // stride 2
}

TEST(NnConvWinograd, PicksOnlyConvsThatPay) {
  using kernels::winograd::pick_tile;
  if (!cpu_features().has_avx512() && !cpu_features().has_avx2_fma()) {
    EXPECT_EQ(pick_tile(geom(1, 64, 64, 56, 56, {1, 1, 1, 1})), 0);
    GTEST_SKIP() << "Winograd is only picked with the AVX2 or AVX-512 transforms";
  }
  EXPECT_EQ(pick_tile(geom(1, 3, 64, 224, 224, {1, 1, 1, 1})), 0);  // 3 input channels
  EXPECT_EQ(pick_tile(geom(1, 64, 8, 56, 56, {1, 1, 1, 1})), 0);    // 8 output channels
  EXPECT_EQ(pick_tile(geom(1, 64, 64, 56, 56, {1, 1, 1, 1})), 4);   // ResNet-50 layer 1
  EXPECT_EQ(pick_tile(geom(1, 512, 512, 7, 7, {1, 1, 1, 1})), 2);   // layer 4: U of F(4x4) is 38 MB
  EXPECT_EQ(pick_tile(geom(2, 512, 512, 7, 7, {1, 1, 1, 1})), 4);   // ...shared by 8 tiles at batch 2
  // Stride 2, dilation 2 and groups are not Winograd's.
  ConvGeom s2 = geom(1, 64, 64, 56, 56, {1, 1, 1, 1});
  s2.stride = {2, 2};
  EXPECT_FALSE(kernels::winograd::applies(s2));
  ConvGeom d2 = geom(1, 64, 64, 56, 56, {2, 2, 2, 2});
  d2.dil = {2, 2};
  EXPECT_FALSE(kernels::winograd::applies(d2));
  ConvGeom g2 = geom(1, 64, 64, 56, 56, {1, 1, 1, 1});
  g2.G = 2;
  EXPECT_FALSE(kernels::winograd::applies(g2));
}

}  // namespace
}  // namespace onnxrt::testing
