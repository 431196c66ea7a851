// Scaled dot-product attention -> com.onnxrt.FusedAttention (contract in ir/infer_fused.h):
//
//   MatMul(Qh, Kt) -> [Div(c) | Mul(c)] -> [Add(mask)] -> [Where(causal, -inf)] -> Softmax(last axis)
//     -> [Where(IsNaN(P), 0, P)] -> MatMul(., Vh) -> [Transpose(0,2,1,3)]
//
// and torch's own decomposition of scaled_dot_product_attention (every transformers model
// exported with dynamo: GPT-2, Llama, BERT, ViT), which scales both operands by sqrt(scale)
// before the product, builds K^T as Reshape([B*H, Sk, D]) -> Transpose(0,2,1) -> Reshape([B, H,
// D, Sk]) and zeroes the NaN probabilities of fully masked rows after the Softmax.
// with Qh, Vh read through Transpose(0,2,1,3) and Kt through Transpose(0,2,3,1) or (0,1,3,2) when
// the exporter made them (torch.onnx dynamo: BERT, GPT-2), so those copies disappear as well; when
// Q, K, V are Reshapes of one Split of a fused QKV projection, the node reads that projection
// directly (qkv_packed) and the Split and Reshape copies go too.
// Only fused when it is provably the same computation:
//   - every intermediate value (scores, scaled, masked, probabilities, product) has exactly one
//     reader and is not a graph output, so nothing else sees them;
//   - all float32 and rank 4; Qh, Kt, Vh share batch and head dims exactly (no MatMul batch
//     broadcasting, which the kernel does not do);
//   - the scale is a float32 single-element constant (Div by c becomes a multiply by 1/c: exact
//     for the usual powers of two, within one rounding otherwise); scales on Qh and Kt (each
//     c^0.5 in torch's decomposition) multiply into one scale on the scores, which rounds the
//     scores differently from scaling each operand (a few ulp, like the GEMM's summation order);
//   - the Add does not broadcast the scores to a bigger shape (the mask broadcasts to them);
//   - the Where condition is a constant bool [.., Sq, Sk] equal to the strict upper triangle
//     (j > i) with -inf as the replacement, i.e. exactly torch's tril causal mask; any other
//     condition is left alone;
//   - Softmax runs over the last axis (opset < 13 defaults to axis 1, which does not match);
//   - the NaN guard is exactly Where(IsNaN(P), +0, P), read by nothing else.
#include <algorithm>
#include <array>
#include <cmath>
#include <optional>

#include "passes/fusion_util.h"
#include "passes/pass.h"

