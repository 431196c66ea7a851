// Pad (constant mode, value 0, spatial dims only, no cropping) -> Conv becomes the Conv with the
// pads added to its own: the conv reads the zeros it would have read from the padded copy, so the
// copy (a full pass over the input and a second buffer) goes. Models write the pair for padding
// a Conv's `pads` cannot say directly in their framework: TensorFlow's SAME padding of stride-2
// convs through tf2onnx, torch's nn.ZeroPad2d / F.pad before a conv (EfficientNet ports,
// asymmetric "correct_pad"), Keras' ZeroPadding2D.
//
// The Pad's output must feed only this Conv's X; the Conv's auto_pad must be NOTSET (explicit
// pads). Pad-1 (`paddings`), Pad-2 (attributes) and Pad-11+ (inputs; opset 18's axes) all count
// when their pads and value are constants.
#include <algorithm>
#include <cmath>
#include <optional>
#include <string>
#include <vector>

#include "passes/fusion_util.h"
#include "passes/pass.h"

namespace onnxrt::passes {

namespace {

using fusion::is_op;
using fusion::sole_consumer;

// The integers of a constant int64 / int32 1-D value, if it is one.
std::optional<std::vector<int64_t>> constant_ints(const ir::Graph& g, ir::ValueId v) {
  const Tensor* c = fusion::fixed_constant(g, v);
  if (!c || c->rank() != 1) return std::nullopt;
  const Tensor& t = *c;
  std::vector<int64_t> out(static_cast<size_t>(t.size()));
  for (size_t i = 0; i < out.size(); ++i) {
    if (t.dtype() == DType::kInt64) out[i] = t.data<int64_t>()[i];
    else if (t.dtype() == DType::kInt32) out[i] = t.data<int32_t>()[i];
    else return std::nullopt;
  }
  return out;
}

// A constant one-element value equal to +0 in its type (all bytes zero), or an omitted one.
bool zero_or_absent(const ir::Graph& g, ir::ValueId v) {
  if (v == ir::kNoValue) return true;
  const Tensor* c = fusion::fixed_constant(g, v);
  if (!c || c->size() != 1) return false;
  const Tensor& t = *c;
  const auto* bytes = static_cast<const unsigned char*>(t.raw());
  return std::all_of(bytes, bytes + t.nbytes(), [](unsigned char b) { return b == 0; });
}

// The pads [begin of each dim..., end of each dim...] a zero constant Pad adds to its rank-`rank`
// input; nullopt when the node is not such a Pad.
std::optional<std::vector<int64_t>> zero_pads(const ir::Graph& g, const ir::Node& pad, size_t rank) {
  ir::AttrReader r(pad);
  if (r.s("mode", "constant") != "constant") return std::nullopt;
  std::vector<int64_t> pads;
  if (pad.opset < 11) {
    pads = r.ints(pad.opset < 2 ? "paddings" : "pads");
    if (r.f("value", 0.f) != 0.f || std::signbit(r.f("value", 0.f))) return std::nullopt;
  } else {
    auto p = constant_ints(g, pad.inputs.size() > 1 ? pad.inputs[1] : ir::kNoValue);
    if (!p || !zero_or_absent(g, pad.inputs.size() > 2 ? pad.inputs[2] : ir::kNoValue)) return std::nullopt;
    pads = std::move(*p);
    if (pad.inputs.size() > 3 && pad.inputs[3] != ir::kNoValue) {  // axes (opset 18)
      auto axes = constant_ints(g, pad.inputs[3]);
      if (!axes || pads.size() != 2 * axes->size()) return std::nullopt;
      std::vector<int64_t> full(2 * rank, 0);
      for (size_t i = 0; i < axes->size(); ++i) {
        int64_t a = (*axes)[i];
        if (a < 0) a += static_cast<int64_t>(rank);
        if (a < 0 || a >= static_cast<int64_t>(rank)) return std::nullopt;
        full[static_cast<size_t>(a)] += pads[i];
        full[static_cast<size_t>(a) + rank] += pads[i + axes->size()];
      }
      pads = std::move(full);
    }
  }
  if (!r.status().is_ok() || pads.size() != 2 * rank) return std::nullopt;
  return pads;
}

// Folds Pad node `pad_id` into the Conv reading its output; false when they do not fit.
Expected<bool> fold_one(ir::Graph& g, ir::NodeId pad_id) {
  const ir::Node& pad = g.node(pad_id);
  if (!is_op(pad, "Pad") || pad.inputs.empty() || pad.outputs.size() != 1) return false;
  const ir::ValueId padded = pad.outputs[0];
  const ir::NodeId conv_id = sole_consumer(g, padded);
  if (conv_id < 0) return false;
  const ir::Node& conv = g.node(conv_id);
  if (!is_op(conv, "Conv") || conv.inputs.empty() || conv.inputs[0] != padded) return false;
  const ir::ValueType& xt = g.value(pad.inputs[0]).type;
  if (!xt.is_tensor() || !xt.has_shape || xt.rank() < 3) return false;
  const size_t rank = xt.rank(), spatial = rank - 2;
  const std::optional<std::vector<int64_t>> pads = zero_pads(g, pad, rank);
  if (!pads) return false;
  for (size_t d = 0; d < rank; ++d) {
    const int64_t begin = (*pads)[d], end = (*pads)[d + rank];
    if (begin < 0 || end < 0) return false;                        // a crop
    if (d < 2 && (begin != 0 || end != 0)) return false;           // batch or channels
  }
  ir::AttrReader cr(conv);
  const std::string auto_pad = cr.s("auto_pad", "NOTSET");
  std::vector<int64_t> conv_pads = cr.ints("pads", std::vector<int64_t>(2 * spatial, 0));
  if (!cr.status().is_ok() || auto_pad != "NOTSET" || conv_pads.size() != 2 * spatial) return false;
  for (size_t s = 0; s < spatial; ++s) {
    conv_pads[s] += (*pads)[2 + s];
    conv_pads[s + spatial] += (*pads)[2 + s + rank];
  }
  const ir::ValueId x = pad.inputs[0];
  g.node(conv_id).attrs.set(ir::ints_attribute("pads", std::move(conv_pads)));
  fusion::replace_input(g, conv_id, 0, x);
  g.remove_node(pad_id);
  ONNXRT_RETURN_IF_ERROR(g.reinfer(conv_id));
  return true;
}

}  // namespace

Expected<bool> fuse_pad_conv(ir::Graph& graph, const PassContext&) {
  bool changed = false;
  for (size_t i = 0; i < graph.num_nodes(); ++i) {
    const auto id = static_cast<ir::NodeId>(i);
    if (graph.is_removed(id)) continue;
    ONNXRT_ASSIGN_OR_RETURN(bool folded, fold_one(graph, id));
    changed |= folded;
  }
  return changed;
}

}  // namespace onnxrt::passes
