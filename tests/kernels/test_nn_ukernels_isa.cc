// The nn microkernels on every ISA variant this CPU has (so that an AVX-512 machine checks the
// AVX2 ones too), against float64 loops written here:
// - the GEMM/conv epilogue (EpilogueF32Fn): every activation, with and without row bias, column
//   bias and residual, column counts around the vector widths (the masked tail must neither read
//   nor write past the block: guard values around it are checked), leading dimensions wider than
//   the block;
// - the per-plane depthwise conv (DwConv2dF32Fn): window sizes, strides 1-3, dilations, pads, plane
//   widths around the vector widths, with and without the clamp; guard values after the plane;
//   the 3x3, 5x5 and 7x7 kernels over a finer sweep of widths, heights and (asymmetric) pads;
// - the direct-conv tile (ConvDirectArgs) of each vector ISA;
// - 2-D max pooling (MaxPool2dF32Fn) over the same kind of sweep, bit-exact;
// - AveragePool rows (AvgPoolRowF32Fn), each variant bit for bit the scalar one: 2x2 stride-2
//   windows (AVX2's own loop) over row widths around its 16-float steps, odd widths whose last
//   window ends past the row, windows that are not 2x2 stride 2.
#include <gtest/gtest.h>

#include <algorithm>
#include <cmath>
#include <random>
#include <string>
#include <vector>

#include "base/cpu_features.h"
#include "kernels/ukernels/nn/ukernels.h"

