// The nn family's float32 bridge (float16, bfloat16, double, 8-bit MaxPool), training-mode
// BatchNormalization and Dropout: CPU vs reference over shapes, plus pinned values.
#include <gtest/gtest.h>

#include <cmath>
#include <random>

#include "base/half.h"
#include "kernels/harness.h"

namespace onnxrt::testing {
namespace {

Tensor f32(Shape s, std::vector<float> v) { return make_tensor<float>(DType::kFloat32, std::move(s), v); }

TEST(NnTypes, SoftmaxFamilyOtherFloatsMatchReference) {
  std::mt19937 rng(5);
  for (DType t : {DType::kFloat16, DType::kBFloat16, DType::kFloat64})
    for (const char* op : {"Softmax", "LogSoftmax", "Hardmax"})
      for (Shape s : {Shape{0, 3}, Shape{1}, Shape{3, 17}, Shape{2, 5, 33}})
        expect_matches_reference(NodeBuilder(op, 13).attr_i("axis", -1).build(),
                                 {random_tensor(t, s, rng, -3, 3)}, 1, 1e-6, 1e-5);
}

TEST(NnTypes, SoftmaxDoublePinned) {
  Tensor x = make_tensor<double>(DType::kFloat64, {3}, std::vector<double>{1, 2, 3});
  auto r = run_node(kernels::Backend::kCpu, NodeBuilder("Softmax", 13).build(), {x}, 1);
  ASSERT_TRUE(r.has_value()) << r.status().message();
  const double s = std::exp(1.0) + std::exp(2.0) + std::exp(3.0);
  EXPECT_TRUE(tensors_close((*r)[0], make_tensor<double>(DType::kFloat64, {3},
      std::vector<double>{std::exp(1.0) / s, std::exp(2.0) / s, std::exp(3.0) / s}), 1e-7, 1e-6));
  // Integer Softmax is not a thing: refused, not silently converted.
  Tensor i8 = make_tensor<int8_t>(DType::kInt8, {2}, std::vector<int8_t>{1, 2});
  EXPECT_FALSE(run_node(kernels::Backend::kCpu, NodeBuilder("Softmax", 13).build(), {i8}, 1).has_value());
}

TEST(NnTypes, ConvFloat16Pinned) {
  auto h = [](std::vector<float> v, Shape s) {
    Tensor t = Tensor::allocate(DType::kFloat16, std::move(s));
    for (size_t i = 0; i < v.size(); ++i) t.data<uint16_t>()[i] = float_to_half(v[i]);
    return t;
  };
  auto node = NodeBuilder("Conv", 11).build();
  auto r = run_node(kernels::Backend::kCpu, node, {h({1, 2, 3}, {1, 1, 3}), h({1, 1}, {1, 1, 2})}, 1);
  ASSERT_TRUE(r.has_value()) << r.status().message();
  ASSERT_EQ((*r)[0].dtype(), DType::kFloat16);
  EXPECT_TRUE(tensors_close((*r)[0], h({3, 5}, {1, 1, 2}), 0, 0));
  std::mt19937 rng(9);
  expect_matches_reference(NodeBuilder("Conv", 11).attr_ints("pads", {1, 0, 1, 0}).build(),
                           {random_tensor(DType::kFloat16, {2, 3, 5, 4}, rng), random_tensor(DType::kFloat16, {4, 3, 3, 2}, rng),
                            random_tensor(DType::kFloat16, {4}, rng)}, 1, 1e-2, 1e-2);
}

TEST(NnTypes, MaxPoolUint8AndInt8) {
  Tensor x = make_tensor<uint8_t>(DType::kUInt8, {1, 1, 2, 2}, std::vector<uint8_t>{3, 250, 7, 9});
  auto node = NodeBuilder("MaxPool", 12).attr_ints("kernel_shape", {2, 2}).build();
  auto r = run_node(kernels::Backend::kCpu, node, {x}, 1);
  ASSERT_TRUE(r.has_value()) << r.status().message();
  EXPECT_TRUE(tensors_close((*r)[0], make_tensor<uint8_t>(DType::kUInt8, {1, 1, 1, 1}, std::vector<uint8_t>{250}), 0, 0));
  std::mt19937 rng(3);
  for (DType t : {DType::kUInt8, DType::kInt8, DType::kFloat64, DType::kFloat16})
    expect_matches_reference(NodeBuilder("MaxPool", 12).attr_ints("kernel_shape", {3}).attr_ints("strides", {2}).build(),
                             {random_tensor(t, {2, 3, 11}, rng, 0, 100)}, 1, 0, 0);
  // Average of integers is not defined by the spec: refused.
  EXPECT_FALSE(run_node(kernels::Backend::kCpu, NodeBuilder("AveragePool", 11).attr_ints("kernel_shape", {2, 2}).build(), {x}, 1).has_value());
}

TEST(NnTypes, BatchNormTrainingPinned) {
  auto node = NodeBuilder("BatchNormalization", 15).attr_i("training_mode", 1).attr_f("epsilon", 0.0f).build();
  // X = [[1], [3]]: batch mean 2, population variance 1.
  std::vector<Tensor> in = {f32({2, 1}, {1, 3}), f32({1}, {1}), f32({1}, {0}), f32({1}, {0}), f32({1}, {1})};
  for (auto backend : {kernels::Backend::kCpu, kernels::Backend::kReference}) {
    auto r = run_node(backend, node, in, 3);
    ASSERT_TRUE(r.has_value()) << r.status().message();
    EXPECT_TRUE(tensors_close((*r)[0], f32({2, 1}, {-1, 1}), 1e-6, 0));
    EXPECT_TRUE(tensors_close((*r)[1], f32({1}, {0.2f}), 1e-6, 0));  // 0 * 0.9 + 2 * 0.1
    EXPECT_TRUE(tensors_close((*r)[2], f32({1}, {1.0f}), 1e-6, 0));  // 1 * 0.9 + 1 * 0.1
  }
  std::mt19937 rng(4);
  for (Shape s : {Shape{2, 3}, Shape{4, 3, 5, 7}, Shape{0, 3, 2}})
    expect_matches_reference(node, {random_tensor(DType::kFloat32, s, rng), random_tensor(DType::kFloat32, {3}, rng),
                                    random_tensor(DType::kFloat32, {3}, rng), random_tensor(DType::kFloat32, {3}, rng),
                                    random_tensor(DType::kFloat32, {3}, rng, 0.5, 2)}, 3, 1e-5, 1e-5);
}

TEST(NnTypes, DropoutTrainingMatchesNumpySeed) {
  // np.random.seed(0); np.random.uniform(0, 1, 10) >= 0.5
  const std::vector<bool> keep = {true, true, true, true, false, true, false, true, true, false};
  auto node = NodeBuilder("Dropout", 13).attr_i("seed", 0).build();
  Tensor x = f32({10}, std::vector<float>(10, 1.0f));
  Tensor ratio = f32({}, {0.5f});
  Tensor train = make_tensor<bool>(DType::kBool, {}, std::vector<bool>{true});
  for (auto backend : {kernels::Backend::kCpu, kernels::Backend::kReference}) {
    auto r = run_node(backend, node, {x, ratio, train}, 2);
    ASSERT_TRUE(r.has_value()) << r.status().message();
    for (int i = 0; i < 10; ++i) {
      EXPECT_EQ((*r)[0].data<float>()[i], keep[i] ? 2.0f : 0.0f) << i;
      EXPECT_EQ((*r)[1].data<bool>()[i], keep[i]) << i;
    }
  }
  Tensor bad = f32({}, {1.0f});
  EXPECT_FALSE(run_node(kernels::Backend::kCpu, node, {x, bad, train}, 1).has_value());
}

}  // namespace
}  // namespace onnxrt::testing

