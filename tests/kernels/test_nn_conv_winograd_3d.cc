// 3-D convs on the 2-D Winograd kernel (kernels/cpu/nn_conv_winograd.cc, conv_3d): the depth
// slices of X stacked as the input channels of a 2-D 3x3 conv.
//   - conv_3d called directly, both tile sizes, against a float64 direct 3-D conv: depth windows
//     of 1-3 slices, depth strides, dilations and pads (zero slices outside X), H/W pads,
//     batches, 1 and 2 threads; the error bound is the 2-D one, per stacked channel;
//   - Conv and FusedConv nodes with 5-D X that ConvKernel sends there, against the reference
//     kernels (bias, Relu, residual Z), and the variants ConvKernel prepares.
#include <gtest/gtest.h>

#include <cmath>
#include <random>

#include "base/cpu_features.h"
#include "kernels/cpu/nn_conv_winograd.h"
#include "kernels/harness.h"
#include "kernels/registry.h"

namespace onnxrt::testing {
namespace {

using kernels::nn::ConvGeom;

struct Geom3 {
  int64_t N, C, M, D, H, W, KD;
  int64_t sd = 1, dd = 1;
  std::vector<int64_t> pads = {1, 1, 1, 1, 1, 1};  // d, h, w begin, then end
};

ConvGeom geom3(const Geom3& c) {
  ConvGeom g;
  g.N = c.N, g.C = c.C, g.M = c.M, g.G = 1, g.Cg = c.C, g.Mg = c.M;
  g.in = {c.D, c.H, c.W};
  g.kernel = {c.KD, 3, 3}, g.stride = {c.sd, 1, 1}, g.dil = {c.dd, 1, 1};
  g.pad_begin = {c.pads[0], c.pads[1], c.pads[2]};
  g.out.resize(3);
  for (int d = 0; d < 3; ++d) {
    const int64_t span = (g.kernel[d] - 1) * g.dil[d] + 1;
    g.out[d] = (g.in[d] + c.pads[d] + c.pads[d + 3] - span) / g.stride[d] + 1;
  }
  g.in_size = c.D * c.H * c.W, g.out_size = g.out[0] * g.out[1] * g.out[2], g.kernel_size = c.KD * 9;
  return g;
}

// max |err| / sum(|w||x|) of conv_3d against a float64 direct conv (NaN when an output was not
// written: the output starts as NaN).
double conv3d_rel_error(const ConvGeom& g, int tile, std::mt19937& rng, ThreadPool& pool) {
  const auto x = uniform_floats(static_cast<size_t>(g.N * g.C * g.in_size), rng);
  const auto w = uniform_floats(static_cast<size_t>(g.M * g.C * g.kernel_size), rng);
  const auto b = uniform_floats(static_cast<size_t>(g.M), rng);
  const auto weights = kernels::winograd::Weights::make(w.data(), g.M, g.C * g.kernel[0], tile);
  kernels::winograd::DepthStack ds;
  const ConvGeom s = kernels::winograd::stacked_geometry(g, &ds);
  std::vector<float> scratch(static_cast<size_t>(kernels::winograd::scratch_floats(s, tile, pool.num_threads())));
  std::vector<float> y(static_cast<size_t>(g.N * g.M * g.out_size), std::nanf(""));
  kernels::winograd::conv_3d(weights, g, x.data(), b.data(), nullptr, {}, y.data(), scratch.data(), pool);
  const int64_t D = g.in[0], H = g.in[1], W = g.in[2], OD = g.out[0], OH = g.out[1], OW = g.out[2];
  double worst = 0.0;
  for (int64_t n = 0; n < g.N; ++n)
    for (int64_t m = 0; m < g.M; ++m)
      for (int64_t od = 0; od < OD; ++od)
        for (int64_t oh = 0; oh < OH; ++oh)
          for (int64_t ow = 0; ow < OW; ++ow) {
            double sum = b[static_cast<size_t>(m)], mag = std::abs(sum);
            for (int64_t c = 0; c < g.C; ++c)
              for (int64_t kd = 0; kd < g.kernel[0]; ++kd)
                for (int64_t kh = 0; kh < 3; ++kh)
                  for (int64_t kw = 0; kw < 3; ++kw) {
                    const int64_t id = od * g.stride[0] - g.pad_begin[0] + kd * g.dil[0];
                    const int64_t ih = oh + kh - g.pad_begin[1], iw = ow + kw - g.pad_begin[2];
                    if (id < 0 || id >= D || ih < 0 || ih >= H || iw < 0 || iw >= W) continue;
                    const double xv = x[static_cast<size_t>((((n * g.C + c) * D + id) * H + ih) * W + iw)];
                    const double wv = w[static_cast<size_t>((((m * g.C + c) * g.kernel[0] + kd) * 3 + kh) * 3 + kw)];
                    sum += xv * wv;
                    mag += std::abs(xv * wv);
                  }
            const double got = y[static_cast<size_t>((((n * g.M + m) * OD + od) * OH + oh) * OW + ow)];
            const double e = std::abs(got - sum) / std::max(mag, 1e-30);
            if (!(e <= worst)) worst = e;
          }
  return worst;
}

TEST(NnConvWinograd3d, StackedDepthSlicesMatchFloat64DirectConv) {
  std::mt19937 rng(31);
  const Geom3 cases[] = {
      {1, 3, 5, 4, 6, 7, 3},                                 // C3D-like 3x3x3, pads 1
      {2, 4, 17, 5, 5, 9, 3, 1, 1, {0, 1, 0, 2, 1, 1}},      // batch, asymmetric depth pads
      {1, 6, 16, 7, 8, 8, 3, 2, 1},                          // depth stride 2
      {1, 5, 9, 9, 6, 5, 3, 1, 2, {2, 1, 1, 2, 1, 1}},       // depth dilation 2
      {1, 16, 16, 3, 9, 9, 1, 1, 1, {0, 1, 1, 0, 1, 1}},     // 1x3x3 (R(2+1)D's spatial conv)
      {1, 7, 8, 4, 10, 3, 2, 1, 1, {0, 0, 2, 1, 0, 0}},      // KD = 2, no H pads
      {1, 2, 3, 1, 4, 4, 3},                                 // one depth slice: two zero slices per output
      {2, 11, 33, 6, 13, 11, 3, 1, 1, {1, 0, 1, 1, 2, 0}},   // several chunks of tile rows
  };
  for (int threads : {1, 2}) {
    ThreadPool pool(threads);
    for (int tile : {2, 4})
      for (const Geom3& c : cases) {
        const ConvGeom g = geom3(c);
        SCOPED_TRACE("threads " + std::to_string(threads) + " tile " + std::to_string(tile) + " C " +
                     std::to_string(c.C) + " M " + std::to_string(c.M) + " D " + std::to_string(c.D) + " KD " +
                     std::to_string(c.KD) + " sd " + std::to_string(c.sd) + " dd " + std::to_string(c.dd));
        ASSERT_TRUE(kernels::winograd::applies_3d(g));
        // The 2-D bounds (test_nn_conv_winograd.cc), which hold per channel of the stacked conv.
        EXPECT_LE(conv3d_rel_error(g, tile, rng, pool), tile == 4 ? 5e-6 : 5e-7);
      }
  }
}

TEST(NnConvWinograd3d, AppliesOnlyToUnitStride3x3Planes) {
  ConvGeom g = geom3({1, 8, 8, 4, 8, 8, 3});
  EXPECT_TRUE(kernels::winograd::applies_3d(g));
  ConvGeom s = g;
  s.stride = {1, 2, 2};
  EXPECT_FALSE(kernels::winograd::applies_3d(s));
  ConvGeom d = g;
  d.dil = {1, 1, 2};
  EXPECT_FALSE(kernels::winograd::applies_3d(d));
  ConvGeom k = g;
  k.kernel = {3, 5, 5};
  EXPECT_FALSE(kernels::winograd::applies_3d(k));
  ConvGeom grouped = g;
  grouped.G = 2;
  EXPECT_FALSE(kernels::winograd::applies_3d(grouped));
}

struct NodeCase {
  Shape x, w;
  std::vector<int64_t> pads, strides;
};

// 5-D convs with C * KD >= 16 and M >= 16, which ConvKernel sends to conv_3d on AVX2 / AVX-512.
const NodeCase kNodeCases[] = {
    {{1, 8, 4, 10, 10}, {16, 8, 3, 3, 3}, {1, 1, 1, 1, 1, 1}, {1, 1, 1}},
    {{2, 6, 5, 9, 7}, {20, 6, 3, 3, 3}, {0, 1, 0, 1, 0, 2}, {1, 1, 1}},   // batch 2, asymmetric pads
    {{1, 16, 6, 8, 8}, {16, 16, 3, 3, 3}, {1, 1, 1, 1, 1, 1}, {2, 1, 1}}, // depth stride 2
    {{1, 16, 3, 11, 9}, {24, 16, 1, 3, 3}, {0, 1, 1, 0, 1, 1}, {1, 1, 1}},// 1x3x3
};

double tolerance(const Shape& w) {
  const double k = static_cast<double>(w[1] * w[2] * 9);
  return 1e-5 * (4 + std::sqrt(k)) + 1e-6 * k;
}

TEST(NnConvWinograd3d, ConvNodeMatchesReference) {
  std::mt19937 rng(37);
  for (const NodeCase& c : kNodeCases) {
    auto node = NodeBuilder("Conv", 11).attr_ints("pads", c.pads).attr_ints("strides", c.strides).build();
    for (bool bias : {false, true}) {
      std::vector<Tensor> in{random_tensor(DType::kFloat32, c.x, rng), random_tensor(DType::kFloat32, c.w, rng)};
      if (bias) in.push_back(random_tensor(DType::kFloat32, {c.w[0]}, rng));
      SCOPED_TRACE("x " + shape_to_string(c.x) + " w " + shape_to_string(c.w));
      expect_matches_reference(node, in, 1, tolerance(c.w), 1e-5);
    }
  }
}

TEST(NnConvWinograd3d, FusedConvReluAndResidual) {
  std::mt19937 rng(41);
  for (const NodeCase& c : kNodeCases) {
    NodeBuilder b("FusedConv", 1, "com.onnxrt");
    b.attr_s("activation", "Relu").attr_ints("pads", c.pads).attr_ints("strides", c.strides);
    std::vector<Tensor> in{random_tensor(DType::kFloat32, c.x, rng), random_tensor(DType::kFloat32, c.w, rng),
                           random_tensor(DType::kFloat32, {c.w[0]}, rng)};
    auto y = run_node(kernels::Backend::kReference, b.build(), in, 1);
    ASSERT_TRUE(y.has_value()) << y.status().to_string();
    in.push_back(random_tensor(DType::kFloat32, (*y)[0].shape(), rng));  // residual Z
    SCOPED_TRACE("x " + shape_to_string(c.x));
    expect_matches_reference(b.build(), in, 1, tolerance(c.w), 1e-5);
  }
}

std::string conv_variant(Shape x, Shape w, std::vector<int64_t> pads, std::vector<int64_t> strides) {
  return cpu_variant_with_constant_w(NodeBuilder("Conv", 11).attr_ints("pads", pads).attr_ints("strides", strides).build(),
                                     x, w);
}

TEST(NnConvWinograd3d, ConvKernelPreparesStackedWeights) {
  if (!cpu_features().has_avx512() && !cpu_features().has_avx2_fma())
    GTEST_SKIP() << "Winograd is only picked with the AVX2 or AVX-512 transforms";
  const std::vector<int64_t> p1(6, 1);
  // C3D's second conv: 32 * 3 stacked channels.
  EXPECT_EQ(conv_variant({1, 32, 8, 28, 28}, {64, 32, 3, 3, 3}, p1, {1, 1, 1}), "winograd_f4_or_packed_gemm");
  // 3 input channels: 9 stacked, too few to pay; strided planes are not Winograd's.
  EXPECT_EQ(conv_variant({1, 3, 8, 56, 56}, {32, 3, 3, 3, 3}, p1, {1, 1, 1}), "packed_gemm");
  EXPECT_EQ(conv_variant({1, 32, 8, 28, 28}, {64, 32, 3, 3, 3}, p1, {1, 2, 2}), "packed_gemm");
  // A depth stride keeps the planes' 3x3 stride 1.
  EXPECT_EQ(conv_variant({1, 32, 8, 28, 28}, {64, 32, 3, 3, 3}, p1, {2, 1, 1}), "winograd_f4_or_packed_gemm");
}

}  // namespace
}  // namespace onnxrt::testing
