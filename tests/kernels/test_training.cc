// Training optimizers (ai.onnx.preview.training): pinned values from onnx's own reference formulas
// (onnx/backend/test/case/node/{adagrad,adam,momentum}.py), CPU and reference tables.
#include <gtest/gtest.h>

#include "kernels/harness.h"

namespace onnxrt::testing {
namespace {

constexpr const char* kDomain = "ai.onnx.preview.training";

Tensor d64(Shape s, std::vector<double> v) { return make_tensor<double>(DType::kFloat64, std::move(s), v); }
Tensor scalar_f(float v) { return make_tensor<float>(DType::kFloat32, {}, std::vector<float>{v}); }
Tensor scalar_i(int64_t v) { return make_tensor<int64_t>(DType::kInt64, {}, std::vector<int64_t>{v}); }

const std::vector<double> kX = {1.0, 2.0}, kG = {-1.0, 0.5}, kH = {2.0, 1.0}, kV = {0.5, -0.25};

void expect_outputs(const ir::Node& node, const std::vector<Tensor>& in,
                    const std::vector<std::vector<double>>& want) {
  for (auto backend : {kernels::Backend::kCpu, kernels::Backend::kReference}) {
    auto r = run_node(backend, node, in, want.size());
    ASSERT_TRUE(r.has_value()) << r.status().message();
    for (size_t i = 0; i < want.size(); ++i)
      EXPECT_TRUE(tensors_close((*r)[i], d64({2}, want[i]), 1e-7, 1e-6)) << "output " << i;
  }
}

TEST(TrainingOptimizers, AdagradPinned) {
  auto node = NodeBuilder("Adagrad", 1, kDomain).attr_f("norm_coefficient", 0.001f).attr_f("epsilon", 1e-5f)
                  .attr_f("decay_factor", 0.1f).build();
  expect_outputs(node, {scalar_f(0.1f), scalar_i(3), d64({2}, kX), d64({2}, kG), d64({2}, kH)},
                 {{1.04438168, 1.96548931}, {2.998001, 1.252004}});
}

TEST(TrainingOptimizers, AdamPinned) {
  auto node = NodeBuilder("Adam", 1, kDomain).attr_f("norm_coefficient", 0.001f).attr_f("norm_coefficient_post", 0.02f)
                  .attr_f("alpha", 0.95f).attr_f("beta", 0.1f).attr_f("epsilon", 1e-7f).build();
  expect_outputs(node, {scalar_f(0.1f), scalar_i(2), d64({2}, kX), d64({2}, kG), d64({2}, kV), d64({2}, kH)},
                 {{0.57436246, 2.33157807}, {0.42505, -0.2124}, {1.0982009, 0.3268036}});
}

TEST(TrainingOptimizers, MomentumAndNesterovPinned) {
  auto std_node = NodeBuilder("Momentum", 1, kDomain).attr_f("norm_coefficient", 0.001f).attr_f("alpha", 0.95f)
                      .attr_f("beta", 0.1f).attr_s("mode", "standard").build();
  expect_outputs(std_node, {scalar_f(0.1f), scalar_i(1), d64({2}, kX), d64({2}, kG), d64({2}, kV)},
                 {{0.96249, 2.01873}, {0.3751, -0.1873}});
  // T = 0: the gradient's coefficient is 1 whatever beta says.
  auto nest = NodeBuilder("Momentum", 1, kDomain).attr_f("norm_coefficient", 0.01f).attr_f("alpha", 0.95f)
                  .attr_f("beta", 1.0f).attr_s("mode", "nesterov").build();
  expect_outputs(nest, {scalar_f(0.1f), scalar_i(0), d64({2}, kX), d64({2}, kG), d64({2}, kV)},
                 {{1.147925, 1.9211625}, {-0.515, 0.2825}});
}

TEST(TrainingOptimizers, MultipleTensorsAndErrors) {
  auto node = NodeBuilder("Momentum", 1, kDomain).attr_f("norm_coefficient", 0.0f).attr_f("alpha", 0.5f)
                  .attr_f("beta", 1.0f).attr_s("mode", "standard").build();
  Tensor x1 = make_tensor<float>(DType::kFloat32, {1}, std::vector<float>{1});
  Tensor x2 = make_tensor<float>(DType::kFloat32, {0}, std::vector<float>{});
  auto r = run_node(kernels::Backend::kCpu, node,
                    {scalar_f(1.0f), scalar_i(5), x1, x2, x1, x2, x1, x2}, 4);
  ASSERT_TRUE(r.has_value()) << r.status().message();
  // v = 0.5 * 1 + 1 * 1 = 1.5; x = 1 - 1.5
  EXPECT_TRUE(tensors_close((*r)[0], make_tensor<float>(DType::kFloat32, {1}, std::vector<float>{-0.5f}), 1e-7, 0));
  EXPECT_EQ((*r)[1].size(), 0);
  auto bad = NodeBuilder("Momentum", 1, kDomain).attr_f("norm_coefficient", 0.0f).attr_f("alpha", 0.5f)
                 .attr_f("beta", 1.0f).attr_s("mode", "sideways").build();
  EXPECT_FALSE(run_node(kernels::Backend::kCpu, bad, {scalar_f(1.0f), scalar_i(5), x1, x1, x1}, 2).has_value());
  // Inputs not a multiple of the group size.
  EXPECT_FALSE(run_node(kernels::Backend::kCpu, node, {scalar_f(1.0f), scalar_i(5), x1, x1}, 1).has_value());
}

// com.onnxrt SumToShape (the un-broadcast step of Gradient's backward graphs): G [2, 3] summed
// to [3], [2, 1], [1, 1], a scalar and itself; a middle axis of a rank-3 G; shapes that do not
// broadcast are errors.
TEST(GradientHelpers, SumToShapePinned) {
  auto node = NodeBuilder("SumToShape", 1, "com.onnxrt").build();
  const Tensor g = make_tensor<float>(DType::kFloat32, {2, 3}, std::vector<float>{1, 2, 3, 10, 20, 30});
  auto sum_to = [&](const Tensor& grad, Shape shape) {
    return run_node(kernels::Backend::kReference, node, {grad, Tensor::allocate(DType::kFloat32, shape)}, 1);
  };
  auto cols = sum_to(g, {3});
  ASSERT_TRUE(cols.has_value()) << cols.status().message();
  EXPECT_TRUE(tensors_close((*cols)[0], make_tensor<float>(DType::kFloat32, {3}, std::vector<float>{11, 22, 33}), 0, 0));
  auto rows = sum_to(g, {2, 1});
  ASSERT_TRUE(rows.has_value()) << rows.status().message();
  EXPECT_TRUE(tensors_close((*rows)[0], make_tensor<float>(DType::kFloat32, {2, 1}, std::vector<float>{6, 60}), 0, 0));
  auto all = sum_to(g, {1, 1});
  ASSERT_TRUE(all.has_value());
  EXPECT_TRUE(tensors_close((*all)[0], make_tensor<float>(DType::kFloat32, {1, 1}, std::vector<float>{66}), 0, 0));
  auto scalar = sum_to(g, {});
  ASSERT_TRUE(scalar.has_value());
  EXPECT_TRUE(tensors_close((*scalar)[0], make_tensor<float>(DType::kFloat32, {}, std::vector<float>{66}), 0, 0));
  auto same = sum_to(g, {2, 3});
  ASSERT_TRUE(same.has_value());
  EXPECT_TRUE(tensors_close((*same)[0], g, 0, 0));
  // Middle axis broadcast in a rank-3 G, double.
  const Tensor g3 = make_tensor<double>(DType::kFloat64, {2, 2, 2}, std::vector<double>{1, 2, 3, 4, 5, 6, 7, 8});
  auto mid = run_node(kernels::Backend::kReference, node, {g3, Tensor::allocate(DType::kFloat64, {2, 1, 2})}, 1);
  ASSERT_TRUE(mid.has_value()) << mid.status().message();
  EXPECT_TRUE(tensors_close((*mid)[0], d64({2, 1, 2}, {4, 6, 12, 14}), 0, 0));
  // X that does not broadcast to G, and X of higher rank, are errors.
  EXPECT_FALSE(sum_to(g, {2}).has_value());
  EXPECT_FALSE(sum_to(g, {1, 2, 3}).has_value());
}

}  // namespace
}  // namespace onnxrt::testing
