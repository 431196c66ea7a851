// Conv -> BatchNormalization (inference) folded into the Conv's weights and bias:
//   s[m] = scale[m] / sqrt(var[m] + epsilon)
//   W'[m, ...] = W[m, ...] * s[m]        B'[m] = (B[m] - mean[m]) * s[m] + bias[m]
// which removes a full pass over the conv's output. Exporters that keep BatchNormalization nodes
// (TorchScript-based torch.onnx, TF and Keras converters, hand-built models) leave one after every
// conv of a CNN. Only float32 constants are folded, only when the conv output feeds nothing but
// this BatchNormalization, and only the inference form (one output, training_mode 0) of opset 9+,
// whose semantics are the per-channel formula above (opsets before 9 have `spatial`).
//
// batchnorm_to_depthwise_conv (extended levels): a BatchNormalization that no Conv absorbed (the
// pre-activation BN -> ReLU -> Conv of DenseNet and ResNet-v2 blocks, after a Concat or an Add)
// becomes the per-channel multiply-add it is, a depthwise 1x1 Conv with W[c] = s[c] and
// B[c] = B[c] - mean[c] * s[c]. The ReLU after it then fuses into it, and a chain of such blocks can
// run in the channel-blocked layout (passes/block_channels.cc), which a BatchNormalization node
// would have split.
#include <cmath>
#include <string>
#include <vector>

#include "passes/fusion_util.h"
#include "passes/pass.h"

