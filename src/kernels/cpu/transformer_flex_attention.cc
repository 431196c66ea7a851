// FlexAttention (ai.onnx.preview, version 1): scaled dot-product attention whose scores and
// probabilities may pass through the node's score_mod / prob_mod subgraphs. The subgraphs see a
// [B, q_heads, q_seq, kv_seq] tensor in the softmax precision (float32 unless the inputs are
// double or softmax_precision says otherwise), so the kernel materialises the whole score
// tensor; it is one simple kernel for both tables, computing in double and storing in the
// precision the subgraphs expect.
#include <algorithm>
#include <cmath>
#include <string>
#include <vector>

#include "kernels/cpu/transformer_common.h"

namespace onnxrt::kernels {

namespace {

class FlexAttentionKernel final : public Kernel {
 public:
  FlexAttentionKernel(float scale, int64_t prec, bool score_mod, bool prob_mod)
      : scale_(scale), prec_(prec), score_mod_(score_mod), prob_mod_(prob_mod) {}

  Status run(KernelContext& ctx) const override {
    const Tensor* q = ctx.input(0);
    const Tensor* k = ctx.num_inputs() > 1 ? ctx.input(1) : nullptr;
    const Tensor* v = ctx.num_inputs() > 2 ? ctx.input(2) : nullptr;
    if (!q || !k || !v || q->rank() != 4 || k->rank() != 4 || v->rank() != 4)
      return ctx.error("Q, K and V must be 4-D");
    const DType t = q->dtype();
    if (!tf::is_float(t) || k->dtype() != t || v->dtype() != t) return ctx.error("Q, K and V must share one float type");
    const int64_t B = q->dim(0), Hq = q->dim(1), Sq = q->dim(2), D = q->dim(3);
    const int64_t Hkv = k->dim(1), Skv = k->dim(2), Dv = v->dim(3);
    if (k->shape() != Shape{B, Hkv, Skv, D} || v->shape() != Shape{B, Hkv, Skv, Dv} || Hkv <= 0 || Hq % Hkv != 0)
      return ctx.error("K " + shape_to_string(k->shape()) + " / V " + shape_to_string(v->shape()) +
                       " do not match Q " + shape_to_string(q->shape()));
    // A node with subgraphs gets no pre-allocated outputs: the kernel allocates Y itself.
    Tensor* y = ctx.output(0);
    if (!y) y = ctx.allocate_output(0, t, {B, Hq, Sq, Dv});
    if (!y || y->shape() != Shape{B, Hq, Sq, Dv} || y->dtype() != t)
      return ctx.error("Y does not have the inferred shape " + shape_to_string(Shape{B, Hq, Sq, Dv}));
    const DType ct = prec_ != 0 ? static_cast<DType>(prec_) : (t == DType::kFloat64 ? t : DType::kFloat32);
    if (!tf::is_float(ct)) return ctx.error("softmax_precision must name a float type");
    const float sq = std::sqrt(scale_ != 0.0f ? scale_ : static_cast<float>(1.0 / std::sqrt(static_cast<double>(D))));
    const double scale = static_cast<double>(sq) * sq;
    const int64_t G = Hq / Hkv, rows = B * Hq * Sq;
    Tensor scores = Tensor::allocate(ct, {B, Hq, Sq, Skv});
    for (int64_t r = 0; r < rows; ++r) {
      const int64_t b = r / (Hq * Sq), h = (r / Sq) % Hq;
      const int64_t kb = (b * Hkv + h / G) * Skv;
      for (int64_t j = 0; j < Skv; ++j) {
        double dot = 0;
        for (int64_t d = 0; d < D; ++d) dot += tf::load(*q, r * D + d) * tf::load(*k, (kb + j) * D + d);
        tf::store(scores, r * Skv + j, dot * scale);
      }
    }
    if (score_mod_) {
      auto out = mod(ctx, "score_mod", scores);
      if (!out) return out.status();
      scores = *out;
    }
    Tensor probs = Tensor::allocate(ct, scores.shape());
    for (int64_t r = 0; r < rows; ++r) {
      double m = -INFINITY, sum = 0;
      for (int64_t j = 0; j < Skv; ++j) m = std::max(m, tf::load(scores, r * Skv + j));
      for (int64_t j = 0; j < Skv; ++j) sum += std::exp(tf::load(scores, r * Skv + j) - m);
      for (int64_t j = 0; j < Skv; ++j) tf::store(probs, r * Skv + j, std::exp(tf::load(scores, r * Skv + j) - m) / sum);
    }
    if (prob_mod_) {
      auto out = mod(ctx, "prob_mod", probs);
      if (!out) return out.status();
      probs = *out;
    }
    for (int64_t r = 0; r < rows; ++r) {
      const int64_t b = r / (Hq * Sq), h = (r / Sq) % Hq;
      const int64_t vb = (b * Hkv + h / G) * Skv;
      for (int64_t d = 0; d < Dv; ++d) {
        double acc = 0;
        for (int64_t j = 0; j < Skv; ++j) acc += tf::load(probs, r * Skv + j) * tf::load(*v, (vb + j) * Dv + d);
        tf::store(*y, r * Dv + d, acc);
      }
    }
    return Status::ok();
  }

 private:
  // Runs a modifier subgraph on `x`; its one output must keep x's shape and type.
  static Expected<Tensor> mod(KernelContext& ctx, const char* name, const Tensor& x) {
    Value in(x);
    auto out = ctx.run_subgraph(name, std::span<const Value>(&in, 1));
    if (!out) return out.status();
    if (out->size() != 1 || !(*out)[0].is_tensor() || (*out)[0].tensor().shape() != x.shape() ||
        (*out)[0].tensor().dtype() != x.dtype())
      return ctx.error(std::string(name) + " must return one tensor of its input's shape " +
                       shape_to_string(x.shape()) + " and type");
    return (*out)[0].tensor();
  }

  float scale_;
  int64_t prec_;
  bool score_mod_, prob_mod_;
};

}  // namespace

Expected<std::unique_ptr<Kernel>> make_flex_attention(const KernelInit& init) {
  ir::AttrReader a(init.node);
  const float scale = a.f("scale", 0.0f);
  const int64_t prec = a.i("softmax_precision", 0);
  const bool score_mod = a.graph("score_mod") != nullptr;
  const bool prob_mod = a.graph("prob_mod") != nullptr;
  ONNXRT_RETURN_IF_ERROR(a.status());
  if (prec != 0 && (!dtype_is_valid(static_cast<int32_t>(prec)) || !tf::is_float(static_cast<DType>(prec))))
    return init.error("softmax_precision " + std::to_string(prec) + " must name a float type");
  return std::unique_ptr<Kernel>(new FlexAttentionKernel(scale, prec, score_mod, prob_mod));
}

}  // namespace onnxrt::kernels
