// Reference Attention: the spec's formula in double, one (batch, head, query) row at a time,
// every element read through its index, no buffers shared with the CPU kernel.
#include <algorithm>
#include <cmath>
#include <vector>

#include "kernels/cpu/transformer_common.h"

namespace onnxrt::kernels {

namespace {

class RefAttentionKernel final : public Kernel {
 public:
  explicit RefAttentionKernel(tf::AttnAttrs a) : a_(a) {}

  Status run(KernelContext& ctx) const override {
    auto gr = tf::attention_geometry(ctx, a_);
    if (!gr) return gr.status();
    const tf::AttnGeom& g = *gr;
    // Present key/value: the past rows of a head, then the new ones.
    auto key = [&](int64_t b, int64_t h, int64_t j, int64_t d) {
      if (j < g.Sp) return tf::load(*g.past_k, ((b * g.Hkv + h) * g.Sp + j) * g.D + d);
      return tf::load(*g.k, g.k_off(b, h, j - g.Sp) + d);
    };
    auto value = [&](int64_t b, int64_t h, int64_t j, int64_t d) {
      if (j < g.Sp) return tf::load(*g.past_v, ((b * g.Hkv + h) * g.Sp + j) * g.Dv + d);
      return tf::load(*g.v, g.v_off(b, h, j - g.Sp) + d);
    };
    Tensor* pk = ctx.num_outputs() > 1 ? ctx.output(1) : nullptr;
    Tensor* pv = ctx.num_outputs() > 2 ? ctx.output(2) : nullptr;
    Tensor* qk = ctx.num_outputs() > 3 ? ctx.output(3) : nullptr;
    Tensor* y = ctx.output(0);
    for (int64_t b = 0; b < g.B; ++b)
      for (int64_t h = 0; h < g.Hkv; ++h)
        for (int64_t j = 0; j < g.St; ++j) {
          if (pk)
            for (int64_t d = 0; d < g.D; ++d) tf::store(*pk, ((b * g.Hkv + h) * g.St + j) * g.D + d, key(b, h, j, d));
          if (pv)
            for (int64_t d = 0; d < g.Dv; ++d)
              tf::store(*pv, ((b * g.Hkv + h) * g.St + j) * g.Dv + d, value(b, h, j, d));
        }
    const double scale = static_cast<double>(g.sqrt_scale) * g.sqrt_scale;
    std::vector<double> s(static_cast<size_t>(g.St)), bias(static_cast<size_t>(g.St));
    for (int64_t b = 0; b < g.B; ++b)
      for (int64_t h = 0; h < g.Hq; ++h) {
        const int64_t kvh = h / (g.Hq / g.Hkv);
        for (int64_t i = 0; i < g.Sq; ++i) {
          const bool live = tf::attention_bias_row(g, a_, b, h, i, bias.data());
          const int64_t qk_row = ((b * g.Hq + h) * g.Sq + i) * g.St;
          double m = -INFINITY;
          for (int64_t j = 0; j < g.St; ++j) {
            double dot = 0;
            for (int64_t d = 0; d < g.D; ++d) dot += tf::load(*g.q, g.q_off(b, h, i) + d) * key(b, kvh, j, d);
            double x = dot * scale;
            if (qk && a_.mode == 0) tf::store(*qk, qk_row + j, x);
            if (a_.softcap > 0) x = a_.softcap * std::tanh(x / a_.softcap);
            if (qk && a_.mode == 1) tf::store(*qk, qk_row + j, x);
            x += bias[static_cast<size_t>(j)];
            if (qk && a_.mode == 2) tf::store(*qk, qk_row + j, x);
            s[static_cast<size_t>(j)] = x;
            m = std::max(m, x);
          }
          double sum = 0;
          for (int64_t j = 0; j < g.St; ++j) {
            double& x = s[static_cast<size_t>(j)];
            x = live && m != -INFINITY ? std::exp(x - m) : 0.0;
            sum += x;
          }
          for (int64_t j = 0; j < g.St; ++j) {
            double& x = s[static_cast<size_t>(j)];
            if (sum > 0) x /= sum;
            if (qk && a_.mode == 3) tf::store(*qk, qk_row + j, x);
          }
          for (int64_t d = 0; d < g.Dv; ++d) {
            double acc = 0;
            for (int64_t j = 0; j < g.St; ++j) acc += s[static_cast<size_t>(j)] * value(b, kvh, j, d);
            tf::store(*y, g.y_off(b, h, i) + d, acc);
          }
        }
      }
    return Status::ok();
  }
  const char* variant() const override { return "reference"; }

 private:
  tf::AttnAttrs a_;
};

}  // namespace

Expected<std::unique_ptr<Kernel>> make_ref_attention(const KernelInit& init) {
  auto a = tf::read_attention_attrs(init.node);
  if (!a) return a.status();
  return std::unique_ptr<Kernel>(new RefAttentionKernel(*a));
}

}  // namespace onnxrt::kernels
