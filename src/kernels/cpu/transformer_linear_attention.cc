// LinearAttention (opset 27): a recurrent state S [head_k, head_v] per (batch, kv head), updated
// token by token: optionally decayed (S *= exp(decay), "gated"), optionally delta-corrected
// (v' = beta * (v - Sᵀk), "delta"), then S += k v'ᵀ; each q head of the group reads
// out = scale * qᵀ S after the update. One simple kernel for both tables: the recurrence is
// inherently sequential in time, so the kernel only spreads (batch, kv head) pairs over the pool;
// tests pin values from onnx's reference implementation. Math in float, as the spec's
// reference does for every input type.
#include <cmath>
#include <string>
#include <vector>

#include "base/thread_pool.h"
#include "kernels/cpu/transformer_common.h"

namespace onnxrt::kernels {

namespace {

class LinearAttentionKernel final : public Kernel {
 public:
  LinearAttentionKernel(int64_t hq, int64_t hkv, float scale, bool gated, bool delta)
      : hq_(hq), hkv_(hkv), scale_(scale), gated_(gated), delta_(delta) {}

  Status run(KernelContext& ctx) const override {
    auto in = [&](size_t i) { return i < ctx.num_inputs() ? ctx.input(i) : nullptr; };
    const Tensor *q = in(0), *k = in(1), *v = in(2), *past = in(3), *decay = in(4), *beta = in(5);
    Tensor* out = ctx.output(0);
    Tensor* present = ctx.num_outputs() > 1 ? ctx.output(1) : nullptr;
    if (!q || !k || !v || !out || q->rank() != 3 || k->rank() != 3 || v->rank() != 3)
      return ctx.error("query, key and value must be 3-D (B, T, heads * head_size)");
    for (const Tensor* t : {q, k, v, past, decay, beta})
      if (t && !tf::is_float(t->dtype())) return ctx.error("inputs must be float tensors");
    const int64_t B = q->dim(0), T = q->dim(1);
    if (q->dim(2) % hq_ || k->dim(2) % hkv_ || v->dim(2) % hkv_)
      return ctx.error("hidden sizes are not divisible by the head counts");
    const int64_t Dk = q->dim(2) / hq_, Dv = v->dim(2) / hkv_, G = hq_ / hkv_;
    if (k->shape() != Shape{B, T, hkv_ * Dk} || v->dim(0) != B || v->dim(1) != T)
      return ctx.error("key " + shape_to_string(k->shape()) + " / value " + shape_to_string(v->shape()) +
                       " do not match query " + shape_to_string(q->shape()));
    if (gated_ != (decay != nullptr)) return ctx.error(gated_ ? "this update_rule needs decay" : "this update_rule forbids decay");
    if (delta_ != (beta != nullptr)) return ctx.error(delta_ ? "this update_rule needs beta" : "this update_rule forbids beta");
    int64_t decay_w = 0, beta_w = 0;
    if (decay) {
      decay_w = decay->rank() == 3 ? decay->dim(2) : -1;
      if (decay->rank() != 3 || decay->dim(0) != B || decay->dim(1) != T || (decay_w != hkv_ && decay_w != hkv_ * Dk))
        return ctx.error("decay must be (B, T, kv_heads) or (B, T, kv_heads * head_size), got " +
                         shape_to_string(decay->shape()));
    }
    if (beta) {
      beta_w = beta->rank() == 3 ? beta->dim(2) : -1;
      if (beta->rank() != 3 || beta->dim(0) != B || beta->dim(1) != T || (beta_w != hkv_ && beta_w != 1))
        return ctx.error("beta must be (B, T, kv_heads) or (B, T, 1), got " + shape_to_string(beta->shape()));
    }
    const Shape state_shape{B, hkv_, Dk, Dv};
    if (past && past->shape() != state_shape)
      return ctx.error("past_state " + shape_to_string(past->shape()) + " must be " + shape_to_string(state_shape));
    if (out->shape() != Shape{B, T, hq_ * Dv} || (present && present->shape() != state_shape))
      return ctx.error("outputs do not have the inferred shapes");
    std::vector<float> qf(static_cast<size_t>(q->size())), kf(static_cast<size_t>(k->size())),
        vf(static_cast<size_t>(v->size())), df, bf, state(static_cast<size_t>(B * hkv_ * Dk * Dv), 0.0f),
        of(static_cast<size_t>(out->size()));
    tf::to_float(*q, qf.data());
    tf::to_float(*k, kf.data());
    tf::to_float(*v, vf.data());
    if (decay) df.resize(static_cast<size_t>(decay->size())), tf::to_float(*decay, df.data());
    if (beta) bf.resize(static_cast<size_t>(beta->size())), tf::to_float(*beta, bf.data());
    if (past) tf::to_float(*past, state.data());
    const float scale = scale_ != 0.0f ? scale_ : static_cast<float>(1.0 / std::sqrt(static_cast<double>(Dk)));
    const double cost = static_cast<double>(T * Dk * Dv) * static_cast<double>(3 + G);
    ctx.threads().parallel_for(B * hkv_, cost, [&](int64_t p0, int64_t p1) {
      std::vector<float> vt(static_cast<size_t>(Dv));
      for (int64_t p = p0; p < p1; ++p) {
        const int64_t b = p / hkv_, h = p % hkv_;
        float* S = state.data() + p * Dk * Dv;
        for (int64_t t = 0; t < T; ++t) {
          const float* kt = kf.data() + (b * T + t) * hkv_ * Dk + h * Dk;
          const float* vsrc = vf.data() + (b * T + t) * hkv_ * Dv + h * Dv;
          if (decay) {
            const float* g = df.data() + (b * T + t) * decay_w;
            for (int64_t d = 0; d < Dk; ++d) {
              const float f = std::exp(decay_w == hkv_ ? g[h] : g[h * Dk + d]);
              for (int64_t m = 0; m < Dv; ++m) S[d * Dv + m] *= f;
            }
          }
          for (int64_t m = 0; m < Dv; ++m) vt[static_cast<size_t>(m)] = vsrc[m];
          if (beta) {
            const float bt = bf[static_cast<size_t>((b * T + t) * beta_w + (beta_w == 1 ? 0 : h))];
            for (int64_t m = 0; m < Dv; ++m) {
              float r = 0;
              for (int64_t d = 0; d < Dk; ++d) r += S[d * Dv + m] * kt[d];
              vt[static_cast<size_t>(m)] = bt * (vt[static_cast<size_t>(m)] - r);
            }
          }
          for (int64_t d = 0; d < Dk; ++d)
            for (int64_t m = 0; m < Dv; ++m) S[d * Dv + m] += kt[d] * vt[static_cast<size_t>(m)];
          for (int64_t gq = 0; gq < G; ++gq) {
            const int64_t hq = h * G + gq;
            const float* qt = qf.data() + (b * T + t) * hq_ * Dk + hq * Dk;
            float* o = of.data() + (b * T + t) * hq_ * Dv + hq * Dv;
            for (int64_t m = 0; m < Dv; ++m) {
              float acc = 0;
              for (int64_t d = 0; d < Dk; ++d) acc += qt[d] * S[d * Dv + m];
              o[m] = scale * acc;
            }
          }
        }
      }
    });
    tf::from_float(of.data(), *out);
    if (present) tf::from_float(state.data(), *present);
    return Status::ok();
  }

