// Reference (oracle) kernel of com.onnxrt FusedAttention: the contract of ir/infer_fused.h
// written as plain loops over the logical [B, H, Sq, Sk] scores, one query row at a time, with
// index arithmetic of its own (no strides shared with the CPU kernel) and double accumulation.
#include <array>
#include <cmath>
#include <limits>
#include <vector>

#include "ir/infer_fused.h"
#include "kernels/cpu/fused_attention.h"
#include "tensor/sym_shape.h"

namespace onnxrt::kernels {

namespace {

using Perm = std::array<int64_t, 4>;
using Index4 = std::array<int64_t, 4>;

// Element of a contiguous rank-4 tensor X at logical index `l` of Transpose(X, perm).
float at_permuted(const Tensor& x, const Perm& perm, const Index4& l) {
  Index4 stored{};
  for (size_t j = 0; j < 4; ++j) stored[static_cast<size_t>(perm[j])] = l[j];
  int64_t off = 0;
  for (int64_t d = 0; d < 4; ++d) off = off * x.dim(d) + stored[static_cast<size_t>(d)];
  return x.data<float>()[off];
}

// Numpy broadcasting of the mask to [B, H, Sq, Sk], by index.
float mask_at(const Tensor& m, const Index4& l) {
  int64_t off = 0;
  for (int64_t d = 0; d < m.rank(); ++d) {
    const int64_t li = l[static_cast<size_t>(4 - m.rank() + d)];
    off = off * m.dim(d) + (m.dim(d) == 1 ? 0 : li);
  }
  return m.data<float>()[off];
}

class FusedAttentionRefKernel final : public Kernel {
 public:
  explicit FusedAttentionRefKernel(const ir::FusedAttentionAttrs& at) : at_(at) {}