namespace onnxrt::testing {
namespace {

TEST(NnTypes, SwiGluPinnedAndTypes) {
  // onnx's case: y = a * sigmoid(alpha * a) * b
  Tensor a = f32({4}, {1, -2, 3, 0.5f});
  Tensor b = f32({4}, {0.5f, 1, -1, 2});
  auto node = NodeBuilder("SwiGLU", 28).attr_f("alpha", 0.5f).build();
  std::vector<float> want(4);
  for (int i = 0; i < 4; ++i) {
    const float x = a.data<float>()[i];
    want[i] = x / (1 + std::exp(-0.5f * x)) * b.data<float>()[i];
  }
  for (auto backend : {kernels::Backend::kCpu, kernels::Backend::kReference}) {
    auto r = run_node(backend, node, {a, b}, 1);
    ASSERT_TRUE(r.has_value()) << r.status().message();
    EXPECT_TRUE(tensors_close((*r)[0], f32({4}, want), 1e-6, 1e-6));
  }
  std::mt19937 rng(8);
  for (DType t : {DType::kFloat32, DType::kFloat16, DType::kFloat64})
    for (Shape s : {Shape{0}, Shape{3, 7}, Shape{2, 3, 1000}})
      expect_matches_reference(NodeBuilder("SwiGLU", 28).build(), {random_tensor(t, s, rng, -4, 4), random_tensor(t, s, rng)}, 1, 1e-6, 1e-5);
  EXPECT_FALSE(run_node(kernels::Backend::kCpu, node, {a, f32({2, 2}, {1, 2, 3, 4})}, 1).has_value());
}

}  // namespace
}  // namespace onnxrt::testing

