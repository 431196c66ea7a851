// Element access and Attention geometry shared by the transformer-family kernels.
#include "kernels/cpu/transformer_common.h"

#include <string>

#include "base/half.h"
#include "ir/attribute.h"

namespace onnxrt::kernels::tf {

bool is_float(DType t) {
  return t == DType::kFloat32 || t == DType::kFloat16 || t == DType::kBFloat16 ||
         t == DType::kFloat64;
}

double load(const Tensor& t, int64_t i) {
  switch (t.dtype()) {
    case DType::kFloat32: return t.data<float>()[i];
    case DType::kFloat64: return t.data<double>()[i];
    case DType::kFloat16: return half_to_float(t.data<uint16_t>()[i]);
    case DType::kBFloat16: return bfloat16_to_float(t.data<uint16_t>()[i]);
    case DType::kBool: return t.data<bool>()[i] ? 1.0 : 0.0;
    case DType::kInt64: return static_cast<double>(t.data<int64_t>()[i]);
    case DType::kInt32: return t.data<int32_t>()[i];
    default: return 0.0;
  }
}

void store(Tensor& t, int64_t i, double v) {
  switch (t.dtype()) {
    case DType::kFloat32: t.data<float>()[i] = static_cast<float>(v); break;
    case DType::kFloat64: t.data<double>()[i] = v; break;
    case DType::kFloat16: t.data<uint16_t>()[i] = float_to_half(static_cast<float>(v)); break;
    case DType::kBFloat16: t.data<uint16_t>()[i] = float_to_bfloat16(static_cast<float>(v)); break;
    default: break;
  }
}

void to_float(const Tensor& t, float* dst) {
  const int64_t n = t.size();
  switch (t.dtype()) {
    case DType::kFloat32:
      for (int64_t i = 0; i < n; ++i) dst[i] = t.data<float>()[i];
      break;
    case DType::kFloat16:
      for (int64_t i = 0; i < n; ++i) dst[i] = half_to_float(t.data<uint16_t>()[i]);
      break;
    case DType::kBFloat16:
      for (int64_t i = 0; i < n; ++i) dst[i] = bfloat16_to_float(t.data<uint16_t>()[i]);
      break;
    default:
      for (int64_t i = 0; i < n; ++i) dst[i] = static_cast<float>(load(t, i));
  }
}

void from_float(const float* src, Tensor& t) {
  const int64_t n = t.size();
  switch (t.dtype()) {
    case DType::kFloat32:
      for (int64_t i = 0; i < n; ++i) t.data<float>()[i] = src[i];
      break;
    case DType::kFloat16:
      for (int64_t i = 0; i < n; ++i) t.data<uint16_t>()[i] = float_to_half(src[i]);
      break;
    case DType::kBFloat16:
      for (int64_t i = 0; i < n; ++i) t.data<uint16_t>()[i] = float_to_bfloat16(src[i]);
      break;
    default:
      for (int64_t i = 0; i < n; ++i) store(t, i, src[i]);
  }
}

Expected<AttnAttrs> read_attention_attrs(const ir::Node& node) {
  ir::AttrReader r(node);
  AttnAttrs a;
  a.q_heads = r.i("q_num_heads", 0);
  a.kv_heads = r.i("kv_num_heads", 0);
  a.mode = r.i("qk_matmul_output_mode", 0);
  a.causal = r.i("is_causal", 0) != 0;
  a.scale = r.f("scale", 0.0f);
  a.softcap = r.f("softcap", 0.0f);
  a.softmax_precision = r.i("softmax_precision", 0);
  if (node.opset >= 25) {
    a.left = r.i("left_window_size", -1);
    a.right = r.i("right_window_size", -1);
  }
  ONNXRT_RETURN_IF_ERROR(r.status());
  if (a.mode < 0 || a.mode > 3)
    return invalid_model(node.describe() + ": qk_matmul_output_mode " + std::to_string(a.mode) +
                         " must be 0, 1, 2 or 3");
  if (a.left < -1 || a.right < -1)
    return invalid_model(node.describe() + ": window sizes must be -1 or >= 0");
  return a;
}

namespace {

std::string shape_str(const Tensor& t) { return shape_to_string(t.shape()); }

Status expect_shape(KernelContext& ctx, const Tensor* t, const Shape& want, const char* name) {
  if (t && t->shape() != want)
    return ctx.error(std::string(name) + " has shape " + shape_str(*t) + ", expected " +
                     shape_to_string(want));
  return Status::ok();
}

}  // namespace

Expected<AttnGeom> attention_geometry(KernelContext& ctx, const AttnAttrs& a) {
  AttnGeom g;
  auto in = [&](size_t i) { return i < ctx.num_inputs() ? ctx.input(i) : nullptr; };
  g.q = in(0);
  g.k = in(1);
  g.v = in(2);
  g.mask = in(3);
  g.past_k = in(4);
  g.past_v = in(5);
  const Tensor* nonpad = in(6);
  if (!g.q || !g.k || !g.v) return ctx.error("needs Q, K and V");
  const DType t = g.q->dtype();
  if (!is_float(t) || g.k->dtype() != t || g.v->dtype() != t)
    return ctx.error("Q, K and V must share one float type");
  const int64_t rank = g.q->rank();
  if ((rank != 3 && rank != 4) || g.k->rank() != rank || g.v->rank() != rank)
    return ctx.error("Q " + shape_str(*g.q) + ", K " + shape_str(*g.k) + " and V " + shape_str(*g.v) +
                     " must all be 3-D or all 4-D");
  g.is3d = rank == 3;
  g.B = g.q->dim(0);
  if (g.is3d) {
    if (a.q_heads <= 0 || a.kv_heads <= 0)
      return ctx.error("3-D inputs need positive q_num_heads and kv_num_heads");
    g.Hq = a.q_heads;
    g.Hkv = a.kv_heads;
    g.Sq = g.q->dim(1);
    g.Skv = g.k->dim(1);
    if (g.q->dim(2) % g.Hq || g.k->dim(2) % g.Hkv || g.v->dim(2) % g.Hkv)
      return ctx.error("hidden sizes of Q " + shape_str(*g.q) + ", K " + shape_str(*g.k) + ", V " +
                       shape_str(*g.v) + " are not divisible by the head counts");
    g.D = g.q->dim(2) / g.Hq;
    g.Dv = g.v->dim(2) / g.Hkv;
    if (g.k->dim(2) / g.Hkv != g.D) return ctx.error("Q and K head sizes differ");
    if (g.k->dim(0) != g.B || g.v->dim(0) != g.B || g.v->dim(1) != g.Skv)
      return ctx.error("K " + shape_str(*g.k) + " and V " + shape_str(*g.v) + " disagree with Q " +
                       shape_str(*g.q));
  } else {
    g.Hq = g.q->dim(1);
    g.Hkv = g.k->dim(1);
    g.Sq = g.q->dim(2);
    g.Skv = g.k->dim(2);
    g.D = g.q->dim(3);
    g.Dv = g.v->dim(3);
    if (g.k->shape() != Shape{g.B, g.Hkv, g.Skv, g.D} || g.v->shape() != Shape{g.B, g.Hkv, g.Skv, g.Dv})
      return ctx.error("K " + shape_str(*g.k) + " and V " + shape_str(*g.v) + " disagree with Q " +
                       shape_str(*g.q));
  }
  if (g.Hkv <= 0 || g.Hq % g.Hkv != 0)
    return ctx.error("q heads " + std::to_string(g.Hq) + " must be a positive multiple of kv heads " +
                     std::to_string(g.Hkv));
  if ((g.past_k == nullptr) != (g.past_v == nullptr))
    return ctx.error("past_key and past_value must be given together");
  if (g.past_k) {
    if (g.past_k->dtype() != t || g.past_v->dtype() != t || g.past_k->rank() != 4 ||
        g.past_v->rank() != 4)
      return ctx.error("past_key and past_value must be 4-D with Q's type");
    g.Sp = g.past_k->dim(2);
    if (g.past_k->shape() != Shape{g.B, g.Hkv, g.Sp, g.D} ||
        g.past_v->shape() != Shape{g.B, g.Hkv, g.Sp, g.Dv})
      return ctx.error("past_key " + shape_str(*g.past_k) + " / past_value " + shape_str(*g.past_v) +
                       " do not match [B, kv_heads, past, head_size]");
  }
  // A past cache with a zero dim (B = 0) can carry any sequence length: past + new may leave int64.
  if (__builtin_add_overflow(g.Sp, g.Skv, &g.St))
    return ctx.error("past sequence length " + std::to_string(g.Sp) + " + new sequence length " +
                     std::to_string(g.Skv) + " overflows int64");
  if (nonpad) {
    if (g.past_k) return ctx.error("nonpad_kv_seqlen cannot be combined with past_key/past_value");
    if (nonpad->shape() != Shape{g.B} ||
        (nonpad->dtype() != DType::kInt64 && nonpad->dtype() != DType::kInt32))
      return ctx.error("nonpad_kv_seqlen must be int64 of shape [" + std::to_string(g.B) + "], got " +
                       shape_str(*nonpad));
    g.nonpad.resize(static_cast<size_t>(g.B));
    for (int64_t b = 0; b < g.B; ++b) {
      const auto n = static_cast<int64_t>(load(*nonpad, b));
      // A count of valid keys: beyond [0, St] it means nothing, and the causal offset (n - Sq)
      // would overflow at the int64 edges.
      if (n < 0 || n > g.St)
        return ctx.error("nonpad_kv_seqlen[" + std::to_string(b) + "] = " + std::to_string(n) + " is outside [0, " +
                         std::to_string(g.St) + "], the key sequence length");
      g.nonpad[static_cast<size_t>(b)] = n;
    }
  }
  if (g.mask) {
    const Tensor& m = *g.mask;
    if (m.dtype() != DType::kBool && m.dtype() != t)
      return ctx.error("attn_mask must be bool or Q's type");
    if (m.rank() < 1 || m.rank() > 4) return ctx.error("attn_mask must have rank 1 to 4, got " + shape_str(m));
    const int64_t full[4] = {g.B, g.Hq, g.Sq, g.St};
    int64_t stride = 1;
    for (int64_t k = 0; k < m.rank(); ++k) {
      const size_t od = static_cast<size_t>(3 - k);
      const int64_t md = m.dim(m.rank() - 1 - k);
      if (od == 3) {
        if (md > g.St)
          return ctx.error("attn_mask " + shape_str(m) + " has more keys than the " +
                           std::to_string(g.St) + " of past + current K");
        g.mask_len = md;
        g.mstride[3] = 1;
      } else if (md == full[od]) {
        g.mstride[od] = md == 1 ? 0 : stride;
      } else if (md == 1) {
        g.mstride[od] = 0;
      } else {
        return ctx.error("attn_mask " + shape_str(m) + " does not broadcast to [" + std::to_string(g.B) +
                         ", " + std::to_string(g.Hq) + ", " + std::to_string(g.Sq) + ", " +
                         std::to_string(g.St) + "]");
      }
      stride *= md;
    }
  }
  const double scale = a.scale != 0.0f ? a.scale : (g.D > 0 ? 1.0 / std::sqrt(static_cast<double>(g.D)) : 1.0);
  g.sqrt_scale = static_cast<float>(std::sqrt(scale));
  // Outputs must have exactly the shapes inference gives, or the kernels would write past them.
  const Shape y = g.is3d ? Shape{g.B, g.Sq, g.Hq * g.Dv} : Shape{g.B, g.Hq, g.Sq, g.Dv};
  if (!ctx.output(0)) return ctx.error("needs output Y");
  ONNXRT_RETURN_IF_ERROR(expect_shape(ctx, ctx.output(0), y, "Y"));
  if (ctx.num_outputs() > 1) ONNXRT_RETURN_IF_ERROR(expect_shape(ctx, ctx.output(1), {g.B, g.Hkv, g.St, g.D}, "present_key"));
  if (ctx.num_outputs() > 2) ONNXRT_RETURN_IF_ERROR(expect_shape(ctx, ctx.output(2), {g.B, g.Hkv, g.St, g.Dv}, "present_value"));
  if (ctx.num_outputs() > 3) ONNXRT_RETURN_IF_ERROR(expect_shape(ctx, ctx.output(3), {g.B, g.Hq, g.Sq, g.St}, "qk_matmul_output"));
  for (size_t i = 0; i < ctx.num_outputs() && i < 4; ++i)
    if (ctx.output(i) && ctx.output(i)->dtype() != t) return ctx.error("outputs must have Q's type");
  return g;
}

}  // namespace onnxrt::kernels::tf
