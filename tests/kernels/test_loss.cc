// Loss-family kernels (one kernel serves both tables): values pinned from onnx's reference
// implementation (onnx.reference.ops.op_softmax_cross_entropy_loss) and by hand, N-D inputs,
// ignore_index, weights, every reduction, and errors on bad labels.
#include <gtest/gtest.h>

#include <cmath>

#include "kernels/harness.h"

namespace onnxrt::testing {
namespace {

Tensor f32(Shape s, std::vector<float> v) { return make_tensor<float>(DType::kFloat32, std::move(s), v); }
Tensor i64(Shape s, std::vector<int64_t> v) { return make_tensor<int64_t>(DType::kInt64, std::move(s), v); }

TEST(LossSoftmaxCrossEntropy, PinnedAgainstOnnxReference) {
  Tensor x = f32({2, 3}, {0.1f, 0.2f, 0.3f, 1.0f, -1.0f, 0.5f});
  Tensor y = i64({2}, {2, 1});
  Tensor w = f32({3}, {1.0f, 2.0f, 0.5f});
  auto node = NodeBuilder("SoftmaxCrossEntropyLoss", 13).build();  // reduction mean
  auto r = run_node(kernels::Backend::kCpu, node, {x, y, w}, 2);
  ASSERT_TRUE(r.has_value()) << r.status().to_string();
  EXPECT_TRUE(tensors_close((*r)[0], f32({}, {2.244354f}), 1e-6, 1e-6));
  EXPECT_TRUE(tensors_close((*r)[1], f32({2, 3}, {-1.2019429f, -1.1019429f, -1.0019429f, -0.554957f, -2.554957f,
                                                  -1.0549569f}),
                            1e-6, 1e-6));
  auto none_ii = NodeBuilder("SoftmaxCrossEntropyLoss", 13).attr_s("reduction", "none").attr_i("ignore_index", 1).build();
  r = run_node(kernels::Backend::kCpu, none_ii, {x, y}, 1);
  ASSERT_TRUE(r.has_value()) << r.status().to_string();
  EXPECT_TRUE(tensors_close((*r)[0], f32({2}, {1.0019429f, 0}), 1e-6, 1e-6));
  // Large logits stay finite (log-softmax, not log of softmax).
  r = run_node(kernels::Backend::kCpu, NodeBuilder("SoftmaxCrossEntropyLoss", 12).attr_s("reduction", "sum").build(),
               {f32({1, 2}, {0, -500}), i64({1}, {1})}, 1);
  ASSERT_TRUE(r.has_value());
  EXPECT_TRUE(tensors_close((*r)[0], f32({}, {500}), 1e-3, 1e-6));
}

TEST(LossNegativeLogLikelihood, NdWeightsIgnoreAndReductions) {
  // [N=1, C=2, d=2]: loss[0, j] = -x[0, t_j, j] * w[t_j].
  Tensor x = f32({1, 2, 2}, {1, 2, 3, 4});
  Tensor t = i64({1, 2}, {1, 0});
  Tensor w = f32({2}, {0.5f, 2.0f});
  for (auto backend : {kernels::Backend::kCpu, kernels::Backend::kReference}) {
    auto run = [&](const char* red, std::vector<Tensor> in, bool ignore0) {
      NodeBuilder nb("NegativeLogLikelihoodLoss", 22);
      nb.attr_s("reduction", red);
      if (ignore0) nb.attr_i("ignore_index", 0);
      return run_node(backend, nb.build(), in, 1);
    };
    auto r = run("none", {x, t, w}, false);
    ASSERT_TRUE(r.has_value()) << r.status().to_string();
    EXPECT_TRUE(tensors_close((*r)[0], f32({1, 2}, {-6, -1}), 0, 0));
    r = run("sum", {x, t}, false);
    EXPECT_TRUE(tensors_close((*r)[0], f32({}, {-5}), 0, 0));
    r = run("mean", {x, t, w}, false);  // (-6 - 1) / (2 + 0.5)
    EXPECT_TRUE(tensors_close((*r)[0], f32({}, {-2.8f}), 1e-6, 1e-6));
    r = run("mean", {x, t, w}, true);  // label 0 ignored: -6 / 2
    EXPECT_TRUE(tensors_close((*r)[0], f32({}, {-3}), 1e-6, 1e-6));
    // A label outside [0, C) that is not ignore_index, and labels of the wrong shape.
    EXPECT_FALSE(run("none", {x, i64({1, 2}, {2, 0})}, false).has_value());
    EXPECT_FALSE(run("none", {x, i64({1, 3}, {0, 0, 0})}, false).has_value());
    // An ignored negative label is fine.
    NodeBuilder nb("NegativeLogLikelihoodLoss", 13);
    nb.attr_s("reduction", "none").attr_i("ignore_index", -1);
    r = run_node(backend, nb.build(), {x, i64({1, 2}, {-1, 0})}, 1);
    ASSERT_TRUE(r.has_value()) << r.status().to_string();
    EXPECT_TRUE(tensors_close((*r)[0], f32({1, 2}, {0, -2}), 0, 0));
  }
}

TEST(LossNegativeLogLikelihood, EmptyAndDoubleInputs) {
  auto node = NodeBuilder("NegativeLogLikelihoodLoss", 22).attr_s("reduction", "sum").build();
  auto r = run_node(kernels::Backend::kCpu, node, {f32({0, 3}, {}), i64({0}, {})}, 1);
  ASSERT_TRUE(r.has_value()) << r.status().to_string();
  EXPECT_TRUE(tensors_close((*r)[0], f32({}, {0}), 0, 0));
  Tensor xd = make_tensor<double>(DType::kFloat64, {2, 2}, {0.25, 0.5, 1.5, 2.5});
  r = run_node(kernels::Backend::kCpu, node, {xd, i64({2}, {1, 0})}, 1);
  ASSERT_TRUE(r.has_value()) << r.status().to_string();
  EXPECT_TRUE(tensors_close((*r)[0], make_tensor<double>(DType::kFloat64, {}, {-2.0}), 0, 0));
}

}  // namespace
}  // namespace onnxrt::testing
