// The nn microkernels on every ISA variant this CPU has (so that an AVX-512 machine checks the
// AVX2 ones too), against float64 loops written here:
// - the GEMM/conv epilogue (EpilogueF32Fn): every activation, with and without row bias, column
//   bias and residual, column counts around the vector widths (the masked tail must neither read
//   nor write past the block: guard values around it are checked), leading dimensions wider than
//   the block;
// - the per-plane depthwise conv (DwConv2dF32Fn): window sizes, strides 1-3, dilations, pads, plane
//   widths around the vector widths, with and without the clamp; guard values after the plane;
// - 2-D max pooling (MaxPool2dF32Fn) over the same kind of sweep, bit-exact.
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

TEST(NnUkernelsIsa, DepthwisePlaneMatchesAFloat64Loop) {
  namespace uk = kernels::ukernels;
  std::mt19937 rng(12);
  std::uniform_real_distribution<float> u(-1.f, 1.f);
  constexpr float kGuard = 777.f;
  struct Geom {
    int64_t H, W, KH, KW, s, d, p;
  };
  const Geom geoms[] = {{7, 7, 3, 3, 1, 1, 1},   {14, 14, 3, 3, 2, 1, 1}, {9, 23, 3, 3, 2, 1, 0},
                        {12, 17, 5, 5, 1, 1, 2}, {8, 33, 3, 3, 3, 1, 1},  {10, 19, 3, 3, 1, 2, 2},
                        {5, 8, 1, 1, 1, 1, 0},   {6, 40, 3, 5, 2, 1, 2},  {3, 3, 3, 3, 1, 1, 1}};
  for (const auto& var : variants(&uk::dwconv2d_f32_scalar, &uk::dwconv2d_f32_avx2, &uk::dwconv2d_f32_avx512)) {
    for (const Geom& g : geoms) {
      for (bool clamp : {false, true}) {
        SCOPED_TRACE(std::string(var.name) + " H " + std::to_string(g.H) + " W " + std::to_string(g.W) + " k " +
                     std::to_string(g.KH) + "x" + std::to_string(g.KW) + " s " + std::to_string(g.s) + " d " +
                     std::to_string(g.d) + " p " + std::to_string(g.p) + (clamp ? " clamp" : ""));
        DwConv2dArgs a{};
        a.H = g.H, a.W = g.W, a.KH = g.KH, a.KW = g.KW, a.sh = a.sw = g.s, a.dh = a.dw = g.d, a.ph = a.pw = g.p;
        a.OH = (g.H + 2 * g.p - g.d * (g.KH - 1) - 1) / g.s + 1;
        a.OW = (g.W + 2 * g.p - g.d * (g.KW - 1) - 1) / g.s + 1;
        a.clamp = clamp, a.lo = -0.5f, a.hi = 0.75f;
        std::vector<float> x(static_cast<size_t>(g.H * g.W)), w(static_cast<size_t>(g.KH * g.KW));
        for (float& v : x) v = u(rng);
        for (float& v : w) v = u(rng);
        const float bias = u(rng);
        std::vector<float> y(static_cast<size_t>(a.OH * a.OW) + 8, kGuard);
        var.fn(a, x.data(), w.data(), bias, y.data());
        for (int64_t oh = 0; oh < a.OH; ++oh) {
          for (int64_t ow = 0; ow < a.OW; ++ow) {
            double want = bias;
            for (int64_t kh = 0; kh < g.KH; ++kh)
              for (int64_t kw = 0; kw < g.KW; ++kw) {
                const int64_t ih = oh * g.s - g.p + kh * g.d, iw = ow * g.s - g.p + kw * g.d;
                if (ih >= 0 && ih < g.H && iw >= 0 && iw < g.W)
                  want += static_cast<double>(w[static_cast<size_t>(kh * g.KW + kw)]) * x[static_cast<size_t>(ih * g.W + iw)];
              }
            if (clamp) want = std::min(std::max(want, -0.5), 0.75);
            ASSERT_NEAR(y[static_cast<size_t>(oh * a.OW + ow)], want, 1e-5) << "output " << oh << "," << ow;
          }
        }
        for (size_t i = static_cast<size_t>(a.OH * a.OW); i < y.size(); ++i) ASSERT_EQ(y[i], kGuard) << "wrote past the plane";
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

}  // namespace
}  // namespace onnxrt::testing
