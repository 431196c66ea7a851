// com.onnxrt FusedAttention: the CPU kernel against the naive reference kernel over swept shapes
// (heads 1-12, query/key lengths 1-130, head sizes 8-64), every supported layout, masks of several
// broadcast shapes and causal; the reference itself against the plain ONNX ops it stands for
// (Transpose, MatMul, Mul, Add, Where, Softmax, evaluated by their reference kernels); and errors.
#include <gtest/gtest.h>

#include <array>
#include <cmath>
#include <limits>
#include <random>

#include "kernels/harness.h"

namespace onnxrt::testing {
namespace {

using Perm = std::array<int64_t, 4>;
constexpr Perm kId{0, 1, 2, 3}, kSwapSH{0, 2, 1, 3}, kSwapLast{0, 1, 3, 2}, kFromBSHD{0, 2, 3, 1};

struct Layout {
  Perm q, k, v, out;
};
// Default (Q, K, V as [B, H, S, D]); the torch.onnx export of BERT / GPT-2 ([B, S, H, D] storage
// everywhere); K given as K^T.
const Layout kLayouts[] = {
    {kId, kSwapLast, kId, kId},
    {kSwapSH, kFromBSHD, kSwapSH, kSwapSH},
    {kSwapSH, kId, kId, kSwapSH},
};

enum class MaskKind { kNone, kKeyPadding, kSquare, kFull };

struct Case {
  int64_t B, H, Sq, Sk, D, Dv;
};

// The stored shape of a tensor whose logical (post-Transpose(perm)) shape is `logical`.
Shape stored_shape(const Shape& logical, const Perm& p) {
  Shape s(4);
  for (size_t j = 0; j < 4; ++j) s[static_cast<size_t>(p[j])] = logical[j];
  return s;
}

std::vector<int64_t> ints(const Perm& p) { return {p.begin(), p.end()}; }

ir::Node attention_node(const Layout& l, float scale, bool causal) {
  return NodeBuilder("FusedAttention", 1, "com.onnxrt")
      .attr_f("scale", scale)
      .attr_i("causal", causal ? 1 : 0)
      .attr_ints("q_perm", ints(l.q))
      .attr_ints("k_perm", ints(l.k))
      .attr_ints("v_perm", ints(l.v))
      .attr_ints("out_perm", ints(l.out))
      .build();
}

std::vector<Tensor> attention_inputs(const Case& c, const Layout& l, MaskKind mk, std::mt19937& rng) {
  std::vector<Tensor> in = {
      random_tensor(DType::kFloat32, stored_shape({c.B, c.H, c.Sq, c.D}, l.q), rng),
      random_tensor(DType::kFloat32, stored_shape({c.B, c.H, c.D, c.Sk}, l.k), rng),
      random_tensor(DType::kFloat32, stored_shape({c.B, c.H, c.Sk, c.Dv}, l.v), rng),
  };
  Shape ms;
  switch (mk) {
    case MaskKind::kNone: return in;
    case MaskKind::kKeyPadding: ms = {c.B, 1, 1, c.Sk}; break;
    case MaskKind::kSquare: ms = {c.Sq, c.Sk}; break;
    case MaskKind::kFull: ms = {c.B, c.H, c.Sq, c.Sk}; break;
  }
  Tensor m = random_tensor(DType::kFloat32, ms, rng, -2.0, 2.0);
  // A few large negative entries, like the padding masks of BERT exports (never a whole row).
  for (int64_t i = 1; i < m.size(); i += 7) m.data<float>()[i] = -1e4f;
  in.push_back(m);
  return in;
}

TEST(FusedAttention, MatchesReference) {
  std::mt19937 rng(17);
  const Case cases[] = {
      {1, 1, 1, 1, 8, 8},     {2, 3, 5, 7, 8, 16},   {1, 2, 33, 17, 16, 8},  {1, 1, 1, 130, 64, 64},
      {1, 3, 130, 1, 8, 8},   {2, 4, 65, 65, 24, 24}, {1, 12, 128, 128, 64, 64}, {1, 2, 130, 130, 32, 40},
      {1, 2, 300, 600, 8, 8},  // several non-causal row blocks, with a tail
      {1, 1, 40, 1200, 4, 4},  // two row blocks on every layout and mask: K^T and V packed once
      // One and two query rows (decode steps: vector-row products instead of the GEMM), head
      // sizes off the 8-float vectors, key counts around the 8-row blocks.
      {2, 3, 2, 77, 20, 36},  {2, 2, 1, 9, 5, 3},    {1, 12, 1, 129, 64, 64}, {1, 2, 2, 16, 33, 7},
  };
  for (const Case& c : cases) {
    for (const Layout& l : kLayouts) {
      for (MaskKind mk : {MaskKind::kNone, MaskKind::kKeyPadding, MaskKind::kSquare, MaskKind::kFull}) {
        for (bool causal : {false, true}) {
          // Big cases (threaded, several row blocks) with the model layout and a key-padding
          // mask only: the small ones cover every layout and mask shape, and the reference is slow.
          const bool big = c.B * c.H * c.Sq * c.Sk > 50000;
          if (big && (&l != &kLayouts[1] || mk == MaskKind::kSquare || mk == MaskKind::kFull)) continue;
          SCOPED_TRACE("B" + std::to_string(c.B) + " H" + std::to_string(c.H) + " Sq" + std::to_string(c.Sq) +
                       " Sk" + std::to_string(c.Sk) + " D" + std::to_string(c.D) + " mask " +
                       std::to_string(static_cast<int>(mk)) + " causal " + std::to_string(causal));
          const float scale = 1.0f / std::sqrt(static_cast<float>(c.D));
          expect_matches_reference(attention_node(l, scale, causal), attention_inputs(c, l, mk, rng), 1, 2e-5,
                                   1e-4);
        }
      }
    }
  }
}

// Additive masks whose rows end in masked keys (transformers' causal masks hold the float
// minimum, padding masks -inf): the kernel skips those keys, which must not change a value, also
// for a row whose keys are all masked, a row masked in the middle only, and masks per batch and
// head, with and without the causal attribute.
TEST(FusedAttention, MaskedKeySuffixesMatchReference) {
  std::mt19937 rng(23);
  const float lowest = std::numeric_limits<float>::lowest(), inf = std::numeric_limits<float>::infinity();
  const Case cases[] = {{1, 2, 128, 128, 16, 16}, {2, 3, 40, 70, 8, 8}, {1, 1, 1, 33, 8, 8}};
  for (const Case& c : cases) {
    for (int kind = 0; kind < 3; ++kind) {  // 0: causal [Sq, Sk], 1: padding [B, 1, 1, Sk], 2: [B, H, Sq, Sk]
      for (bool causal_attr : {false, true}) {
        SCOPED_TRACE("Sq" + std::to_string(c.Sq) + " Sk" + std::to_string(c.Sk) + " kind " + std::to_string(kind) +
                     " causal " + std::to_string(causal_attr));
        std::vector<Tensor> in = attention_inputs(c, kLayouts[1], MaskKind::kNone, rng);
        const Shape ms = kind == 0 ? Shape{c.Sq, c.Sk} : kind == 1 ? Shape{c.B, 1, 1, c.Sk} : Shape{c.B, c.H, c.Sq, c.Sk};
        Tensor m = random_tensor(DType::kFloat32, ms, rng, -1.0, 1.0);
        float* md = m.data<float>();
        const int64_t rows = m.size() / c.Sk;
        for (int64_t r = 0; r < rows; ++r) {
          float* row = md + r * c.Sk;
          const int64_t i = kind == 0 ? r : r % std::max<int64_t>(c.Sq, 1);
          const int64_t keep = kind == 0 ? std::min(c.Sk, i + 1) : 1 + (r * 7) % c.Sk;
          for (int64_t j = keep; j < c.Sk; ++j) row[j] = (r % 2) ? lowest : -inf;
          if (r % 5 == 3) row[0] = lowest;                                   // masked in front only
          if (r % 11 == 4) std::fill(row, row + c.Sk, (r % 2) ? lowest : -inf);  // everything masked
        }
        in.push_back(m);
        const float scale = 1.0f / std::sqrt(static_cast<float>(c.D));
        expect_matches_reference(attention_node(kLayouts[1], scale, causal_attr), in, 1, 2e-5, 1e-4);
      }
    }
  }
}

TEST(FusedAttention, EmptyDims) {
  std::mt19937 rng(3);
  const Layout& l = kLayouts[1];
  for (const Case& c : {Case{1, 2, 0, 5, 8, 8}, Case{1, 2, 4, 0, 8, 8}, Case{0, 2, 4, 4, 8, 8},
                        Case{1, 2, 4, 5, 0, 8}, Case{1, 2, 4, 5, 8, 0}}) {
    for (bool causal : {false, true})
      expect_matches_reference(attention_node(l, 0.5f, causal), attention_inputs(c, l, MaskKind::kNone, rng), 1,
                               1e-6, 1e-6);
  }
}

// qkv_packed: X [B, S, 3*H*D] read in place, against the reference (which splits X into copies)
// and against the unpacked CPU kernel on Q, K, V split out by hand.
TEST(FusedAttention, PackedQkvMatchesReferenceAndUnpacked) {
  std::mt19937 rng(23);
  const Layout& l = kLayouts[1];
  const Case cases[] = {{1, 1, 1, 1, 8, 8}, {2, 3, 7, 7, 8, 8}, {1, 12, 128, 128, 64, 64}, {1, 2, 130, 130, 16, 16}};
  for (const Case& c : cases) {
    for (bool causal : {false, true}) {
      for (const Perm& out : {kSwapSH, kId}) {
        const int64_t e = c.H * c.D;
        Tensor x = random_tensor(DType::kFloat32, {c.B, c.Sq, 3 * e}, rng);
        Layout lo = l;
        lo.out = out;
        ir::Node node = attention_node(lo, 0.125f, causal);
        ir::Attribute packed;
        packed.name = "qkv_packed";
        packed.kind = ir::AttrKind::kInt;
        packed.i = 1;
        node.attrs.set(packed);
        ir::Attribute heads = packed;
        heads.name = "num_heads";
        heads.i = c.H;
        node.attrs.set(heads);
        SCOPED_TRACE("S" + std::to_string(c.Sq) + " H" + std::to_string(c.H) + " causal " + std::to_string(causal));
        std::vector<Tensor> in = {x, Tensor(), Tensor()};
        if (c.H < 12) in.push_back(random_tensor(DType::kFloat32, {c.B, 1, 1, c.Sq}, rng));
        expect_matches_reference(node, in, 1, 2e-5, 1e-4);
        std::vector<Tensor> split;
        for (int64_t p = 0; p < 3; ++p) {
          Tensor t = Tensor::allocate(DType::kFloat32, {c.B, c.Sq, c.H, c.D});
          for (int64_t r = 0; r < c.B * c.Sq; ++r)
            for (int64_t j = 0; j < e; ++j) t.data<float>()[r * e + j] = x.data<float>()[r * 3 * e + p * e + j];
          split.push_back(t);
        }
        if (in.size() > 3) split.push_back(in[3]);
        auto packed_out = run_node(kernels::Backend::kCpu, node, in, 1);
        auto plain_out = run_node(kernels::Backend::kCpu, attention_node(lo, 0.125f, causal), split, 1);
        ASSERT_TRUE(packed_out.has_value()) << packed_out.status().to_string();
        ASSERT_TRUE(plain_out.has_value()) << plain_out.status().to_string();
        EXPECT_TRUE(tensors_close((*packed_out)[0], (*plain_out)[0], 0, 0));
      }
    }
  }
}

// nan_to_zero (torch's Where(IsNaN(P), 0, P) after the Softmax): rows whose mask is -inf at every
// key come out as zeros, not NaN; NaN in Q gives zeros for that row; other rows are untouched.
// CPU against the reference, and against the same node without the attribute on clean rows.
TEST(FusedAttention, NanToZeroZeroesFullyMaskedRows) {
  std::mt19937 rng(29);
  const float ninf = -std::numeric_limits<float>::infinity();
  for (const Layout& l : kLayouts) {
    for (const Case& c : {Case{1, 2, 5, 7, 8, 8}, Case{2, 3, 40, 40, 16, 16}, Case{1, 12, 128, 128, 64, 64}}) {
      for (bool causal : {false, true}) {
        std::vector<Tensor> in = attention_inputs(c, l, MaskKind::kFull, rng);
        float* m = in[3].data<float>();
        // Row 1 of every (b, h) fully masked; row 0 of head 0 gets a NaN query.
        for (int64_t bh = 0; bh < c.B * c.H; ++bh)
          for (int64_t j = 0; j < c.Sk; ++j) m[(bh * c.Sq + 1) * c.Sk + j] = ninf;
        // Stored element 0 is logical Q[0, 0, 0, 0] in every layout.
        in[0].data<float>()[0] = std::numeric_limits<float>::quiet_NaN();
        ir::Node node = attention_node(l, 0.25f, causal);
        ir::Node plain = node;
        ir::Attribute guard;
        guard.name = "nan_to_zero";
        guard.kind = ir::AttrKind::kInt;
        guard.i = 1;
        node.attrs.set(guard);
        SCOPED_TRACE("S" + std::to_string(c.Sq) + " causal " + std::to_string(causal));
        expect_matches_reference(node, in, 1, 2e-5, 1e-4);
        auto guarded = run_node(kernels::Backend::kCpu, node, in, 1);
        auto unguarded = run_node(kernels::Backend::kCpu, plain, in, 1);
        ASSERT_TRUE(guarded.has_value() && unguarded.has_value());
        const Tensor& g = (*guarded)[0];
        const Tensor& u = (*unguarded)[0];
        int64_t nan_rows = 0;
        for (int64_t i = 0; i < g.size(); ++i) {
          if (std::isnan(u.data<float>()[i])) {
            ++nan_rows;
            EXPECT_EQ(g.data<float>()[i], 0.0f) << i;
          } else {
            EXPECT_EQ(g.data<float>()[i], u.data<float>()[i]) << i;
          }
        }
        // Every (b, h) row 1 (Dv outputs each) plus the NaN query's row.
        EXPECT_EQ(nan_rows, (c.B * c.H + 1) * c.Dv);
      }
    }
  }
}

// Runs one standard op with the reference backend.
Tensor ref_op(const ir::Node& n, const std::vector<Tensor>& in) {
  auto out = run_node(kernels::Backend::kReference, n, in, 1);
  EXPECT_TRUE(out.has_value()) << out.status().to_string();
  return out ? (*out)[0] : Tensor();
}

// The reference kernel against the ONNX ops the contract names, composed one by one.
TEST(FusedAttention, ReferenceIsTheUnfusedOps) {
  std::mt19937 rng(5);
  const Case c{2, 3, 6, 6, 8, 4};
  for (const Layout& l : kLayouts) {
    for (bool causal : {false, true}) {
      auto in = attention_inputs(c, l, MaskKind::kKeyPadding, rng);
      auto tr = [&](const Tensor& x, const Perm& p) {
        return ref_op(NodeBuilder("Transpose", 13).attr_ints("perm", ints(p)).build(), {x});
      };
      Tensor s = ref_op(NodeBuilder("MatMul", 13).build(), {tr(in[0], l.q), tr(in[1], l.k)});
      s = ref_op(NodeBuilder("Div", 14).build(), {s, make_tensor<float>(DType::kFloat32, {}, {4.0f})});
      s = ref_op(NodeBuilder("Add", 14).build(), {s, in[3]});
      if (causal) {
        Tensor cond = Tensor::allocate(DType::kBool, {c.Sq, c.Sk});
        for (int64_t i = 0; i < c.Sq; ++i)
          for (int64_t j = 0; j < c.Sk; ++j) cond.data<bool>()[i * c.Sk + j] = j > i;
        const float ninf = -std::numeric_limits<float>::infinity();
        s = ref_op(NodeBuilder("Where", 16).build(), {cond, make_tensor<float>(DType::kFloat32, {}, {ninf}), s});
      }
      s = ref_op(NodeBuilder("Softmax", 13).attr_i("axis", -1).build(), {s});
      Tensor o = tr(ref_op(NodeBuilder("MatMul", 13).build(), {s, tr(in[2], l.v)}), l.out);
      auto fused = run_node(kernels::Backend::kReference, attention_node(l, 0.25f, causal), in, 1);
      ASSERT_TRUE(fused.has_value()) << fused.status().to_string();
      EXPECT_TRUE(tensors_close((*fused)[0], o, 1e-6, 1e-5));
    }
  }
}

TEST(FusedAttention, ErrorsNameTheNode) {
  std::mt19937 rng(9);
  const Case c{1, 2, 4, 4, 8, 8};
  auto in = attention_inputs(c, kLayouts[0], MaskKind::kNone, rng);
  // A perm that is not one of the supported layouts.
  Layout bad = kLayouts[0];
  bad.q = {1, 0, 2, 3};
  auto r = run_node(kernels::Backend::kCpu, attention_node(bad, 1.0f, false), in, 1);
  ASSERT_FALSE(r.has_value());
  EXPECT_NE(r.status().to_string().find("q_perm"), std::string::npos) << r.status().to_string();
  // Head sizes that disagree.
  in[1] = random_tensor(DType::kFloat32, {1, 2, 4, 7}, rng);
  r = run_node(kernels::Backend::kCpu, attention_node(kLayouts[0], 1.0f, false), in, 1);
  ASSERT_FALSE(r.has_value());
  EXPECT_NE(r.status().to_string().find("FusedAttention"), std::string::npos) << r.status().to_string();
  // A mask that does not broadcast.
  in = attention_inputs(c, kLayouts[0], MaskKind::kNone, rng);
  in.push_back(random_tensor(DType::kFloat32, {3, 4}, rng));
  r = run_node(kernels::Backend::kCpu, attention_node(kLayouts[0], 1.0f, false), in, 1);
  ASSERT_FALSE(r.has_value());
  EXPECT_NE(r.status().to_string().find("mask"), std::string::npos) << r.status().to_string();
  // qkv_packed with a last dim that is not 3 * num_heads * head size.
  ir::Node node = attention_node(kLayouts[1], 1.0f, false);
  ir::Attribute a;
  a.name = "qkv_packed";
  a.kind = ir::AttrKind::kInt;
  a.i = 1;
  node.attrs.set(a);
  a.name = "num_heads";
  a.i = 4;
  node.attrs.set(a);
  r = run_node(kernels::Backend::kCpu, node, {random_tensor(DType::kFloat32, {1, 3, 30}, rng)}, 1);
  ASSERT_FALSE(r.has_value());
  EXPECT_NE(r.status().to_string().find("num_heads"), std::string::npos) << r.status().to_string();
}

}  // namespace
}  // namespace onnxrt::testing