  Status run(KernelContext& ctx) const override {
    const Tensor* q = ctx.input(0);
    const Tensor* k = ctx.num_inputs() > 1 ? ctx.input(1) : nullptr;
    const Tensor* v = ctx.num_inputs() > 2 ? ctx.input(2) : nullptr;
    const Tensor* mask = ctx.num_inputs() > 3 ? ctx.input(3) : nullptr;
    Tensor* y = ctx.output(0);
    // qkv_packed: Split X [B, S, 3E] into thirds along the last axis and Reshape each to
    // [B, S, H, E/H], as copies.
    Tensor parts[3];
    if (at_.qkv_packed) {
      if (!q || k || v) return ctx.error("qkv_packed needs input 0 (packed QKV) and no K and V inputs");
      const int64_t h = at_.num_heads;
      if (q->dtype() != DType::kFloat32 || q->rank() != 3 || h <= 0 || q->dim(2) % 3 != 0 || (q->dim(2) / 3) % h != 0)
        return ctx.error("packed QKV must be float32 [B, S, 3 * num_heads * head size]");
      const int64_t rows = q->dim(0) * q->dim(1), e = q->dim(2) / 3;
      for (int64_t p = 0; p < 3; ++p) {
        parts[p] = Tensor::allocate(DType::kFloat32, {q->dim(0), q->dim(1), h, e / h});
        for (int64_t r = 0; r < rows; ++r)
          for (int64_t c = 0; c < e; ++c) parts[p].data<float>()[r * e + c] = q->data<float>()[r * 3 * e + p * e + c];
      }
      q = &parts[0];
      k = &parts[1];
      v = &parts[2];
    }
    if (!q || !k || !v || !y) return ctx.error("inputs Q, K, V and output Y are required");
    for (const Tensor* t : {q, k, v, mask, static_cast<const Tensor*>(y)}) {
      if (t && t->dtype() != DType::kFloat32) return ctx.error("Q, K, V, mask and Y must be float32");
    }
    if (q->rank() != 4 || k->rank() != 4 || v->rank() != 4 || y->rank() != 4 || (mask && mask->rank() > 4))
      return ctx.error("Q, K, V and Y must have rank 4 and the mask at most 4");
    auto dim = [](const Tensor& t, const Perm& p, size_t i) { return t.dim(p[i]); };
    const int64_t B = dim(*q, at_.q_perm, 0), H = dim(*q, at_.q_perm, 1), Sq = dim(*q, at_.q_perm, 2),
                  D = dim(*q, at_.q_perm, 3), Sk = dim(*k, at_.k_perm, 3), Dv = dim(*v, at_.v_perm, 3);
    const bool ok = dim(*k, at_.k_perm, 0) == B && dim(*k, at_.k_perm, 1) == H && dim(*k, at_.k_perm, 2) == D &&
                    dim(*v, at_.v_perm, 0) == B && dim(*v, at_.v_perm, 1) == H && dim(*v, at_.v_perm, 2) == Sk;
    if (!ok) return ctx.error("Q, K and V do not agree on batch, heads, head size or key length");
    const Index4 o{B, H, Sq, Dv};
    for (size_t j = 0; j < 4; ++j)
      if (y->dim(static_cast<int64_t>(j)) != o[static_cast<size_t>(at_.out_perm[j])])
        return ctx.error("output Y has shape " + shape_to_string(y->shape()) + ", which is not the attention result");
    if (mask) {
      const Index4 sd{B, H, Sq, Sk};
      for (int64_t d = 0; d < mask->rank(); ++d) {
        const int64_t md = mask->dim(d);
        if (md != 1 && md != sd[static_cast<size_t>(4 - mask->rank() + d)])
          return ctx.error("mask " + shape_to_string(mask->shape()) + " does not broadcast to the scores");
      }
    }
    // Y = Transpose(O, out_perm): Y's index j is O's index out_perm[j].
    auto y_at = [&](const Index4& l) -> float& {
      int64_t off = 0;
      for (size_t j = 0; j < 4; ++j) off = off * y->dim(static_cast<int64_t>(j)) + l[static_cast<size_t>(at_.out_perm[j])];
      return y->data<float>()[off];
    };
    const double neg_inf = -std::numeric_limits<double>::infinity();
    // Per (batch, head): Q, K^T and V gathered into plain row-major [Sq, D], [D, Sk], [Sk, Dv].
    std::vector<double> qh(static_cast<size_t>(Sq * D)), kt(static_cast<size_t>(D * Sk)),
        vh(static_cast<size_t>(Sk * Dv)), p(static_cast<size_t>(Sk));
    for (int64_t b = 0; b < B; ++b)
      for (int64_t h = 0; h < H; ++h) {
        for (int64_t i = 0; i < Sq; ++i)
          for (int64_t d = 0; d < D; ++d) qh[static_cast<size_t>(i * D + d)] = at_permuted(*q, at_.q_perm, {b, h, i, d});
        for (int64_t d = 0; d < D; ++d)
          for (int64_t j = 0; j < Sk; ++j) kt[static_cast<size_t>(d * Sk + j)] = at_permuted(*k, at_.k_perm, {b, h, d, j});
        for (int64_t j = 0; j < Sk; ++j)
          for (int64_t c = 0; c < Dv; ++c) vh[static_cast<size_t>(j * Dv + c)] = at_permuted(*v, at_.v_perm, {b, h, j, c});
        for (int64_t i = 0; i < Sq; ++i) {
          double mx = neg_inf;
          for (int64_t j = 0; j < Sk; ++j) {
            double acc = 0;
            for (int64_t d = 0; d < D; ++d) acc += qh[static_cast<size_t>(i * D + d)] * kt[static_cast<size_t>(d * Sk + j)];
            double sc = acc * static_cast<double>(at_.scale);
            if (mask) sc += static_cast<double>(mask_at(*mask, {b, h, i, j}));
            if (at_.causal && j > i) sc = neg_inf;
            p[static_cast<size_t>(j)] = sc;
            if (sc > mx) mx = sc;  // a NaN score makes the whole row NaN through the sum anyway
          }
          double sum = 0;
          for (double& e : p) {
            e = std::exp(e - mx);
            sum += e;
          }
          for (int64_t c = 0; c < Dv; ++c) {
            double acc = 0;
            for (int64_t j = 0; j < Sk; ++j) {
              double pj = p[static_cast<size_t>(j)] / sum;
              if (at_.nan_to_zero && std::isnan(pj)) pj = 0.0;
              acc += pj * vh[static_cast<size_t>(j * Dv + c)];
            }
            y_at({b, h, i, c}) = static_cast<float>(acc);
          }
        }
      }
    return Status::ok();
  }
  const char* variant() const override { return "reference"; }

 private:
  ir::FusedAttentionAttrs at_;
};

}  // namespace

Expected<std::unique_ptr<Kernel>> make_ref_fused_attention(const KernelInit& init) {
  auto at = ir::read_fused_attention(init.node);
  if (!at) return at.status();
  return std::unique_ptr<Kernel>(new FusedAttentionRefKernel(*at));
}

}  // namespace onnxrt::kernels
