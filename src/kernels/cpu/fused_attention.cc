// com.onnxrt FusedAttention on the CPU (contract in ir/infer_fused.h). Work is split over
// (batch, head, block of query rows, see row_block); each task
//   1. computes its scores block S = scale * Q_blk K^T with the GEMM (the scale rides on alpha),
//   2. adds the mask, skips the causally masked columns and runs a max-subtracted softmax on each
//      row with the vectorized row microkernels, all while the block is in L1/L2,
//   3. multiplies the block by V straight into the output.
// So the [B, H, Sq, Sk] scores and probabilities never exist in memory, and the Transposes
// around attention become strides (the perms keep a unit-stride last dim for the GEMMs), as do
// the Split and Reshapes of a packed QKV input (row stride 3E, offsets 0, E, 2E).
// Causal blocks only compute the key columns up to their last row, which skips about half of both
// GEMMs for a square causal mask. Blocks of one or two query rows (decode steps) use vector-row
// products on K and V in place instead of the GEMMs (kFewQueryRows).
#include "kernels/cpu/fused_attention.h"

#include <algorithm>
#include <array>
#include <vector>

#include "base/cpu_features.h"
#include "base/thread_pool.h"
#include "ir/infer_fused.h"
#include "kernels/cpu/gemm.h"
#include "kernels/ukernels/elementwise/ukernels.h"
#include "kernels/ukernels/gemm/sgemm.h"
#include "tensor/sym_shape.h"

namespace onnxrt::kernels {

namespace {

using Perm = std::array<int64_t, 4>;
using Dims4 = std::array<int64_t, 4>;

// Query rows per task. The GEMM packs K^T and V again for every block, which for short keys
// costs about as much as the block's arithmetic, so without a causal mask a block takes as many
// rows as keep its scores within ~128 KiB (all 128 rows of BERT's 128 keys: 32-row blocks took
// 0.95 ms for 12 heads on one thread, whole heads 0.71 ms; 12-row blocks on the GEMM's unpacked-B
// path, with K^T transposed once per task, took 0.84-0.93 ms). Causal blocks stay at 32 rows: a
// block only computes the keys up to its last row, and small blocks skip more of the triangle.
constexpr int64_t kCausalRowBlock = 32;
constexpr int64_t kScoresBlockFloats = 32 * 1024;

// Blocks of at most this many query rows (a decode step's one query against its KV cache) take
// their scores and output rows from vector-row products on K and V in place (DotRowsFn,
// AxpyRowsFn) instead of the GEMM, which packs K^T and V for a tile of 6 rows that holds 1.
// GPT-2 decode attention (12 heads, 129 keys): 78 -> 20 us per layer at 1 thread (per_node.py).
constexpr int64_t kFewQueryRows = 2;

int64_t row_block(bool causal, int64_t sk) {
  if (causal) return kCausalRowBlock;
  return std::clamp<int64_t>(kScoresBlockFloats / std::max<int64_t>(sk, 1), 32, 256);
}

struct VectorRows {
  ukernels::DotRowsFn dot;
  ukernels::AxpyRowsFn axpy;
};

VectorRows vector_rows() {
  if (cpu_features().has_avx2_fma()) return {&ukernels::dot_rows_avx2, &ukernels::axpy_rows_avx2};
  return {&ukernels::dot_rows_scalar, &ukernels::axpy_rows_scalar};
}

// Row-major strides of a rank-4 shape.
Dims4 contiguous_strides(const Dims4& s) {
  return {s[1] * s[2] * s[3], s[2] * s[3], s[3], 1};
}

// The dims and element strides of a rank-4 tensor (stored `shape` with `strides`) seen through
// Transpose(perm).
void permuted_view(const Dims4& shape, const Dims4& strides, const Perm& perm, Dims4& dims, Dims4& out) {
  for (size_t j = 0; j < 4; ++j) {
    dims[j] = shape[static_cast<size_t>(perm[j])];
    out[j] = strides[static_cast<size_t>(perm[j])];
  }
}

Dims4 dims4(const Tensor& t) { return {t.dim(0), t.dim(1), t.dim(2), t.dim(3)}; }

// Mask values at or below this are "masked out" (see suffix_limits).
constexpr float kMaskedOut = -1e30f;

// Per mask row (the mask's own batch, head and query dims; size-1 dims broadcast): the number of
// leading keys up to its last unmasked one, or Sk when every key is masked. `any`: some row ends
// in masked keys.
struct SuffixLimits {
  bool any = false;
  std::vector<int64_t> limit;
  int64_t mb = 0, mh = 0, mq = 0;  // strides in `limit` of batch, head, query (0: broadcast)
  int64_t at(int64_t b, int64_t h, int64_t i) const { return limit[static_cast<size_t>(b * mb + h * mh + i * mq)]; }
};

SuffixLimits suffix_limits(const float* mask, const Dims4& ms, int64_t B, int64_t H, int64_t Sq, int64_t Sk) {
  SuffixLimits l;
  const int64_t nb = ms[0] ? B : 1, nh = ms[1] ? H : 1, nq = ms[2] ? Sq : 1;
  l.mq = ms[2] ? 1 : 0;
  l.mh = ms[1] ? nq : 0;
  l.mb = ms[0] ? nh * nq : 0;
  l.limit.resize(static_cast<size_t>(nb * nh * nq));
  for (int64_t b = 0; b < nb; ++b)
    for (int64_t h = 0; h < nh; ++h)
      for (int64_t i = 0; i < nq; ++i) {
        const float* row = mask + b * ms[0] + h * ms[1] + i * ms[2];
        int64_t n = Sk;
        while (n > 0 && row[(n - 1) * ms[3]] <= kMaskedOut) --n;
        if (n == 0) n = Sk;
        l.any |= n < Sk;
        l.limit[static_cast<size_t>((b * nh + h) * nq + i)] = n;
      }
  return l;
}

class FusedAttentionKernel final : public Kernel {
 public:
  explicit FusedAttentionKernel(const ir::FusedAttentionAttrs& at) : at_(at) {}

