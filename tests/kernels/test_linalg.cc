// MatMul and Gemm CPU kernels vs the reference kernels (kernels/reference/linalg.cc).
#include <gtest/gtest.h>

#include <cmath>
#include <limits>
#include <random>

#include "kernels/harness.h"

namespace onnxrt::testing {
namespace {

double atol_for(DType dt, int64_t K) {
  switch (dt) {
    case DType::kFloat32: return 1e-5 * (4 + std::sqrt(static_cast<double>(K)));
    case DType::kFloat16: return 2e-3 * (4 + std::sqrt(static_cast<double>(K)));
    case DType::kBFloat16: return 1e-2 * (4 + std::sqrt(static_cast<double>(K)));
    case DType::kFloat64: return 1e-12 * (4 + K);
    default: return 0;
  }
}
double rtol_for(DType dt) {
  return dt == DType::kFloat16 ? 2e-3 : dt == DType::kBFloat16 ? 1e-2 : dt == DType::kFloat32 ? 1e-5 : 0;
}

struct MMCase {
  Shape a, b;
};

const MMCase kMatMulCases[] = {
    {{3, 4}, {4, 5}},          {{4}, {4, 5}},          {{3, 4}, {4}},
    {{4}, {4}},                {{2, 3, 4}, {4}},       {{4}, {2, 4, 3}},
    {{2, 1, 3, 4}, {5, 4, 6}}, {{1, 3, 4}, {2, 4, 2}}, {{2, 3, 4}, {1, 4, 2}},
    {{0, 4}, {4, 5}},          {{3, 0}, {0, 5}},       {{3, 4}, {4, 0}},
    {{2, 0, 3, 4}, {4, 5}},    {{1, 1}, {1, 1}},       {{2, 33, 70}, {70, 49}},
    {{1, 768}, {768, 96}},     {{3, 17, 29}, {3, 29, 31}}, {{4, 16, 32}, {4, 32, 16}},
    {{2, 64, 128}, {128, 96}}, {{2, 64, 128}, {1, 128, 96}}, {{130, 300}, {300, 70}},
};

TEST(LinalgMatMul, MatchesReferenceFloat32) {
  std::mt19937 rng(1);
  for (int opset : {1, 9, 13}) {
    auto node = NodeBuilder("MatMul", opset).build();
    for (const MMCase& c : kMatMulCases) {
      expect_matches_reference(node, {random_tensor(DType::kFloat32, c.a, rng),
                                      random_tensor(DType::kFloat32, c.b, rng)},
                               1, atol_for(DType::kFloat32, c.a.back()), 1e-5);
    }
  }
}

TEST(LinalgMatMul, MatchesReferenceOtherTypes) {
  std::mt19937 rng(2);
  auto node = NodeBuilder("MatMul", 13).build();
  for (DType dt : {DType::kFloat64, DType::kFloat16, DType::kBFloat16, DType::kInt32,
                   DType::kInt64, DType::kUInt32, DType::kUInt64}) {
    const bool is_int = dt != DType::kFloat64 && dt != DType::kFloat16 && dt != DType::kBFloat16;
    const double lo = is_int ? (dt == DType::kUInt32 || dt == DType::kUInt64 ? 0 : -20) : -1;
    const double hi = is_int ? 20 : 1;
    for (const MMCase& c : kMatMulCases) {
      expect_matches_reference(node, {random_tensor(dt, c.a, rng, lo, hi),
                                      random_tensor(dt, c.b, rng, lo, hi)},
                               1, atol_for(dt, c.a.back()), rtol_for(dt));
    }
  }
}

TEST(LinalgMatMul, HandComputedAndShapes) {
  auto node = NodeBuilder("MatMul", 13).build();
  // [2] x [2,3] -> [3]
  auto r = run_node(kernels::Backend::kCpu, node,
                    {make_tensor<float>(DType::kFloat32, {2}, {1, 2}),
                     make_tensor<float>(DType::kFloat32, {2, 3}, {1, 2, 3, 4, 5, 6})},
                    1);
  ASSERT_TRUE(r.has_value()) << r.status().to_string();
  EXPECT_TRUE(tensors_close((*r)[0], make_tensor<float>(DType::kFloat32, {3}, {9, 12, 15}), 0, 0));
  // int64 batch broadcast: [2,1,2] x [2,1] -> [2,1,1]
  auto q = run_node(kernels::Backend::kCpu, node,
                    {make_tensor<int64_t>(DType::kInt64, {2, 1, 2}, {1, 2, 3, 4}),
                     make_tensor<int64_t>(DType::kInt64, {2, 1}, {10, 100})},
                    1);
  ASSERT_TRUE(q.has_value()) << q.status().to_string();
  EXPECT_TRUE(tensors_close((*q)[0], make_tensor<int64_t>(DType::kInt64, {2, 1, 1}, {210, 430}), 0, 0));
}

TEST(LinalgMatMul, MismatchedInnerDimIsAnError) {
  std::mt19937 rng(3);
  auto node = NodeBuilder("MatMul", 13).name("mm").build();
  auto r = run_node(kernels::Backend::kCpu, node,
                    {random_tensor(DType::kFloat32, {3, 4}, rng),
                     random_tensor(DType::kFloat32, {5, 2}, rng)},
                    1);
  ASSERT_FALSE(r.has_value());
  EXPECT_NE(r.status().message().find("K=4"), std::string::npos) << r.status().message();
  EXPECT_NE(r.status().message().find("K=5"), std::string::npos) << r.status().message();
  EXPECT_NE(r.status().message().find("mm"), std::string::npos) << r.status().message();
}

TEST(LinalgGemm, MatchesReference) {
  std::mt19937 rng(4);
  struct G {
    int64_t M, N, K;
  };
  for (DType dt : {DType::kFloat32, DType::kFloat64, DType::kFloat16, DType::kInt64,
                   DType::kInt32}) {
    const bool is_int = dt == DType::kInt64 || dt == DType::kInt32;
    for (int opset : {7, 9, 11, 13}) {
      if (is_int && opset < 9) continue;
      for (int t = 0; t < 4; ++t) {
        const bool ta = t & 1, tb = t & 2;
        for (G g : {G{3, 5, 4}, G{1, 1, 1}, G{0, 4, 3}, G{4, 0, 3}, G{4, 3, 0}, G{37, 65, 130}}) {
          for (int ci = 0; ci < 7; ++ci) {
            if (ci == 0 && opset < 11) continue;  // C optional from opset 11
            const float alpha = is_int ? 1.f : (ci % 2 ? 0.5f : 1.f);
            const float beta = is_int ? 1.f : (ci == 3 ? 0.f : 2.f);
            auto node = NodeBuilder("Gemm", opset)
                            .attr_i("transA", ta)
                            .attr_i("transB", tb)
                            .attr_f("alpha", alpha)
                            .attr_f("beta", beta)
                            .build();
            const Shape cs[] = {{}, {}, {1}, {g.N}, {1, g.N}, {g.M, 1}, {g.M, g.N}};
            std::vector<Tensor> in = {
                random_tensor(dt, ta ? Shape{g.K, g.M} : Shape{g.M, g.K}, rng, -3, 3),
                random_tensor(dt, tb ? Shape{g.N, g.K} : Shape{g.K, g.N}, rng, -3, 3),
                ci == 0 ? Tensor() : random_tensor(dt, cs[ci], rng, -3, 3)};
            expect_matches_reference(node, in, 1, atol_for(dt, g.K) * 3, rtol_for(dt));
          }
        }
      }
    }
  }
}

TEST(LinalgGemm, BetaZeroIgnoresNanC) {
  auto node = NodeBuilder("Gemm", 13).attr_f("beta", 0.f).build();
  const float nan = std::numeric_limits<float>::quiet_NaN();
  auto r = run_node(kernels::Backend::kCpu, node,
                    {make_tensor<float>(DType::kFloat32, {1, 2}, {1, 2}),
                     make_tensor<float>(DType::kFloat32, {2, 2}, {1, 2, 3, 4}),
                     make_tensor<float>(DType::kFloat32, {2}, {nan, nan})},
                    1);
  ASSERT_TRUE(r.has_value()) << r.status().to_string();
  EXPECT_TRUE(tensors_close((*r)[0], make_tensor<float>(DType::kFloat32, {1, 2}, {7, 10}), 0, 0));
}

TEST(LinalgGemm, HandComputedTransposedWithBias) {
  // A^T = [1 2; 3 4] from A = [1 3; 2 4]; B^T = [1 0; 0 1]; Y = 2*A^T*I + 1*[10, 20].
  auto node = NodeBuilder("Gemm", 13).attr_i("transA", 1).attr_i("transB", 1).attr_f("alpha", 2).build();
  auto r = run_node(kernels::Backend::kCpu, node,
                    {make_tensor<float>(DType::kFloat32, {2, 2}, {1, 3, 2, 4}),
                     make_tensor<float>(DType::kFloat32, {2, 2}, {1, 0, 0, 1}),
                     make_tensor<float>(DType::kFloat32, {1, 2}, {10, 20})},
                    1);
  ASSERT_TRUE(r.has_value()) << r.status().to_string();
  EXPECT_TRUE(tensors_close((*r)[0], make_tensor<float>(DType::kFloat32, {2, 2}, {12, 24, 16, 28}), 0, 0));
}

}  // namespace
}  // namespace onnxrt::testing
