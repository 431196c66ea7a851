// 2-D MaxPool without Indices: the row/column-split ukernel (ukernels/nn/maxpool2d_f32_avx512.cc,
// with its 2x2 stride-2 path for windows inside the plane) and the AVX2 one (nn_f32_avx2.cc, its
// own 2x2 stride-2 path) against the portable ukernel, bit for bit, over window sizes, strides, dilations, pads (also
// pads that leave windows empty), floor and ceil output sizes, plane sizes around the 16-lane
// blocks, with NaN and -inf sprinkled in (NaN as the first tap of a window and later in it);
// then MaxPool nodes against the reference kernel on the CNN shapes (ResNet's 3x3 stride-2 pool
// with pads, small_cnn's 2x2 stride 2) with NaNs, batches and channels, ceil_mode and auto_pad.
#include <gtest/gtest.h>

#include <algorithm>
#include <cmath>
#include <cstring>
#include <limits>
#include <random>

#include "base/cpu_features.h"
#include "kernels/harness.h"
#include "kernels/ukernels/nn/ukernels.h"

namespace onnxrt::testing {
namespace {

namespace uk = kernels::ukernels;

std::vector<float> plane_with_specials(int64_t n, std::mt19937& rng) {
  std::uniform_real_distribution<float> u(-1.f, 1.f);
  std::uniform_int_distribution<int> pick(0, 15);
  std::vector<float> v(static_cast<size_t>(n));
  for (float& f : v) {
    const int p = pick(rng);
    f = p == 0 ? std::numeric_limits<float>::quiet_NaN()
               : p == 1 ? -std::numeric_limits<float>::infinity() : u(rng);
  }
  return v;
}

bool same_bits(const std::vector<float>& a, const std::vector<float>& b) {
  return a.size() == b.size() && std::memcmp(a.data(), b.data(), a.size() * sizeof(float)) == 0;
}

// The AVX-512 row/column-split kernel, and the AVX2 dispatcher (its 2x2 stride-2 path and the
// per-tap loop) over the same sweep.
TEST(NnMaxPool, RowSplitUkernelMatchesScalarBitwise) {
  const bool avx512 = cpu_features().has_avx512(), avx2 = cpu_features().has_avx2_fma();
  if (!avx512 && !avx2) GTEST_SKIP() << "no AVX2 or AVX-512";
  std::mt19937 rng(17);
  int64_t checked = 0;
  for (int64_t H : {1, 2, 4, 9}) {
    for (int64_t W : {1, 2, 3, 16, 17, 33, 47, 64}) {
      for (int64_t KH = 1; KH <= 4; ++KH) {
        for (int64_t KW = 1; KW <= 4; ++KW) {
          for (int64_t sh : {1, 2, 3}) {
            for (int64_t sw : {1, 2}) {
              for (int64_t dh : {1, 2}) {
                for (int64_t ph = 0; ph <= KH; ph += 2) {
                  for (int64_t pw = 0; pw <= KW; ++pw) {
                    for (int ceil : {0, 1}) {
                      uk::DwConv2dArgs a{};
                      a.H = H, a.W = W, a.KH = KH, a.KW = KW, a.sh = sh, a.sw = sw, a.dh = dh, a.dw = 1;
                      a.ph = ph, a.pw = pw;
                      // End pads differ from the begin pads; ceil adds a window that hangs off.
                      const int64_t pe_h = (ph + 1) % (KH + 1), pe_w = pw / 2;
                      const int64_t span_h = (KH - 1) * dh + 1;
                      const int64_t nh = H + ph + pe_h - span_h, nw = W + pw + pe_w - KW;
                      if (nh < 0 || nw < 0) continue;
                      a.OH = (ceil ? (nh + sh - 1) / sh : nh / sh) + 1;
                      a.OW = (ceil ? (nw + sw - 1) / sw : nw / sw) + 1;
                      ASSERT_TRUE(uk::maxpool2d_rows_applies(a));
                      const std::vector<float> x = plane_with_specials(H * W, rng);
                      std::vector<float> want(static_cast<size_t>(a.OH * a.OW), 7.f);
                      std::vector<float> got(want.size(), -7.f);
                      uk::maxpool2d_f32_scalar(a, x.data(), want.data());
                      for (int isa = 0; isa < 2; ++isa) {
                        if (!(isa == 0 ? avx2 : avx512)) continue;
                        std::fill(got.begin(), got.end(), -7.f);
                        if (isa == 0) {
                          uk::maxpool2d_f32_avx2(a, x.data(), got.data());
                        } else {
                          uk::maxpool2d_rows_f32_avx512(a, x.data(), got.data());
                        }
                        ASSERT_TRUE(same_bits(got, want))
                            << (isa == 0 ? "avx2" : "avx512") << " H " << H << " W " << W << " K " << KH << "x"
                            << KW << " s " << sh << "," << sw << " dh " << dh << " pads " << ph << "," << pw << ","
                            << pe_h << "," << pe_w << " ceil " << ceil;
                        ++checked;
                      }
                    }
                  }
                }
              }
            }
          }
        }
      }
    }
  }
  EXPECT_GT(checked, 10000);
}

// The dispatcher sends dilated and wider-strided rows to the per-tap kernel: still the same.
TEST(NnMaxPool, PerTapUkernelMatchesScalarBitwise) {
  std::vector<uk::MaxPool2dF32Fn> isas;
  if (cpu_features().has_avx2_fma()) isas.push_back(&uk::maxpool2d_f32_avx2);
  if (cpu_features().has_avx512()) isas.push_back(&uk::maxpool2d_f32_avx512);
  if (isas.empty()) GTEST_SKIP() << "no AVX2 or AVX-512";
  std::mt19937 rng(18);
  for (uk::MaxPool2dF32Fn fn : isas)
  for (int64_t W : {5, 20, 41}) {
    for (int64_t sw : {1, 2, 3}) {
      for (int64_t dw : {1, 2, 3}) {
        for (int64_t KW : {2, 3}) {
          uk::DwConv2dArgs a{};
          a.H = 7, a.W = W, a.KH = 3, a.KW = KW, a.sh = 2, a.sw = sw, a.dh = 1, a.dw = dw, a.ph = 1, a.pw = 1;
          a.OH = (a.H + 2 - 3) / 2 + 1;
          a.OW = (W + 2 - ((KW - 1) * dw + 1)) / sw + 1;
          const std::vector<float> x = plane_with_specials(a.H * W, rng);
          std::vector<float> want(static_cast<size_t>(a.OH * a.OW)), got(want.size());
          uk::maxpool2d_f32_scalar(a, x.data(), want.data());
          fn(a, x.data(), got.data());
          ASSERT_TRUE(same_bits(got, want)) << "W " << W << " sw " << sw << " dw " << dw << " KW " << KW;
        }
      }
    }
  }
}

Tensor with_nans(Shape s, std::mt19937& rng) {
  Tensor t = random_tensor(DType::kFloat32, std::move(s), rng);
  std::uniform_int_distribution<int> pick(0, 19);
  for (int64_t i = 0; i < t.size(); ++i)
    if (pick(rng) == 0) t.data<float>()[i] = std::numeric_limits<float>::quiet_NaN();
  return t;
}

TEST(NnMaxPool, CnnShapesMatchReferenceWithNaNs) {
  std::mt19937 rng(19);
  struct Case {
    Shape x;
    std::vector<int64_t> k, s, pads;
    int ceil;
    std::string auto_pad;
  };
  const Case cases[] = {
      {{1, 4, 112, 112}, {3, 3}, {2, 2}, {1, 1, 1, 1}, 0, ""},  // ResNet's stem pool
      {{2, 3, 57, 55}, {3, 3}, {2, 2}, {1, 1, 1, 1}, 1, ""},
      {{1, 16, 32, 32}, {2, 2}, {2, 2}, {}, 0, ""},  // small_cnn
      {{3, 5, 17, 19}, {2, 2}, {2, 2}, {}, 1, ""},
      {{1, 3, 20, 21}, {5, 5}, {1, 1}, {2, 2, 2, 2}, 0, ""},  // SPP-style stride 1
      {{1, 2, 13, 34}, {3, 2}, {1, 2}, {}, 0, "SAME_UPPER"},
      {{1, 2, 13, 34}, {4, 3}, {2, 2}, {}, 0, "SAME_LOWER"},
  };
  for (const Case& c : cases) {
    NodeBuilder b("MaxPool", 12);
    b.attr_ints("kernel_shape", c.k).attr_ints("strides", c.s).attr_i("ceil_mode", c.ceil);
    if (!c.pads.empty()) b.attr_ints("pads", c.pads);
    if (!c.auto_pad.empty()) b.attr_s("auto_pad", c.auto_pad);
    SCOPED_TRACE("x " + shape_to_string(c.x));
    expect_matches_reference(b.build(), {with_nans(c.x, rng)}, 1, 0, 0);
  }
}

}  // namespace
}  // namespace onnxrt::testing