 private:
  int64_t hq_, hkv_;
  float scale_;
  bool gated_, delta_;
};

}  // namespace

Expected<std::unique_ptr<Kernel>> make_linear_attention(const KernelInit& init) {
  ir::AttrReader a(init.node);
  a.required("q_num_heads", ir::AttrKind::kInt);
  a.required("kv_num_heads", ir::AttrKind::kInt);
  const int64_t hq = a.i("q_num_heads", 0), hkv = a.i("kv_num_heads", 0);
  const float scale = a.f("scale", 0.0f);
  const std::string rule = a.s("update_rule", "gated_delta");
  a.i("chunk_size", 64);
  ONNXRT_RETURN_IF_ERROR(a.status());
  if (hq <= 0 || hkv <= 0 || hq % hkv != 0)
    return init.error("q_num_heads " + std::to_string(hq) + " must be a positive multiple of kv_num_heads " +
                      std::to_string(hkv));
  if (rule != "linear" && rule != "gated" && rule != "delta" && rule != "gated_delta")
    return init.error("update_rule '" + rule + "' must be linear, gated, delta or gated_delta");
  return std::unique_ptr<Kernel>(new LinearAttentionKernel(hq, hkv, scale, rule == "gated" || rule == "gated_delta",
                                                           rule == "delta" || rule == "gated_delta"));
}

}  // namespace onnxrt::kernels
