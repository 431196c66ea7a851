// Attention (opsets 23-25) on the CPU. Per (batch, q head): S = scale·Q·Kᵀ with sgemm, softcap,
// the additive bias (mask, causal, window, key padding), a max-subtracted softmax, then S·V
// with sgemm; (batch, head) pairs are spread over the pool. K and V are first gathered into
// one float [B, kv_heads, past + new, head] buffer: that is the concatenation the spec asks for
// (present_key/value), it makes every head's K a contiguous matrix for sgemm, and it converts
// 16-bit and double inputs to float once. GQA needs no copies: q head h reads kv head
// h / (q_heads / kv_heads).
//
// Numerics: float16 and bfloat16 compute in float but round to the 16-bit type after each step
// where the spec's reference (and its function body) holds a 16-bit tensor: Q·sqrt(scale) and
// K·sqrt(scale), the scores, the softcap steps, scores + bias, and a softmax in the 16-bit type
// (exp, a sequential sum, the division) unless softmax_precision asks for more. Rounding only
// at the end differs from the spec by several bfloat16 ulps (bfloat16 has 8 bits of mantissa),
// far outside the conformance tolerance; the GEMMs themselves accumulate in float as the
// reference's matmul does.
#include <algorithm>
#include <cmath>
#include <cstring>
#include <vector>

#include "base/half.h"
#include "base/thread_pool.h"
#include "kernels/cpu/gemm.h"
#include "kernels/cpu/transformer_common.h"

namespace onnxrt::kernels {

namespace {

// Copies past[b, h, :, :] then new[b, h, :, :] (3-D or 4-D layout) into dst [B, H, St, d].
void gather_kv(const tf::AttnGeom& g, const float* past, const float* cur, int64_t d, bool is_v,
               float* dst) {
  for (int64_t b = 0; b < g.B; ++b)
    for (int64_t h = 0; h < g.Hkv; ++h) {
      float* o = dst + (b * g.Hkv + h) * g.St * d;
      if (g.Sp > 0) std::memcpy(o, past + (b * g.Hkv + h) * g.Sp * d, static_cast<size_t>(g.Sp * d) * 4);
      for (int64_t j = 0; j < g.Skv; ++j) {
        const int64_t off = is_v ? g.v_off(b, h, j) : g.k_off(b, h, j);
        if (d > 0) std::memcpy(o + (g.Sp + j) * d, cur + off, static_cast<size_t>(d) * 4);
      }
    }
}

// A float view of a tensor: its own data when float32, else a converted copy.
const float* as_float(const Tensor* t, std::vector<float>& buf) {
  if (!t) return nullptr;
  if (t->dtype() == DType::kFloat32) return t->data<float>();
  buf.resize(static_cast<size_t>(t->size()));
  tf::to_float(*t, buf.data());
  return buf.data();
}

class AttentionKernel final : public Kernel {
 public:
  explicit AttentionKernel(tf::AttnAttrs a) : a_(a) {}

