// Attribute reading and run-time geometry for the recurrent kernels (both backends).
#include <algorithm>
#include <cctype>
#include <string>

#include "ir/attribute.h"
#include "kernels/cpu/recurrent_common.h"
#include "kernels/ukernels/elementwise/ukernels.h"

namespace onnxrt::kernels::rnn {

namespace {

struct ActSpec {
  const char* name;
  Act kind;
  int uses_alpha;
  int uses_beta;
  float alpha;  // defaults: those of the standalone ONNX ops of the same name
  float beta;
};

constexpr ActSpec kActs[] = {
    {"relu", Act::kRelu, 0, 0, 0.0f, 0.0f},
    {"tanh", Act::kTanh, 0, 0, 0.0f, 0.0f},
    {"sigmoid", Act::kSigmoid, 0, 0, 0.0f, 0.0f},
    {"affine", Act::kAffine, 1, 1, 1.0f, 0.0f},
    {"leakyrelu", Act::kLeakyRelu, 1, 0, 0.01f, 0.0f},
    {"thresholdedrelu", Act::kThresholdedRelu, 1, 0, 1.0f, 0.0f},
    {"scaledtanh", Act::kScaledTanh, 1, 1, 1.0f, 1.0f},
    {"hardsigmoid", Act::kHardSigmoid, 1, 1, 0.2f, 0.5f},
    {"elu", Act::kElu, 1, 0, 1.0f, 0.0f},
    {"softsign", Act::kSoftsign, 0, 0, 0.0f, 0.0f},
    {"softplus", Act::kSoftplus, 0, 0, 0.0f, 0.0f},
};

std::string lower(std::string s) {
  for (char& c : s) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  return s;
}

}  // namespace

Expected<RnnAttrs> read_rnn_attrs(const KernelInit& init) {
  const ir::Node& node = init.node;
  RnnAttrs at;
  at.cell = node.op_type == "GRU" ? Cell::kGru : node.op_type == "LSTM" ? Cell::kLstm : Cell::kRnn;
  ir::AttrReader a(node);
  at.hidden_size = a.i("hidden_size", -1);
  const std::string direction = a.s("direction", "forward");
  at.layout = node.opset >= 14 ? a.i("layout", 0) : 0;
  if (a.has("clip")) at.clip = a.f("clip", 0.0f);
  at.input_forget = a.i("input_forget", 0) != 0;
  at.linear_before_reset = a.i("linear_before_reset", 0) != 0;
  std::vector<std::string> names = a.strings("activations");
  const std::vector<float> alphas = a.floats("activation_alpha");
  const std::vector<float> betas = a.floats("activation_beta");
  ONNXRT_RETURN_IF_ERROR(a.status());
  if (direction == "bidirectional") {
    at.dirs = 2;
  } else if (direction == "reverse") {
    at.reverse = true;
  } else if (direction != "forward") {
    return init.error("direction '" + direction + "' must be forward, reverse or bidirectional");
  }
  if (at.layout != 0 && at.layout != 1)
    return init.error("layout " + std::to_string(at.layout) + " must be 0 or 1");
  if (at.clip && !(*at.clip > 0.0f))
    return init.error("clip " + std::to_string(*at.clip) + " must be positive");

  const size_t per_dir = static_cast<size_t>(at.acts_per_dir());
  const size_t want = per_dir * static_cast<size_t>(at.dirs);
  if (names.empty()) {
    const char* defaults[] = {"sigmoid", "tanh", "tanh"};
    for (int64_t d = 0; d < at.dirs; ++d)
      for (size_t k = 0; k < per_dir; ++k)
        names.push_back(at.cell == Cell::kRnn ? "tanh" : defaults[k]);
  } else if (names.size() == per_dir && at.dirs == 2) {
    // One set for both directions: some exporters list the activations once.
    for (size_t k = 0; k < per_dir; ++k) names.push_back(names[k]);
  }
  if (names.size() != want)
    return init.error("activations lists " + std::to_string(names.size()) + " functions, expected " +
                      std::to_string(want) + " (" + std::to_string(per_dir) + " per direction)");
  // alpha and beta values are consumed in order by the activations that take them.
  size_t ai = 0, bi = 0;
  for (const std::string& n : names) {
    const std::string ln = lower(n);
    const ActSpec* spec = nullptr;
    for (const ActSpec& s : kActs)
      if (ln == s.name) spec = &s;
    if (!spec) return init.error("unsupported activation '" + n + "'");
    Activation act{spec->kind, spec->alpha, spec->beta};
    if (spec->uses_alpha && ai < alphas.size()) act.alpha = alphas[ai++];
    if (spec->uses_beta && bi < betas.size()) act.beta = betas[bi++];
    at.acts.push_back(act);
  }
  return at;
}

namespace {

Status expect_shape(const KernelContext& ctx, const Tensor* t, const char* name, const Shape& want,
                    DType dt) {
  if (!t) return Status::ok();
  if (t->dtype() != dt)
    return ctx.error(std::string(name) + " must be " + std::string(dtype_name(dt)) + ", got " +
                     std::string(dtype_name(t->dtype())));
  if (t->shape() != want)
    return ctx.error(std::string(name) + " must have shape " + shape_to_string(want) + ", got " +
                     shape_to_string(t->shape()));
  return Status::ok();
}

}  // namespace

Expected<RnnGeom> rnn_geometry(KernelContext& ctx, const RnnAttrs& at) {
  RnnGeom g;
  auto in = [&](size_t i) { return i < ctx.num_inputs() ? ctx.input(i) : nullptr; };
  g.x = in(0);
  g.w = in(1);
  g.r = in(2);
  g.b = in(3);
  const Tensor* lens = in(4);
  g.h0 = in(5);
  if (at.cell == Cell::kLstm) {
    g.c0 = in(6);
    g.p = in(7);
  }
  if (!g.x || !g.w || !g.r) return ctx.error("needs inputs X, W and R");
  if (g.x->rank() != 3 || g.w->rank() != 3 || g.r->rank() != 3)
    return ctx.error("X, W and R must have rank 3, got " + shape_to_string(g.x->shape()) + ", " +
                     shape_to_string(g.w->shape()) + ", " + shape_to_string(g.r->shape()));
  const DType dt = g.x->dtype();
  g.layout = at.layout;
  g.dirs = at.dirs;
  g.seq = g.x->dim(at.layout == 0 ? 0 : 1);
  g.batch = g.x->dim(at.layout == 0 ? 1 : 0);
  g.input = g.x->dim(2);
  g.hidden = at.hidden_size > 0 ? at.hidden_size : g.r->dim(2);
  const int64_t G = at.gates(), H = g.hidden, D = g.dirs, B = g.batch;
  ONNXRT_RETURN_IF_ERROR(expect_shape(ctx, g.w, "W", {D, G * H, g.input}, dt));
  ONNXRT_RETURN_IF_ERROR(expect_shape(ctx, g.r, "R", {D, G * H, H}, dt));
  ONNXRT_RETURN_IF_ERROR(expect_shape(ctx, g.b, "B", {D, 2 * G * H}, dt));
  const Shape hs = at.layout == 0 ? Shape{D, B, H} : Shape{B, D, H};
  ONNXRT_RETURN_IF_ERROR(expect_shape(ctx, g.h0, "initial_h", hs, dt));
  ONNXRT_RETURN_IF_ERROR(expect_shape(ctx, g.c0, "initial_c", hs, dt));
  ONNXRT_RETURN_IF_ERROR(expect_shape(ctx, g.p, "P", {D, 3 * H}, dt));
  g.lens.assign(static_cast<size_t>(B), g.seq);
  if (lens) {
    if (lens->dtype() != DType::kInt32 && lens->dtype() != DType::kInt64)
      return ctx.error("sequence_lens must be int32, got " + std::string(dtype_name(lens->dtype())));
    if (lens->shape() != Shape{B})
      return ctx.error("sequence_lens must have shape [" + std::to_string(B) + "], got " +
                       shape_to_string(lens->shape()));
    for (int64_t b = 0; b < B; ++b) {
      const int64_t v = lens->dtype() == DType::kInt32 ? lens->data<int32_t>()[b]
                                                       : lens->data<int64_t>()[b];
      if (v < 0 || v > g.seq)
        return ctx.error("sequence_lens[" + std::to_string(b) + "] = " + std::to_string(v) +
                         " is outside [0, " + std::to_string(g.seq) + "]");
      g.lens[static_cast<size_t>(b)] = v;
    }
  }
  g.max_len = 0;
  for (int64_t v : g.lens) g.max_len = std::max(g.max_len, v);
  const Shape ys = at.layout == 0 ? Shape{g.seq, D, B, H} : Shape{B, g.seq, D, H};
  for (size_t i = 0; i < ctx.num_outputs() && i < 3; ++i) {
    const Tensor* o = ctx.output(i);
    if (!o) continue;
    if (o->dtype() != dt || o->shape() != (i == 0 ? ys : hs))
      return ctx.error("output " + std::to_string(i) + " has shape " + shape_to_string(o->shape()) +
                       ", expected " + shape_to_string(i == 0 ? ys : hs));
  }
  return g;
}

inline float clipf(float v, float c) { return v < -c ? -c : (v > c ? c : v); }

// v[j] = clip(v[j] + pre[j]): a gate's recurrent product plus its input projection.
void add_clip(float* v, const float* pre, int64_t n, bool do_clip, float clip) {
  for (int64_t j = 0; j < n; ++j) v[j] += pre[j];
  if (do_clip)
    for (int64_t j = 0; j < n; ++j) v[j] = clipf(v[j], clip);
}

// An activation in place over n contiguous floats. The gates are where a recurrent layer spends
// its time after the GEMMs, so the kinds the vectorized element-wise microkernels have (the
// sigmoid and tanh of every exported model) go through them; the rest use the scalar definition.
void activate_span(const rnn::Activation& a, float* x, int64_t n) {
  static const ew::UnaryF32Fn unary = ew::unary_f32_ukernel();
  using rnn::Act;
  switch (a.kind) {
    case Act::kSigmoid: return unary(ew::UnaryOp::kSigmoid, x, x, n, {});
    case Act::kTanh: return unary(ew::UnaryOp::kTanh, x, x, n, {});
    case Act::kRelu: return unary(ew::UnaryOp::kRelu, x, x, n, {});
    case Act::kLeakyRelu: return unary(ew::UnaryOp::kLeakyRelu, x, x, n, {a.alpha, 0.0f});
    case Act::kHardSigmoid: return unary(ew::UnaryOp::kHardSigmoid, x, x, n, {a.alpha, a.beta});
    default:
      for (int64_t j = 0; j < n; ++j) x[j] = rnn::activate(a, x[j]);
  }
}

}  // namespace onnxrt::kernels::rnn
