// The channel-blocked microkernels (ukernels/nn/blocked.h), scalar and AVX2, against float64 loops
// written here: the pointwise and stem tiles for every block count and pixel count, input depths of 1-5
// blocks, with and without bias, residual and clamp, starting from partial sums or not, finishing
// or storing raw sums; the depthwise rows over window sizes 1-7,
// strides 1-3, dilations 1-2, pads (asymmetric, wider than the window), plane sizes around the
// tile widths and partial row ranges; the layout changes over pixel ranges. Guard values after
// every output must survive.
#include <gtest/gtest.h>

#include <algorithm>
#include <cmath>
#include <random>
#include <string>
#include <vector>

#include "base/cpu_features.h"
#include "kernels/ukernels/nn/blocked.h"

namespace onnxrt::testing {
namespace {

namespace uk = kernels::ukernels;

constexpr float kGuard = 12345.f;

struct Isa {
  const char* name;
  void (*pointwise)(const uk::BlockedPointwiseArgs&, int);
  void (*stem)(const uk::BlockedStemArgs&, int);
  void (*depthwise)(const uk::BlockedDepthwiseArgs&);
  void (*to_blocked)(const float*, int64_t, int64_t, int64_t, float*);
  void (*from_blocked)(const float*, int64_t, int64_t, float*, int64_t);
};

std::vector<Isa> isas() {
  std::vector<Isa> v{{"scalar", &uk::blocked_pointwise_f32_scalar, &uk::blocked_stem_f32_scalar,
                      &uk::blocked_depthwise_f32_scalar, &uk::to_blocked_f32_scalar, &uk::from_blocked_f32_scalar}};
  if (cpu_features().has_avx2_fma())
    v.push_back({"avx2", &uk::blocked_pointwise_f32_avx2, &uk::blocked_stem_f32_avx2, &uk::blocked_depthwise_f32_avx2,
                 &uk::to_blocked_f32_avx2, &uk::from_blocked_f32_avx2});
  return v;
}

std::vector<float> random_floats(size_t n, std::mt19937& rng) {
  std::uniform_real_distribution<float> u(-2.f, 2.f);
  std::vector<float> v(n);
  for (float& e : v) e = u(rng);
  return v;
}

double clamped(double v, bool clamp, double lo, double hi) { return clamp ? std::min(std::max(v, lo), hi) : v; }

TEST(BlockedUkernels, PointwiseMatchesAFloat64Loop) {
  std::mt19937 rng(3);
  for (const Isa& isa : isas()) {
    for (int ob = 1; ob <= 3; ++ob) {
      const int max_px = uk::blocked_pointwise_tile_pixels(ob);
      for (int64_t in_blocks : {1, 2, 5})
        for (int px = 1; px <= max_px; ++px)
          for (int variant = 0; variant < 32; ++variant) {
            // bit 0: bias + residual, bit 1: clamp, bit 2: accumulate onto y, bit 3: no finish,
            // bit 4: input pixels 2 apart
            const bool accumulate = variant & 4, finish = !(variant & 8);
            const int64_t step = variant & 16 ? 2 : 1;
            const int64_t P = px + 3;  // plane wider than the tile: strides matter
            const int64_t K = in_blocks * 8;
            const std::vector<float> x = random_floats(static_cast<size_t>(in_blocks * P * 2 * 8), rng);
            const std::vector<float> w = random_floats(static_cast<size_t>(K * ob * 8), rng);
            const std::vector<float> bias = random_floats(static_cast<size_t>(ob * 8), rng);
            const std::vector<float> z = random_floats(static_cast<size_t>(ob * P * 8), rng);
            std::vector<float> y(static_cast<size_t>(ob * P * 8), kGuard);
            const std::vector<float> y0 = random_floats(y.size(), rng);  // the partial sums accumulated onto
            if (accumulate)
              for (int b = 0; b < ob; ++b)
                for (int64_t p = 1; p <= px; ++p)
                  for (int j = 0; j < 8; ++j) {
                    const size_t at = static_cast<size_t>((b * P + p) * 8 + j);
                    y[at] = y0[at];
                  }
            uk::BlockedPointwiseArgs a{};
            a.in_blocks = in_blocks;
            a.x = x.data() + 8;  // the tile starts at pixel 1
            a.x_block_stride = P * 2 * 8;
            a.x_pixel_step = step;
            a.w = w.data();
            a.bias = variant & 1 ? bias.data() : nullptr;
            a.y = y.data() + 8;
            a.z = variant & 1 ? z.data() + 8 : nullptr;
            a.y_block_stride = P * 8;
            a.pixels = px;
            a.accumulate = accumulate;
            a.finish = finish;
            a.clamp = variant & 2;
            a.lo = -0.5f;
            a.hi = 0.75f;
            isa.pointwise(a, ob);
            for (int b = 0; b < ob; ++b)
              for (int64_t p = 0; p < P; ++p)
                for (int j = 0; j < 8; ++j) {
                  const float got = y[static_cast<size_t>((b * P + p) * 8 + j)];
                  const std::string where = std::string(isa.name) + " ob " + std::to_string(ob) + " px " +
                                            std::to_string(px) + " K " + std::to_string(K) + " variant " +
                                            std::to_string(variant) + " block " + std::to_string(b) + " pixel " +
                                            std::to_string(p) + " lane " + std::to_string(j);
                  if (p < 1 || p > px) {
                    ASSERT_EQ(got, kGuard) << where;
                    continue;
                  }
                  double acc = accumulate ? y0[static_cast<size_t>((b * P + p) * 8 + j)] : 0.0;
                  for (int64_t k = 0; k < K; ++k)
                    acc += static_cast<double>(x[static_cast<size_t>((k / 8) * P * 2 * 8 + 8 + (p - 1) * step * 8 + k % 8)]) *
                           w[static_cast<size_t>(k * ob * 8 + b * 8 + j)];
                  if (!finish) {
                    ASSERT_NEAR(got, acc, 1e-4 * (1 + std::abs(acc))) << where;
                    continue;
                  }
                  if (variant & 1) acc += bias[static_cast<size_t>(b * 8 + j)] + z[static_cast<size_t>((b * P + p) * 8 + j)];
                  ASSERT_NEAR(got, clamped(acc, variant & 2, -0.5, 0.75), 1e-4 * (1 + std::abs(acc))) << where;
                }
          }
    }
  }
}

struct DwCase {
  int64_t H, W, KH, KW, sh, sw, dh, dw, pt, pl, pb, pr;
};

// The stem tile: every block count and pixel count, pixel steps 1 and 2, tap counts around the
// unrolling, a tap table that jumps around the input, with and without bias and clamp.
TEST(BlockedUkernels, StemMatchesAFloat64Loop) {
  std::mt19937 rng(5);
  for (const Isa& isa : isas()) {
    for (int ob = 1; ob <= 3; ++ob) {
      const int max_px = uk::blocked_pointwise_tile_pixels(ob);
      for (int64_t taps : {1, 3, 27})
        for (int64_t step : {1, 2})
          for (int px = 1; px <= max_px; ++px)
            for (int variant = 0; variant < 4; ++variant) {  // bit 0: bias, bit 1: clamp
              const std::vector<float> x = random_floats(400, rng);
              std::vector<int64_t> off(static_cast<size_t>(taps));
              std::uniform_int_distribution<int64_t> at(0, 400 - 1 - (max_px - 1) * step);
              for (int64_t& o : off) o = at(rng);
              const std::vector<float> w = random_floats(static_cast<size_t>(taps * ob * 8), rng);
              const std::vector<float> bias = random_floats(static_cast<size_t>(ob * 8), rng);
              const int64_t ys = px * 8 + 5;  // blocks of y apart, with guards between
              std::vector<float> y(static_cast<size_t>(ob * ys), kGuard);
              uk::BlockedStemArgs a{};
              a.taps = taps;
              a.tap_off = off.data();
              a.x = x.data();
              a.x_pixel_step = step;
              a.w = w.data();
              a.bias = variant & 1 ? bias.data() : nullptr;
              a.y = y.data();
              a.y_block_stride = ys;
              a.pixels = px;
              a.clamp = variant & 2;
              a.lo = -1.f;
              a.hi = 1.5f;
              isa.stem(a, ob);
              for (int b = 0; b < ob; ++b)
                for (int64_t i = 0; i < ys; ++i) {
                  const float got = y[static_cast<size_t>(b * ys + i)];
                  const std::string what = std::string(isa.name) + " ob " + std::to_string(ob) + " taps " +
                                           std::to_string(taps) + " step " + std::to_string(step) + " px " +
                                           std::to_string(px) + " variant " + std::to_string(variant) + " at " +
                                           std::to_string(b) + "," + std::to_string(i);
                  if (i >= px * 8) {
                    EXPECT_EQ(got, kGuard) << what;
                    continue;
                  }
                  const int64_t p = i / 8, j = i % 8;
                  double want = variant & 1 ? bias[static_cast<size_t>(b * 8 + j)] : 0.0;
                  for (int64_t t = 0; t < taps; ++t)
                    want += static_cast<double>(x[static_cast<size_t>(off[static_cast<size_t>(t)] + p * step)]) *
                            w[static_cast<size_t>(t * ob * 8 + b * 8 + j)];
                  EXPECT_NEAR(got, clamped(want, variant & 2, -1.0, 1.5), 1e-5 * (1 + std::sqrt(taps))) << what;
                }
            }
    }
  }
}

TEST(BlockedUkernels, DepthwiseMatchesAFloat64Loop) {
  std::mt19937 rng(5);
  std::vector<DwCase> cases = {
      {7, 7, 3, 3, 1, 1, 1, 1, 1, 1, 1, 1},     {14, 14, 3, 3, 2, 2, 1, 1, 1, 1, 1, 1},
      {56, 13, 3, 3, 1, 1, 1, 1, 1, 1, 1, 1},   {11, 29, 3, 3, 2, 2, 1, 1, 0, 1, 1, 0},
      {9, 23, 5, 5, 1, 1, 1, 1, 2, 2, 2, 2},    {12, 31, 5, 5, 2, 2, 1, 1, 2, 2, 2, 2},
      {10, 27, 7, 7, 1, 1, 1, 1, 3, 3, 3, 3},   {13, 19, 7, 7, 2, 2, 1, 1, 3, 2, 1, 3},
      {8, 17, 3, 3, 1, 1, 2, 2, 2, 2, 2, 2},    {9, 21, 3, 5, 3, 2, 1, 2, 1, 0, 2, 4},
      {5, 6, 1, 1, 1, 1, 1, 1, 0, 0, 0, 0},     {4, 4, 3, 3, 1, 1, 1, 1, 4, 5, 4, 5},  // pads past the window
      {3, 2, 3, 3, 1, 1, 1, 1, 1, 1, 1, 1},     {1, 1, 3, 3, 1, 1, 1, 1, 1, 1, 1, 1},
      {6, 40, 2, 4, 1, 3, 1, 1, 0, 1, 1, 2},    {16, 16, 5, 5, 1, 1, 1, 1, 0, 0, 0, 0},
  };
  for (int64_t w = 1; w <= 20; ++w) cases.push_back({3, w, 3, 3, 1, 1, 1, 1, 1, 1, 1, 1});
  for (int64_t w = 1; w <= 20; ++w) cases.push_back({4, w, 3, 3, 2, 2, 1, 1, 1, 1, 1, 1});
  for (const Isa& isa : isas())
    for (const DwCase& c : cases)
      for (int variant = 0; variant < 4; ++variant) {
        const int64_t OH = (c.H + c.pt + c.pb - c.dh * (c.KH - 1) - 1) / c.sh + 1;
        const int64_t OW = (c.W + c.pl + c.pr - c.dw * (c.KW - 1) - 1) / c.sw + 1;
        if (OH <= 0 || OW <= 0) continue;
        const std::vector<float> x = random_floats(static_cast<size_t>(c.H * c.W * 8), rng);
        const std::vector<float> w = random_floats(static_cast<size_t>(c.KH * c.KW * 8), rng);
        const std::vector<float> bias = random_floats(8, rng);
        const std::vector<float> z = random_floats(static_cast<size_t>(OH * OW * 8), rng);
        std::vector<float> y(static_cast<size_t>(OH * OW * 8 + 8), kGuard);
        uk::BlockedDepthwiseArgs a{};
        a.geom = uk::DwConv2dArgs{c.H, c.W, OH, OW, c.KH, c.KW, c.sh, c.sw, c.dh, c.dw, c.pt, c.pl, (variant & 2) != 0,
                                  -0.5f, 0.75f};
        a.x = x.data();
        a.w = w.data();
        a.bias = variant & 1 ? bias.data() : nullptr;
        a.z = variant & 1 ? z.data() : nullptr;
        a.y = y.data();
        // Rows [1, OH) when there are several: the first row must stay untouched.
        a.oh0 = OH > 1 ? 1 : 0;
        a.oh1 = OH;
        isa.depthwise(a);
        for (int64_t oh = 0; oh < OH; ++oh)
          for (int64_t ow = 0; ow < OW; ++ow)
            for (int j = 0; j < 8; ++j) {
              const float got = y[static_cast<size_t>((oh * OW + ow) * 8 + j)];
              const std::string where = std::string(isa.name) + " H " + std::to_string(c.H) + " W " + std::to_string(c.W) +
                                        " K " + std::to_string(c.KH) + "x" + std::to_string(c.KW) + " stride " +
                                        std::to_string(c.sh) + "," + std::to_string(c.sw) + " variant " +
                                        std::to_string(variant) + " at " + std::to_string(oh) + "," + std::to_string(ow);
              if (oh < a.oh0) {
                ASSERT_EQ(got, kGuard) << where;
                continue;
              }
              double acc = variant & 1 ? bias[static_cast<size_t>(j)] : 0.0;
              for (int64_t kh = 0; kh < c.KH; ++kh)
                for (int64_t kw = 0; kw < c.KW; ++kw) {
                  const int64_t ih = oh * c.sh - c.pt + kh * c.dh, iw = ow * c.sw - c.pl + kw * c.dw;
                  if (ih < 0 || ih >= c.H || iw < 0 || iw >= c.W) continue;
                  acc += static_cast<double>(x[static_cast<size_t>((ih * c.W + iw) * 8 + j)]) *
                         w[static_cast<size_t>((kh * c.KW + kw) * 8 + j)];
                }
              if (variant & 1) acc += z[static_cast<size_t>((oh * OW + ow) * 8 + j)];
              ASSERT_NEAR(got, clamped(acc, variant & 2, -0.5, 0.75), 1e-5 * (1 + std::abs(acc))) << where;
            }
        for (int j = 0; j < 8; ++j) ASSERT_EQ(y[static_cast<size_t>(OH * OW * 8 + j)], kGuard) << isa.name;
      }
}

TEST(BlockedUkernels, LayoutChangesRoundTrip) {
  std::mt19937 rng(9);
  for (const Isa& isa : isas())
    for (int64_t plane : {1, 7, 8, 9, 23, 64, 100})
      for (int64_t p0 : {int64_t{0}, plane / 3}) {
        const int64_t p1 = plane - (plane > 2 ? 1 : 0);
        if (p0 >= p1) continue;
        const std::vector<float> x = random_floats(static_cast<size_t>(8 * plane), rng);
        std::vector<float> b(static_cast<size_t>(8 * plane + 8), kGuard), back(static_cast<size_t>(8 * plane), kGuard);
        isa.to_blocked(x.data(), plane, p0, p1, b.data());
        isa.from_blocked(b.data(), p0, p1, back.data(), plane);
        for (int64_t p = 0; p < plane; ++p)
          for (int j = 0; j < 8; ++j) {
            const bool in = p >= p0 && p < p1;
            const float xb = b[static_cast<size_t>(p * 8 + j)], xr = back[static_cast<size_t>(j * plane + p)];
            const std::string where = std::string(isa.name) + " plane " + std::to_string(plane) + " pixel " +
                                      std::to_string(p) + " lane " + std::to_string(j);
            ASSERT_EQ(xb, in ? x[static_cast<size_t>(j * plane + p)] : kGuard) << where;
            ASSERT_EQ(xr, in ? x[static_cast<size_t>(j * plane + p)] : kGuard) << where;
          }
        for (int j = 0; j < 8; ++j) ASSERT_EQ(b[static_cast<size_t>(8 * plane + j)], kGuard);
      }
}

}  // namespace
}  // namespace onnxrt::testing
