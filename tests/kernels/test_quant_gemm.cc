// The integer GEMM of MatMulInteger and QLinearMatMul (cpu/qgemm.h, ukernels/gemm/igemm.h)
// against int64 sums: the tiles for every row count, column count and K-pair count with guard
// values around C; the driver for both tiles over shapes that cross its row groups, panels and K
// blocks, every zero-point kind and sign, extreme values and int32 wrap-around; and the kernels
// against the reference loops (quant_ops.cc) with and without constant (prepacked) weights.
// Also the dynamic-quantization microkernels (ukernels/elementwise/quantize.h) and the per-tensor
// DequantizeLinear loop, against their formulas.
#include <gtest/gtest.h>

#include <algorithm>
#include <climits>
#include <cmath>
#include <limits>
#include <random>
#include <string>
#include <tuple>
#include <vector>

#include "base/cpu_features.h"
#include "kernels/cpu/qgemm.h"
#include "kernels/harness.h"
#include "kernels/ukernels/elementwise/quantize.h"
#include "kernels/ukernels/gemm/igemm.h"

namespace onnxrt::testing {
namespace {

using kernels::QgemmIsa;
using kernels::QuantOperand;
using kernels::QuantPackedB;
using kernels::ukernels::kIgemmCols;
using kernels::ukernels::kIgemmRows;

std::vector<std::pair<const char*, kernels::ukernels::IgemmTileFn>> tiles() {
  std::vector<std::pair<const char*, kernels::ukernels::IgemmTileFn>> v{{"scalar", &kernels::ukernels::igemm_tile_scalar}};
  if (cpu_features().has_avx2_fma()) v.push_back({"avx2", &kernels::ukernels::igemm_tile_avx2});
  return v;
}

TEST(IgemmTile, MatchesInt64Sums) {
  std::mt19937 rng(11);
  std::uniform_int_distribution<int> u(-255, 255);
  constexpr int32_t kGuard = -77777;
  for (auto [name, fn] : tiles()) {
    for (int64_t m = 1; m <= kIgemmRows; ++m) {
      for (int64_t n = 1; n <= kIgemmCols; ++n) {
        for (int64_t pairs : {0, 1, 2, 3, 37}) {
          for (bool acc : {false, true}) {
            std::vector<int16_t> a(static_cast<size_t>(pairs * 2 * m)), b(static_cast<size_t>(pairs * 2 * kIgemmCols));
            for (auto& x : a) x = static_cast<int16_t>(u(rng));
            for (auto& x : b) x = static_cast<int16_t>(u(rng));
            const int64_t ldc = n + 3;
            std::vector<int32_t> c(static_cast<size_t>(m * ldc), kGuard);
            fn(m, n, pairs, a.data(), b.data(), c.data(), ldc, acc);
            for (int64_t i = 0; i < m; ++i) {
              for (int64_t j = 0; j < ldc; ++j) {
                const std::string what = std::string(name) + " m " + std::to_string(m) + " n " + std::to_string(n) +
                                         " pairs " + std::to_string(pairs) + " at " + std::to_string(i) + "," +
                                         std::to_string(j);
                const int32_t got = c[static_cast<size_t>(i * ldc + j)];
                if (j >= n) {
                  EXPECT_EQ(got, kGuard) << what << ": written past n";
                  continue;
                }
                int64_t want = acc ? kGuard : 0;
                for (int64_t p = 0; p < pairs; ++p)
                  for (int64_t h = 0; h < 2; ++h)
                    want += int64_t{a[static_cast<size_t>((p * m + i) * 2 + h)]} *
                            b[static_cast<size_t>((p * kIgemmCols + j) * 2 + h)];
                EXPECT_EQ(got, static_cast<int32_t>(want)) << what;
              }
            }
          }
        }
      }
    }
  }
}

// C = (A - za) (B - zb) in int64, stored as int32 (wrapping), as the reference loops do.
std::vector<int32_t> naive(int64_t M, int64_t N, int64_t K, const std::vector<int32_t>& a, const std::vector<int32_t>& za,
                           const std::vector<int32_t>& b, const std::vector<int32_t>& zb) {
  std::vector<int32_t> c(static_cast<size_t>(M * N));
  for (int64_t i = 0; i < M; ++i)
    for (int64_t j = 0; j < N; ++j) {
      int64_t s = 0;
      const int64_t zi = za.empty() ? 0 : za[static_cast<size_t>(za.size() == 1 ? 0 : i % static_cast<int64_t>(za.size()))];
      const int64_t zj = zb.empty() ? 0 : zb[static_cast<size_t>(zb.size() == 1 ? 0 : j)];
      for (int64_t k = 0; k < K; ++k)
        s += (a[static_cast<size_t>(i * K + k)] - zi) * (b[static_cast<size_t>(k * N + j)] - zj);
      c[static_cast<size_t>(i * N + j)] = static_cast<int32_t>(static_cast<uint32_t>(s));
    }
  return c;
}

struct Bytes {
  std::vector<int32_t> values;
  std::vector<uint8_t> raw;  // the int8 / uint8 bytes of values
};

Bytes bytes_of(std::vector<int32_t> v, bool is_signed) {
  Bytes b{std::move(v), {}};
  for (int32_t x : b.values) b.raw.push_back(is_signed ? static_cast<uint8_t>(static_cast<int8_t>(x)) : static_cast<uint8_t>(x));
  return b;
}

std::vector<int32_t> random_ints(size_t n, bool is_signed, std::mt19937& rng, int mode) {
  std::uniform_int_distribution<int> u(is_signed ? -128 : 0, is_signed ? 127 : 255);
  std::vector<int32_t> v(n);
  for (size_t i = 0; i < n; ++i) {
    // mode 1: the extremes only, where a pair's products are largest.
    v[i] = mode == 1 ? (u(rng) & 1 ? (is_signed ? -128 : 0) : (is_signed ? 127 : 255)) : u(rng);
  }
  return v;
}

TEST(Qgemm, MatchesInt64SumsOverShapesAndZeroPoints) {
  std::mt19937 rng(12);
  ThreadPool& pool = test_pool();
  struct Shape3 {
    int64_t M, N, K;
  };
  int shifted_cases = 0, unshifted_cases = 0;  // B - zb outside int8 in some column, or not
  const Shape3 shapes[] = {{1, 1, 1},  {1, 17, 3},   {5, 16, 2},   {6, 32, 64},  {7, 33, 513},
                           {13, 5, 1}, {97, 40, 31}, {200, 18, 9}, {3, 70, 1030}, {1, 2304, 20}};
  for (const Shape3& s : shapes) {
    for (int signs = 0; signs < 4; ++signs) {
      const bool as = signs & 1, bs = signs & 2;
      for (int zp_kind = 0; zp_kind < 3; ++zp_kind) {  // none, per tensor, per row / column
        const int mode = (signs + zp_kind + static_cast<int>(s.K)) % 2;
        Bytes a = bytes_of(random_ints(static_cast<size_t>(s.M * s.K), as, rng, mode), as);
        Bytes b = bytes_of(random_ints(static_cast<size_t>(s.K * s.N), bs, rng, mode), bs);
        Bytes za = bytes_of(zp_kind == 0 ? std::vector<int32_t>{} : random_ints(zp_kind == 1 ? 1 : s.M, as, rng, mode), as);
        Bytes zb = bytes_of(zp_kind == 0 ? std::vector<int32_t>{} : random_ints(zp_kind == 1 ? 1 : s.N, bs, rng, mode), bs);
        const std::vector<int32_t> want = naive(s.M, s.N, s.K, a.values, za.values, b.values, zb.values);
        const QuantOperand qa{a.raw.data(), as, s.K, za.raw.data(), static_cast<int64_t>(za.raw.size())};
        const QuantOperand qb{b.raw.data(), bs, s.N, zb.raw.data(), static_cast<int64_t>(zb.raw.size())};
        std::vector<int16_t> wide_buffer(QuantPackedB::packed_elements(s.K, s.N));
        for (QgemmIsa isa : {QgemmIsa::kScalar, QgemmIsa::kAvx2}) {
         // Constant B (int8 panels, shifted where B - zb does not fit int8) and per-run B (int16).
         for (bool constant : {true, false}) {
          const QuantPackedB packed = constant ? QuantPackedB::pack(s.K, s.N, qb, isa)
                                               : QuantPackedB::pack_into(s.K, s.N, qb, wide_buffer.data(), isa);
          if (constant) ++(packed.shifted() ? shifted_cases : unshifted_cases);
          for (ThreadPool* p : {static_cast<ThreadPool*>(nullptr), &pool}) {
            std::vector<int16_t> scratch(kernels::qgemm_scratch_elements(s.M, s.K));
            std::vector<int32_t> c(static_cast<size_t>(s.M * s.N), 12345);
            kernels::qgemm(s.M, qa, packed, c.data(), s.N, scratch.data(), p, isa);
            ASSERT_EQ(c, want) << "M " << s.M << " N " << s.N << " K " << s.K << " signs " << signs << " zero points "
                               << zp_kind << " isa " << static_cast<int>(isa) << (p ? " threaded" : "")
                               << (packed.narrow() ? " narrow" : " wide") << (packed.shifted() ? " shifted" : "");
          }
         }
        }
      }
    }
  }
  EXPECT_GT(shifted_cases, 20);
  EXPECT_GT(unshifted_cases, 20);
}

TEST(Qgemm, Int32SumsWrapAsTheSpecsInt32Accumulator) {
  // 40000 products of 255 * 255 pass 2^31: the result is the int64 sum modulo 2^32.
  const int64_t M = 2, N = 3, K = 40000;
  std::vector<uint8_t> a(static_cast<size_t>(M * K), 255), b(static_cast<size_t>(K * N), 255);
  const uint8_t zero = 0;
  const QuantPackedB packed = QuantPackedB::pack(K, N, {b.data(), false, N, &zero, 1});
  std::vector<int16_t> scratch(kernels::qgemm_scratch_elements(M, K));
  std::vector<int32_t> c(static_cast<size_t>(M * N));
  for (QgemmIsa isa : {QgemmIsa::kScalar, QgemmIsa::kAvx2}) {
    kernels::qgemm(M, {a.data(), false, K, &zero, 1}, packed, c.data(), N, scratch.data(), &test_pool(), isa);
    for (int32_t v : c) EXPECT_EQ(v, static_cast<int32_t>(static_cast<uint32_t>(int64_t{K} * 255 * 255)));
  }
}

Tensor quant_tensor(DType dt, Shape s, std::mt19937& rng) {
  const bool is_signed = dt == DType::kInt8;
  return random_tensor(dt, std::move(s), rng, is_signed ? -128 : 0, is_signed ? 127 : 255);
}

TEST(QuantMatMulKernels, MatchReferenceLoops) {
  std::mt19937 rng(13);
  struct Case {
    Shape a, b;
  };
  const Case cases[] = {{{3, 4}, {4, 5}},         {{4}, {4, 5}},           {{3, 4}, {4}},
                        {{2, 3, 40}, {40, 20}},   {{2, 7, 9}, {2, 9, 17}}, {{2, 1, 3, 4}, {5, 4, 6}},
                        {{1, 128, 256}, {256, 96}}, {{0, 4}, {4, 5}},      {{3, 0}, {0, 5}},
                        {{130, 77}, {77, 33}}};
  for (const Case& c : cases) {
    for (DType at : {DType::kUInt8, DType::kInt8}) {
      for (DType bt : {DType::kUInt8, DType::kInt8}) {
        const int64_t M = c.a.size() == 1 ? 1 : c.a[c.a.size() - 2], N = c.b.size() == 1 ? 1 : c.b.back();
        const Tensor a = quant_tensor(at, c.a, rng), b = quant_tensor(bt, c.b, rng);
        const auto mmi = NodeBuilder("MatMulInteger", 10).build();
        for (int zp_kind = 0; zp_kind < 3; ++zp_kind) {
          std::vector<Tensor> in{a, b};
          if (zp_kind > 0) {
            const bool row = zp_kind == 2 && c.a.size() >= 2;  // per row of each matrix of A
            in.push_back(quant_tensor(at, row ? Shape{M} : Shape{}, rng));
            in.push_back(quant_tensor(bt, zp_kind == 2 && c.b.size() == 2 ? Shape{N} : Shape{}, rng));
          }
          expect_matches_reference(mmi, in, 1, 0, 0);
          expect_matches_reference_without_constants(mmi, in, 0);
        }
        const auto qlm = NodeBuilder("QLinearMatMul", 21).build();
        for (bool per_col : {false, true}) {
          const Shape col = per_col && c.b.size() == 2 ? Shape{N} : Shape{};
          std::vector<Tensor> in{a,
                                 random_tensor(DType::kFloat32, {}, rng, 0.001, 0.02),
                                 quant_tensor(at, {}, rng),
                                 b,
                                 random_tensor(DType::kFloat32, col, rng, 0.001, 0.02),
                                 quant_tensor(bt, col, rng),
                                 random_tensor(DType::kFloat32, {}, rng, 0.5, 4.0),
                                 quant_tensor(at, {}, rng)};
          expect_matches_reference(qlm, in, 1, 0, 0);
          expect_matches_reference_without_constants(qlm, in, 0);
        }
      }
    }
  }
}

struct QconvCase {
  Shape x, w;
  int64_t group;
  std::vector<int64_t> strides, dilations, pads;
  const char* auto_pad;
};

TEST(QuantMatMulKernels, IntegerToFloatMatchesReferenceLoops) {
  // com.onnxrt MatMulIntegerToFloat: per-tensor and per-column scales, with and without a bias,
  // batched A (one stacked product) and batched B (one product per matrix).
  std::mt19937 rng(21);
  const auto node = NodeBuilder("MatMulIntegerToFloat", 1, "com.onnxrt").build();
  for (auto [as, bs] : std::vector<std::pair<Shape, Shape>>{{{3, 40}, {40, 20}}, {{2, 7, 33}, {33, 17}},
                                                            {{2, 5, 9}, {2, 9, 6}}, {{1, 130, 64}, {64, 48}}}) {
    const int64_t N = bs.back();
    for (bool per_col : {false, true}) {
      for (bool bias : {false, true}) {
        std::vector<Tensor> in{quant_tensor(DType::kUInt8, as, rng), quant_tensor(DType::kInt8, bs, rng),
                               quant_tensor(DType::kUInt8, {}, rng), quant_tensor(DType::kInt8, {}, rng),
                               random_tensor(DType::kFloat32, per_col ? Shape{N} : Shape{}, rng, 0.0001, 0.01)};
        if (bias) in.push_back(random_tensor(DType::kFloat32, {N}, rng, -1, 1));
        expect_matches_reference(node, in, 1, 0, 0);
        expect_matches_reference_without_constants(node, in, 0);
      }
    }
  }
}

TEST(QuantMatMulKernels, Int8WeightMatchesReference) {
  // com.onnxrt MatMulInt8Weight: few rows (int8 GEMV, scaled per column) and more rows (blocks
  // dequantized for SGEMM), int8 weights with zero points that fit and uint8 ones that need the
  // shift, per-tensor and per-column parameters, widths around the 32-column vectors and the
  // 256-column blocks.
  std::mt19937 rng(22);
  const auto node = NodeBuilder("MatMulInt8Weight", 1, "com.onnxrt").build();
  for (auto [as, K, N] : std::vector<std::tuple<Shape, int64_t, int64_t>>{
           {{1, 70}, 70, 33}, {{3, 64}, 64, 300}, {{2, 2, 48}, 48, 31}, {{9, 40}, 40, 520}, {{2, 5, 16}, 16, 64}, {{70}, 70, 8}}) {
    for (DType wt : {DType::kInt8, DType::kUInt8}) {
      for (bool per_col : {false, true}) {
        const Shape p = per_col ? Shape{N} : Shape{};
        const std::vector<Tensor> in{random_tensor(DType::kFloat32, as, rng), quant_tensor(wt, {K, N}, rng),
                                     random_tensor(DType::kFloat32, p, rng, 0.001, 0.02), quant_tensor(wt, p, rng)};
        expect_matches_reference(node, in, 1, 1e-4, 1e-4);
      }
    }
  }
}

TEST(GemvInt8Weight, MatchesFloat64Sums) {
  std::mt19937 rng(23);
  std::uniform_real_distribution<float> u(-1.0f, 1.0f);
  std::uniform_int_distribution<int> b(-128, 127);
  std::vector<std::pair<const char*, void (*)(const float*, int64_t, const int8_t*, int64_t, int64_t, float*)>> fns{
      {"scalar", &kernels::ukernels::gemv_int8w_scalar}};
  if (cpu_features().has_avx2_fma()) fns.push_back({"avx2", &kernels::ukernels::gemv_int8w_avx2});
  for (auto [name, fn] : fns) {
    for (int64_t n : {1, 31, 32, 33, 70}) {
      for (int64_t K : {0, 1, 5, 200}) {
        const int64_t ld = n + 7;
        std::vector<float> x(static_cast<size_t>(K)), acc(static_cast<size_t>(n) + 1, -9.0f);
        std::vector<int8_t> q(static_cast<size_t>(K * ld));
        for (float& v : x) v = u(rng);
        for (int8_t& v : q) v = static_cast<int8_t>(b(rng));
        fn(x.data(), K, q.data(), ld, n, acc.data());
        for (int64_t j = 0; j < n; ++j) {
          double want = 0;
          for (int64_t k = 0; k < K; ++k) want += double{x[static_cast<size_t>(k)]} * q[static_cast<size_t>(k * ld + j)];
          EXPECT_NEAR(acc[static_cast<size_t>(j)], want, 1e-4 * (1 + K)) << name << " n " << n << " K " << K << " j " << j;
        }
        EXPECT_EQ(acc[static_cast<size_t>(n)], -9.0f) << name << ": written past n";
      }
    }
  }
}

TEST(QuantConvKernels, MatchReferenceLoops) {
  std::mt19937 rng(19);
  const QconvCase cases[] = {
      {{1, 3, 7, 6}, {5, 3, 3, 3}, 1, {1, 1}, {1, 1}, {1, 1, 1, 1}, ""},
      {{2, 8, 9, 9}, {16, 8, 1, 1}, 1, {1, 1}, {1, 1}, {0, 0, 0, 0}, ""},        // 1x1: X read in place
      {{1, 8, 9, 9}, {6, 8, 1, 1}, 1, {2, 2}, {1, 1}, {0, 0, 0, 0}, ""},         // strided 1x1
      {{1, 6, 10, 11}, {6, 1, 3, 3}, 6, {2, 1}, {1, 1}, {1, 0, 1, 2}, ""},       // depthwise
      {{1, 4, 8, 8}, {6, 2, 3, 2}, 2, {1, 2}, {2, 1}, {0, 0, 0, 0}, "SAME_UPPER"},
      {{1, 3, 12, 12}, {7, 3, 7, 7}, 1, {2, 2}, {1, 1}, {3, 3, 3, 3}, ""},       // a stem
      {{2, 4, 11}, {5, 4, 3}, 1, {2}, {2}, {1, 2}, ""},                           // 1-D
      {{1, 2, 4, 5, 6}, {3, 2, 2, 3, 2}, 1, {1, 2, 1}, {1, 1, 2}, {1, 0, 1, 0, 1, 1}, ""},  // 3-D
      {{1, 40, 6, 6}, {33, 40, 3, 3}, 1, {1, 1}, {1, 1}, {1, 1, 1, 1}, ""},      // several row tiles
      // stride 2 along rows of 16+ outputs (16 at a time in im2col), pads cutting both ends
      {{1, 3, 5, 70}, {4, 3, 3, 3}, 1, {2, 2}, {1, 1}, {1, 1, 1, 1}, ""},
      {{1, 2, 4, 67}, {3, 2, 3, 3}, 1, {1, 2}, {1, 1}, {0, 1, 0, 2}, ""},
      {{1, 2, 5, 80}, {3, 2, 3, 3}, 1, {2, 2}, {2, 2}, {2, 2, 2, 2}, ""},
  };
  for (const QconvCase& c : cases) {
    for (DType xt : {DType::kUInt8, DType::kInt8}) {
      for (DType wt : {DType::kUInt8, DType::kInt8}) {
        auto node = [&](const char* op) {
          NodeBuilder b(op, 10);
          b.attr_i("group", c.group).attr_ints("strides", c.strides).attr_ints("dilations", c.dilations);
          if (*c.auto_pad) {
            b.attr_s("auto_pad", c.auto_pad);
          } else {
            b.attr_ints("pads", c.pads);
          }
          return b.build();
        };
        const int64_t M = c.w[0];
        const Tensor x = quant_tensor(xt, c.x, rng), w = quant_tensor(wt, c.w, rng);
        for (int zp_kind = 0; zp_kind < 3; ++zp_kind) {
          std::vector<Tensor> in{x, w};
          if (zp_kind > 0) {
            in.push_back(quant_tensor(xt, {}, rng));
            in.push_back(quant_tensor(wt, zp_kind == 2 ? Shape{M} : Shape{}, rng));
          }
          expect_matches_reference(node("ConvInteger"), in, 1, 0, 0);
        }
        for (bool per_channel : {false, true}) {
          const Shape ch = per_channel ? Shape{M} : Shape{};
          std::vector<Tensor> in{x,
                                 random_tensor(DType::kFloat32, {}, rng, 0.01, 0.05),
                                 quant_tensor(xt, {}, rng),
                                 w,
                                 random_tensor(DType::kFloat32, ch, rng, 0.001, 0.02),
                                 quant_tensor(wt, ch, rng),
                                 random_tensor(DType::kFloat32, {}, rng, 0.05, 0.5),
                                 quant_tensor(xt, {}, rng),
                                 random_tensor(DType::kInt32, {M}, rng, -5000, 5000)};
          expect_matches_reference(node("QLinearConv"), in, 1, 0, 0);
        }
      }
    }
  }
}

TEST(QuantConvKernels, LargeImagesRunInPixelBlocks) {
  // Packed patches over the 4 MB block bound: a 3x3 conv (576 x 4096 int16) and a 1x1 conv read in
  // place (64 x 40000) each run in two pixel blocks.
  std::mt19937 rng(20);
  const auto conv3 = NodeBuilder("QLinearConv", 10).attr_ints("pads", {1, 1, 1, 1}).build();
  const auto conv1 = NodeBuilder("QLinearConv", 10).build();
  for (auto [node, xs, ws] : {std::tuple{conv3, Shape{1, 64, 64, 64}, Shape{8, 64, 3, 3}},
                              std::tuple{conv1, Shape{1, 64, 200, 200}, Shape{4, 64, 1, 1}}}) {
    const int64_t M = ws[0];
    expect_matches_reference(node,
                             {quant_tensor(DType::kUInt8, xs, rng), make_tensor<float>(DType::kFloat32, {}, {0.02f}),
                              quant_tensor(DType::kUInt8, {}, rng), quant_tensor(DType::kInt8, ws, rng),
                              random_tensor(DType::kFloat32, {M}, rng, 0.0005, 0.002), quant_tensor(DType::kInt8, {M}, rng),
                              make_tensor<float>(DType::kFloat32, {}, {0.3f}), quant_tensor(DType::kUInt8, {}, rng),
                              random_tensor(DType::kInt32, {M}, rng, -5000, 5000)},
                             1, 0, 0);
  }
}

TEST(DynamicQuantizeUkernels, VectorMatchesScalar) {
  std::mt19937 rng(14);
  std::normal_distribution<float> g(0.0f, 300.0f);
  const float nan = std::numeric_limits<float>::quiet_NaN(), inf = std::numeric_limits<float>::infinity();
  for (int64_t n : {0, 1, 7, 31, 32, 33, 100, 1000}) {
    for (int special = 0; special < 3; ++special) {
      std::vector<float> x(static_cast<size_t>(n));
      for (float& v : x) v = g(rng);
      // Exact ties of x / scale (half to even; 1 / 7 is not exact, so a multiplication by the
      // reciprocal rounds some of them the other way), NaN, and infinities at some positions.
      for (int64_t i = 0; i < n; i += 5) x[static_cast<size_t>(i)] = 7.0f * (static_cast<float>(i % 23) - 11.5f);
      if (special == 1 && n > 3) x[static_cast<size_t>(n / 2)] = nan;
      if (special == 2 && n > 3) x[static_cast<size_t>(n / 3)] = -inf;
      float lo0, hi0, lo1, hi1;
      kernels::ew::minmax_f32_scalar(x.data(), n, &lo0, &hi0);
      std::vector<uint8_t> y0(static_cast<size_t>(n)), y1(static_cast<size_t>(n));
      kernels::ew::quantize_u8_scalar(x.data(), n, 7.0f, 7.0f, y0.data());
      if (!cpu_features().has_avx2_fma()) continue;
      kernels::ew::minmax_f32_avx2(x.data(), n, &lo1, &hi1);
      EXPECT_EQ(lo0, lo1) << n;
      EXPECT_EQ(hi0, hi1) << n;
      kernels::ew::quantize_u8_avx2(x.data(), n, 7.0f, 7.0f, y1.data());
      EXPECT_EQ(y0, y1) << n << " special " << special;
      for (int64_t i = 0; i < n; ++i) {
        const float v = x[static_cast<size_t>(i)];
        const float q = std::nearbyint(v / 7.0f) + 7.0f;
        const int want = std::isnan(q) ? 0 : static_cast<int>(std::fmin(std::fmax(q, 0.0f), 255.0f));
        EXPECT_EQ(y1[static_cast<size_t>(i)], want) << "x " << v;
      }
    }
  }
}

TEST(QuantDynamicQuantizeLinear, ThreadedKernelMatchesSpecFormula) {
  std::mt19937 rng(16);
  std::normal_distribution<float> g(0.3f, 2.0f);
  for (int64_t n : {1, 100, 100003}) {
    std::vector<float> v(static_cast<size_t>(n));
    for (float& e : v) e = g(rng);
    auto y = run_node(kernels::Backend::kCpu, NodeBuilder("DynamicQuantizeLinear", 11).build(),
                      {make_tensor<float>(DType::kFloat32, {n}, v)}, 3);
    ASSERT_TRUE(y.has_value()) << y.status().to_string();
    float lo = 0, hi = 0;
    for (float e : v) lo = std::min(lo, e), hi = std::max(hi, e);
    const float scale = (hi - lo) / 255.0f;
    const float zp = std::nearbyint(std::clamp(-lo / scale, 0.0f, 255.0f));
    EXPECT_EQ((*y)[1].data<float>()[0], scale);
    EXPECT_EQ((*y)[2].data<uint8_t>()[0], static_cast<uint8_t>(zp));
    for (int64_t i = 0; i < n; ++i) {
      const float q = std::clamp(std::nearbyint(v[static_cast<size_t>(i)] / scale) + zp, 0.0f, 255.0f);
      ASSERT_EQ((*y)[0].data<uint8_t>()[i], static_cast<uint8_t>(q)) << i;
    }
  }
}

TEST(QuantizeLinearUkernels, VectorMatchesScalar) {
  std::mt19937 rng(17);
  std::normal_distribution<float> g(0.0f, 600.0f);
  const float nan = std::numeric_limits<float>::quiet_NaN(), inf = std::numeric_limits<float>::infinity();
  for (int64_t n : {0, 5, 32, 33, 1000}) {
    std::vector<float> x(static_cast<size_t>(n));
    for (float& v : x) v = g(rng);
    for (int64_t i = 0; i < n; i += 5) x[static_cast<size_t>(i)] = 7.0f * (static_cast<float>(i % 23) - 11.5f);
    if (n > 10) x[3] = nan, x[4] = inf, x[6] = -inf, x[7] = 3e9f, x[8] = -3e12f;
    for (bool is_signed : {false, true}) {
      const int32_t lo = is_signed ? -128 : 0, hi = is_signed ? 127 : 255, zp = is_signed ? -3 : 131;
      std::vector<uint8_t> y0(static_cast<size_t>(n)), y1(static_cast<size_t>(n));
      kernels::ew::quantize_8bit_scalar(x.data(), n, 7.0f, zp, lo, hi, is_signed, y0.data());
      for (int64_t i = 0; i < n; ++i) {
        // The reference's steps: float division, rint, x86's int32 conversion, wrapping add, clamp.
        const double r = std::nearbyint(static_cast<double>(x[static_cast<size_t>(i)] / 7.0f));
        const int64_t v = r >= -2147483648.0 && r < 2147483648.0 ? static_cast<int64_t>(r) : INT32_MIN;
        const int64_t want = std::clamp<int64_t>(static_cast<int32_t>(static_cast<uint32_t>(v + zp)), lo, hi);
        ASSERT_EQ(y0[static_cast<size_t>(i)], static_cast<uint8_t>(want)) << "x " << x[static_cast<size_t>(i)];
      }
      if (!cpu_features().has_avx2_fma()) continue;
      kernels::ew::quantize_8bit_avx2(x.data(), n, 7.0f, zp, lo, hi, is_signed, y1.data());
      EXPECT_EQ(y0, y1) << n << (is_signed ? " int8" : " uint8");
    }
  }
}

TEST(QuantQuantizeLinear, PerTensorPathMatchesPerAxisPath) {
  // The same scale and zero point per tensor (vectorized path) and repeated per axis (the general
  // loop) must give the same bytes.
  std::mt19937 rng(18);
  for (DType dt : {DType::kUInt8, DType::kInt8}) {
    const Tensor x = random_tensor(DType::kFloat32, {4, 517}, rng, -40.0, 40.0);
    const uint8_t zbyte = dt == DType::kInt8 ? static_cast<uint8_t>(-5) : 117;
    Tensor z1 = Tensor::allocate(dt, {}), z4 = Tensor::allocate(dt, {4});
    static_cast<uint8_t*>(z1.raw())[0] = zbyte;
    for (int i = 0; i < 4; ++i) static_cast<uint8_t*>(z4.raw())[i] = zbyte;
    auto per_tensor = run_node(kernels::Backend::kCpu, NodeBuilder("QuantizeLinear", 13).build(),
                               {x, make_tensor<float>(DType::kFloat32, {}, {0.13f}), z1}, 1);
    auto per_axis = run_node(kernels::Backend::kCpu, NodeBuilder("QuantizeLinear", 13).attr_i("axis", 0).build(),
                             {x, make_tensor<float>(DType::kFloat32, {4}, {0.13f, 0.13f, 0.13f, 0.13f}), z4}, 1);
    ASSERT_TRUE(per_tensor.has_value() && per_axis.has_value());
    EXPECT_TRUE(tensors_close((*per_tensor)[0], (*per_axis)[0], 0, 0)) << dtype_name(dt);
  }
}

TEST(QuantDequantizeLinear, PerTensorEightBitLoopMatchesFormula) {
  std::mt19937 rng(15);
  for (DType dt : {DType::kUInt8, DType::kInt8}) {
    const Tensor x = quant_tensor(dt, {3, 1001}, rng), zp = quant_tensor(dt, {}, rng);
    const float scale = 0.0137f;
    auto y = run_node(kernels::Backend::kCpu, NodeBuilder("DequantizeLinear", 21).build(),
                      {x, make_tensor<float>(DType::kFloat32, {}, {scale}), zp}, 1);
    ASSERT_TRUE(y.has_value()) << y.status().to_string();
    for (int64_t i = 0; i < x.size(); ++i) {
      const float xv = dt == DType::kInt8 ? x.data<int8_t>()[i] : x.data<uint8_t>()[i];
      const float zv = dt == DType::kInt8 ? zp.data<int8_t>()[0] : zp.data<uint8_t>()[0];
      // numpy: (float32(x) - zero_point) in float32, times the scale, rounded once to float32.
      const float want = static_cast<float>(static_cast<double>(xv - zv) * scale);
      ASSERT_EQ((*y)[0].data<float>()[i], want) << i;
    }
  }
}

}  // namespace
}  // namespace onnxrt::testing
