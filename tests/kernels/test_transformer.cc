// Transformer-family kernels: Attention (CPU sgemm kernel vs the double reference over swept
// shapes, heads, masks and attributes), RMSNormalization (CPU vs reference), and pinned values
// from onnx's reference implementation (onnx.reference.ops) for Attention, RotaryEmbedding,
// RMSNormalization and MeanVarianceNormalization.
#include <gtest/gtest.h>

#include <cmath>
#include <random>

#include "base/half.h"
#include "kernels/harness.h"

namespace onnxrt::testing {
namespace {

Tensor f32(Shape s, std::vector<float> v) { return make_tensor<float>(DType::kFloat32, std::move(s), v); }

struct AttnCase {
  bool is3d;
  int64_t B, Hq, Hkv, Sq, Skv, Sp, D, Dv;
  int mask;  // 0 none, 1 float [Sq, St], 2 bool [B, 1, Sq, St], 3 float [Hq, Sq, St - 1] (padded), 4 bool [St]
  bool causal;
  float softcap;
  int64_t mode;
  bool nonpad;
};

std::vector<Tensor> attention_inputs(const AttnCase& c, std::mt19937& rng) {
  const int64_t St = c.Sp + c.Skv;
  std::vector<Tensor> in;
  if (c.is3d) {
    in.push_back(random_tensor(DType::kFloat32, {c.B, c.Sq, c.Hq * c.D}, rng, -2, 2));
    in.push_back(random_tensor(DType::kFloat32, {c.B, c.Skv, c.Hkv * c.D}, rng, -2, 2));
    in.push_back(random_tensor(DType::kFloat32, {c.B, c.Skv, c.Hkv * c.Dv}, rng, -2, 2));
  } else {
    in.push_back(random_tensor(DType::kFloat32, {c.B, c.Hq, c.Sq, c.D}, rng, -2, 2));
    in.push_back(random_tensor(DType::kFloat32, {c.B, c.Hkv, c.Skv, c.D}, rng, -2, 2));
    in.push_back(random_tensor(DType::kFloat32, {c.B, c.Hkv, c.Skv, c.Dv}, rng, -2, 2));
  }
  switch (c.mask) {
    case 1: in.push_back(random_tensor(DType::kFloat32, {c.Sq, St}, rng, -3, 1)); break;
    case 2: in.push_back(random_tensor(DType::kBool, {c.B, 1, c.Sq, St}, rng)); break;
    case 3: in.push_back(random_tensor(DType::kFloat32, {c.Hq, c.Sq, std::max<int64_t>(St - 1, 0)}, rng)); break;
    case 4: in.push_back(random_tensor(DType::kBool, {St}, rng)); break;
    default: in.emplace_back();
  }
  if (c.Sp > 0) {
    in.push_back(random_tensor(DType::kFloat32, {c.B, c.Hkv, c.Sp, c.D}, rng, -2, 2));
    in.push_back(random_tensor(DType::kFloat32, {c.B, c.Hkv, c.Sp, c.Dv}, rng, -2, 2));
  } else {
    in.emplace_back();
    in.emplace_back();
  }
  if (c.nonpad) {
    Tensor n = Tensor::allocate(DType::kInt64, {c.B});
    for (int64_t b = 0; b < c.B; ++b) n.data<int64_t>()[b] = std::max<int64_t>(0, St - b);
    in.push_back(n);
  }
  return in;
}

TEST(TransformerAttention, MatchesReference) {
  std::mt19937 rng(41);
  const AttnCase cases[] = {
      {false, 2, 3, 3, 4, 6, 0, 8, 8, 0, false, 0, 0, false},
      {false, 2, 6, 2, 5, 7, 0, 8, 10, 1, true, 0, 2, false},   // GQA, float mask, causal
      {false, 1, 4, 1, 3, 4, 5, 16, 16, 2, false, 2.0f, 3, false},  // MQA, past, bool mask, softcap
      {true, 2, 4, 2, 3, 5, 0, 4, 6, 3, false, 0, 1, false},    // 3-D, padded 3-D mask
      {true, 1, 3, 3, 7, 7, 2, 5, 3, 0, true, 3.0f, 0, false},  // 3-D, past, causal
      {false, 3, 2, 2, 2, 6, 0, 8, 8, 4, true, 0, 3, true},     // nonpad (24), rank-1 bool mask
      {false, 1, 1, 1, 0, 4, 0, 8, 8, 0, false, 0, 0, false},   // no queries
      {false, 1, 2, 1, 4, 0, 0, 8, 8, 0, false, 0, 0, false},   // no keys: zero output
      {false, 1, 1, 1, 1, 1, 0, 1, 1, 0, true, 0, 0, false},
      {false, 2, 8, 4, 64, 64, 0, 64, 64, 0, true, 0, 0, false},  // large enough to thread
  };
  for (const AttnCase& c : cases) {
    for (int opset : {23, 24, 25}) {
      if (c.nonpad && opset < 24) continue;
      SCOPED_TRACE("opset " + std::to_string(opset) + " B" + std::to_string(c.B) + " Hq" + std::to_string(c.Hq) +
                   " Sq" + std::to_string(c.Sq) + " Skv" + std::to_string(c.Skv) + " mask" + std::to_string(c.mask));
      NodeBuilder nb("Attention", opset);
      if (c.is3d) nb.attr_i("q_num_heads", c.Hq).attr_i("kv_num_heads", c.Hkv);
      if (c.causal) nb.attr_i("is_causal", 1);
      if (c.softcap > 0) nb.attr_f("softcap", c.softcap);
      nb.attr_i("qk_matmul_output_mode", c.mode);
      if (opset == 25) nb.attr_i("left_window_size", 2).attr_i("right_window_size", 1);
      expect_matches_reference(nb.build(), attention_inputs(c, rng), 4, 1e-5, 1e-4);
    }
  }
  // Explicit scale.
  const AttnCase c{false, 1, 2, 2, 3, 3, 0, 4, 4, 1, false, 0, 2, false};
  expect_matches_reference(NodeBuilder("Attention", 23).attr_f("scale", 0.3f).build(), attention_inputs(c, rng), 4,
                           1e-5, 1e-4);
}

TEST(TransformerAttention, HalfTypesMatchFloat) {
  std::mt19937 rng(42);
  const AttnCase c{false, 2, 4, 2, 3, 5, 0, 8, 8, 1, true, 0, 0, false};
  auto in = attention_inputs(c, rng);
  auto node = NodeBuilder("Attention", 23).attr_i("is_causal", 1).build();
  auto ref = run_node(kernels::Backend::kCpu, node, in, 1);
  ASSERT_TRUE(ref.has_value()) << ref.status().to_string();
  for (DType t : {DType::kFloat16, DType::kBFloat16, DType::kFloat64}) {
    std::vector<Tensor> cin;
    for (const Tensor& x : in) {
      if (!x.defined()) { cin.emplace_back(); continue; }
      Tensor y = Tensor::allocate(t, x.shape());
      for (int64_t i = 0; i < x.size(); ++i) {
        const float v = x.data<float>()[i];
        if (t == DType::kFloat16) y.data<uint16_t>()[i] = float_to_half(v);
        else if (t == DType::kBFloat16) y.data<uint16_t>()[i] = float_to_bfloat16(v);
        else y.data<double>()[i] = v;
      }
      cin.push_back(y);
    }
    expect_matches_reference(node, cin, 1, 2e-2, 2e-2);
    auto r = run_node(kernels::Backend::kCpu, node, cin, 1);
    ASSERT_TRUE(r.has_value());
    for (int64_t i = 0; i < (*r)[0].size(); ++i) {
      const uint16_t bits = (*r)[0].data<uint16_t>()[i];
      const double got = t == DType::kFloat16 ? half_to_float(bits)
                         : t == DType::kBFloat16 ? bfloat16_to_float(bits) : (*r)[0].data<double>()[i];
      EXPECT_NEAR(got, (*ref)[0].data<float>()[i], t == DType::kBFloat16 ? 0.1 : 0.02);
    }
  }
}

// Pinned from onnx.reference.ops.op_attention._compute_attention: past key/value, bool mask,
// causal, softcap 2, qk_matmul_output_mode 3 (softmax probabilities).
TEST(TransformerAttention, PinnedAgainstOnnxReference) {
  Tensor q = f32({1, 2, 2, 3}, {-1, -0.5f, 0, 0.5f, 1, -1, -0.5f, 0, 0.5f, 1, -1, -0.5f});
  Tensor k = f32({1, 1, 3, 3}, {-0.75f, -0.25f, 0.25f, 0.75f, -0.75f, -0.25f, 0.25f, 0.75f, -0.75f});
  Tensor v = f32({1, 1, 3, 2}, {0, 1, 2, 3, 4, 5});
  Tensor mask = make_tensor<bool>(DType::kBool, {2, 4}, {true, false, true, true, true, true, false, true});
  Tensor pk = f32({1, 1, 1, 3}, {0.25f, -0.5f, 1.0f});
  Tensor pv = f32({1, 1, 1, 2}, {2.0f, -1.0f});
  auto node = NodeBuilder("Attention", 23).attr_i("is_causal", 1).attr_f("softcap", 2.0f)
                  .attr_i("qk_matmul_output_mode", 3).build();
  for (auto backend : {kernels::Backend::kCpu, kernels::Backend::kReference}) {
    auto r = run_node(backend, node, {q, k, v, mask, pk, pv}, 4);
    ASSERT_TRUE(r.has_value()) << r.status().to_string();
    EXPECT_TRUE(tensors_close((*r)[0], f32({1, 2, 2, 2}, {2, -1, 0.8707616f, 0.1292384f, 2, -1, 1.24542f, -0.2454198f}),
                              1e-5, 1e-5));
    EXPECT_TRUE(tensors_close((*r)[3], f32({1, 2, 2, 4}, {1, 0, 0, 0, 0.4353808f, 0.5646192f, 0, 0, 1, 0, 0, 0,
                                                          0.6227099f, 0.3772901f, 0, 0}),
                              1e-5, 1e-5));
    EXPECT_TRUE(tensors_close((*r)[1], f32({1, 1, 4, 3}, {0.25f, -0.5f, 1.0f, -0.75f, -0.25f, 0.25f, 0.75f, -0.75f,
                                                          -0.25f, 0.25f, 0.75f, -0.75f}),
                              0, 0));
  }
}

TEST(TransformerAttention, FullyMaskedRowIsZeroAndBadInputsAreErrors) {
  Tensor q = f32({1, 1, 2, 2}, {1, 2, 3, 4});
  Tensor kv = f32({1, 1, 2, 2}, {1, 0, 0, 1});
  Tensor mask = make_tensor<bool>(DType::kBool, {2, 2}, {true, false, false, false});
  auto node = NodeBuilder("Attention", 23).build();
  for (auto backend : {kernels::Backend::kCpu, kernels::Backend::kReference}) {
    auto r = run_node(backend, node, {q, kv, kv, mask}, 1);
    ASSERT_TRUE(r.has_value()) << r.status().to_string();
    EXPECT_TRUE(tensors_close((*r)[0], f32({1, 1, 2, 2}, {1, 0, 0, 0}), 1e-6, 0));
    // Heads that do not divide, a mask with too many keys, 3-D without head counts.
    EXPECT_FALSE(run_node(backend, node, {f32({1, 3, 2, 2}, std::vector<float>(12)), f32({1, 2, 2, 2}, std::vector<float>(8)),
                                          f32({1, 2, 2, 2}, std::vector<float>(8))}, 1).has_value());
    EXPECT_FALSE(run_node(backend, node, {q, kv, kv, f32({2, 3}, std::vector<float>(6))}, 1).has_value());
    EXPECT_FALSE(run_node(backend, node, {f32({1, 2, 4}, std::vector<float>(8)), f32({1, 2, 4}, std::vector<float>(8)),
                                          f32({1, 2, 4}, std::vector<float>(8))}, 1).has_value());
  }
}

TEST(TransformerRmsNorm, MatchesReferenceAndPinned) {
  std::mt19937 rng(43);
  struct C { Shape x; int64_t axis; Shape scale; };
  const C cases[] = {{{2, 3, 8}, -1, {8}}, {{2, 3, 8}, 1, {3, 8}}, {{4, 768}, -1, {768}}, {{2, 3, 4}, 1, {1, 4}},
                     {{0, 5}, -1, {5}},    {{3, 1}, -1, {1}},       {{64, 512}, 1, {512}}, {{2, 3, 5}, 0, {2, 3, 5}},
                     {{2, 3, 5}, -3, {5}}};
  for (const C& c : cases) {
    SCOPED_TRACE(shape_to_string(c.x));
    auto node = NodeBuilder("RMSNormalization", 23).attr_i("axis", c.axis).attr_f("epsilon", 1e-3f).build();
    expect_matches_reference(node, {random_tensor(DType::kFloat32, c.x, rng, -3, 3), random_tensor(DType::kFloat32, c.scale, rng)},
                             1, 1e-5, 1e-4);
  }
  // x / sqrt(mean(x^2) + eps) * w: row [3, 4] has mean square 12.5.
  auto node = NodeBuilder("RMSNormalization", 23).attr_f("epsilon", 0.0f).build();
  for (auto backend : {kernels::Backend::kCpu, kernels::Backend::kReference}) {
    auto r = run_node(backend, node, {f32({2, 2}, {3, 4, 1, -1}), f32({2}, {1, 2})}, 1);
    ASSERT_TRUE(r.has_value()) << r.status().to_string();
    const float s = 1.0f / std::sqrt(12.5f);
    EXPECT_TRUE(tensors_close((*r)[0], f32({2, 2}, {3 * s, 8 * s, 1, -2}), 1e-6, 1e-6));
    EXPECT_FALSE(run_node(backend, node, {f32({2, 2}, {3, 4, 1, -1}), f32({3}, {1, 2, 3})}, 1).has_value());
  }
}

TEST(TransformerRotary, PinnedAgainstOnnxReference) {
  std::vector<float> xv(16);
  for (int i = 0; i < 16; ++i) xv[static_cast<size_t>(i)] = 0.1f * static_cast<float>(i);
  Tensor x = f32({1, 2, 2, 4}, xv);
  Tensor cosc = f32({3, 2}, {1, 0.9553365f, 0.8253356f, 0.62161f, 0.3623578f, 0.0707372f});
  Tensor sinc = f32({3, 2}, {0, 0.2955202f, 0.5646425f, 0.7833269f, 0.9320391f, 0.997495f});
  Tensor pos = make_tensor<int64_t>(DType::kInt64, {1, 2}, {2, 0});
  const std::vector<float> want[2] = {
      {-0.1864078f, -0.2921748f, 0.07247155f, 0.1209707f, 0.4f, 0.2708041f, 0.6f, 0.8164957f, -0.6421529f, -1.033581f,
       1.107989f, 0.9755564f, 1.2f, 0.7986571f, 1.4f, 1.817181f},
      {-0.09320391f, 0.03623578f, -0.2851011f, 0.2207202f, 0.4f, 0.5f, 0.3663378f, 0.8460477f, -0.548949f, 1.071753f,
       -1.026507f, 1.075306f, 1.2f, 1.3f, 0.8941908f, 1.846733f}};
  for (int inter = 0; inter < 2; ++inter) {
    auto node = NodeBuilder("RotaryEmbedding", 23).attr_i("interleaved", inter).build();
    auto r = run_node(kernels::Backend::kCpu, node, {x, cosc, sinc, pos}, 1);
    ASSERT_TRUE(r.has_value()) << r.status().to_string();
    EXPECT_TRUE(tensors_close((*r)[0], f32({1, 2, 2, 4}, want[inter]), 1e-6, 1e-5));
    // The same data as 3-D [B, S, H * D]: rows are (s, h) instead of (h, s).
    std::vector<float> x3(16), w3(16);
    for (int h = 0; h < 2; ++h)
      for (int s = 0; s < 2; ++s)
        for (int d = 0; d < 4; ++d) {
          x3[static_cast<size_t>((s * 2 + h) * 4 + d)] = xv[static_cast<size_t>((h * 2 + s) * 4 + d)];
          w3[static_cast<size_t>((s * 2 + h) * 4 + d)] = want[inter][static_cast<size_t>((h * 2 + s) * 4 + d)];
        }
    auto n3 = NodeBuilder("RotaryEmbedding", 23).attr_i("interleaved", inter).attr_i("num_heads", 2).build();
    r = run_node(kernels::Backend::kCpu, n3, {f32({1, 2, 8}, x3), cosc, sinc, pos}, 1);
    ASSERT_TRUE(r.has_value()) << r.status().to_string();
    EXPECT_TRUE(tensors_close((*r)[0], f32({1, 2, 8}, w3), 1e-6, 1e-5));
  }
  // Partial rotation leaves the tail; a position past the cache is an error.
  auto node = NodeBuilder("RotaryEmbedding", 23).attr_i("rotary_embedding_dim", 2).build();
  Tensor c1 = f32({3, 1}, {0, 0, 0}), s1 = f32({3, 1}, {1, 1, 1});
  auto r = run_node(kernels::Backend::kCpu, node, {f32({1, 1, 1, 4}, {1, 2, 3, 4}), c1, s1,
                                                   make_tensor<int64_t>(DType::kInt64, {1, 1}, {1})}, 1);
  ASSERT_TRUE(r.has_value()) << r.status().to_string();
  EXPECT_TRUE(tensors_close((*r)[0], f32({1, 1, 1, 4}, {-2, 1, 3, 4}), 0, 0));
  EXPECT_FALSE(run_node(kernels::Backend::kCpu, node, {f32({1, 1, 1, 4}, {1, 2, 3, 4}), c1, s1,
                                                       make_tensor<int64_t>(DType::kInt64, {1, 1}, {3})}, 1).has_value());
}

TEST(TransformerMvn, Pinned) {
  // Axes {0, 2, 3} on [1, 2, 1, 2]: each channel normalised over its two values.
  auto node = NodeBuilder("MeanVarianceNormalization", 13).build();
  auto r = run_node(kernels::Backend::kCpu, node, {f32({1, 2, 1, 2}, {1, 3, 10, 10})}, 1);
  ASSERT_TRUE(r.has_value()) << r.status().to_string();
  EXPECT_TRUE(tensors_close((*r)[0], f32({1, 2, 1, 2}, {-1, 1, 0, 0}), 1e-6, 1e-6));
  auto n2 = NodeBuilder("MeanVarianceNormalization", 13).attr_ints("axes", {-1}).build();
  r = run_node(kernels::Backend::kCpu, n2, {f32({2, 2}, {0, 4, 5, 5})}, 1);
  ASSERT_TRUE(r.has_value()) << r.status().to_string();
  EXPECT_TRUE(tensors_close((*r)[0], f32({2, 2}, {-1, 1, 0, 0}), 1e-6, 1e-6));
  EXPECT_FALSE(run_node(kernels::Backend::kCpu, NodeBuilder("MeanVarianceNormalization", 13).attr_ints("axes", {4}).build(),
                        {f32({2, 2}, {0, 4, 5, 5})}, 1).has_value());
}

// Pinned from onnx.reference.ops.op_linear_attention: GQA (2 q heads on 1 kv head), past state,
// per-head decay and beta (gated_delta); then the plain linear rule with an explicit scale.
TEST(TransformerLinearAttention, PinnedAgainstOnnxReference) {
  Tensor q = f32({1, 2, 4}, {1, 0.5f, -1, 2, 0.25f, -0.5f, 1, 1});
  Tensor k = f32({1, 2, 2}, {0.5f, 1, 1, -0.5f});
  Tensor v = f32({1, 2, 2}, {2, -1, 0.5f, 1.5f});
  Tensor past = f32({1, 1, 2, 2}, {0.1f, 0.2f, 0.3f, -0.4f});
  Tensor decay = f32({1, 2, 1}, {-0.1f, -0.2f});
  Tensor beta = f32({1, 2, 1}, {0.5f, 0.9f});
  auto node = NodeBuilder("LinearAttention", 27).attr_i("q_num_heads", 2).attr_i("kv_num_heads", 1).build();
  auto r = run_node(kernels::Backend::kCpu, node, {q, k, v, past, decay, beta}, 2);
  ASSERT_TRUE(r.has_value()) << r.status().to_string();
  EXPECT_TRUE(tensors_close((*r)[0], f32({1, 2, 4}, {0.755093f, -0.2575809f, 1.212617f, -1.026188f, -0.07731626f,
                                                     0.5930492f, 1.111308f, -0.03809527f}),
                            1e-6, 1e-5));
  EXPECT_TRUE(tensors_close((*r)[1], f32({1, 1, 2, 2}, {0.9019624f, 1.082348f, 0.6696646f, -1.136223f}), 1e-6, 1e-5));
  auto lin = NodeBuilder("LinearAttention", 27).attr_i("q_num_heads", 2).attr_i("kv_num_heads", 1)
                 .attr_s("update_rule", "linear").attr_f("scale", 0.5f).build();
  r = run_node(kernels::Backend::kCpu, lin, {q, k, v}, 2);
  ASSERT_TRUE(r.has_value()) << r.status().to_string();
  EXPECT_TRUE(tensors_close((*r)[0], f32({1, 2, 4}, {1, -0.5f, 1.5f, -0.75f, -0.25f, 0.5625f, 1.625f, -0.375f}), 1e-6, 1e-6));
  EXPECT_TRUE(tensors_close((*r)[1], f32({1, 1, 2, 2}, {1.5f, 1, 1.75f, -1.75f}), 1e-6, 1e-6));
  // The linear rule forbids decay; gated_delta needs it.
  EXPECT_FALSE(run_node(kernels::Backend::kCpu, lin, {q, k, v, Tensor(), decay}, 2).has_value());
  EXPECT_FALSE(run_node(kernels::Backend::kCpu, node, {q, k, v}, 2).has_value());
}

// Without modifier subgraphs FlexAttention is Attention without a mask; with GQA and a V head
// size of its own, and in double (its softmax precision then is double).
TEST(TransformerFlexAttention, MatchesAttentionWithoutMods) {
  std::mt19937 rng(44);
  for (DType t : {DType::kFloat32, DType::kFloat64}) {
    Tensor q = random_tensor(t, {2, 4, 3, 8}, rng, -2, 2);
    Tensor k = random_tensor(t, {2, 2, 5, 8}, rng, -2, 2);
    Tensor v = random_tensor(t, {2, 2, 5, 6}, rng, -2, 2);
    for (float scale : {0.0f, 0.3f}) {
      NodeBuilder fb("FlexAttention", 1, "ai.onnx.preview"), ab("Attention", 23);
      if (scale != 0) fb.attr_f("scale", scale), ab.attr_f("scale", scale);
      auto f = run_node(kernels::Backend::kCpu, fb.build(), {q, k, v}, 1);
      auto a = run_node(kernels::Backend::kReference, ab.build(), {q, k, v}, 1);
      ASSERT_TRUE(f.has_value()) << f.status().to_string();
      ASSERT_TRUE(a.has_value()) << a.status().to_string();
      EXPECT_TRUE(tensors_close((*f)[0], (*a)[0], 1e-5, 1e-5));
    }
  }
  EXPECT_FALSE(run_node(kernels::Backend::kCpu, NodeBuilder("FlexAttention", 1, "ai.onnx.preview").build(),
                        {f32({1, 2, 4}, std::vector<float>(8)), f32({1, 2, 4}, std::vector<float>(8)),
                         f32({1, 2, 4}, std::vector<float>(8))}, 1).has_value());
}

}  // namespace
}  // namespace onnxrt::testing
