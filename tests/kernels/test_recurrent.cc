// RNN, GRU and LSTM: CPU kernels (sgemm, packed weights) vs the reference kernels over swept
// shapes and attributes, plus values pinned from onnx.reference.ReferenceEvaluator.
#include <gtest/gtest.h>

#include <cmath>
#include <random>
#include <tuple>
#include <string>

#include "kernels/harness.h"

namespace onnxrt::testing {
namespace {

Tensor f32(Shape s, std::vector<float> v) { return make_tensor<float>(DType::kFloat32, std::move(s), v); }

struct Case {
  const char* op = "RNN";
  int64_t seq = 1, batch = 1, input = 1, hidden = 1;
  std::string direction = "forward";
  int64_t layout = 0;
  bool bias = true, h0 = false, c0 = false, peep = false, lens = false;
  std::vector<std::string> acts;
  std::vector<float> alphas, betas;
  float clip = 0;
  int64_t lbr = 0, input_forget = 0;
  int opset = 22;
};

Case mk(const char* op, int64_t seq, int64_t batch, int64_t input, int64_t hidden) {
  Case c;
  c.op = op;
  c.seq = seq;
  c.batch = batch;
  c.input = input;
  c.hidden = hidden;
  return c;
}

int64_t gates(const std::string& op) { return op == "GRU" ? 3 : op == "LSTM" ? 4 : 1; }

void check(const Case& c, std::mt19937& rng) {
  const int64_t D = c.direction == "bidirectional" ? 2 : 1, G = gates(c.op), H = c.hidden;
  NodeBuilder nb(c.op, c.opset);
  nb.attr_i("hidden_size", H).attr_s("direction", c.direction);
  if (c.opset >= 14) nb.attr_i("layout", c.layout);
  if (!c.acts.empty()) nb.attr_strings("activations", c.acts);
  if (!c.alphas.empty()) nb.attr_floats("activation_alpha", c.alphas);
  if (!c.betas.empty()) nb.attr_floats("activation_beta", c.betas);
  if (c.clip > 0) nb.attr_f("clip", c.clip);
  if (std::string(c.op) == "GRU") nb.attr_i("linear_before_reset", c.lbr);
  if (std::string(c.op) == "LSTM") nb.attr_i("input_forget", c.input_forget);
  const Shape xs = c.layout == 0 ? Shape{c.seq, c.batch, c.input} : Shape{c.batch, c.seq, c.input};
  const Shape hs = c.layout == 0 ? Shape{D, c.batch, H} : Shape{c.batch, D, H};
  std::vector<Tensor> in{random_tensor(DType::kFloat32, xs, rng), random_tensor(DType::kFloat32, {D, G * H, c.input}, rng),
                         random_tensor(DType::kFloat32, {D, G * H, H}, rng)};
  in.push_back(c.bias ? random_tensor(DType::kFloat32, {D, 2 * G * H}, rng) : Tensor());
  if (c.lens) {
    std::uniform_int_distribution<int32_t> u(0, static_cast<int32_t>(c.seq));
    std::vector<int32_t> l;
    for (int64_t b = 0; b < c.batch; ++b) l.push_back(b == 0 ? static_cast<int32_t>(c.seq) : u(rng));
    in.push_back(make_tensor<int32_t>(DType::kInt32, {c.batch}, l));
  } else {
    in.push_back(Tensor());
  }
  in.push_back(c.h0 ? random_tensor(DType::kFloat32, hs, rng) : Tensor());
  size_t nout = 2;
  if (std::string(c.op) == "LSTM") {
    in.push_back(c.c0 ? random_tensor(DType::kFloat32, hs, rng) : Tensor());
    in.push_back(c.peep ? random_tensor(DType::kFloat32, {D, 3 * H}, rng) : Tensor());
    nout = 3;
  }
  expect_matches_reference(nb.build(), in, nout, 2e-5, 1e-4);
}

TEST(RecurrentKernels, MatchesReferenceSweep) {
  std::mt19937 rng(31);
  for (const char* op : {"RNN", "GRU", "LSTM"}) {
    for (const char* dir : {"forward", "reverse", "bidirectional"}) {
      for (int64_t layout : {0, 1}) {
        for (auto [seq, batch, input, hidden] :
             {std::tuple<int64_t, int64_t, int64_t, int64_t>{1, 1, 1, 1}, {5, 3, 4, 5}, {0, 2, 3, 4}, {3, 2, 7, 17}}) {
          Case c = mk(op, seq, batch, input, hidden);
          c.direction = dir;
          c.layout = layout;
          c.h0 = c.c0 = c.peep = (hidden % 2 == 1);
          c.lens = seq > 1;
          c.bias = input != 7;
          SCOPED_TRACE(std::string(op) + " " + dir + " layout " + std::to_string(layout) + " seq " +
                       std::to_string(seq) + " hidden " + std::to_string(hidden));
          check(c, rng);
        }
      }
    }
  }
}

TEST(RecurrentKernels, AttributesMatchReference) {
  std::mt19937 rng(32);
  // Every activation of the spec, with explicit and default alpha/beta.
  const std::vector<std::vector<std::string>> act_sets = {
      {"Relu", "Tanh", "Sigmoid"}, {"Affine", "LeakyRelu", "ThresholdedRelu"},
      {"ScaledTanh", "HardSigmoid", "Elu"}, {"Softsign", "Softplus", "Tanh"}};
  for (const auto& acts : act_sets) {
    for (bool explicit_ab : {false, true}) {
      Case c = mk("LSTM", 4, 3, 3, 4);
      c.acts = acts;
      if (explicit_ab) {
        c.alphas = {0.7f, 0.3f, 0.4f};
        c.betas = {0.2f, 0.6f};
      }
      c.h0 = c.c0 = c.peep = true;
      SCOPED_TRACE(acts[0] + "," + acts[1] + "," + acts[2]);
      check(c, rng);
      Case r = mk("RNN", 3, 2, 3, 4);
      r.acts = {acts[0], acts[1]};
      r.direction = "bidirectional";
      if (explicit_ab) {
        r.alphas = {0.5f, 0.25f};
        r.betas = {0.1f};
      }
      check(r, rng);
      Case g = mk("GRU", 3, 2, 3, 4);
      g.acts = {acts[1], acts[2]};
      check(g, rng);
    }
  }
  for (int64_t lbr : {0, 1}) {
    Case g = mk("GRU", 4, 3, 5, 6);
    g.lbr = lbr;
    g.h0 = true;
    g.lens = true;
    g.clip = 0.5f;
    check(g, rng);
  }
  Case l = mk("LSTM", 4, 3, 5, 6);
  l.input_forget = 1;
  l.clip = 0.75f;
  l.direction = "bidirectional";
  l.peep = l.c0 = true;
  check(l, rng);
  // Opsets before layout existed.
  for (int opset : {7, 14}) {
    Case o = mk("GRU", 3, 2, 3, 4);
    o.opset = opset;
    check(o, rng);
  }
  // Large enough for the threaded GEMM and gate paths.
  Case big = mk("LSTM", 6, 64, 48, 64);
  big.h0 = true;
  check(big, rng);
}

// The LSTM kernel for constant weights packs hidden units in blocks of 64 and splits a step's
// blocks over the threads: hidden sizes past one block with a short last block, both directions
// (blocks of both in one step), batch entries that stop early, steps large enough for two
// threads (the test pool has two), and an input projection of several row chunks.
TEST(RecurrentKernels, LstmBlocksAndThreadsMatchReference) {
  std::mt19937 rng(35);
  for (const char* dir : {"forward", "reverse", "bidirectional"}) {
    for (auto [seq, batch, input, hidden] :
         {std::tuple<int64_t, int64_t, int64_t, int64_t>{3, 8, 9, 70}, {4, 5, 16, 64}, {2, 3, 5, 129}, {5, 1, 3, 200},
          {7, 9, 300, 20}}) {  // the last: input projection in row chunks of 52 (row panels)
      Case c = mk("LSTM", seq, batch, input, hidden);
      c.direction = dir;
      c.h0 = c.c0 = true;
      c.lens = batch > 1;
      c.peep = hidden % 2 == 1;
      c.layout = hidden == 64 ? 1 : 0;
      SCOPED_TRACE(std::string(dir) + " hidden " + std::to_string(hidden) + " batch " + std::to_string(batch));
      check(c, rng);
    }
  }
  Case l = mk("LSTM", 3, 6, 7, 130);
  l.input_forget = 1;
  l.clip = 0.5f;
  l.peep = true;
  l.direction = "bidirectional";
  check(l, rng);
  l.peep = false;
  check(l, rng);
  // The default activations without peepholes take the fused cell (ew::lstm_cell_f32_ukernel),
  // which also adds the biases and applies clip.
  Case f = mk("LSTM", 4, 5, 7, 130);
  f.clip = 0.5f;
  f.lens = f.h0 = f.c0 = true;
  f.direction = "bidirectional";
  check(f, rng);
  f.bias = false;
  f.layout = 1;
  check(f, rng);
}

// Inside a task of the same pool (a nested parallel call runs its tasks one after another on the
// calling thread), the threaded LSTM must still finish: its threads wait only for claimed work.
TEST(RecurrentKernels, LstmInsidePoolTaskFinishes) {
  std::mt19937 rng(36);
  auto node = NodeBuilder("LSTM", 22).attr_i("hidden_size", 128).build();
  const std::vector<Tensor> in{random_tensor(DType::kFloat32, {4, 8, 16}, rng),
                               random_tensor(DType::kFloat32, {1, 512, 16}, rng),
                               random_tensor(DType::kFloat32, {1, 512, 128}, rng)};
  auto alone = run_node(kernels::Backend::kCpu, node, in, 3);
  ASSERT_TRUE(alone.has_value()) << alone.status().to_string();
  std::vector<Expected<std::vector<Tensor>>> nested(2, Status());
  test_pool().run_tasks(2, [&](int64_t t) { nested[static_cast<size_t>(t)] = run_node(kernels::Backend::kCpu, node, in, 3); });
  for (auto& r : nested) {
    ASSERT_TRUE(r.has_value()) << r.status().to_string();
    for (size_t i = 0; i < 3; ++i) EXPECT_TRUE(tensors_close((*r)[i], (*alone)[i], 0, 0)) << "output " << i;
  }
}

TEST(RecurrentKernels, PinnedValues) {
  const Tensor x = f32({2, 1, 2}, {0.5f, -1.0f, 1.5f, 0.25f});
  const Tensor w = f32({1, 6, 2}, {0.1f, 0.2f, 0.3f, -0.4f, 0.5f, 0.6f, -0.7f, 0.8f, 0.9f, -0.1f, 0.2f, 0.3f});
  const Tensor r = f32({1, 6, 2}, {0.1f, -0.2f, 0.3f, 0.4f, -0.5f, 0.6f, 0.7f, 0.8f, 0.2f, -0.3f, 0.4f, 0.1f});
  const Tensor b = f32({1, 12}, {0.1f, 0.2f, 0.3f, 0.4f, 0.5f, 0.6f, -0.1f, -0.2f, -0.3f, -0.4f, -0.5f, -0.6f});
  // From onnx.reference.ReferenceEvaluator.
  const std::vector<std::vector<float>> gru_y = {{0.26899448f, -0.07221261f, 0.53706437f, 0.12423319f},
                                                 {0.36951399f, 0.09156685f, 0.60935795f, 0.31005597f}};
  for (auto backend : {kernels::Backend::kCpu, kernels::Backend::kReference}) {
    for (int64_t lbr : {0, 1}) {
      auto node = NodeBuilder("GRU", 22).attr_i("hidden_size", 2).attr_i("linear_before_reset", lbr).build();
      auto res = run_node(backend, node, {x, w, r, b}, 2);
      ASSERT_TRUE(res.has_value()) << res.status().to_string();
      EXPECT_TRUE(tensors_close((*res)[0], f32({2, 1, 1, 2}, gru_y[static_cast<size_t>(lbr)]), 1e-6, 1e-5));
    }
    const Tensor w4 = f32({1, 8, 2}, {0.1f, 0.2f, 0.3f, -0.4f, 0.5f, 0.6f, -0.7f, 0.8f, 0.9f, -0.1f, 0.2f, 0.3f,
                                      -0.1f, -0.2f, -0.3f, 0.4f});
    const Tensor r4 = f32({1, 8, 2}, {0.1f, -0.2f, 0.3f, 0.4f, -0.5f, 0.6f, 0.7f, 0.8f, 0.2f, -0.3f, 0.4f, 0.1f,
                                      0.05f, -0.1f, 0.15f, 0.2f});
    const Tensor b4 = f32({1, 16}, {0.1f, 0.2f, 0.3f, 0.4f, 0.5f, 0.6f, 0.1f, 0.2f, -0.1f, -0.2f, -0.3f, -0.4f,
                                    -0.5f, -0.6f, -0.1f, -0.2f});
    auto node = NodeBuilder("LSTM", 22).attr_i("hidden_size", 2).build();
    auto res = run_node(backend, node,
                        {x, w4, r4, b4, make_tensor<int32_t>(DType::kInt32, {1}, {2}), f32({1, 1, 2}, {0.1f, 0.1f}),
                         f32({1, 1, 2}, {-0.2f, -0.2f}), f32({1, 6}, {0.1f, 0.2f, -0.3f, 0.4f, 0.5f, -0.6f})},
                        3);
    ASSERT_TRUE(res.has_value()) << res.status().to_string();
    EXPECT_TRUE(tensors_close((*res)[0], f32({2, 1, 1, 2}, {-0.02353946f, -0.0910795f, -0.10527363f, -0.10508197f}), 1e-6, 1e-5));
    EXPECT_TRUE(tensors_close((*res)[1], f32({1, 1, 2}, {-0.10527363f, -0.10508197f}), 1e-6, 1e-5));
    EXPECT_TRUE(tensors_close((*res)[2], f32({1, 1, 2}, {-0.14909056f, -0.45728678f}), 1e-6, 1e-5));
    // By hand: h1 = tanh(1), h2 = tanh(2 + 0.5 h1); a sequence of length 1 stops after h1 and
    // leaves Y zero past its end.
    auto rnn = NodeBuilder("RNN", 22).attr_i("hidden_size", 1).build();
    res = run_node(backend, rnn,
                   {f32({2, 2, 1}, {1, 1, 2, 2}), f32({1, 1, 1}, {1}), f32({1, 1, 1}, {0.5f}), Tensor(),
                    make_tensor<int32_t>(DType::kInt32, {2}, {2, 1})},
                   2);
    ASSERT_TRUE(res.has_value()) << res.status().to_string();
    const float h1 = std::tanh(1.0f), h2 = std::tanh(2.0f + 0.5f * h1);
    EXPECT_TRUE(tensors_close((*res)[0], f32({2, 1, 2, 1}, {h1, h1, h2, 0}), 1e-6, 1e-6));
    EXPECT_TRUE(tensors_close((*res)[1], f32({1, 2, 1}, {h2, h1}), 1e-6, 1e-6));
  }
}

TEST(RecurrentKernels, OtherFloatTypesUseReference) {
  std::mt19937 rng(33);
  for (DType dt : {DType::kFloat64, DType::kFloat16, DType::kBFloat16}) {
    auto node = NodeBuilder("GRU", 22).attr_i("hidden_size", 3).build();
    std::vector<Tensor> in{random_tensor(dt, {2, 2, 3}, rng), random_tensor(dt, {1, 9, 3}, rng),
                           random_tensor(dt, {1, 9, 3}, rng)};
    // The plan falls back to the reference kernel for these; it must run and agree with float.
    auto res = run_node(kernels::Backend::kReference, node, in, 2);
    ASSERT_TRUE(res.has_value()) << res.status().to_string();
    EXPECT_EQ((*res)[0].dtype(), dt);
    EXPECT_EQ((*res)[0].shape(), (Shape{2, 1, 2, 3}));
  }
}

TEST(RecurrentKernels, BadInputsAreErrors) {
  std::mt19937 rng(34);
  auto node = NodeBuilder("RNN", 22).attr_i("hidden_size", 3).build();
  const Tensor x = random_tensor(DType::kFloat32, {2, 1, 2}, rng);
  const Tensor w = random_tensor(DType::kFloat32, {1, 3, 2}, rng);
  const Tensor r = random_tensor(DType::kFloat32, {1, 3, 3}, rng);
  for (auto backend : {kernels::Backend::kCpu, kernels::Backend::kReference}) {
    // W with the wrong input size.
    EXPECT_FALSE(run_node(backend, node, {x, random_tensor(DType::kFloat32, {1, 3, 5}, rng), r}, 2).has_value());
    // sequence_lens past seq_length.
    EXPECT_FALSE(run_node(backend, node, {x, w, r, Tensor(), make_tensor<int32_t>(DType::kInt32, {1}, {3})}, 2)
                     .has_value());
    // Unknown activation.
    auto bad = NodeBuilder("RNN", 22).attr_i("hidden_size", 3).attr_strings("activations", {"Gelu"}).build();
    EXPECT_FALSE(run_node(backend, bad, {x, w, r}, 2).has_value());
    EXPECT_TRUE(run_node(backend, node, {x, w, r}, 2).has_value());
  }
}

}  // namespace
}  // namespace onnxrt::testing