namespace onnxrt::passes {

namespace {

using Perm = std::array<int64_t, 4>;

// The producer of v when it is a live ai.onnx node of type `op` whose output v is read only by
// `reader`; -1 otherwise.
ir::NodeId chain_producer(const ir::Graph& g, ir::ValueId v, ir::NodeId reader, std::string_view op) {
  if (v == ir::kNoValue) return -1;
  const ir::NodeId p = g.value(v).producer;
  if (p < 0 || g.is_removed(p)) return -1;
  const ir::Node& n = g.node(p);
  if (n.op_type != op || !n.domain.empty() || n.outputs.size() != 1 || n.outputs[0] != v) return -1;
  return fusion::sole_consumer(g, v) == reader ? p : -1;
}

bool is_rank4_float(const ir::Graph& g, ir::ValueId v) {
  if (!fusion::is_float32(g, v)) return false;
  const ir::ValueType& t = g.value(v).type;
  return t.has_shape && t.rank() == 4;
}

bool same_shape(const ir::Graph& g, ir::ValueId a, ir::ValueId b) {
  const ir::ValueType& ta = g.value(a).type;
  const ir::ValueType& tb = g.value(b).type;
  return ta.has_shape && tb.has_shape && ta.shape == tb.shape;
}

// The perm of a Transpose node that produced v (any number of readers: the Transpose stays for
// the others), when it is one of `wanted`.
std::optional<Perm> transpose_perm(const ir::Graph& g, ir::ValueId v, std::initializer_list<Perm> wanted,
                                   ir::ValueId* input) {
  const ir::NodeId p = g.value(v).producer;
  if (p < 0 || g.is_removed(p)) return std::nullopt;
  const ir::Node& n = g.node(p);
  if (n.op_type != "Transpose" || !n.domain.empty() || n.inputs.size() != 1 || n.outputs[0] != v) return std::nullopt;
  if (!is_rank4_float(g, n.inputs[0])) return std::nullopt;
  ir::AttrReader a(n);
  const std::vector<int64_t> perm = a.ints("perm", {});
  if (!a.status().is_ok() || perm.size() != 4) return std::nullopt;
  for (const Perm& w : wanted) {
    if (std::equal(perm.begin(), perm.end(), w.begin())) {
      *input = n.inputs[0];
      return w;
    }
  }
  return std::nullopt;
}

// Where(cond, -inf, scores) with a constant cond equal to the strict upper triangle over the last
// two dims of `scores` (leading dims of cond all 1). Returns the scores input.
ir::ValueId causal_where_scores(const ir::Graph& g, ir::NodeId w) {
  const ir::Node& n = g.node(w);
  if (n.inputs.size() != 3) return ir::kNoValue;
  const ir::ValueId cond = n.inputs[0], fill = n.inputs[1], scores = n.inputs[2];
  if (cond == ir::kNoValue || fill == ir::kNoValue || scores == ir::kNoValue) return ir::kNoValue;
  const std::optional<float> f = fusion::scalar_constant(g, fill);
  if (!f || !std::isinf(*f) || *f > 0) return ir::kNoValue;
  if (!is_rank4_float(g, scores) || !same_shape(g, scores, n.outputs[0])) return ir::kNoValue;
  const ir::ValueInfo& ci = g.value(cond);
  if (!ci.constant || ci.is_graph_input || ci.constant->dtype() != DType::kBool) return ir::kNoValue;
  const Tensor& c = *ci.constant;
  const SymShape& s = g.value(scores).type.shape;
  if (!s[2].is_known() || !s[3].is_known() || c.rank() < 2) return ir::kNoValue;
  const int64_t sq = s[2].value(), sk = s[3].value();
  if (c.dim(c.rank() - 2) != sq || c.dim(c.rank() - 1) != sk) return ir::kNoValue;
  for (int64_t d = 0; d + 2 < c.rank(); ++d)
    if (c.dim(d) != 1) return ir::kNoValue;
  const bool* cd = c.data<bool>();
  for (int64_t i = 0; i < sq; ++i)
    for (int64_t j = 0; j < sk; ++j)
      if (cd[i * sk + j] != (j > i)) return ir::kNoValue;
  return scores;
}

// A float32 scale from Div(x, c) or Mul(x, c) / Mul(c, x); sets *x.
std::optional<float> scale_of(const ir::Graph& g, ir::NodeId p, ir::ValueId in, ir::ValueId* x) {
  const ir::Node& n = g.node(p);
  if (n.inputs.size() != 2 || !same_shape(g, n.outputs[0], in)) return std::nullopt;
  const bool div = n.op_type == "Div";
  for (size_t side = 0; side < (div ? 1u : 2u); ++side) {
    const ir::ValueId xv = n.inputs[side], cv = n.inputs[1 - side];
    const std::optional<float> c = fusion::scalar_constant(g, cv);
    if (!c || xv == ir::kNoValue || !same_shape(g, xv, n.outputs[0])) continue;
    const float scale = div ? 1.0f / *c : *c;
    if (!std::isfinite(scale)) return std::nullopt;
    *x = xv;
    return scale;
  }
  return std::nullopt;
}

struct Match {
  ir::NodeId softmax = -1, matmul_qk = -1, matmul_pv = -1;
  ir::NodeId scale_node = -1, add_node = -1, where_node = -1, out_transpose = -1;
  ir::NodeId q_scale_node = -1, k_scale_node = -1, isnan_node = -1, nan_where_node = -1;
  ir::ValueId qh = ir::kNoValue, kt = ir::kNoValue;  // the QK MatMul's operands past their scales
  ir::ValueId q = ir::kNoValue, k = ir::kNoValue, v = ir::kNoValue, mask = ir::kNoValue;
  ir::FusedAttentionAttrs at;
};

// From the scores value upwards: [scale] <- MatMul(Qh, Kt). `reader` reads `s`.
bool match_scores(const ir::Graph& g, ir::ValueId s, ir::NodeId reader, Match& m) {
  for (const char* op : {"Div", "Mul"}) {
    const ir::NodeId p = chain_producer(g, s, reader, op);
    if (p < 0) continue;
    ir::ValueId x = ir::kNoValue;
    const std::optional<float> scale = scale_of(g, p, s, &x);
    if (!scale) return false;
    m.scale_node = p;
    m.at.scale = *scale;
    reader = p;
    s = x;
    break;
  }
  const ir::NodeId mm = chain_producer(g, s, reader, "MatMul");
  if (mm < 0 || g.node(mm).inputs.size() != 2) return false;
  m.matmul_qk = mm;
  // Scales on the operands themselves (torch's decomposition: Q * c^0.5 and K^T * c^0.5).
  ir::ValueId operand[2] = {g.node(mm).inputs[0], g.node(mm).inputs[1]};
  ir::NodeId* scale_nodes[2] = {&m.q_scale_node, &m.k_scale_node};
  if (operand[0] == operand[1]) return false;
  for (size_t i = 0; i < 2; ++i) {
    for (const char* op : {"Div", "Mul"}) {
      const ir::NodeId p = chain_producer(g, operand[i], mm, op);
      if (p < 0) continue;
      ir::ValueId x = ir::kNoValue;
      const std::optional<float> c = scale_of(g, p, operand[i], &x);
      if (!c) break;
      *scale_nodes[i] = p;
      m.at.scale *= *c;
      operand[i] = x;
      break;
    }
  }
  if (!std::isfinite(m.at.scale)) return false;
  m.qh = operand[0];
  m.kt = operand[1];
  return true;
}

// K^T = Reshape(Transpose(Reshape(K, [N, Sk, D]), (0,2,1)), [B, H, D, Sk]) for K [B, H, Sk, D]:
// the batched transpose of torch's decomposition, which is Transpose(K, (0,1,3,2)) whenever the
// first Reshape keeps K's last two dims and the second splits the merged dim back into K's B
// and H (element counts match, so N = B*H). Returns K, or kNoValue.
ir::ValueId merged_heads_transpose(const ir::Graph& g, ir::ValueId kt) {
  auto producer = [&](ir::ValueId v, std::string_view op) -> const ir::Node* {
    const ir::NodeId p = v == ir::kNoValue ? -1 : g.value(v).producer;
    if (p < 0 || g.is_removed(p)) return nullptr;
    const ir::Node& n = g.node(p);
    return n.op_type == op && n.domain.empty() && !n.inputs.empty() && n.outputs[0] == v ? &n : nullptr;
  };
  auto shape = [&](ir::ValueId v, int64_t rank) -> const SymShape* {
    const ir::ValueType& t = g.value(v).type;
    return fusion::is_float32(g, v) && t.has_shape && t.rank() == rank ? &t.shape : nullptr;
  };
  const ir::Node* r2 = producer(kt, "Reshape");
  if (r2 == nullptr) return ir::kNoValue;
  const ir::Node* tr = producer(r2->inputs[0], "Transpose");
  if (tr == nullptr || tr->inputs.size() != 1) return ir::kNoValue;
  ir::AttrReader ta(*tr);
  if (ta.ints("perm", {}) != std::vector<int64_t>{0, 2, 1} || !ta.status().is_ok()) return ir::kNoValue;
  const ir::Node* r1 = producer(tr->inputs[0], "Reshape");
  if (r1 == nullptr) return ir::kNoValue;
  const ir::ValueId k = r1->inputs[0];
  const SymShape* ks = shape(k, 4);
  const SymShape* merged = shape(r1->outputs[0], 3);
  const SymShape* ts = shape(tr->outputs[0], 3);
  const SymShape* kts = shape(kt, 4);
  if (!ks || !merged || !ts || !kts) return ir::kNoValue;
  const SymShape& a = *ks;
  const SymShape& t = *ts;
  const SymShape& o = *kts;
  if (!((*merged)[1] == a[2] && (*merged)[2] == a[3] && t[1] == a[3] && t[2] == a[2] && o[0] == a[0] &&
        o[1] == a[1] && o[2] == a[3] && o[3] == a[2]))
    return ir::kNoValue;
  return k;
}

void try_packed_qkv(const ir::Graph& g, Match& m);

// Where(IsNaN(p), +0, p) with p read by exactly those two nodes and the IsNaN read by the Where.
bool nan_guard(const ir::Graph& g, ir::ValueId p, Match& m) {
  const ir::ValueInfo& pi = g.value(p);
  if (pi.is_graph_output || pi.consumers.size() != 2 || g.is_read_implicitly(p)) return false;
  for (ir::NodeId in : pi.consumers) {
    const ir::Node& isnan = g.node(in);
    if (isnan.op_type != "IsNaN" || !isnan.domain.empty() || isnan.inputs.size() != 1 || isnan.inputs[0] != p)
      continue;
    const ir::NodeId w = fusion::sole_consumer(g, isnan.outputs[0]);
    if (w < 0) return false;
    const ir::Node& wn = g.node(w);
    if (wn.op_type != "Where" || !wn.domain.empty() || wn.inputs.size() != 3 || wn.inputs[0] != isnan.outputs[0] ||
        wn.inputs[2] != p || std::find(pi.consumers.begin(), pi.consumers.end(), w) == pi.consumers.end())
      return false;
    const std::optional<float> zero = fusion::scalar_constant(g, wn.inputs[1]);
    if (!zero || *zero != 0.0f || std::signbit(*zero) || !same_shape(g, wn.outputs[0], p)) return false;
    m.isnan_node = in;
    m.nan_where_node = w;
    m.at.nan_to_zero = true;
    return true;
  }
  return false;
}

// Softmax node `sm` -> the whole pattern, or false.
bool match(const ir::Graph& g, ir::NodeId sm, Match& m) {
  const ir::Node& s = g.node(sm);
  if (s.op_type != "Softmax" || !s.domain.empty() || s.inputs.size() != 1 || s.outputs.size() != 1) return false;
  const ir::ValueId x = s.inputs[0];
  if (!is_rank4_float(g, x)) return false;
  ir::AttrReader a(s);
  const int64_t axis = a.i("axis", s.opset < 13 ? 1 : -1);
  if (!a.status().is_ok() || (axis != -1 && axis != 3)) return false;
  m.softmax = sm;
  // Probabilities -> [Where(IsNaN(P), 0, P)] -> MatMul(P, Vh).
  ir::ValueId p = s.outputs[0];
  if (nan_guard(g, p, m)) p = g.node(m.nan_where_node).outputs[0];
  const ir::NodeId pv = fusion::sole_consumer(g, p);
  if (pv < 0) return false;
  const ir::Node& pvn = g.node(pv);
  if (pvn.op_type != "MatMul" || !pvn.domain.empty() || pvn.inputs.size() != 2 || pvn.inputs[0] != p ||
      pvn.outputs.size() != 1)
    return false;
  m.matmul_pv = pv;
  // Scores upwards: [Where causal] <- [Add mask] <- [scale] <- MatMul.
  ir::ValueId cur = x;
  ir::NodeId reader = sm;
  if (const ir::NodeId w = chain_producer(g, cur, reader, "Where"); w >= 0) {
    const ir::ValueId in = causal_where_scores(g, w);
    if (in == ir::kNoValue) return false;
    m.where_node = w;
    m.at.causal = true;
    reader = w;
    cur = in;
  }
  if (const ir::NodeId ad = chain_producer(g, cur, reader, "Add"); ad >= 0) {
    const ir::Node& an = g.node(ad);
    if (an.inputs.size() != 2 || !same_shape(g, an.outputs[0], cur)) return false;
    for (size_t side = 0; side < 2; ++side) {
      const ir::ValueId sv = an.inputs[side], mv = an.inputs[1 - side];
      if (sv == ir::kNoValue || mv == ir::kNoValue || sv == mv || !fusion::is_float32(g, mv)) continue;
      const ir::ValueType& mt = g.value(mv).type;
      if (!mt.has_shape || mt.rank() > 4 || !same_shape(g, sv, cur)) continue;
      Match trial = m;
      if (!match_scores(g, sv, ad, trial)) continue;
      m = trial;
      m.add_node = ad;
      m.mask = mv;
      break;
    }
    if (m.add_node < 0) return false;
  } else if (!match_scores(g, cur, reader, m)) {
    return false;
  }
  // Operands: rank-4 float32 with equal batch and head dims; the layouts exporters make are read
  // through strides instead of Transposes.
  const ir::ValueId qh = m.qh, vh = pvn.inputs[1];
  ir::ValueId kt = m.kt;
  if (!is_rank4_float(g, qh) || !is_rank4_float(g, kt) || !is_rank4_float(g, vh)) return false;
  const SymShape& qs = g.value(qh).type.shape;
  const SymShape& ks = g.value(kt).type.shape;
  const SymShape& vs = g.value(vh).type.shape;
  if (!(qs[0] == ks[0] && qs[0] == vs[0] && qs[1] == ks[1] && qs[1] == vs[1])) return false;
  constexpr Perm kId{0, 1, 2, 3}, kSwapSH{0, 2, 1, 3}, kSwapLast{0, 1, 3, 2}, kFromBSHD{0, 2, 3, 1};
  m.q = qh;
  m.at.q_perm = transpose_perm(g, qh, {kSwapSH}, &m.q).value_or(kId);
  m.k = kt;
  if (const ir::ValueId k = merged_heads_transpose(g, kt); k != ir::kNoValue) {
    // K^T = Transpose(K, (0,1,3,2)); with K itself Transpose(K4, (0,2,1,3)) that is (0,2,3,1) of K4.
    m.k = k;
    m.at.k_perm = transpose_perm(g, k, {kSwapSH}, &m.k) ? kFromBSHD : kSwapLast;
  } else {
    m.at.k_perm = transpose_perm(g, kt, {kSwapLast, kFromBSHD}, &m.k).value_or(kId);
  }
  m.v = vh;
  m.at.v_perm = transpose_perm(g, vh, {kSwapSH}, &m.v).value_or(kId);
  // The product read through Transpose(0,2,1,3) only: write it in that layout directly.
  const ir::ValueId o = pvn.outputs[0];
  if (const ir::NodeId t = fusion::sole_consumer(g, o); t >= 0) {
    const ir::Node& tn = g.node(t);
    ir::AttrReader ta(tn);
    const std::vector<int64_t> perm = ta.ints("perm", {});
    if (tn.op_type == "Transpose" && tn.domain.empty() && tn.outputs.size() == 1 && ta.status().is_ok() &&
        perm == std::vector<int64_t>(kSwapSH.begin(), kSwapSH.end())) {
      m.out_transpose = t;
      m.at.out_perm = kSwapSH;
    }
  }
  try_packed_qkv(g, m);
  return true;
}

// Q, K, V read as [B, S, H, D] through Reshapes of outputs 0, 1, 2 of one Split of X [B, S, 3E]
// along its last axis into equal thirds (a fused QKV projection): the node then reads X itself
// (qkv_packed), so the Split and Reshape copies go away when nothing else reads them.
void try_packed_qkv(const ir::Graph& g, Match& m) {
  constexpr Perm kSwapSH{0, 2, 1, 3}, kFromBSHD{0, 2, 3, 1};
  if (m.at.q_perm != kSwapSH || m.at.k_perm != kFromBSHD || m.at.v_perm != kSwapSH) return;
  ir::NodeId split = -1;
  int64_t heads = 0;
  const ir::ValueId qkv[3] = {m.q, m.k, m.v};
  for (size_t i = 0; i < 3; ++i) {
    const ir::NodeId r = g.value(qkv[i]).producer;
    if (r < 0 || g.is_removed(r)) return;
    const ir::Node& rn = g.node(r);
    if (rn.op_type != "Reshape" || !rn.domain.empty() || rn.inputs.empty() || rn.outputs[0] != qkv[i]) return;
    const ir::ValueId part = rn.inputs[0];
    const ir::NodeId sp = part == ir::kNoValue ? -1 : g.value(part).producer;
    if (sp < 0 || g.is_removed(sp) || (split >= 0 && sp != split)) return;
    const ir::Node& sn = g.node(sp);
    if (sn.op_type != "Split" || !sn.domain.empty() || sn.outputs.size() != 3 || sn.outputs[i] != part) return;
    split = sp;
    // X [B, S, C] split on its last axis into thirds (read from the inferred types, which is how
    // the Split's sizes, attribute or input, ended up); the Reshape to [B, S, H, C/3/H].
    const ir::ValueId x = sn.inputs.empty() ? ir::kNoValue : sn.inputs[0];
    if (x == ir::kNoValue || !fusion::is_float32(g, x)) return;
    const ir::ValueType& xt = g.value(x).type;
    const ir::ValueType& pt = g.value(part).type;
    const ir::ValueType& rt = g.value(qkv[i]).type;
    if (!xt.has_shape || xt.rank() != 3 || !xt.shape[2].is_known() || !pt.has_shape || pt.rank() != 3) return;
    const int64_t c = xt.shape[2].value();
    if (c <= 0 || c % 3 != 0 || !(pt.shape[0] == xt.shape[0] && pt.shape[1] == xt.shape[1] && pt.shape[2] == Dim(c / 3)))
      return;
    if (!rt.has_shape || rt.rank() != 4 || !(rt.shape[0] == xt.shape[0] && rt.shape[1] == xt.shape[1])) return;
    if (!rt.shape[2].is_known() || !rt.shape[3].is_known() || rt.shape[2].value() * rt.shape[3].value() != c / 3) return;
    if (heads != 0 && heads != rt.shape[2].value()) return;
    heads = rt.shape[2].value();
  }
  if (heads <= 0) return;
  m.q = g.node(split).inputs[0];
  m.k = m.v = ir::kNoValue;
  m.at.qkv_packed = true;
  m.at.num_heads = heads;
}

void set_int(ir::Attributes& attrs, const char* name, int64_t v) {
  ir::Attribute a;
  a.name = name;
  a.kind = ir::AttrKind::kInt;
  a.i = v;
  attrs.set(a);
}

void set_ints(ir::Attributes& attrs, const char* name, const Perm& p) {
  ir::Attribute a;
  a.name = name;
  a.kind = ir::AttrKind::kInts;
  a.ints.assign(p.begin(), p.end());
  attrs.set(a);
}

// Turns the P @ V MatMul into the FusedAttention node, in place, and removes the rest.
Status rewrite(ir::Graph& g, const Match& m) {
  const ir::NodeId id = m.matmul_pv;
  for (ir::ValueId in : g.node(id).inputs) {
    auto& c = g.value(in).consumers;
    auto it = std::find(c.begin(), c.end(), id);
    if (it != c.end()) c.erase(it);
  }
  for (ir::NodeId n : {m.nan_where_node, m.isnan_node, m.softmax, m.where_node, m.add_node, m.scale_node,
                       m.matmul_qk, m.q_scale_node, m.k_scale_node})
    if (n >= 0) g.remove_node(n);
  ir::Node& node = g.node(id);
  node.inputs.clear();
  for (ir::ValueId in : {m.q, m.k, m.v, m.mask}) {
    node.inputs.push_back(in);
    if (in != ir::kNoValue) g.value(in).consumers.push_back(id);
  }
  while (!node.inputs.empty() && node.inputs.back() == ir::kNoValue) node.inputs.pop_back();
  if (m.out_transpose >= 0) {
    const ir::ValueId out = g.node(m.out_transpose).outputs[0];
    const ir::ValueId old = node.outputs[0];
    g.remove_node(m.out_transpose);
    g.node(id).outputs[0] = out;
    g.value(out).producer = id;
    g.value(old).producer = -1;
  }
  ir::Node& f = g.node(id);
  f.op_type = "FusedAttention";
  f.domain = std::string(ir::kFusedDomain);
  f.opset = 1;
  f.attrs = ir::Attributes{};
  ir::Attribute scale;
  scale.name = "scale";
  scale.kind = ir::AttrKind::kFloat;
  scale.f = m.at.scale;
  f.attrs.set(scale);
  set_int(f.attrs, "causal", m.at.causal ? 1 : 0);
  if (m.at.nan_to_zero) set_int(f.attrs, "nan_to_zero", 1);
  set_ints(f.attrs, "q_perm", m.at.q_perm);
  set_ints(f.attrs, "k_perm", m.at.k_perm);
  set_ints(f.attrs, "v_perm", m.at.v_perm);
  set_ints(f.attrs, "out_perm", m.at.out_perm);
  if (m.at.qkv_packed) {
    set_int(f.attrs, "qkv_packed", 1);
    set_int(f.attrs, "num_heads", m.at.num_heads);
  }
  bool imported = false;
  for (const ir::OpsetImport& o : g.opset_imports) imported = imported || o.domain == ir::kFusedDomain;
  if (!imported) g.opset_imports.push_back(ir::OpsetImport{std::string(ir::kFusedDomain), 1});
  return g.reinfer(id);
}

}  // namespace

Expected<bool> fuse_attention(ir::Graph& graph, const PassContext&) {
  bool changed = false;
  for (size_t i = 0; i < graph.num_nodes(); ++i) {
    const auto id = static_cast<ir::NodeId>(i);
    if (graph.is_removed(id)) continue;
    Match m;
    if (!match(graph, id, m)) continue;
    ONNXRT_RETURN_IF_ERROR(rewrite(graph, m));
    changed = true;
  }
  return changed;
}

}  // namespace onnxrt::passes
