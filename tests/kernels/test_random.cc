// Random family: shapes, dtypes, ranges, determinism with a seed, and distribution sanity.
#include <gtest/gtest.h>

#include <cmath>

#include "base/half.h"
#include "kernels/harness.h"

namespace onnxrt::testing {
namespace {

TEST(RandomOps, UniformSeededIsDeterministicAndInRange) {
  auto node = NodeBuilder("RandomUniform", 22).attr_ints("shape", {3, 500}).attr_f("low", -2.0f)
                  .attr_f("high", 3.0f).attr_f("seed", 7.0f).build();
  auto a = run_node(kernels::Backend::kCpu, node, {}, 1);
  auto b = run_node(kernels::Backend::kReference, node, {}, 1);
  ASSERT_TRUE(a.has_value()) << a.status().message();
  ASSERT_TRUE(b.has_value());
  ASSERT_EQ((*a)[0].shape(), (Shape{3, 500}));
  EXPECT_TRUE(tensors_close((*a)[0], (*b)[0], 0, 0));
  double mean = 0;
  for (float v : (*a)[0].span<float>()) {
    EXPECT_GE(v, -2.0f);
    EXPECT_LT(v, 3.0f);
    mean += v;
  }
  EXPECT_NEAR(mean / 1500, 0.5, 0.15);
}

TEST(RandomOps, NormalLikeKeepsShapeAndTakesDtype) {
  Tensor x = Tensor::allocate(DType::kFloat32, {40, 50});
  auto node = NodeBuilder("RandomNormalLike", 22).attr_f("mean", 1.0f).attr_f("scale", 2.0f)
                  .attr_i("dtype", static_cast<int64_t>(DType::kFloat64)).attr_f("seed", 1.0f).build();
  auto r = run_node(kernels::Backend::kCpu, node, {x}, 1);
  ASSERT_TRUE(r.has_value()) << r.status().message();
  ASSERT_EQ((*r)[0].dtype(), DType::kFloat64);
  double m = 0, q = 0;
  for (double v : (*r)[0].span<double>()) m += v;
  m /= 2000;
  for (double v : (*r)[0].span<double>()) q += (v - m) * (v - m);
  EXPECT_NEAR(m, 1.0, 0.2);
  EXPECT_NEAR(std::sqrt(q / 2000), 2.0, 0.2);
}

TEST(RandomOps, BernoulliExtremesAndDtype) {
  Tensor p = make_tensor<float>(DType::kFloat32, {6}, std::vector<float>{0, 1, 0, 1, 1, 0});
  auto node = NodeBuilder("Bernoulli", 22).attr_i("dtype", static_cast<int64_t>(DType::kInt32)).build();
  auto r = run_node(kernels::Backend::kCpu, node, {p}, 1);
  ASSERT_TRUE(r.has_value()) << r.status().message();
  EXPECT_TRUE(tensors_close((*r)[0], make_tensor<int32_t>(DType::kInt32, {6}, std::vector<int32_t>{0, 1, 0, 1, 1, 0}), 0, 0));
  Tensor e = Tensor::allocate(DType::kFloat64, {0, 3});
  auto z = run_node(kernels::Backend::kCpu, NodeBuilder("Bernoulli", 15).build(), {e}, 1);
  ASSERT_TRUE(z.has_value());
  EXPECT_EQ((*z)[0].shape(), (Shape{0, 3}));
}

TEST(RandomOps, MultinomialPicksTheOnlyLikelyClass) {
  Tensor logits = make_tensor<float>(DType::kFloat32, {2, 3}, std::vector<float>{-1e4f, 0, -1e4f, -1e4f, -1e4f, 5});
  auto node = NodeBuilder("Multinomial", 7).attr_i("sample_size", 4).attr_f("seed", 3.0f).build();
  auto r = run_node(kernels::Backend::kCpu, node, {logits}, 1);
  ASSERT_TRUE(r.has_value()) << r.status().message();
  EXPECT_TRUE(tensors_close((*r)[0], make_tensor<int32_t>(DType::kInt32, {2, 4}, std::vector<int32_t>{1, 1, 1, 1, 2, 2, 2, 2}), 0, 0));
}

TEST(RandomOps, BadAttributesFail) {
  auto neg = NodeBuilder("RandomUniform", 22).attr_ints("shape", {2, -1}).build();
  EXPECT_FALSE(run_node(kernels::Backend::kCpu, neg, {}, 1).has_value());
  auto ints = NodeBuilder("RandomNormal", 22).attr_ints("shape", {2}).attr_i("dtype", static_cast<int64_t>(DType::kInt32)).build();
  EXPECT_FALSE(run_node(kernels::Backend::kCpu, ints, {}, 1).has_value());
}

}  // namespace
}  // namespace onnxrt::testing
