// MatMul and Gemm with non-constant B. The harness hands every input to create() as a constant,
// so the packed-weights path is what expect_matches_reference exercises; here create() sees no
// constants and run() must multiply the B it is given.
#include <gtest/gtest.h>

#include <random>

#include "ir/infer.h"
#include "kernels/harness.h"

namespace onnxrt::testing {
namespace {

void check_dynamic(const ir::Node& node, const std::vector<Tensor>& inputs, double tol = 1e-4) {
  expect_matches_reference_without_constants(node, inputs, tol);
}

TEST(LinalgDynamic, MatMulAndGemmWithoutConstants) {
  std::mt19937 rng(5);
  auto mm = NodeBuilder("MatMul", 13).build();
  for (auto [a, b] : std::vector<std::pair<Shape, Shape>>{
           {{3, 4}, {4, 5}}, {{1, 300}, {300, 70}}, {{2, 70, 40}, {40, 33}}, {{5}, {5, 2}}}) {
    check_dynamic(mm, {random_tensor(DType::kFloat32, a, rng), random_tensor(DType::kFloat32, b, rng)});
  }
  for (int t = 0; t < 4; ++t) {
    auto g = NodeBuilder("Gemm", 13).attr_i("transA", t & 1).attr_i("transB", (t >> 1) & 1)
                 .attr_f("alpha", 0.5f).attr_f("beta", 2.f).build();
    const int64_t M = 37, N = 45, K = 300;
    check_dynamic(g, {random_tensor(DType::kFloat32, t & 1 ? Shape{K, M} : Shape{M, K}, rng),
                      random_tensor(DType::kFloat32, t & 2 ? Shape{N, K} : Shape{K, N}, rng),
                      random_tensor(DType::kFloat32, {N}, rng)});
  }
}

TEST(LinalgDynamic, HalfPrecisionWithoutConstants) {
  std::mt19937 rng(6);
  auto mm = NodeBuilder("MatMul", 13).build();
  auto g = NodeBuilder("Gemm", 13).attr_i("transB", 1).build();
  for (DType dt : {DType::kFloat16, DType::kBFloat16}) {
    const double tol = dt == DType::kFloat16 ? 2e-2 : 1e-1;
    check_dynamic(mm, {random_tensor(dt, {2, 9, 40}, rng), random_tensor(dt, {40, 13}, rng)}, tol);
    check_dynamic(g, {random_tensor(dt, {9, 40}, rng), random_tensor(dt, {13, 40}, rng),
                      random_tensor(dt, {13}, rng)}, tol);
  }
}

}  // namespace
}  // namespace onnxrt::testing