namespace onnxrt::testing {
namespace {

using kernels::ukernels::EpiAct;
using kernels::ukernels::EpilogueArgs;

using kernels::ukernels::DwConv2dArgs;

template <typename Fn>
struct Variant {
  const char* name;
  Fn fn;
};

template <typename Fn>
std::vector<Variant<Fn>> variants(Fn scalar, Fn avx2, Fn avx512) {
  std::vector<Variant<Fn>> v{{"scalar", scalar}};
  if (cpu_features().has_avx2_fma()) v.push_back({"avx2", avx2});
  if (cpu_features().has_avx512()) v.push_back({"avx512", avx512});
  return v;
}

double act(EpiAct a, double v, double p0, double p1) {
  switch (a) {
    case EpiAct::kNone: return v;
    case EpiAct::kRelu: return std::max(v, 0.0);
    case EpiAct::kClamp: return std::min(std::max(v, p0), p1);
    case EpiAct::kLeakyRelu: return v >= 0 ? v : p0 * v;
    case EpiAct::kHardSigmoid: return std::min(std::max(p0 * v + p1, 0.0), 1.0);
    case EpiAct::kHardSwish: return v * std::min(std::max(v / 6 + 0.5, 0.0), 1.0);
  }
  return v;
}

TEST(NnUkernelsIsa, EpilogueMatchesAFloat64Loop) {
  std::mt19937 rng(11);
  std::uniform_real_distribution<float> u(-3.f, 3.f);
  const EpiAct acts[] = {EpiAct::kNone, EpiAct::kRelu, EpiAct::kClamp, EpiAct::kLeakyRelu, EpiAct::kHardSigmoid,
                         EpiAct::kHardSwish};
  constexpr float kGuard = 12345.f;
  namespace uk = kernels::ukernels;
  for (const auto& var : variants(&uk::epilogue_f32_scalar, &uk::epilogue_f32_avx2, &uk::epilogue_f32_avx512)) {
    for (EpiAct a : acts) {
      for (int64_t cols : {1, 7, 8, 9, 15, 16, 17, 31, 32, 33, 70}) {
        for (int parts = 0; parts < 8; ++parts) {
          SCOPED_TRACE(std::string(var.name) + " act " + std::to_string(static_cast<int>(a)) + " cols " +
                       std::to_string(cols) + " parts " + std::to_string(parts));
          const int64_t rows = 3, ldy = cols + 5, ldz = cols + 3;
          std::vector<float> y(static_cast<size_t>(rows * ldy)), z(static_cast<size_t>(rows * ldz));
          std::vector<float> row_bias(rows), col_bias(static_cast<size_t>(cols));
          for (float* v : {y.data(), z.data()})
            for (size_t i = 0; i < (v == y.data() ? y.size() : z.size()); ++i) v[i] = u(rng);
          for (float& v : row_bias) v = u(rng);
          for (float& v : col_bias) v = u(rng);
          for (int64_t r = 0; r < rows; ++r)
            for (int64_t c = cols; c < ldy; ++c) y[static_cast<size_t>(r * ldy + c)] = kGuard;
          EpilogueArgs args;
          args.act = a;
          args.p0 = a == EpiAct::kClamp ? -1.f : 0.2f;
          args.p1 = a == EpiAct::kClamp ? 1.5f : 0.5f;
          args.row_bias = parts & 1 ? row_bias.data() : nullptr;
          args.col_bias = parts & 2 ? col_bias.data() : nullptr;
          args.z = parts & 4 ? z.data() : nullptr;
          args.ldz = ldz;
          std::vector<double> want(y.size());
          for (int64_t r = 0; r < rows; ++r)
            for (int64_t c = 0; c < cols; ++c) {
              double v = y[static_cast<size_t>(r * ldy + c)];
              if (args.row_bias) v += row_bias[static_cast<size_t>(r)];
              if (args.col_bias) v += col_bias[static_cast<size_t>(c)];
              if (args.z) v += z[static_cast<size_t>(r * ldz + c)];
              want[static_cast<size_t>(r * ldy + c)] = act(a, v, args.p0, args.p1);
            }
          var.fn(args, y.data(), ldy, rows, cols);
          for (int64_t r = 0; r < rows; ++r) {
            for (int64_t c = 0; c < ldy; ++c) {
              const float got = y[static_cast<size_t>(r * ldy + c)];
              if (c >= cols) {
                ASSERT_EQ(got, kGuard) << "wrote past the block at row " << r << " col " << c;
                continue;
              }
              const double w = want[static_cast<size_t>(r * ldy + c)];
              ASSERT_NEAR(got, w, 1e-5 * (1 + std::fabs(w))) << "row " << r << " col " << c;
            }
          }
        }
      }
    }
  }
}

// Window geometry of one depthwise plane: pads at the start (pb) and end (pe) of both dims.
struct DwGeom {
  int64_t H, W, KH, KW, s, d, pb, pe;
};

std::string describe(const char* isa, const DwGeom& g, bool clamp) {
  return std::string(isa) + " H " + std::to_string(g.H) + " W " + std::to_string(g.W) + " k " +
         std::to_string(g.KH) + "x" + std::to_string(g.KW) + " s " + std::to_string(g.s) + " d " +
         std::to_string(g.d) + " pads " + std::to_string(g.pb) + "," + std::to_string(g.pe) + (clamp ? " clamp" : "");
}

// One plane through `fn` against a float64 loop, with guard values after the plane.
void check_depthwise_plane(kernels::ukernels::DwConv2dF32Fn fn, const DwGeom& g, bool clamp, std::mt19937& rng) {
  std::uniform_real_distribution<float> u(-1.f, 1.f);
  constexpr float kGuard = 777.f;
  DwConv2dArgs a{};
  a.H = g.H, a.W = g.W, a.KH = g.KH, a.KW = g.KW, a.sh = a.sw = g.s, a.dh = a.dw = g.d, a.ph = a.pw = g.pb;
  a.OH = (g.H + g.pb + g.pe - g.d * (g.KH - 1) - 1) / g.s + 1;
  a.OW = (g.W + g.pb + g.pe - g.d * (g.KW - 1) - 1) / g.s + 1;
  if (a.OH <= 0 || a.OW <= 0) return;
  a.clamp = clamp, a.lo = -0.5f, a.hi = 0.75f;
  std::vector<float> x(static_cast<size_t>(g.H * g.W)), w(static_cast<size_t>(g.KH * g.KW));
  for (float& v : x) v = u(rng);
  for (float& v : w) v = u(rng);
  const float bias = u(rng);
  std::vector<float> y(static_cast<size_t>(a.OH * a.OW) + 8, kGuard);
  fn(a, x.data(), w.data(), bias, y.data());
  for (int64_t oh = 0; oh < a.OH; ++oh) {
    for (int64_t ow = 0; ow < a.OW; ++ow) {
      double want = bias;
      for (int64_t kh = 0; kh < g.KH; ++kh)
        for (int64_t kw = 0; kw < g.KW; ++kw) {
          const int64_t ih = oh * g.s - g.pb + kh * g.d, iw = ow * g.s - g.pb + kw * g.d;
          if (ih >= 0 && ih < g.H && iw >= 0 && iw < g.W)
            want += static_cast<double>(w[static_cast<size_t>(kh * g.KW + kw)]) * x[static_cast<size_t>(ih * g.W + iw)];
        }
      if (clamp) want = std::min(std::max(want, -0.5), 0.75);
      ASSERT_NEAR(y[static_cast<size_t>(oh * a.OW + ow)], want, 1e-5) << "output " << oh << "," << ow;
    }
  }
  for (size_t i = static_cast<size_t>(a.OH * a.OW); i < y.size(); ++i) ASSERT_EQ(y[i], kGuard) << "wrote past the plane";
}

TEST(NnUkernelsIsa, DepthwisePlaneMatchesAFloat64Loop) {
  namespace uk = kernels::ukernels;
  std::mt19937 rng(12);
  const DwGeom geoms[] = {{7, 7, 3, 3, 1, 1, 1, 1},   {14, 14, 3, 3, 2, 1, 1, 1}, {9, 23, 3, 3, 2, 1, 0, 0},
                          {12, 17, 5, 5, 1, 1, 2, 2}, {8, 33, 3, 3, 3, 1, 1, 1},  {10, 19, 3, 3, 1, 2, 2, 2},
                          {5, 8, 1, 1, 1, 1, 0, 0},   {6, 40, 3, 5, 2, 1, 2, 2},  {3, 3, 3, 3, 1, 1, 1, 1}};
  for (const auto& var : variants(&uk::dwconv2d_f32_scalar, &uk::dwconv2d_f32_avx2, &uk::dwconv2d_f32_avx512)) {
    for (const DwGeom& g : geoms) {
      for (bool clamp : {false, true}) {
        SCOPED_TRACE(describe(var.name, g, clamp));
        check_depthwise_plane(var.fn, g, clamp, rng);
      }
    }
  }
}

// The 3x3 kernels (stride 1 and 2, dilation 1) take plain loads in interior column blocks and
// masked ones at the borders: plane widths around the 8- and 16-lane blocks and the widths where
// a block's last load just fits, every pad from 0 to 4 at either end (asymmetric "same" pads
// included, and pads wider than the window), and heights around their row bands. The AVX2 KxK
// kernel runs the same sweep at 5x5 and 7x7, with pads 0, 1, K/2, K-1 and K + 1 at either end.
TEST(NnUkernelsIsa, DepthwiseKxKPlaneMatchesAFloat64Loop) {
  namespace uk = kernels::ukernels;
  struct Kernel {
    const char* name;
    uk::DwConv2dF32Fn fn;
    int64_t k;
  };
  std::vector<Kernel> fns;
  if (cpu_features().has_avx2_fma()) {
    fns.push_back({"avx2", &uk::dwconv2d_3x3_f32_avx2, 3});
    for (int64_t k : {5, 7}) fns.push_back({"avx2 kxk", &uk::dwconv2d_kxk_f32_avx2, k});
    // And through the general AVX2 entry point, which hands these windows over.
    fns.push_back({"avx2 general", &uk::dwconv2d_f32_avx2, 5});
  }
  if (cpu_features().has_avx512()) fns.push_back({"avx512", &uk::dwconv2d_3x3_f32_avx512, 3});
  if (fns.empty()) GTEST_SKIP() << "no AVX2 on this CPU";
  std::mt19937 rng(13);
  int planes = 0;
  for (const auto& var : fns) {
    const int64_t K = var.k;
    std::vector<int64_t> pads = {0, 1, 2, 3, 4};
    if (K > 3) pads = {0, 1, K / 2, K - 1, K + 1};
    for (int64_t s : {1, 2}) {
      for (int64_t H : {1, 2, 3, 5, 7, 9, 14}) {
        for (int64_t W : {1, 2, 3, 7, 8, 9, 10, 11, 14, 16, 17, 18, 19, 20, 21, 22, 23, 26, 28, 33, 35, 56}) {
          for (int64_t pb : pads) {  // pads past the window: rows of bias only
            for (int64_t pe : pads) {
              const DwGeom g{H, W, K, K, s, 1, pb, pe};
              const bool clamp = (H + W + pb + pe) % 2 == 0;
              SCOPED_TRACE(describe(var.name, g, clamp));
              check_depthwise_plane(var.fn, g, clamp, rng);
              if (::testing::Test::HasFatalFailure()) return;
              ++planes;
            }
          }
        }
      }
    }
  }
  EXPECT_GT(planes, 4000);
}

// The direct-conv microkernel (ConvDirectArgs) of every vector ISA, whichever the dispatcher
// picks: both MR values, one and two pixel vectors, partial vectors, partial row counts, with and
// without bias, residual and clamp; taps at scattered offsets; guard values around each output row.
TEST(NnUkernelsIsa, ConvDirectMatchesAFloat64Loop) {
  namespace uk = kernels::ukernels;
  struct Isa {
    const char* name;
    uk::ConvDirectF32Fn fn;
    int lanes, mr_wide, mr_narrow;
  };
  std::vector<Isa> isas;
  if (cpu_features().has_avx2_fma()) isas.push_back({"avx2", &uk::conv_direct_f32_avx2, 8, 6, 4});
  if (cpu_features().has_avx512()) isas.push_back({"avx512", &uk::conv_direct_f32_avx512, 16, 12, 8});
  if (isas.empty()) GTEST_SKIP() << "no AVX2 on this CPU";
  std::mt19937 rng(14);
  std::uniform_real_distribution<float> u(-1.f, 1.f);
  constexpr float kGuard = 555.f;
  for (const Isa& isa : isas) {
    for (int mr : {isa.mr_wide, isa.mr_narrow}) {
      for (int64_t K : {1, 3, 27, 40}) {
        for (int variant = 0; variant < 12; ++variant) {
          const bool two = variant % 2, with_bias = variant % 3 != 0, with_z = variant % 4 >= 2, clamp = variant >= 6;
          const int64_t rows = 1 + (variant * 5) % mr;
          const int64_t n0 = variant < 4 ? isa.lanes : 1 + (variant * 3) % isa.lanes;
          const int64_t n1 = two ? 1 + (variant * 7) % isa.lanes : 0;
          SCOPED_TRACE(std::string(isa.name) + " mr " + std::to_string(mr) + " K " + std::to_string(K) + " rows " +
                       std::to_string(rows) + " n " + std::to_string(n0) + "," + std::to_string(n1) +
                       (with_bias ? " bias" : "") + (with_z ? " z" : "") + (clamp ? " clamp" : ""));
          // Input: K taps at scattered offsets into one buffer; two pixel vectors at x0, x1.
          const int64_t span = 4 * K + 64;
          std::vector<float> x(static_cast<size_t>(span + 2 * isa.lanes)), w(static_cast<size_t>(K * mr));
          std::vector<int64_t> tap(static_cast<size_t>(K));
          for (float& v : x) v = u(rng);
          for (float& v : w) v = u(rng);
          for (int64_t k = 0; k < K; ++k) tap[static_cast<size_t>(k)] = (k * 37) % (span - isa.lanes);
          std::vector<float> bias(static_cast<size_t>(mr));
          for (float& v : bias) v = u(rng);
          const int64_t ld = 2 * isa.lanes + 8;  // output / residual row stride: vector 1 at +lanes+3
          std::vector<float> y(static_cast<size_t>(mr * ld), kGuard), z(static_cast<size_t>(mr * ld));
          for (float& v : z) v = u(rng);
          uk::ConvDirectArgs a{};
          a.K = K, a.tap = tap.data(), a.w = w.data(), a.rows = rows, a.bias = with_bias ? bias.data() : nullptr;
          a.x0 = x.data(), a.x1 = two ? x.data() + isa.lanes : nullptr, a.n0 = n0, a.n1 = n1;
          a.y0 = y.data(), a.y1 = two ? y.data() + isa.lanes + 3 : nullptr, a.ldy = ld;
          a.z0 = with_z ? z.data() : nullptr, a.z1 = with_z && two ? z.data() + isa.lanes + 3 : nullptr, a.ldz = ld;
          a.clamp = clamp, a.lo = -0.3f, a.hi = 0.4f;
          isa.fn(a, mr);
          for (int64_t i = 0; i < mr; ++i) {
            for (int64_t c = 0; c < ld; ++c) {
              const int64_t vec = c < isa.lanes ? 0 : (two && c >= isa.lanes + 3 && c < 2 * isa.lanes + 3 ? 1 : -1);
              const int64_t p = vec == 0 ? c : c - isa.lanes - 3;
              const float got = y[static_cast<size_t>(i * ld + c)];
              if (i >= rows || vec < 0 || p >= (vec == 0 ? n0 : n1)) {
                ASSERT_EQ(got, kGuard) << "wrote outside the tile at row " << i << " col " << c;
                continue;
              }
              double want = with_bias ? bias[static_cast<size_t>(i)] : 0.0;
              const float* xv = x.data() + (vec == 0 ? 0 : isa.lanes);
              for (int64_t k = 0; k < K; ++k)
                want += static_cast<double>(w[static_cast<size_t>(k * mr + i)]) * xv[tap[static_cast<size_t>(k)] + p];
              if (with_z) want += z[static_cast<size_t>(i * ld + c)];
              if (clamp) want = std::min(std::max(want, -0.3), 0.4);
              ASSERT_NEAR(got, want, 1e-5 * (1 + K)) << "row " << i << " pixel " << p << " of vector " << vec;
            }
          }
        }
      }
    }
  }
}

TEST(NnUkernelsIsa, MaxPoolPlaneIsExact) {
  namespace uk = kernels::ukernels;
  std::mt19937 rng(13);
  std::uniform_real_distribution<float> u(-1.f, 1.f);
  struct Geom {
    int64_t H, W, KH, KW, s, d, p;
  };
  const Geom geoms[] = {{32, 32, 3, 3, 2, 1, 1}, {16, 16, 2, 2, 2, 1, 0}, {9, 23, 3, 3, 1, 1, 1},
                        {12, 17, 5, 5, 3, 1, 2}, {10, 19, 3, 3, 1, 2, 2}, {7, 40, 3, 2, 2, 1, 1},
                        {112, 112, 3, 3, 2, 1, 1}, {4, 5, 3, 3, 1, 1, 1}};
  for (const auto& var : variants(&uk::maxpool2d_f32_scalar, &uk::maxpool2d_f32_avx2, &uk::maxpool2d_f32_avx512)) {
    for (const Geom& g : geoms) {
      SCOPED_TRACE(std::string(var.name) + " H " + std::to_string(g.H) + " W " + std::to_string(g.W) + " k " +
                   std::to_string(g.KH) + "x" + std::to_string(g.KW) + " s " + std::to_string(g.s) + " d " +
                   std::to_string(g.d) + " p " + std::to_string(g.p));
      DwConv2dArgs a{};
      a.H = g.H, a.W = g.W, a.KH = g.KH, a.KW = g.KW, a.sh = a.sw = g.s, a.dh = a.dw = g.d, a.ph = a.pw = g.p;
      a.OH = (g.H + 2 * g.p - g.d * (g.KH - 1) - 1) / g.s + 1;
      a.OW = (g.W + 2 * g.p - g.d * (g.KW - 1) - 1) / g.s + 1;
      std::vector<float> x(static_cast<size_t>(g.H * g.W));
      for (float& v : x) v = u(rng);
      std::vector<float> y(static_cast<size_t>(a.OH * a.OW) + 8, 777.f);
      var.fn(a, x.data(), y.data());
      for (int64_t oh = 0; oh < a.OH; ++oh) {
        for (int64_t ow = 0; ow < a.OW; ++ow) {
          float want = -INFINITY;
          for (int64_t kh = 0; kh < g.KH; ++kh)
            for (int64_t kw = 0; kw < g.KW; ++kw) {
              const int64_t ih = oh * g.s - g.p + kh * g.d, iw = ow * g.s - g.p + kw * g.d;
              if (ih >= 0 && ih < g.H && iw >= 0 && iw < g.W) want = std::max(want, x[static_cast<size_t>(ih * g.W + iw)]);
            }
          ASSERT_EQ(y[static_cast<size_t>(oh * a.OW + ow)], want) << "output " << oh << "," << ow;
        }
      }
      for (size_t i = static_cast<size_t>(a.OH * a.OW); i < y.size(); ++i) ASSERT_EQ(y[i], 777.f) << "wrote past the plane";
    }
  }
}

TEST(NnUkernelsIsa, AvgPoolRowMatchesScalarBits) {
  using kernels::ukernels::AvgPoolRowArgs;
  std::mt19937 rng(29);
  std::uniform_real_distribution<float> u(-3.f, 3.f);
  auto v = variants<kernels::ukernels::AvgPoolRowF32Fn>(&kernels::ukernels::avgpool_row_f32_scalar,
                                                        &kernels::ukernels::avgpool_row_f32_avx2,
                                                        &kernels::ukernels::avgpool_row_f32_avx2);
  struct Geom {
    int64_t W, kw, sw, nrows, OW;
  };
  std::vector<Geom> geoms;
  for (int64_t W : {2, 3, 15, 16, 17, 31, 32, 33, 34, 47, 64, 256}) {
    geoms.push_back({W, 2, 2, 2, W / 2});            // floor mode
    geoms.push_back({W, 2, 2, 2, (W + 1) / 2});      // ceil mode: an odd W's last window is half out
    geoms.push_back({W, 2, 2, 1, W / 2});            // a window clipped to one row
    geoms.push_back({W, 3, 2, 2, (W - 1) / 2});      // not 2x2
    for (int64_t nrows : {1, 2, 3}) geoms.push_back({W, 3, 1, nrows, W - 2});  // 3x3 stride 1, clipped rows
    geoms.push_back({W, 2, 1, 3, W - 1});            // one pass over three rows, a 2-wide window
  }
  for (const Geom& g : geoms) {
    if (g.OW <= 0) continue;
    std::vector<float> r0(static_cast<size_t>(g.W)), r1(static_cast<size_t>(g.W)), r2(static_cast<size_t>(g.W));
    std::vector<float> inv_cols(static_cast<size_t>(g.OW));
    for (std::vector<float>* r : {&r0, &r1, &r2})
      for (float& x : *r) x = u(rng);
    // Scales that are not powers of two, so that a different order of the two multiplies shows.
    for (float& c : inv_cols) c = std::uniform_real_distribution<float>(0.1f, 1.f)(rng);
    const float inv_rows = 0.37f;
    const float* rows[3] = {r0.data(), r1.data(), r2.data()};
    auto run = [&](kernels::ukernels::AvgPoolRowF32Fn fn) {
      const int64_t phase_len = g.OW + (g.kw - 1) / g.sw;
      std::vector<float> buf(static_cast<size_t>(std::max(g.W, phase_len * g.sw) + 1), 0.f);
      std::vector<float> acc(static_cast<size_t>(g.OW)), phases(static_cast<size_t>(g.sw * phase_len));
      std::vector<float> y(static_cast<size_t>(g.OW) + 8, 777.f);
      AvgPoolRowArgs a{};
      a.rows = rows, a.nrows = g.nrows, a.W = g.W, a.buf = buf.data(), a.L = 0, a.acc = acc.data();
      a.phases = phases.data(), a.phase_len = phase_len, a.OW = g.OW, a.kw = g.kw, a.sw = g.sw;
      a.inv_rows = inv_rows, a.inv_cols = inv_cols.data(), a.y = y.data();
      fn(a);
      return y;
    };
    const std::vector<float> want = run(&kernels::ukernels::avgpool_row_f32_scalar);
    for (int64_t ow = 0; ow < g.OW; ++ow) {  // the scalar variant itself against the definition
      double sum = 0;
      for (int64_t t = 0; t < g.kw && g.sw * ow + t < g.W; ++t)
        for (int64_t r = 0; r < g.nrows; ++r) sum += rows[r][static_cast<size_t>(g.sw * ow + t)];
      ASSERT_NEAR(want[static_cast<size_t>(ow)], sum * inv_rows * inv_cols[static_cast<size_t>(ow)], 1e-5);
    }
    for (const auto& var : v) {
      SCOPED_TRACE(std::string(var.name) + " W " + std::to_string(g.W) + " k " + std::to_string(g.kw) + " rows " +
                   std::to_string(g.nrows) + " OW " + std::to_string(g.OW));
      const std::vector<float> got = run(var.fn);
      for (size_t i = 0; i < got.size(); ++i) ASSERT_EQ(got[i], want[i]) << "output " << i;
    }
  }
}

}  // namespace
}  // namespace onnxrt::testing
