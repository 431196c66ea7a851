// Shape inference for the transformer family: Attention (opsets 23-25), RotaryEmbedding,
// RMSNormalization and MeanVarianceNormalization. Every output keeps the symbolic dims of the
// input it is derived from; dims computed from symbols (a hidden size divided by a head count,
// a past length plus a new length) become fresh symbols.
#include <string>
#include <tuple>
#include <utility>

#include "ir/op_families.h"

namespace onnxrt::ir {

namespace {

bool is_float_type(DType t) {
  return t == DType::kFloat32 || t == DType::kFloat16 || t == DType::kFloat64 ||
         t == DType::kBFloat16;
}

Status require_float(const InferContext& ctx, size_t i, const char* name) {
  if (!ctx.has_input(i)) return ctx.error(std::string("needs input ") + std::to_string(i) + " (" + name + ")");
  const ValueType& t = ctx.input_type(i);
  if (!t.is_tensor() || !is_float_type(t.dtype))
    return ctx.error(std::string("input ") + std::to_string(i) + " (" + name +
                     ") must be a float tensor, got " + type_string(t));
  return Status::ok();
}

Dim div_dim(const Dim& d, int64_t k, InferContext& ctx) {
  if (k == 1) return d;
  return d.is_known() ? Dim(d.value() / k) : ctx.fresh_dim();
}
Dim mul_dim(const Dim& d, int64_t k, InferContext& ctx) {
  if (k == 1) return d;
  return d.is_known() ? Dim(d.value() * k) : ctx.fresh_dim();
}
Dim add_dim(const Dim& a, const Dim& b, InferContext& ctx) {
  if (b.is_known() && b.value() == 0) return a;
  if (a.is_known() && a.value() == 0) return b;
  return a.is_known() && b.is_known() ? Dim(a.value() + b.value()) : ctx.fresh_dim();
}
bool conflict(const Dim& a, const Dim& b) { return a.is_known() && b.is_known() && a != b; }

// ---- Attention

Status infer_attention(InferContext& ctx) {
  static const char* names[] = {"Q", "K", "V"};
  for (size_t i = 0; i < 3; ++i) ONNXRT_RETURN_IF_ERROR(require_float(ctx, i, names[i]));
  const DType t = ctx.input_type(0).dtype;
  for (size_t i = 1; i < 3; ++i)
    if (ctx.input_type(i).dtype != t)
      return ctx.error(std::string(names[i]) + " must have Q's type " + type_string(ctx.input_type(0)) +
                       ", got " + type_string(ctx.input_type(i)));
  AttrReader a(ctx.node());
  const int64_t q_heads = a.i("q_num_heads", 0);
  const int64_t kv_heads = a.i("kv_num_heads", 0);
  const int64_t mode = a.i("qk_matmul_output_mode", 0);
  const int64_t prec = a.i("softmax_precision", 0);
  ONNXRT_RETURN_IF_ERROR(a.status());
  if (mode < 0 || mode > 3)
    return ctx.error("qk_matmul_output_mode " + std::to_string(mode) + " must be 0, 1, 2 or 3");
  if (prec != 0 && (!dtype_is_valid(static_cast<int32_t>(prec)) || !is_float_type(static_cast<DType>(prec))))
    return ctx.error("softmax_precision " + std::to_string(prec) + " must name a float type");
  const bool has_past = ctx.has_input(4) || ctx.has_input(5);
  if (has_past && !(ctx.has_input(4) && ctx.has_input(5)))
    return ctx.error("past_key and past_value must be given together");
  if (has_past && ctx.has_input(6))
    return ctx.error("nonpad_kv_seqlen cannot be combined with past_key/past_value");
  if (ctx.has_input(3)) {
    const ValueType& m = ctx.input_type(3);
    if (!m.is_tensor() || (m.dtype != DType::kBool && m.dtype != t))
      return ctx.error("attn_mask must be bool or Q's type, got " + type_string(m));
    if (m.has_shape && (m.rank() < 1 || m.rank() > 4))
      return ctx.error("attn_mask must have rank 1 to 4, got " + type_string(m));
  }
  if (ctx.has_input(6)) {
    const ValueType& n = ctx.input_type(6);
    if (!n.is_tensor() || n.dtype != DType::kInt64 || (n.has_shape && n.rank() != 1))
      return ctx.error("nonpad_kv_seqlen must be a 1-D int64 tensor, got " + type_string(n));
  }
  const ValueType& qt = ctx.input_type(0);
  const ValueType& kt = ctx.input_type(1);
  const ValueType& vt = ctx.input_type(2);
  auto unknown_all = [&] {
    for (size_t i = 0; i < ctx.num_outputs(); ++i) ctx.outputs[i] = ValueType::tensor_unknown_rank(t);
    return Status::ok();
  };
  if (!qt.has_shape || !kt.has_shape || !vt.has_shape) return unknown_all();
  const int64_t rank = qt.rank();
  if ((rank != 3 && rank != 4) || kt.rank() != rank || vt.rank() != rank)
    return ctx.error("Q, K and V must all be 3-D or all 4-D, got " + type_string(qt) + ", " +
                     type_string(kt) + ", " + type_string(vt));
  Dim B = qt.shape[0], Sq = qt.shape[rank == 4 ? 2 : 1], Skv = kt.shape[rank == 4 ? 2 : 1];
  Dim Hq, Hkv, D, Dv;
  if (rank == 4) {
    Hq = qt.shape[1];
    Hkv = kt.shape[1];
    D = qt.shape[3];
    Dv = vt.shape[3];
    if (conflict(kt.shape[3], D))
      return ctx.error("Q and K head sizes differ: " + type_string(qt) + " vs " + type_string(kt));
    if (conflict(vt.shape[1], Hkv) || conflict(vt.shape[2], Skv))
      return ctx.error("K and V disagree on heads or sequence length: " + type_string(kt) + " vs " +
                       type_string(vt));
  } else {
    if (q_heads <= 0 || kv_heads <= 0)
      return ctx.error("3-D inputs need positive q_num_heads and kv_num_heads, got " +
                       std::to_string(q_heads) + " and " + std::to_string(kv_heads));
    for (const auto& [dim, heads, nm] : {std::tuple{qt.shape[2], q_heads, "Q"},
                                         std::tuple{kt.shape[2], kv_heads, "K"},
                                         std::tuple{vt.shape[2], kv_heads, "V"}})
      if (dim.is_known() && dim.value() % heads != 0)
        return ctx.error(std::string(nm) + " hidden size " + std::to_string(dim.value()) +
                         " is not divisible by its head count " + std::to_string(heads));
    Hq = Dim(q_heads);
    Hkv = Dim(kv_heads);
    D = div_dim(qt.shape[2], q_heads, ctx);
    Dv = div_dim(vt.shape[2], kv_heads, ctx);
    if (qt.shape[2].is_known() && kt.shape[2].is_known() &&
        qt.shape[2].value() / q_heads != kt.shape[2].value() / kv_heads)
      return ctx.error("Q and K head sizes differ: " + type_string(qt) + " / " + std::to_string(q_heads) +
                       " vs " + type_string(kt) + " / " + std::to_string(kv_heads));
  }
  if (Hq.is_known() && Hkv.is_known() && (Hkv.value() == 0 || Hq.value() % Hkv.value() != 0))
    return ctx.error("q heads " + std::to_string(Hq.value()) + " must be a multiple of kv heads " +
                     std::to_string(Hkv.value()));
  Dim Sp(0);
  if (has_past) {
    const ValueType& pk = ctx.input_type(4);
    const ValueType& pv = ctx.input_type(5);
    if (!pk.is_tensor() || !pv.is_tensor() || pk.dtype != t || pv.dtype != t)
      return ctx.error("past_key and past_value must have Q's type");
    if (pk.has_shape && pk.rank() != 4) return ctx.error("past_key must be 4-D, got " + type_string(pk));
    if (pv.has_shape && pv.rank() != 4) return ctx.error("past_value must be 4-D, got " + type_string(pv));
    if (pk.has_shape) {
      if (conflict(pk.shape[3], D))
        return ctx.error("past_key head size differs from K's: " + type_string(pk));
      Sp = pk.shape[2];
    } else {
      Sp = ctx.fresh_dim();
    }
  }
  // past_key's sequence length is declared by the model: past + new can leave int64.
  int64_t total = 0;
  if (Sp.is_known() && Skv.is_known() && __builtin_add_overflow(Sp.value(), Skv.value(), &total))
    return ctx.error("past sequence length " + std::to_string(Sp.value()) + " + new sequence length " +
                     std::to_string(Skv.value()) + " overflows int64");
  const Dim St = add_dim(Sp, Skv, ctx);
  if (rank == 4) {
    ctx.outputs[0] = ValueType::tensor(t, {B, Hq, Sq, Dv});
  } else {
    int64_t hidden = 0;  // q_num_heads is an attribute: head size * heads can leave int64
    if (Dv.is_known() && __builtin_mul_overflow(Dv.value(), q_heads, &hidden))
      return ctx.error("V head size " + std::to_string(Dv.value()) + " * q_num_heads " + std::to_string(q_heads) +
                       " overflows int64");
    ctx.outputs[0] = ValueType::tensor(t, {B, Sq, Dv.is_known() ? Dim(hidden)
                                                 : mul_dim(vt.shape[2], q_heads / kv_heads, ctx)});
  }
  if (ctx.num_outputs() > 1) ctx.outputs[1] = ValueType::tensor(t, {B, Hkv, St, D});
  if (ctx.num_outputs() > 2) ctx.outputs[2] = ValueType::tensor(t, {B, Hkv, St, Dv});
  if (ctx.num_outputs() > 3) ctx.outputs[3] = ValueType::tensor(t, {B, Hq, Sq, St});
  return Status::ok();
}

// ---- RotaryEmbedding

Status infer_rotary(InferContext& ctx) {
  ONNXRT_RETURN_IF_ERROR(require_float(ctx, 0, "X"));
  ONNXRT_RETURN_IF_ERROR(require_float(ctx, 1, "cos_cache"));
  ONNXRT_RETURN_IF_ERROR(require_float(ctx, 2, "sin_cache"));
  const ValueType& xt = ctx.input_type(0);
  AttrReader a(ctx.node());
  const int64_t num_heads = a.i("num_heads", 0);
  const int64_t rot = a.i("rotary_embedding_dim", 0);
  a.i("interleaved", 0);
  ONNXRT_RETURN_IF_ERROR(a.status());
  if (rot < 0 || rot % 2 != 0)
    return ctx.error("rotary_embedding_dim " + std::to_string(rot) + " must be even and >= 0");
  if (ctx.has_input(3)) {
    const ValueType& p = ctx.input_type(3);
    if (!p.is_tensor() || p.dtype != DType::kInt64)
      return ctx.error("position_ids must be int64, got " + type_string(p));
  }
  if (xt.has_shape) {
    if (xt.rank() != 3 && xt.rank() != 4) return ctx.error("X must be 3-D or 4-D, got " + type_string(xt));
    if (xt.rank() == 3) {
      if (num_heads <= 0) return ctx.error("3-D X needs a positive num_heads attribute");
      if (xt.shape[2].is_known() && xt.shape[2].value() % num_heads != 0)
        return ctx.error("hidden size " + std::to_string(xt.shape[2].value()) +
                         " is not divisible by num_heads " + std::to_string(num_heads));
    }
  }
  ctx.outputs[0] = xt;
  return Status::ok();
}

// ---- RMSNormalization

Status infer_rms_norm(InferContext& ctx) {
  ONNXRT_RETURN_IF_ERROR(require_float(ctx, 0, "X"));
  ONNXRT_RETURN_IF_ERROR(require_float(ctx, 1, "scale"));
  AttrReader a(ctx.node());
  const int64_t axis = a.i("axis", -1);
  const int64_t stash = a.i("stash_type", 1);
  a.f("epsilon", 1e-5f);
  ONNXRT_RETURN_IF_ERROR(a.status());
  if (!dtype_is_valid(static_cast<int32_t>(stash)) || !is_float_type(static_cast<DType>(stash)))
    return ctx.error("stash_type " + std::to_string(stash) + " must be a float type");
  const ValueType& xt = ctx.input_type(0);
  if (xt.has_shape) {
    auto ax = normalize_axis(axis, xt.rank(), ctx);
    if (!ax) return ax.status();
    const ValueType& st = ctx.input_type(1);
    if (st.has_shape && st.rank() > xt.rank() - *ax)
      return ctx.error("scale " + type_string(st) + " has more dims than the normalized shape of " +
                       type_string(xt) + " from axis " + std::to_string(*ax));
  }
  ctx.outputs[0] = xt;
  return Status::ok();
}

// ---- MeanVarianceNormalization

Status infer_mvn(InferContext& ctx) {
  ONNXRT_RETURN_IF_ERROR(require_float(ctx, 0, "X"));
  AttrReader a(ctx.node());
  std::vector<int64_t> axes = a.ints("axes", {0, 2, 3});
  ONNXRT_RETURN_IF_ERROR(a.status());
  const ValueType& xt = ctx.input_type(0);
  if (xt.has_shape)
    for (int64_t ax : axes) {
      auto r = normalize_axis(ax, xt.rank(), ctx);
      if (!r) return r.status();
    }
  ctx.outputs[0] = xt;
  return Status::ok();
}

// ---- LinearAttention

Status infer_linear_attention(InferContext& ctx) {
  static const char* names[] = {"query", "key", "value"};
  for (size_t i = 0; i < 3; ++i) ONNXRT_RETURN_IF_ERROR(require_float(ctx, i, names[i]));
  AttrReader a(ctx.node());
  a.required("q_num_heads", AttrKind::kInt);
  a.required("kv_num_heads", AttrKind::kInt);
  const int64_t hq = a.i("q_num_heads", 0), hkv = a.i("kv_num_heads", 0);
  const std::string rule = a.s("update_rule", "gated_delta");
  ONNXRT_RETURN_IF_ERROR(a.status());
  if (hq <= 0 || hkv <= 0 || hq % hkv != 0)
    return ctx.error("q_num_heads " + std::to_string(hq) + " must be a positive multiple of kv_num_heads " +
                     std::to_string(hkv));
  if (rule != "linear" && rule != "gated" && rule != "delta" && rule != "gated_delta")
    return ctx.error("update_rule '" + rule + "' must be linear, gated, delta or gated_delta");
  const DType t = ctx.input_type(0).dtype;
  const DType st = ctx.has_input(3) && ctx.input_type(3).is_tensor() ? ctx.input_type(3).dtype : t;
  const ValueType& qt = ctx.input_type(0);
  const ValueType& kt = ctx.input_type(1);
  const ValueType& vt = ctx.input_type(2);
  if (!qt.has_shape || !kt.has_shape || !vt.has_shape) {
    ctx.outputs[0] = ValueType::tensor_unknown_rank(t);
    if (ctx.num_outputs() > 1) ctx.outputs[1] = ValueType::tensor_unknown_rank(st);
    return Status::ok();
  }
  if (qt.rank() != 3 || kt.rank() != 3 || vt.rank() != 3)
    return ctx.error("query, key and value must be 3-D (B, T, heads * head_size)");
  for (const auto& [dim, heads] : {std::pair{qt.shape[2], hq}, std::pair{kt.shape[2], hkv}, std::pair{vt.shape[2], hkv}})
    if (dim.is_known() && dim.value() % heads != 0)
      return ctx.error("hidden size " + std::to_string(dim.value()) + " is not divisible by its head count " +
                       std::to_string(heads));
  const Dim dk = div_dim(qt.shape[2], hq, ctx), dv = div_dim(vt.shape[2], hkv, ctx);
  int64_t hidden = 0;  // q_num_heads is an attribute: head size * heads can leave int64
  if (dv.is_known() && __builtin_mul_overflow(dv.value(), hq, &hidden))
    return ctx.error("value head size " + std::to_string(dv.value()) + " * q_num_heads " + std::to_string(hq) +
                     " overflows int64");
  ctx.outputs[0] = ValueType::tensor(t, {qt.shape[0], qt.shape[1], dv.is_known() ? Dim(hidden)
                                                                              : mul_dim(vt.shape[2], hq / hkv, ctx)});
  if (ctx.num_outputs() > 1) ctx.outputs[1] = ValueType::tensor(st, {qt.shape[0], Dim(hkv), dk, dv});
  return Status::ok();
}

// ---- FlexAttention (ai.onnx.preview)

Status infer_flex_attention(InferContext& ctx) {
  static const char* names[] = {"Q", "K", "V"};
  for (size_t i = 0; i < 3; ++i) ONNXRT_RETURN_IF_ERROR(require_float(ctx, i, names[i]));
  const DType t = ctx.input_type(0).dtype;
  AttrReader a(ctx.node());
  const int64_t prec = a.i("softmax_precision", 0);
  a.f("scale", 0.0f);
  ONNXRT_RETURN_IF_ERROR(a.status());
  if (prec != 0 && (!dtype_is_valid(static_cast<int32_t>(prec)) || !is_float_type(static_cast<DType>(prec))))
    return ctx.error("softmax_precision " + std::to_string(prec) + " must name a float type");
  const ValueType& qt = ctx.input_type(0);
  const ValueType& kt = ctx.input_type(1);
  const ValueType& vt = ctx.input_type(2);
  if (!qt.has_shape || !vt.has_shape) {
    ctx.outputs[0] = ValueType::tensor_unknown_rank(t);
    return Status::ok();
  }
  if (qt.rank() != 4 || vt.rank() != 4 || (kt.has_shape && kt.rank() != 4))
    return ctx.error("Q, K and V must be 4-D, got " + type_string(qt) + ", " + type_string(kt) + ", " +
                     type_string(vt));
  if (kt.has_shape && conflict(kt.shape[3], qt.shape[3]))
    return ctx.error("Q and K head sizes differ: " + type_string(qt) + " vs " + type_string(kt));
  ctx.outputs[0] = ValueType::tensor(t, {qt.shape[0], qt.shape[1], qt.shape[2], vt.shape[3]});
  return Status::ok();
}

constexpr OpInfo kTransformerOps[] = {
    {"ai.onnx.preview", "FlexAttention", &infer_flex_attention},
    {"", "LinearAttention", &infer_linear_attention},
    {"", "Attention", &infer_attention},
    {"", "RotaryEmbedding", &infer_rotary},
    {"", "RMSNormalization", &infer_rms_norm},
    {"", "MeanVarianceNormalization", &infer_mvn},
};

}  // namespace

std::span<const OpInfo> transformer_op_infos() { return kTransformerOps; }

}  // namespace onnxrt::ir
