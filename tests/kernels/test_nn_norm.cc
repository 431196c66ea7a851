// Normalization, Softmax-family and Dropout CPU kernels vs the reference kernels
// (kernels/reference/nn_norm.cc), plus pinned values.
#include <gtest/gtest.h>

#include <cmath>
#include <random>

#include "kernels/harness.h"

namespace onnxrt::testing {
namespace {

Tensor f32(Shape s, std::vector<float> v) { return make_tensor<float>(DType::kFloat32, std::move(s), v); }

TEST(NnSoftmax, MatchesReference) {
  std::mt19937 rng(21);
  const Shape shapes[] = {{0, 3}, {1}, {5, 17}, {2, 3, 4}, {3, 1, 70}, {2, 130, 5}, {64, 1000}, {4, 0, 3}};
  for (const char* op : {"Softmax", "LogSoftmax", "Hardmax"}) {
    for (int opset : {1, 11, 13}) {
      for (const Shape& s : shapes) {
        const int64_t r = static_cast<int64_t>(s.size());
        for (int64_t axis = -r; axis < r; ++axis) {
          SCOPED_TRACE(std::string(op) + " opset " + std::to_string(opset) + " " + shape_to_string(s) +
                       " axis " + std::to_string(axis));
          auto node = NodeBuilder(op, opset).attr_i("axis", axis).build();
          expect_matches_reference(node, {random_tensor(DType::kFloat32, s, rng, -5, 5)}, 1, 1e-6, 1e-5);
        }
      }
    }
  }
}

TEST(NnSoftmax, LargeLogitsAreStable) {
  auto node = NodeBuilder("Softmax", 13).build();
  auto r = run_node(kernels::Backend::kCpu, node, {f32({1, 3}, {1000, 1000, -1000})}, 1);
  ASSERT_TRUE(r.has_value());
  EXPECT_TRUE(tensors_close((*r)[0], f32({1, 3}, {0.5f, 0.5f, 0}), 1e-7, 0));
  auto ls = NodeBuilder("LogSoftmax", 13).build();
  r = run_node(kernels::Backend::kCpu, ls, {f32({1, 2}, {0, -200})}, 1);
  ASSERT_TRUE(r.has_value());
  EXPECT_TRUE(tensors_close((*r)[0], f32({1, 2}, {0, -200}), 1e-5, 0));
  // Axis out of range is an error value.
  EXPECT_FALSE(run_node(kernels::Backend::kCpu, NodeBuilder("Softmax", 13).attr_i("axis", 2).build(),
                        {f32({1, 2}, {0, 1})}, 1).has_value());
}

TEST(NnBatchNorm, MatchesReference) {
  std::mt19937 rng(22);
  for (Shape s : {Shape{2, 3}, Shape{1, 4, 5, 5}, Shape{0, 3, 2, 2}, Shape{2, 5, 3, 4, 2}, Shape{8, 64, 16, 16}}) {
    const int64_t C = s[1];
    for (int opset : {7, 9, 15}) {
      auto node = NodeBuilder("BatchNormalization", opset).attr_f("epsilon", 1e-3f).build();
      expect_matches_reference(node, {random_tensor(DType::kFloat32, s, rng), random_tensor(DType::kFloat32, {C}, rng),
                                      random_tensor(DType::kFloat32, {C}, rng), random_tensor(DType::kFloat32, {C}, rng),
                                      random_tensor(DType::kFloat32, {C}, rng, 0.1, 2)},
                               1, 1e-5, 1e-5);
    }
  }
  // Pinned by hand: (x - mean) / sqrt(var + eps) * scale + B with var + eps = 4.
  auto node = NodeBuilder("BatchNormalization", 15).attr_f("epsilon", 0.0f).build();
  auto r = run_node(kernels::Backend::kCpu, node,
                    {f32({1, 2, 1, 2}, {1, 3, 5, 9}), f32({2}, {2, 1}), f32({2}, {0, 1}),
                     f32({2}, {1, 5}), f32({2}, {4, 16})}, 1);
  ASSERT_TRUE(r.has_value()) << r.status().to_string();
  EXPECT_TRUE(tensors_close((*r)[0], f32({1, 2, 1, 2}, {0, 2, 1, 2}), 1e-6, 0));
}

TEST(NnLayerNorm, MatchesReference) {
  std::mt19937 rng(23);
  struct C { Shape x; int64_t axis; Shape scale; bool bias; };
  const C cases[] = {{{2, 3, 8}, -1, {8}, true},   {{2, 3, 8}, 1, {3, 8}, true},  {{4, 768}, -1, {768}, true},
                     {{2, 5, 7}, -1, {7}, false},  {{2, 3, 4}, 1, {1, 4}, true},  {{0, 5}, -1, {5}, true},
                     {{3, 1}, -1, {1}, true},      {{64, 128}, 1, {128}, true},   {{2, 3, 4}, 0, {3, 4}, false}};
  for (const C& c : cases) {
    SCOPED_TRACE(shape_to_string(c.x));
    auto node = NodeBuilder("LayerNormalization", 17).attr_i("axis", c.axis).build();
    std::vector<Tensor> in{random_tensor(DType::kFloat32, c.x, rng, -3, 5), random_tensor(DType::kFloat32, c.scale, rng)};
    if (c.bias) in.push_back(random_tensor(DType::kFloat32, c.scale, rng));
    expect_matches_reference(node, in, 3, 1e-5, 1e-4);
  }
  // Pinned by hand: row [1, 3] has mean 2, variance 1.
  auto node = NodeBuilder("LayerNormalization", 17).attr_f("epsilon", 0.0f).build();
  auto r = run_node(kernels::Backend::kCpu, node, {f32({1, 2}, {1, 3}), f32({2}, {1, 2}), f32({2}, {0, 1})}, 3);
  ASSERT_TRUE(r.has_value()) << r.status().to_string();
  EXPECT_TRUE(tensors_close((*r)[0], f32({1, 2}, {-1, 3}), 1e-6, 0));
  EXPECT_TRUE(tensors_close((*r)[1], f32({1, 1}, {2}), 1e-6, 0));
  EXPECT_TRUE(tensors_close((*r)[2], f32({1, 1}, {1}), 1e-6, 0));
}

TEST(NnChannelNorm, InstanceAndGroupMatchReference) {
  std::mt19937 rng(24);
  for (Shape s : {Shape{2, 4, 5}, Shape{1, 6, 3, 3}, Shape{2, 8, 16, 16}, Shape{0, 4, 2}, Shape{1, 4, 2, 2, 3}}) {
    const int64_t C = s[1];
    auto in_node = NodeBuilder("InstanceNormalization", 6).attr_f("epsilon", 1e-4f).build();
    expect_matches_reference(in_node, {random_tensor(DType::kFloat32, s, rng, -2, 4), random_tensor(DType::kFloat32, {C}, rng),
                                       random_tensor(DType::kFloat32, {C}, rng)}, 1, 1e-5, 1e-4);
    for (int64_t g : {int64_t{1}, int64_t{2}, C}) {
      auto g21 = NodeBuilder("GroupNormalization", 21).attr_i("num_groups", g).build();
      expect_matches_reference(g21, {random_tensor(DType::kFloat32, s, rng), random_tensor(DType::kFloat32, {C}, rng),
                                     random_tensor(DType::kFloat32, {C}, rng)}, 1, 1e-5, 1e-4);
      auto g18 = NodeBuilder("GroupNormalization", 18).attr_i("num_groups", g).build();
      expect_matches_reference(g18, {random_tensor(DType::kFloat32, s, rng), random_tensor(DType::kFloat32, {g}, rng),
                                     random_tensor(DType::kFloat32, {g}, rng)}, 1, 1e-5, 1e-4);
    }
  }
}

TEST(NnLpNormLrn, MatchReference) {
  std::mt19937 rng(25);
  for (Shape s : {Shape{3, 5}, Shape{2, 3, 4}, Shape{0, 3}, Shape{16, 300}}) {
    for (int64_t p : {1, 2})
      for (int64_t axis : {int64_t{0}, int64_t{-1}})
        expect_matches_reference(NodeBuilder("LpNormalization", 22).attr_i("axis", axis).attr_i("p", p).build(),
                                 {random_tensor(DType::kFloat32, s, rng)}, 1, 1e-6, 1e-5);
  }
  // A zero vector normalises to zero.
  auto r = run_node(kernels::Backend::kCpu, NodeBuilder("LpNormalization", 1).build(), {f32({2, 2}, {0, 0, 3, 4})}, 1);
  ASSERT_TRUE(r.has_value());
  EXPECT_TRUE(tensors_close((*r)[0], f32({2, 2}, {0, 0, 0.6f, 0.8f}), 1e-6, 0));
  for (Shape s : {Shape{1, 5, 3, 3}, Shape{2, 7, 4}, Shape{2, 16, 10, 10}})
    for (int64_t size : {1, 2, 3, 5})
      expect_matches_reference(NodeBuilder("LRN", 13).attr_i("size", size).attr_f("alpha", 0.01f).build(),
                               {random_tensor(DType::kFloat32, s, rng)}, 1, 1e-6, 1e-5);
}

TEST(NnDropout, IsIdentityInInference) {
  std::mt19937 rng(26);
  Tensor x = random_tensor(DType::kFloat32, {3, 4}, rng);
  auto r = run_node(kernels::Backend::kCpu, NodeBuilder("Dropout", 13).build(), {x}, 2);
  ASSERT_TRUE(r.has_value()) << r.status().to_string();
  EXPECT_TRUE(tensors_close((*r)[0], x, 0, 0));
  ASSERT_EQ((*r)[1].dtype(), DType::kBool);
  for (int64_t i = 0; i < 12; ++i) EXPECT_TRUE((*r)[1].data<bool>()[i]);
  expect_matches_reference(NodeBuilder("Dropout", 7).attr_f("ratio", 0.3f).build(), {x}, 2, 0, 0);
}

}  // namespace
}  // namespace onnxrt::testing
