// Attributes and inference of com.onnxrt FusedAttention (contract in ir/infer_fused.h). The
// inference checks what the MatMuls it replaces would have required (matching batch, head and
// inner dims) but without MatMul's batch broadcasting: the pass only fuses when the dims are equal.
#include <algorithm>
#include <string>

#include "ir/infer.h"
#include "ir/infer_fused.h"

namespace onnxrt::ir {

namespace {

using Perm = std::array<int64_t, 4>;

constexpr Perm kIdentity{0, 1, 2, 3};
constexpr Perm kSwapSH{0, 2, 1, 3};    // [B, S, H, D] <-> [B, H, S, D]
constexpr Perm kSwapLast{0, 1, 3, 2};  // K [B, H, Sk, D] -> K^T
constexpr Perm kFromBSHD{0, 2, 3, 1};  // K [B, Sk, H, D] -> K^T

std::string perm_string(const std::vector<int64_t>& p) {
  std::string s = "[";
  for (size_t i = 0; i < p.size(); ++i) {
    if (i > 0) s += ',';
    s += std::to_string(p[i]);
  }
  s += ']';
  return s;
}

Status read_perm(AttrReader& a, const Node& node, const char* name, const Perm& def,
                 std::initializer_list<Perm> allowed, Perm& out) {
  const std::vector<int64_t> v = a.ints(name, std::vector<int64_t>(def.begin(), def.end()));
  for (const Perm& p : allowed) {
    if (v.size() == 4 && std::equal(v.begin(), v.end(), p.begin())) {
      out = p;
      return Status::ok();
    }
  }
  std::string list;
  for (const Perm& p : allowed) {
    list += ' ';
    list += perm_string(std::vector<int64_t>(p.begin(), p.end()));
  }
  return invalid_model(node.describe() + ": attribute " + name + " " + perm_string(v) +
                       " is not one of the supported layouts:" + list);
}

// The logical dims of a rank-4 input after its perm.
SymShape permuted(const SymShape& s, const Perm& p) {
  return {s[static_cast<size_t>(p[0])], s[static_cast<size_t>(p[1])], s[static_cast<size_t>(p[2])],
          s[static_cast<size_t>(p[3])]};
}

// Known dims must agree; a symbol agrees with anything (checked again when shapes are concrete).
bool compatible(const Dim& a, const Dim& b) {
  return !(a.is_known() && b.is_known() && a.value() != b.value());
}

// Checks the mask against the scores [B, H, Sq, Sk] and sets the output Transpose(o, out_perm),
// o = [B, H, Sq, Dv].
Status finish(InferContext& ctx, const FusedAttentionAttrs& at, const SymShape& o, const Dim& sk) {
  if (ctx.has_input(3)) {
    const ValueType& mt = ctx.input_type(3);
    if (!mt.is_tensor() || mt.dtype != DType::kFloat32)
      return ctx.error("input 3 (mask) must be a float32 tensor, got " + type_string(mt));
    if (mt.has_shape) {
      const SymShape scores{o[0], o[1], o[2], sk};
      bool mask_ok = mt.rank() <= 4;
      for (int64_t d = 0; mask_ok && d < mt.rank(); ++d) {
        const Dim& md = mt.shape[static_cast<size_t>(mt.rank() - 1 - d)];
        const Dim& sd = scores[static_cast<size_t>(3 - d)];
        mask_ok = (md.is_known() && md.value() == 1) || compatible(md, sd);
      }
      if (!mask_ok)
        return ctx.error("input 3 (mask) " + type_string(mt) + " must broadcast to the scores " +
                         shape_to_string(scores));
    }
  }
  SymShape y(4);
  for (size_t j = 0; j < 4; ++j) y[j] = o[static_cast<size_t>(at.out_perm[j])];
  ctx.outputs[0] = ValueType::tensor(DType::kFloat32, y);
  return Status::ok();
}

// qkv_packed: X [B, S, 3*H*D] -> o [B, H, S, D].
Status infer_packed(InferContext& ctx, const FusedAttentionAttrs& at) {
  if (ctx.num_outputs() != 1) return ctx.error("has exactly one output");
  if (!ctx.has_input(0)) return ctx.error("input 0 (packed QKV) is required");
  if (ctx.has_input(1) || ctx.has_input(2)) return ctx.error("with qkv_packed, inputs 1 and 2 (K, V) must be empty");
  const ValueType& xt = ctx.input_type(0);
  if (!xt.is_tensor() || xt.dtype != DType::kFloat32)
    return ctx.error("input 0 (packed QKV) must be a float32 tensor, got " + type_string(xt));
  if (!xt.has_shape) {
    ctx.outputs[0] = ValueType::tensor_unknown_rank(DType::kFloat32);
    return Status::ok();
  }
  if (xt.rank() != 3) return ctx.error("input 0 (packed QKV) must have rank 3, got " + type_string(xt));
  const Dim& c = xt.shape[2];
  const int64_t h = at.num_heads;
  Dim d = ctx.fresh_dim();
  if (c.is_known()) {
    if (c.value() % 3 != 0 || (c.value() / 3) % h != 0)
      return ctx.error("input 0 (packed QKV) " + type_string(xt) + ": last dim is not 3 * num_heads (" +
                       std::to_string(h) + ") * head size");
    d = Dim(c.value() / 3 / h);
  }
  return finish(ctx, at, {xt.shape[0], Dim(h), xt.shape[1], d}, xt.shape[1]);
}

}  // namespace

Expected<FusedAttentionAttrs> read_fused_attention(const Node& node) {
  FusedAttentionAttrs at;
  AttrReader a(node);
  at.scale = a.f("scale", 1.0f);
  const int64_t causal = a.i("causal", 0);
  ONNXRT_RETURN_IF_ERROR(read_perm(a, node, "q_perm", kIdentity, {kIdentity, kSwapSH}, at.q_perm));
  ONNXRT_RETURN_IF_ERROR(
      read_perm(a, node, "k_perm", kSwapLast, {kSwapLast, kFromBSHD, kIdentity}, at.k_perm));
  ONNXRT_RETURN_IF_ERROR(read_perm(a, node, "v_perm", kIdentity, {kIdentity, kSwapSH}, at.v_perm));
  ONNXRT_RETURN_IF_ERROR(read_perm(a, node, "out_perm", kIdentity, {kIdentity, kSwapSH}, at.out_perm));
  ONNXRT_RETURN_IF_ERROR(a.status());
  if (causal != 0 && causal != 1)
    return invalid_model(node.describe() + ": attribute causal must be 0 or 1, got " + std::to_string(causal));
  at.causal = causal == 1;
  const int64_t nan_to_zero = a.i("nan_to_zero", 0);
  ONNXRT_RETURN_IF_ERROR(a.status());
  if (nan_to_zero != 0 && nan_to_zero != 1)
    return invalid_model(node.describe() + ": attribute nan_to_zero must be 0 or 1, got " + std::to_string(nan_to_zero));
  at.nan_to_zero = nan_to_zero == 1;
  const int64_t packed = a.i("qkv_packed", 0);
  at.num_heads = a.i("num_heads", 0);
  ONNXRT_RETURN_IF_ERROR(a.status());
  if (packed != 0 && packed != 1)
    return invalid_model(node.describe() + ": attribute qkv_packed must be 0 or 1, got " + std::to_string(packed));
  at.qkv_packed = packed == 1;
  if (at.qkv_packed) {
    if (at.num_heads <= 0)
      return invalid_model(node.describe() + ": qkv_packed needs num_heads > 0, got " + std::to_string(at.num_heads));
    if (at.q_perm != kSwapSH || at.k_perm != kFromBSHD || at.v_perm != kSwapSH)
      return invalid_model(node.describe() +
                           ": qkv_packed needs q_perm = v_perm = [0,2,1,3] and k_perm = [0,2,3,1]");
  }
  return at;
}

Status infer_fused_attention(InferContext& ctx) {
  auto at = read_fused_attention(ctx.node());
  if (!at) return at.status();
  if (ctx.num_outputs() != 1) return ctx.error("has exactly one output");
  const char* names[] = {"Q", "K", "V", "mask"};
  if (at->qkv_packed) return infer_packed(ctx, *at);
  for (size_t i = 0; i < 3; ++i) {
    if (!ctx.has_input(i)) return ctx.error(std::string("input ") + std::to_string(i) + " (" + names[i] + ") is required");
  }
  for (size_t i = 0; i < 4; ++i) {
    if (!ctx.has_input(i)) continue;
    const ValueType& t = ctx.input_type(i);
    if (!t.is_tensor() || t.dtype != DType::kFloat32)
      return ctx.error(std::string("input ") + std::to_string(i) + " (" + names[i] +
                       ") must be a float32 tensor, got " + type_string(t));
  }
  const ValueType& qt = ctx.input_type(0);
  const ValueType& kt = ctx.input_type(1);
  const ValueType& vt = ctx.input_type(2);
  if (!qt.has_shape || !kt.has_shape || !vt.has_shape) {
    ctx.outputs[0] = ValueType::tensor_unknown_rank(DType::kFloat32);
    return Status::ok();
  }
  for (size_t i = 0; i < 3; ++i) {
    if (ctx.input_type(i).rank() != 4)
      return ctx.error(std::string("input ") + std::to_string(i) + " (" + names[i] + ") must have rank 4, got " +
                       type_string(ctx.input_type(i)));
  }
  const SymShape q = permuted(qt.shape, at->q_perm);   // [B, H, Sq, D]
  const SymShape k = permuted(kt.shape, at->k_perm);   // [B, H, D, Sk]
  const SymShape v = permuted(vt.shape, at->v_perm);   // [B, H, Sk, Dv]
  const bool ok = compatible(q[0], k[0]) && compatible(q[0], v[0]) && compatible(q[1], k[1]) &&
                  compatible(q[1], v[1]) && compatible(q[3], k[2]) && compatible(k[3], v[2]);
  if (!ok)
    return ctx.error("Q " + type_string(qt) + ", K " + type_string(kt) + " and V " + type_string(vt) +
                     " do not agree on batch, heads, head size or key length after their perms");
  auto pick = [](const Dim& a, const Dim& b) { return a.is_known() ? a : b; };
  const SymShape o{pick(q[0], pick(k[0], v[0])), pick(q[1], pick(k[1], v[1])), q[2], v[3]};
  return finish(ctx, *at, o, pick(k[3], v[2]));
}

}  // namespace onnxrt::ir