  Status run(KernelContext& ctx) const override {
    auto gr = tf::attention_geometry(ctx, a_);
    if (!gr) return gr.status();
    const tf::AttnGeom& g = *gr;
    std::vector<float> qb, kb, vb, pkb, pvb;
    const float* q = as_float(g.q, qb);
    const float* k = as_float(g.k, kb);
    const float* v = as_float(g.v, vb);
    const float* pk = as_float(g.past_k, pkb);
    const float* pv = as_float(g.past_v, pvb);
    std::vector<float> kall(static_cast<size_t>(g.B * g.Hkv * g.St * g.D));
    std::vector<float> vall(static_cast<size_t>(g.B * g.Hkv * g.St * g.Dv));
    gather_kv(g, pk, k, g.D, false, kall.data());
    gather_kv(g, pv, v, g.Dv, true, vall.data());
    Tensor* present_k = ctx.num_outputs() > 1 ? ctx.output(1) : nullptr;
    Tensor* present_v = ctx.num_outputs() > 2 ? ctx.output(2) : nullptr;
    if (present_k) tf::from_float(kall.data(), *present_k);
    if (present_v) tf::from_float(vall.data(), *present_v);

    const DType dt = g.q->dtype();
    const bool r16 = dt == DType::kFloat16 || dt == DType::kBFloat16;
    const bool half_softmax = r16 && (a_.softmax_precision == 0 || a_.softmax_precision == static_cast<int64_t>(dt));
    auto R = [dt](float x) {
      return dt == DType::kFloat16 ? half_to_float(float_to_half(x)) : bfloat16_to_float(float_to_bfloat16(x));
    };
    float alpha = g.sqrt_scale * g.sqrt_scale;
    if (r16) {
      // Q and K scaled in the 16-bit type; Q is a converted copy here, so it may be changed.
      const float s = R(g.sqrt_scale);
      for (float& x : qb) x = R(x * s);
      for (float& x : kall) x = R(x * s);
      alpha = 1.0f;
    }

    Tensor* y = ctx.output(0);
    Tensor* qk = ctx.num_outputs() > 3 ? ctx.output(3) : nullptr;
    std::vector<float> yb, qkb;
    float* yd = y->dtype() == DType::kFloat32 ? y->data<float>() : (yb.resize(static_cast<size_t>(y->size())), yb.data());
    float* qkd = nullptr;
    if (qk) qkd = qk->dtype() == DType::kFloat32 ? qk->data<float>() : (qkb.resize(static_cast<size_t>(qk->size())), qkb.data());

    const float cap = a_.softcap;
    const int64_t mode = a_.mode;
    const int64_t ldq = g.is3d ? g.Hq * g.D : g.D;
    const int64_t ldy = g.is3d ? g.Hq * g.Dv : g.Dv;
    const double cost = static_cast<double>(g.Sq * g.St) * static_cast<double>(g.D + g.Dv + 8);
    ctx.threads().parallel_for(g.B * g.Hq, cost, [&](int64_t t0, int64_t t1) {
      std::vector<float> s(static_cast<size_t>(g.Sq * g.St));
      std::vector<float> bias(static_cast<size_t>(g.St));
      for (int64_t t = t0; t < t1; ++t) {
        const int64_t b = t / g.Hq, h = t % g.Hq, kvh = h / g.group();
        float* yh = yd + g.y_off(b, h, 0);
        if (g.St == 0) {
          for (int64_t i = 0; i < g.Sq; ++i) std::fill(yh + i * ldy, yh + i * ldy + g.Dv, 0.0f);
          continue;
        }
        const float* kh = kall.data() + (b * g.Hkv + kvh) * g.St * g.D;
        const float* vh = vall.data() + (b * g.Hkv + kvh) * g.St * g.Dv;
        float* qkh = qkd ? qkd + t * g.Sq * g.St : nullptr;
        sgemm(false, true, g.Sq, g.St, g.D, alpha, q + g.q_off(b, h, 0), ldq, kh, g.D, 0.0f, s.data(),
              g.St, nullptr);
        if (r16)
          for (float& x : s) x = R(x);
        if (qkh && mode == 0) std::copy(s.begin(), s.end(), qkh);
        if (cap > 0.0f) {
          if (r16) {
            for (float& x : s) x = R(R(std::tanh(R(x / cap))) * cap);
          } else {
            for (float& x : s) x = cap * std::tanh(x / cap);
          }
        }
        if (qkh && mode == 1) std::copy(s.begin(), s.end(), qkh);
        for (int64_t i = 0; i < g.Sq; ++i) {
          float* row = s.data() + i * g.St;
          const bool live = tf::attention_bias_row(g, a_, b, h, i, bias.data());
          float m = -INFINITY;
          for (int64_t j = 0; j < g.St; ++j) {
            row[j] += bias[static_cast<size_t>(j)];
            if (r16) row[j] = R(row[j]);
            m = std::max(m, row[j]);
          }
          if (qkh && mode == 2) std::copy(row, row + g.St, qkh + i * g.St);
          if (!live || m == -INFINITY) {
            // A fully masked row attends nothing: zero probabilities (the spec's errata), not NaN.
            std::fill(row, row + g.St, 0.0f);
          } else if (half_softmax) {
            // numpy sums float16 in float and rounds once, but sums bfloat16 (an ml_dtypes
            // type without a pairwise loop) element by element, rounding every partial sum.
            float sum = 0;
            for (int64_t j = 0; j < g.St; ++j) {
              row[j] = R(std::exp(R(row[j] - m)));
              sum = dt == DType::kBFloat16 ? R(sum + row[j]) : sum + row[j];
            }
            sum = R(sum);
            for (int64_t j = 0; j < g.St; ++j) row[j] = R(row[j] / sum);
          } else {
            double sum = 0;
            for (int64_t j = 0; j < g.St; ++j) {
              row[j] = std::exp(row[j] - m);
              sum += row[j];
            }
            const float inv = static_cast<float>(1.0 / sum);
            for (int64_t j = 0; j < g.St; ++j) row[j] *= inv;
            if (r16)  // probabilities are cast back to the inputs' type before ·V
              for (int64_t j = 0; j < g.St; ++j) row[j] = R(row[j]);
          }
          if (qkh && mode == 3) std::copy(row, row + g.St, qkh + i * g.St);
        }
        sgemm(false, false, g.Sq, g.Dv, g.St, 1.0f, s.data(), g.St, vh, g.Dv, 0.0f, yh, ldy, nullptr);
      }
    });
    if (!yb.empty()) tf::from_float(yb.data(), *y);
    if (qk && !qkb.empty()) tf::from_float(qkb.data(), *qk);
    return Status::ok();
  }
  const char* variant() const override { return "sgemm"; }

 private:
  tf::AttnAttrs a_;
};

}  // namespace

Expected<std::unique_ptr<Kernel>> make_cpu_attention(const KernelInit& init) {
  auto a = tf::read_attention_attrs(init.node);
  if (!a) return a.status();
  return std::unique_ptr<Kernel>(new AttentionKernel(*a));
}

}  // namespace onnxrt::kernels