  Status run(KernelContext& ctx) const override {
    const Tensor* q = ctx.input(0);
    const Tensor* k = ctx.num_inputs() > 1 ? ctx.input(1) : nullptr;
    const Tensor* v = ctx.num_inputs() > 2 ? ctx.input(2) : nullptr;
    const Tensor* mask = ctx.num_inputs() > 3 ? ctx.input(3) : nullptr;
    Tensor* y = ctx.output(0);
    for (const Tensor* t : {q, k, v, mask, static_cast<const Tensor*>(y)}) {
      if (t && t->dtype() != DType::kFloat32) return ctx.error("Q, K, V, mask and Y must be float32");
    }
    Dims4 qd, qs, kd, ks, vd, vs;
    const float *qp0, *kp0, *vp0;
    if (at_.qkv_packed) {
      // X [B, S, 3E]: Q, K, V are [B, S, H, D] views at channel offsets 0, E, 2E, row stride 3E.
      if (!q || k || v || !y) return ctx.error("qkv_packed needs input 0 (packed QKV), no K and V inputs, and Y");
      const int64_t h = at_.num_heads;
      if (q->rank() != 3 || h <= 0 || q->dim(2) % 3 != 0 || (q->dim(2) / 3) % h != 0)
        return ctx.error("packed QKV " + shape_to_string(q->shape()) + " must be [B, S, 3 * num_heads (" + std::to_string(h) +
                         ") * head size]");
      const int64_t c = q->dim(2), e = c / 3, sl = q->dim(1);
      const Dims4 shape{q->dim(0), sl, h, e / h}, strides{sl * c, c, e / h, 1};
      permuted_view(shape, strides, at_.q_perm, qd, qs);
      permuted_view(shape, strides, at_.k_perm, kd, ks);
      permuted_view(shape, strides, at_.v_perm, vd, vs);
      qp0 = q->data<float>();
      kp0 = qp0 + e;
      vp0 = qp0 + 2 * e;
    } else {
      if (!q || !k || !v || !y) return ctx.error("inputs Q, K, V and output Y are required");
      if (q->rank() != 4 || k->rank() != 4 || v->rank() != 4)
        return ctx.error("Q " + shape_to_string(q->shape()) + ", K " + shape_to_string(k->shape()) + ", V " +
                         shape_to_string(v->shape()) + " must have rank 4");
      permuted_view(dims4(*q), contiguous_strides(dims4(*q)), at_.q_perm, qd, qs);  // [B, H, Sq, D]
      permuted_view(dims4(*k), contiguous_strides(dims4(*k)), at_.k_perm, kd, ks);  // [B, H, D, Sk]
      permuted_view(dims4(*v), contiguous_strides(dims4(*v)), at_.v_perm, vd, vs);  // [B, H, Sk, Dv]
      qp0 = q->data<float>();
      kp0 = k->data<float>();
      vp0 = v->data<float>();
    }
    if (y->rank() != 4) return ctx.error("output Y " + shape_to_string(y->shape()) + " must have rank 4");
    const int64_t B = qd[0], H = qd[1], Sq = qd[2], D = qd[3], Sk = kd[3], Dv = vd[3];
    if (kd[0] != B || vd[0] != B || kd[1] != H || vd[1] != H || kd[2] != D || vd[2] != Sk)
      return ctx.error("Q " + shape_to_string(Shape(qd.begin(), qd.end())) + ", K^T " +
                       shape_to_string(Shape(kd.begin(), kd.end())) + " and V " + shape_to_string(Shape(vd.begin(), vd.end())) +
                       " (after their perms) do not agree on batch, heads, head size or key length");
    // The output is Transpose(O, out_perm) with O [B, H, Sq, Dv]: O's dim i sits at Y's dim j
    // where out_perm[j] == i.
    const Dims4 od{B, H, Sq, Dv};
    Dims4 ys{};
    ys[3] = 1;
    for (int i = 2; i >= 0; --i) ys[static_cast<size_t>(i)] = ys[static_cast<size_t>(i + 1)] * y->dim(i + 1);
    Dims4 os{};
    for (size_t j = 0; j < 4; ++j) {
      const auto i = static_cast<size_t>(at_.out_perm[j]);
      if (y->dim(static_cast<int64_t>(j)) != od[i])
        return ctx.error("output Y has shape " + shape_to_string(y->shape()) + ", expected dim " +
                         std::to_string(j) + " to be " + std::to_string(od[i]));
      os[i] = ys[j];
    }
    // The mask broadcasts to the scores [B, H, Sq, Sk]: stride 0 along its size-1 dims.
    Dims4 ms{0, 0, 0, 0};
    if (mask) {
      const Dims4 sd{B, H, Sq, Sk};
      if (mask->rank() > 4) return ctx.error("mask " + shape_to_string(mask->shape()) + " has rank above 4");
      int64_t stride = 1;
      for (int64_t d = mask->rank() - 1; d >= 0; --d) {
        const int64_t md = mask->dim(d);
        const auto si = static_cast<size_t>(4 - mask->rank() + d);
        if (md != 1 && md != sd[si])
          return ctx.error("mask " + shape_to_string(mask->shape()) + " does not broadcast to the scores " +
                           shape_to_string(Shape(sd.begin(), sd.end())));
        ms[si] = md == 1 ? 0 : stride;
        stride *= md;
      }
    }
    float* yd = y->data<float>();
    if (y->size() == 0) return Status::ok();
    if (Sk == 0) {  // softmax over no keys, then a product with K = 0: zeros, as MatMul gives
      std::fill(yd, yd + y->size(), 0.0f);
      return Status::ok();
    }
    const float* mp0 = mask ? mask->data<float>() : nullptr;
    // K^T as the GEMM's B [D, Sk]: stored as K^T (row stride ks[2]) or as K (transposed, row
    // stride ks[3]).
    const bool k_is_kt = at_.k_perm == Perm{0, 1, 2, 3};
    const int64_t ldk = k_is_kt ? ks[2] : ks[3];

    // Keys each row of an additive mask leaves: past a row's last key whose mask is above
    // kMaskedOut (-inf, or the float minimum that transformers' causal and padding masks use),
    // every score is exp(<= -1e30) = exactly 0 after the softmax, so those keys are skipped as a
    // causal block skips the triangle (HF Llama's 4 attentions: ~40% of their GEMM work). A row
    // whose keys are all masked is not limited: its softmax is not a sum of zeros.
    const SuffixLimits lim = mp0 && !at_.causal && ms[3] != 0 ? suffix_limits(mp0, ms, B, H, Sq, Sk) : SuffixLimits{};
    static const ew::SoftmaxRowF32Fn softmax_row = ew::softmax_row_f32_ukernel();
    static const VectorRows rows_fn = vector_rows();
    const int64_t rb = row_block(at_.causal || lim.any, Sk);
    const int64_t blocks = (Sq + rb - 1) / rb;
    // With several row blocks per head and every block reading all keys, K^T and V are packed
    // once per head here instead of once per block inside each GEMM (a Whisper encoder, 1500 keys
    // in 32-row blocks: packing was as much work as the products, 74 -> 52 ms per layer).
    const bool pack_once = blocks > 1 && !at_.causal && !lim.any && D > 0;
    std::vector<PackedB> k_packed, v_packed;
    if (pack_once) {
      k_packed.resize(static_cast<size_t>(B * H));
      v_packed.resize(static_cast<size_t>(B * H));
      ctx.threads().parallel_for(B * H, static_cast<double>(Sk) * static_cast<double>(D + Dv), [&](int64_t t0, int64_t t1) {
        for (int64_t bh = t0; bh < t1; ++bh) {
          const int64_t b = bh / H, h = bh % H;
          k_packed[static_cast<size_t>(bh)] = PackedB::pack(!k_is_kt, D, Sk, kp0 + b * ks[0] + h * ks[1], ldk);
          v_packed[static_cast<size_t>(bh)] = PackedB::pack(false, Sk, Dv, vp0 + b * vs[0] + h * vs[1], vs[2]);
        }
      });
      for (size_t i = 0; i < k_packed.size(); ++i)
        if ((k_packed[i].empty() && Sk > 0) || (v_packed[i].empty() && Dv > 0)) return ctx.error("out of memory packing K and V");
    }
    const double cost = static_cast<double>(rb) * static_cast<double>(Sk) * static_cast<double>(D + Dv + 8);
    ctx.threads().parallel_for(B * H * blocks, cost, [&](int64_t t0, int64_t t1) {
      std::vector<float> scores(static_cast<size_t>(std::min(rb, Sq) * Sk));
      float* s = scores.data();
      for (int64_t t = t0; t < t1; ++t) {
        const int64_t bh = t / blocks, b = bh / H, h = bh % H;
        const int64_t r0 = (t % blocks) * rb, rows = std::min(rb, Sq - r0);
        // Keys past the block's last row are masked for every row of a causal block.
        int64_t kv = at_.causal ? std::min(Sk, r0 + rows) : Sk;
        if (lim.any) {
          kv = 0;
          for (int64_t r = 0; r < rows; ++r) kv = std::max(kv, lim.at(b, h, r0 + r));
        }
        const float* qp = qp0 + b * qs[0] + h * qs[1] + r0 * qs[2];
        const float* kp = kp0 + b * ks[0] + h * ks[1];
        const float* vp = vp0 + b * vs[0] + h * vs[1];
        float* op = yd + b * os[0] + h * os[1] + r0 * os[2];
        const bool few = rows <= kFewQueryRows && !pack_once;
        if (D == 0) {
          std::fill(s, s + rows * kv, 0.0f);
        } else if (few) {
          for (int64_t r = 0; r < rows; ++r) {
            float* row = s + r * kv;
            if (k_is_kt) {  // K^T rows run along the keys: the scores are a sum of them
              rows_fn.axpy(qp + r * qs[2], kp, ldk, D, kv, row);
              for (int64_t j = 0; j < kv; ++j) row[j] *= at_.scale;
            } else {
              rows_fn.dot(qp + r * qs[2], kp, ldk, kv, D, at_.scale, row);
            }
          }
        } else if (pack_once) {
          sgemm_packed(false, rows, at_.scale, qp, qs[2], k_packed[static_cast<size_t>(bh)], 0.0f, s, kv, nullptr);
        } else {
          sgemm(false, !k_is_kt, rows, kv, D, at_.scale, qp, qs[2], kp, ldk, 0.0f, s, kv, nullptr);
        }
        for (int64_t r = 0; r < rows; ++r) {
          const int64_t i = r0 + r;
          float* row = s + r * kv;
          const int64_t n = at_.causal ? std::min(Sk, i + 1) : lim.any ? lim.at(b, h, i) : kv;
          // The mask add and the Softmax kernel's own row microkernel (nn_softmax.cc), so fused
          // and unfused round alike.
          softmax_row(row, mp0 ? mp0 + b * ms[0] + h * ms[1] + i * ms[2] : nullptr, ms[3], row, n);
          if (at_.nan_to_zero)
            for (int64_t j = 0; j < n; ++j) row[j] = row[j] != row[j] ? 0.0f : row[j];
          std::fill(row + n, row + kv, 0.0f);
        }
        if (few) {
          for (int64_t r = 0; r < rows; ++r) rows_fn.axpy(s + r * kv, vp, vs[2], kv, Dv, op + r * os[2]);
        } else if (pack_once) {
          sgemm_packed(false, rows, 1.0f, s, kv, v_packed[static_cast<size_t>(bh)], 0.0f, op, os[2], nullptr);
        } else {
          sgemm(false, false, rows, Dv, kv, 1.0f, s, kv, vp, vs[2], 0.0f, op, os[2], nullptr);
        }
      }
    });
    return Status::ok();
  }
  const char* variant() const override { return "fused_attention"; }

 private:
  ir::FusedAttentionAttrs at_;
};

}  // namespace

Expected<std::unique_ptr<Kernel>> make_cpu_fused_attention(const KernelInit& init) {
  auto at = ir::read_fused_attention(init.node);
  if (!at) return at.status();
  return std::unique_ptr<Kernel>(new FusedAttentionKernel(*at));
}

}  // namespace onnxrt::kernels