namespace onnxrt::passes {

namespace {

// A float32 constant initializer (not a graph input that a feed could override).
const Tensor* f32_constant(const ir::Graph& g, ir::ValueId v) {
  if (v == ir::kNoValue) return nullptr;
  const ir::ValueInfo& info = g.value(v);
  if (!info.constant || info.is_graph_input || info.constant->dtype() != DType::kFloat32) return nullptr;
  return &*info.constant;
}

using fusion::fresh_name;
using fusion::replace_input;

bool is_inference_batchnorm(const ir::Node& bn) {
  if (bn.op_type != "BatchNormalization" || !bn.domain.empty() || bn.opset < 9 || bn.inputs.size() != 5)
    return false;
  for (size_t i = 1; i < bn.outputs.size(); ++i)
    if (bn.outputs[i] != ir::kNoValue) return false;
  const ir::Attribute* training = bn.attrs.find("training_mode");
  return !training || training->i == 0;
}

// The per-channel s = scale / sqrt(var + epsilon) of an inference BatchNormalization with float32
// constant parameters of `channels` values each; empty when they are not that.
std::vector<double> bn_scales(const ir::Graph& g, const ir::Node& bn, int64_t channels) {
  const Tensor* scale = f32_constant(g, bn.inputs[1]);
  const Tensor* bias = f32_constant(g, bn.inputs[2]);
  const Tensor* mean = f32_constant(g, bn.inputs[3]);
  const Tensor* var = f32_constant(g, bn.inputs[4]);
  for (const Tensor* t : {scale, bias, mean, var})
    if (!t || t->rank() != 1 || t->dim(0) != channels) return {};
  const ir::Attribute* eps_attr = bn.attrs.find("epsilon");
  const double eps = eps_attr ? eps_attr->f : 1e-5;
  std::vector<double> s(static_cast<size_t>(channels));
  for (int64_t m = 0; m < channels; ++m)
    s[static_cast<size_t>(m)] = static_cast<double>(scale->data<float>()[m]) /
                                std::sqrt(static_cast<double>(var->data<float>()[m]) + eps);
  return s;
}

// Folds bn (node `bn_id`) into conv (`conv_id`); false when the pattern's constants do not fit.
Expected<bool> fold_one(ir::Graph& g, ir::NodeId conv_id, ir::NodeId bn_id) {
  const ir::Node& conv = g.node(conv_id);
  const ir::Node& bn = g.node(bn_id);
  const Tensor* w = f32_constant(g, conv.inputs.size() > 1 ? conv.inputs[1] : ir::kNoValue);
  const Tensor* b = conv.inputs.size() > 2 ? f32_constant(g, conv.inputs[2]) : nullptr;
  if (!w || w->rank() < 3 || (conv.inputs.size() > 2 && conv.inputs[2] != ir::kNoValue && !b)) return false;
  const int64_t M = w->dim(0);
  if (M <= 0) return false;
  const std::vector<double> scales = bn_scales(g, bn, M);
  if (scales.empty() || (b && (b->rank() != 1 || b->dim(0) != M))) return false;
  const Tensor* bias = f32_constant(g, bn.inputs[2]);
  const Tensor* mean = f32_constant(g, bn.inputs[3]);

  Tensor w2 = Tensor::allocate(DType::kFloat32, w->shape());
  Tensor b2 = Tensor::allocate(DType::kFloat32, {M});
  const int64_t per = w->size() / M;
  for (int64_t m = 0; m < M; ++m) {
    const double s = scales[static_cast<size_t>(m)];
    for (int64_t k = 0; k < per; ++k)
      w2.data<float>()[m * per + k] = static_cast<float>(w->data<float>()[m * per + k] * s);
    const double bm = b ? b->data<float>()[m] : 0.0;
    b2.data<float>()[m] = static_cast<float>((bm - mean->data<float>()[m]) * s + bias->data<float>()[m]);
  }
  const std::string base = conv.name.empty() ? std::string("conv") : conv.name;
  ONNXRT_ASSIGN_OR_RETURN(ir::ValueId wv, g.add_initializer(fresh_name(g, base + "_W_bn_folded"), std::move(w2)));
  ONNXRT_ASSIGN_OR_RETURN(ir::ValueId bv, g.add_initializer(fresh_name(g, base + "_B_bn_folded"), std::move(b2)));
  replace_input(g, conv_id, 1, wv);
  replace_input(g, conv_id, 2, bv);
  ONNXRT_RETURN_IF_ERROR(fusion::absorb(g, conv_id, bn_id));
  return true;
}

}  // namespace

Expected<bool> fold_conv_batchnorm(ir::Graph& graph, const PassContext&) {
  bool changed = false;
  for (size_t i = 0; i < graph.num_nodes(); ++i) {
    const auto id = static_cast<ir::NodeId>(i);
    if (graph.is_removed(id)) continue;
    const ir::Node& bn = graph.node(id);
    if (!is_inference_batchnorm(bn) || bn.inputs[0] == ir::kNoValue) continue;
    const ir::ValueId x = bn.inputs[0];
    const ir::NodeId p = graph.value(x).producer;
    if (p < 0 || graph.is_removed(p)) continue;
    const ir::Node& conv = graph.node(p);
    if (conv.op_type != "Conv" || !conv.domain.empty() || conv.outputs.size() != 1) continue;
    if (fusion::sole_consumer(graph, x) != id || !fusion::is_float32(graph, x)) continue;
    ONNXRT_ASSIGN_OR_RETURN(bool folded, fold_one(graph, p, id));
    changed = changed || folded;
  }
  return changed;
}

Expected<bool> batchnorm_to_depthwise_conv(ir::Graph& graph, const PassContext&) {
  bool changed = false;
  const size_t count = graph.num_nodes();
  for (size_t i = 0; i < count; ++i) {
    const auto id = static_cast<ir::NodeId>(i);
    if (graph.is_removed(id)) continue;
    const ir::Node& bn = graph.node(id);
    if (!is_inference_batchnorm(bn) || bn.inputs[0] == ir::kNoValue || !fusion::is_float32(graph, bn.inputs[0]))
      continue;
    const ir::ValueType& t = graph.value(bn.inputs[0]).type;
    if (!t.has_shape || t.rank() != 4 || !t.shape[1].is_known() || t.shape[1].value() <= 0) continue;
    const int64_t C = t.shape[1].value();
    const std::vector<double> s = bn_scales(graph, bn, C);
    if (s.empty()) continue;
    const Tensor* bias = f32_constant(graph, bn.inputs[2]);
    const Tensor* mean = f32_constant(graph, bn.inputs[3]);
    Tensor w = Tensor::allocate(DType::kFloat32, {C, 1, 1, 1});
    Tensor b = Tensor::allocate(DType::kFloat32, {C});
    for (int64_t c = 0; c < C; ++c) {
      w.data<float>()[c] = static_cast<float>(s[static_cast<size_t>(c)]);
      b.data<float>()[c] =
          static_cast<float>(bias->data<float>()[c] - static_cast<double>(mean->data<float>()[c]) * s[static_cast<size_t>(c)]);
    }
    const std::string base = bn.name.empty() ? std::string("batchnorm") : bn.name;
    const std::string x_name = graph.value(bn.inputs[0]).name;
    ONNXRT_ASSIGN_OR_RETURN(ir::ValueId wv, graph.add_initializer(fresh_name(graph, base + "_W_depthwise"), std::move(w)));
    ONNXRT_ASSIGN_OR_RETURN(ir::ValueId bv, graph.add_initializer(fresh_name(graph, base + "_B_depthwise"), std::move(b)));
    ir::Node conv;
    conv.name = base + "/depthwise";
    conv.op_type = "Conv";
    conv.opset = graph.opset_version("");
    ir::Attribute group;
    group.name = "group";
    group.kind = ir::AttrKind::kInt;
    group.i = C;
    conv.attrs.set(std::move(group));
    ONNXRT_ASSIGN_OR_RETURN(
        ir::NodeId cid, graph.add_node(std::move(conv), std::vector<std::string>{x_name, graph.value(wv).name, graph.value(bv).name},
                                       std::vector<std::string>{fresh_name(graph, base + "/depthwise_out")}));
    ONNXRT_RETURN_IF_ERROR(fusion::absorb(graph, cid, id));
    changed = true;
  }
  return changed;
}

}  // namespace onnxrt::passes
