// Signal family: DFT / STFT on the CPU (radix-2 + Bluestein FFT) vs the reference (direct sum)
// over swept lengths, axes and modes; windows, MelWeightMatrix and NonMaxSuppression pinned to
// hand-computed / onnx-reference values.
#include <gtest/gtest.h>

#include <cmath>
#include <random>
#include <string>

#include "kernels/harness.h"

namespace onnxrt::testing {
namespace {

Tensor f32(Shape s, std::vector<float> v) { return make_tensor<float>(DType::kFloat32, std::move(s), v); }
Tensor i64(Shape s, std::vector<int64_t> v) { return make_tensor<int64_t>(DType::kInt64, std::move(s), v); }
Tensor i32(Shape s, std::vector<int32_t> v) { return make_tensor<int32_t>(DType::kInt32, std::move(s), v); }

TEST(SignalDft, MatchesReference) {
  std::mt19937 rng(41);
  for (int64_t len : {1, 2, 3, 5, 8, 10, 16, 17, 64, 97, 128}) {
    for (int64_t c : {1, 2}) {
      for (bool inverse : {false, true}) {
        for (bool onesided : {false, true}) {
          if (onesided && inverse && len < 2) continue;
          // Axis 1 of [2, len, 3, c] (opset 20 axis input and opset 17 attribute) and axis -2
          // of [3, len, c].
          const Tensor x = random_tensor(DType::kFloat32, {2, len, 3, c}, rng, -2, 2);
          auto n20 = NodeBuilder("DFT", 20).attr_i("inverse", inverse).attr_i("onesided", onesided).build();
          SCOPED_TRACE("len " + std::to_string(len) + " c " + std::to_string(c) + " inverse " +
                       std::to_string(inverse) + " onesided " + std::to_string(onesided));
          expect_matches_reference(n20, {x, Tensor(), i64({}, {1})}, 1, 1e-5, 1e-4);
          auto n17 = NodeBuilder("DFT", 17).attr_i("inverse", inverse).attr_i("onesided", onesided).attr_i("axis", 1).build();
          expect_matches_reference(n17, {x}, 1, 1e-5, 1e-4);
          expect_matches_reference(n20, {random_tensor(DType::kFloat32, {3, len, c}, rng)}, 1, 1e-5, 1e-4);
          // dft_length pads or truncates the signal.
          for (int64_t n : {len + 3, len > 2 ? len - 1 : 1})
            expect_matches_reference(n20, {x, i64({}, {n}), i32({}, {-3})}, 1, 1e-5, 1e-4);
        }
      }
    }
  }
  // A large lane count for the threaded path, and double / float16.
  expect_matches_reference(NodeBuilder("DFT", 20).build(), {random_tensor(DType::kFloat32, {512, 48, 2}, rng)}, 1,
                           1e-5, 1e-4);
  for (DType dt : {DType::kFloat64, DType::kFloat16})
    expect_matches_reference(NodeBuilder("DFT", 20).build(), {random_tensor(dt, {2, 12, 2}, rng)}, 1, 1e-2, 1e-2);
  // Zero-size batch.
  expect_matches_reference(NodeBuilder("DFT", 20).build(), {random_tensor(DType::kFloat32, {0, 8, 1}, rng)}, 1, 0, 0);
}

TEST(SignalDft, PinnedValues) {
  for (auto backend : {kernels::Backend::kCpu, kernels::Backend::kReference}) {
    // fft([1, 2, 3, 4]) = [10, -2+2i, -2, -2-2i]
    auto r = run_node(backend, NodeBuilder("DFT", 20).build(), {f32({1, 4, 1}, {1, 2, 3, 4})}, 1);
    ASSERT_TRUE(r.has_value()) << r.status().to_string();
    EXPECT_TRUE(tensors_close((*r)[0], f32({1, 4, 2}, {10, 0, -2, 2, -2, 0, -2, -2}), 1e-6, 0));
    // rfft([1..5]) then irfft back with the default length 2 * (3 - 1) = 4 vs dft_length 5.
    r = run_node(backend, NodeBuilder("DFT", 20).attr_i("onesided", 1).build(), {f32({1, 5, 1}, {1, 2, 3, 4, 5})}, 1);
    ASSERT_TRUE(r.has_value()) << r.status().to_string();
    const Tensor spec = f32({1, 3, 2}, {15, 0, -2.5f, 3.4409548f, -2.5f, 0.81229924f});
    EXPECT_TRUE(tensors_close((*r)[0], spec, 1e-5, 1e-6));
    auto irfft = NodeBuilder("DFT", 20).attr_i("onesided", 1).attr_i("inverse", 1).build();
    r = run_node(backend, irfft, {spec, i64({}, {5})}, 1);
    ASSERT_TRUE(r.has_value()) << r.status().to_string();
    EXPECT_TRUE(tensors_close((*r)[0], f32({1, 5, 1}, {1, 2, 3, 4, 5}), 1e-5, 1e-5));
    r = run_node(backend, irfft, {spec}, 1);
    ASSERT_TRUE(r.has_value());
    EXPECT_EQ((*r)[0].shape(), (Shape{1, 4, 1}));
    // Axis on the complex dim is an error.
    EXPECT_FALSE(run_node(backend, NodeBuilder("DFT", 20).build(), {f32({1, 4, 1}, {1, 2, 3, 4}), Tensor(), i64({}, {2})}, 1)
                     .has_value());
  }
}

TEST(SignalStft, MatchesReferenceAndPinned) {
  std::mt19937 rng(42);
  for (int64_t len : {16, 37, 128}) {
    for (int64_t c : {1, 2}) {
      for (int64_t onesided : {0, 1}) {
        for (int64_t fl : {4, 7, 16}) {
          auto node = NodeBuilder("STFT", 17).attr_i("onesided", onesided).build();
          const Tensor x = random_tensor(DType::kFloat32, {2, len, c}, rng);
          expect_matches_reference(node, {x, i64({}, {3}), Tensor(), i64({}, {fl})}, 1, 1e-5, 1e-4);
          expect_matches_reference(node, {x, i64({}, {5}), random_tensor(DType::kFloat32, {fl}, rng)}, 1, 1e-5, 1e-4);
        }
      }
    }
  }
  // Window [0, .5, 1, .5], step 2 over 0..7: frames [0..3], [2..5], [4..7].
  for (auto backend : {kernels::Backend::kCpu, kernels::Backend::kReference}) {
    auto r = run_node(backend, NodeBuilder("STFT", 17).build(),
                      {f32({1, 8, 1}, {0, 1, 2, 3, 4, 5, 6, 7}), i64({}, {2}), f32({4}, {0, 0.5f, 1, 0.5f})}, 1);
    ASSERT_TRUE(r.has_value()) << r.status().to_string();
    EXPECT_TRUE(tensors_close((*r)[0], f32({1, 3, 3, 2}, {4, 0, -2, 1, 0, 0, 8, 0, -4, 1, 0, 0, 12, 0, -6, 1, 0, 0}),
                              1e-5, 0));
    // Window and frame_length disagree.
    EXPECT_FALSE(run_node(backend, NodeBuilder("STFT", 17).build(),
                          {f32({1, 8, 1}, {0, 1, 2, 3, 4, 5, 6, 7}), i64({}, {2}), f32({4}, {0, 0.5f, 1, 0.5f}),
                           i64({}, {5})},
                          1)
                     .has_value());
  }
}

TEST(SignalWindows, PinnedValues) {
  struct W { const char* op; int64_t periodic; int32_t size; std::vector<float> want; };
  const W cases[] = {
      {"HannWindow", 1, 4, {0, 0.5f, 1, 0.5f}},
      {"HannWindow", 0, 5, {0, 0.5f, 1, 0.5f, 0}},
      {"HammingWindow", 1, 4, {4.0f / 46, 25.0f / 46, 1, 25.0f / 46}},
      {"HammingWindow", 0, 3, {4.0f / 46, 1, 4.0f / 46}},
      {"BlackmanWindow", 0, 3, {0, 1, 0}},
      {"BlackmanWindow", 1, 4, {0, 0.34f, 1, 0.34f}},
      {"HannWindow", 1, 0, {}},
  };
  for (auto backend : {kernels::Backend::kCpu, kernels::Backend::kReference}) {
    for (const W& w : cases) {
      SCOPED_TRACE(std::string(w.op) + " " + std::to_string(w.size));
      auto r = run_node(backend, NodeBuilder(w.op, 17).attr_i("periodic", w.periodic).build(), {i32({}, {w.size})}, 1);
      ASSERT_TRUE(r.has_value()) << r.status().to_string();
      EXPECT_TRUE(tensors_close((*r)[0], f32({w.size}, w.want), 1e-6, 0));
    }
    // output_datatype double and int64 (truncated: only the peak of 1 survives).
    auto r = run_node(backend, NodeBuilder("HannWindow", 17).attr_i("output_datatype", 11).build(), {i64({}, {4})}, 1);
    ASSERT_TRUE(r.has_value());
    EXPECT_TRUE(tensors_close((*r)[0], make_tensor<double>(DType::kFloat64, {4}, {0, 0.5, 1, 0.5}), 1e-12, 0));
    r = run_node(backend, NodeBuilder("HannWindow", 17).attr_i("output_datatype", 7).build(), {i64({}, {4})}, 1);
    ASSERT_TRUE(r.has_value());
    EXPECT_TRUE(tensors_close((*r)[0], i64({4}, {0, 0, 1, 0}), 0, 0));
    EXPECT_FALSE(run_node(backend, NodeBuilder("HannWindow", 17).build(), {i64({}, {-1})}, 1).has_value());
  }
}

TEST(SignalMel, PinnedValues) {
  // The conformance case: 8 mel bins over a 16-point DFT at 8192 Hz, 0..4096 Hz.
  std::vector<float> want(9 * 8, 0.0f);
  const int ones[][2] = {{0, 0}, {0, 1}, {1, 2}, {1, 3}, {2, 4}, {3, 5}, {4, 6}, {5, 7}};
  for (auto [row, col] : ones) want[static_cast<size_t>(row * 8 + col)] = 1.0f;
  for (auto backend : {kernels::Backend::kCpu, kernels::Backend::kReference}) {
    auto r = run_node(backend, NodeBuilder("MelWeightMatrix", 17).build(),
                      {i32({}, {8}), i32({}, {16}), i32({}, {8192}), f32({}, {0}), f32({}, {4096})}, 1);
    ASSERT_TRUE(r.has_value()) << r.status().to_string();
    EXPECT_TRUE(tensors_close((*r)[0], f32({9, 8}, want), 0, 0));
    // Upper edge past Nyquist: clipped to the spectrum, never written out of bounds.
    r = run_node(backend, NodeBuilder("MelWeightMatrix", 17).build(),
                 {i32({}, {4}), i32({}, {8}), i32({}, {100}), f32({}, {0}), f32({}, {1000})}, 1);
    ASSERT_TRUE(r.has_value()) << r.status().to_string();
    EXPECT_EQ((*r)[0].shape(), (Shape{5, 4}));
  }
}

TEST(SignalNms, PinnedValues) {
  const Tensor boxes = f32({1, 6, 4}, {0.5f, 0.5f, 1.0f, 1.0f, 0.5f, 0.6f, 1.0f, 1.0f, 0.5f, 0.4f, 1.0f, 1.0f,
                                       0.5f, 10.5f, 1.0f, 1.0f, 0.5f, 10.6f, 1.0f, 1.0f, 0.5f, 100.5f, 1.0f, 1.0f});
  // Center-point boxes (the conformance case): picks 3, 0, 5.
  const Tensor scores = f32({1, 1, 6}, {0.9f, 0.75f, 0.6f, 0.95f, 0.5f, 0.3f});
  for (auto backend : {kernels::Backend::kCpu, kernels::Backend::kReference}) {
    auto node = NodeBuilder("NonMaxSuppression", 11).attr_i("center_point_box", 1).build();
    auto r = run_node(backend, node, {boxes, scores, i64({1}, {3}), f32({1}, {0.5f}), f32({1}, {0.0f})}, 1);
    ASSERT_TRUE(r.has_value()) << r.status().to_string();
    EXPECT_TRUE(tensors_close((*r)[0], i64({3, 3}, {0, 0, 3, 0, 0, 0, 0, 0, 5}), 0, 0));
    // Corner boxes with an IoU exactly at the threshold are both kept; max 1 keeps one.
    const Tensor two = f32({1, 2, 4}, {0, 0, 1, 1, 0.5f, 0.5f, 1.5f, 1.5f});
    const Tensor sc = f32({1, 1, 2}, {0.9f, 0.8f});
    node = NodeBuilder("NonMaxSuppression", 11).build();
    r = run_node(backend, node, {two, sc, i64({1}, {3}), f32({1}, {0.25f / 1.75f})}, 1);
    ASSERT_TRUE(r.has_value());
    EXPECT_TRUE(tensors_close((*r)[0], i64({2, 3}, {0, 0, 0, 0, 0, 1}), 0, 0));
    r = run_node(backend, node, {two, sc, i64({1}, {1}), f32({1}, {0.5f})}, 1);
    ASSERT_TRUE(r.has_value());
    EXPECT_TRUE(tensors_close((*r)[0], i64({1, 3}, {0, 0, 0}), 0, 0));
    // No max_output_boxes_per_class: nothing selected. Score threshold filters strictly.
    r = run_node(backend, node, {two, sc}, 1);
    ASSERT_TRUE(r.has_value());
    EXPECT_EQ((*r)[0].shape(), (Shape{0, 3}));
    r = run_node(backend, node, {two, sc, i64({1}, {5}), f32({1}, {0.0f}), f32({1}, {0.8f})}, 1);
    ASSERT_TRUE(r.has_value());
    EXPECT_TRUE(tensors_close((*r)[0], i64({1, 3}, {0, 0, 0}), 0, 0));
    // Mismatched box counts are an error.
    EXPECT_FALSE(run_node(backend, node, {two, f32({1, 1, 3}, {1, 2, 3}), i64({1}, {1})}, 1).has_value());
  }
}

}  // namespace
}  // namespace onnxrt::testing