namespace onnxrt::testing {
namespace {

TEST(NnTypes, CausalConvWithStatePinned) {
  // B = 1, C = 1, L = 2, K = 3; past state [1, 2]: rows [1, 2 | 3, 4], weight [1, 10, 100].
  auto node = NodeBuilder("CausalConvWithState", 27).build();
  std::vector<Tensor> in = {f32({1, 1, 2}, {3, 4}), f32({1, 1, 3}, {1, 10, 100}), f32({1}, {0.5f}),
                            f32({1, 1, 2}, {1, 2})};
  for (auto backend : {kernels::Backend::kCpu, kernels::Backend::kReference}) {
    auto r = run_node(backend, node, in, 2);
    ASSERT_TRUE(r.has_value()) << r.status().message();
    EXPECT_TRUE(tensors_close((*r)[0], f32({1, 1, 2}, {1 + 20 + 300 + 0.5f, 2 + 30 + 400 + 0.5f}), 1e-5, 0));
    EXPECT_TRUE(tensors_close((*r)[1], f32({1, 1, 2}, {3, 4}), 0, 0));
  }
  // No past state: zeros; L shorter than K - 1 keeps part of the zero state.
  auto silu = NodeBuilder("CausalConvWithState", 27).attr_s("activation", "silu").build();
  auto r = run_node(kernels::Backend::kCpu, silu, {f32({1, 1, 1}, {2}), f32({1, 1, 3}, {1, 1, 1}), Tensor(), Tensor()}, 2);
  ASSERT_TRUE(r.has_value()) << r.status().message();
  EXPECT_TRUE(tensors_close((*r)[0], f32({1, 1, 1}, {2.0f / (1.0f + std::exp(-2.0f))}), 1e-6, 0));
  EXPECT_TRUE(tensors_close((*r)[1], f32({1, 1, 2}, {0, 2}), 0, 0));
  std::mt19937 rng(2);
  for (DType t : {DType::kFloat32, DType::kFloat16})
    expect_matches_reference(node, {random_tensor(t, {2, 3, 5}, rng), random_tensor(t, {3, 1, 4}, rng), random_tensor(t, {3}, rng),
                                    random_tensor(t, {2, 3, 3}, rng)}, 2, 1e-6, 1e-5);
  EXPECT_FALSE(run_node(kernels::Backend::kCpu, node, {f32({1, 2, 2}, {1, 2, 3, 4}), f32({1, 1, 3}, {1, 1, 1})}, 2).has_value());
}

}  // namespace
}  // namespace onnxrt::testing
