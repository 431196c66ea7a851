// Channel-blocked layout for chains of pointwise and depthwise convs (MobileNet- and
// EfficientNet-style blocks): Conv / FusedConv nodes become com.onnxrt BlockedConv on tensors
// [N, C/8, H, W, 8] (ir/infer_fused.h), with ToBlocked / FromBlocked only where the chain meets
// other nodes. In NCHW a pointwise conv reads one stream per input channel plane and a stride-2
// depthwise conv shuffles every vector; blocked, both read whole 8-channel vectors per pixel.
//
// Members of a chain (all float32, rank 4 in NCHW, channel counts known multiples of 8):
//   pointwise convs: group 1, 1x1 window, strides 1, no padding, W constant, auto_pad unset;
//   depthwise convs: group = C = M, W [C, 1, KH, KW], any window, strides, padding, dilation;
//   3x3 stride-1 convs with 16+ channels each way (Winograd, as in NCHW), which anchor a chain like
//     depthwise convs; other convs of one group with a width stride of 1 or 2 (pointwise tiles
//     over the taps), which anchor one when their window is narrow (registers_all_taps), and
//     grouped ones whose groups fill whole blocks of channels (ir::blocked_merged_groups);
//   element-wise ops on one tensor (Relu, Clip, Sigmoid, Swish, QuantizeDequantize with its scalar
//     parameters, ...): the same op on the blocked tensor, element for element;
//   Add / Mul / Sub / Div of two such tensors with the same channels (broadcasting over N, H, W
//     is the same blocked: the squeeze-excite gate [N, C, 1, 1]), or of one and a single value;
//   ReduceMean over H and W with keepdims (squeeze-excite's pooling), its axes made [2, 3];
//   MaxPool (without Indices) and AveragePool with 2-D windows (ResNet's max pool after the stem,
//     DenseNet's transitions, YOLO's SPPF): the same op with the window [kh, kw, 1] over the
//     blocked tensor's H, W and lanes (with_lane_window; nn_pool.cc lane_pool), so the stem before
//     a max pool joins the chain too;
//   Resize and Upsample of H and W only (nearest, or linear without antialias; not
//     tf_crop_and_resize; constant scales or sizes, or axes within H and W), whose output a member
//     reads (an FPN's or YOLO neck's upsampling; one at a chain's edge would only move a layout
//     change to its larger output): the same op with the lanes' axis kept at scale 1, which every
//     coordinate mode but tf_crop_and_resize maps to itself (with_lane_axis);
//   Concat over the channels of such tensors (DenseNet's dense blocks, YOLO's and UNet's
//     skips): with every part a multiple of 8 channels, the blocked result is the Concat of the
//     blocked parts over their axis 1;
//   convs of one group on an NCHW input whose channels are not a multiple of 8 (a stem on an
//     image), which read X as it is and write blocked (is_stem).
// Members joined through their blocked inputs form chains; a chain is converted when it holds an
// anchor (a depthwise conv with a window, a Winograd 3x3 conv or a dense conv over few channels:
// registers_all_taps) and at least two convs per layout change it needs, so that the reorders are
// paid back (1x1 convs alone never qualify; a depthwise 1x1 conv, a BatchNormalization that no
// conv absorbed, is a member but neither anchors nor counts). Layout changes of tensors of at most
// kFreeReorder elements (a squeeze-excite vector) cost next to nothing and are not counted.
//
// Only on CPUs with AVX2 and without AVX-512 (block_channels_enabled): the blocked kernels are
// AVX2 (8 channels per vector), the scalar ones slower than the NCHW paths, and on AVX-512 CPUs
// the NCHW kernels use 16-lane vectors; the blocked layout was measured only against AVX2 ones.
#include <algorithm>
#include <array>
#include <map>
#include <numeric>
#include <set>
#include <string>
#include <string_view>
#include <vector>

#include "base/cpu_features.h"
#include "ir/infer_image.h"
#include "passes/fusion_util.h"
#include "passes/pass.h"

namespace onnxrt::passes {

namespace {

using fusion::fresh_name;

constexpr int64_t kB = ir::kChannelBlock;
constexpr int64_t kFreeReorder = 8192;

enum class BlockKind { kNone, kPointwise, kDepthwise, kDense3x3, kDense, kStem, kUnary, kBinary, kReduceHW, kConcat, kPool, kResize };

bool is_conv(BlockKind k) {
  return k == BlockKind::kPointwise || k == BlockKind::kDepthwise || k == BlockKind::kDense3x3 ||
         k == BlockKind::kDense || k == BlockKind::kStem;
}

bool ints_all(const ir::Node& n, const char* name, int64_t v) {
  const ir::Attribute* a = n.attrs.find(name);
  return !a || std::all_of(a->ints.begin(), a->ints.end(), [v](int64_t x) { return x == v; });
}

// A float32 rank-4 tensor whose channel count is a known multiple of 8 (0 otherwise).
int64_t blockable_channels(const ir::Graph& g, ir::ValueId v) {
  if (v == ir::kNoValue || !fusion::is_float32(g, v)) return 0;
  const ir::ValueType& t = g.value(v).type;
  if (!t.has_shape || t.rank() != 4 || !t.shape[1].is_known()) return 0;
  const int64_t c = t.shape[1].value();
  return c > 0 && c % kB == 0 ? c : 0;
}

bool single_value(const ir::Graph& g, ir::ValueId v) {
  const ir::ValueType& t = g.value(v).type;
  if (!t.is_tensor() || !t.has_shape || t.rank() > 4) return false;
  return std::all_of(t.shape.begin(), t.shape.end(), [](const Dim& d) { return d.is_known() && d.value() == 1; });
}

constexpr std::array<std::string_view, 15> kUnaryOps = {"Relu", "Clip",     "Sigmoid", "Tanh", "HardSwish",
                                                        "HardSigmoid", "LeakyRelu", "Swish", "Gelu", "Elu",
                                                        "Softplus", "Neg",      "Abs",     "Erf",  "Mish"};

BlockKind conv_kind(const ir::Graph& g, const ir::Node& n) {
  if (n.inputs.size() < 2) return BlockKind::kNone;
  const int64_t C = blockable_channels(g, n.inputs[0]);
  const ir::ValueInfo& w = g.value(n.inputs[1]);
  if (C == 0 || !w.constant || w.is_graph_input || w.constant->dtype() != DType::kFloat32 || w.constant->rank() != 4)
    return BlockKind::kNone;
  if (const ir::Attribute* ap = n.attrs.find("auto_pad"); ap && ap->s != "NOTSET") return BlockKind::kNone;
  const int64_t M = w.constant->dim(0), Cg = w.constant->dim(1);
  const int64_t KH = w.constant->dim(2), KW = w.constant->dim(3);
  const ir::Attribute* ga = n.attrs.find("group");
  const int64_t group = ga ? ga->i : 1;
  if (M % kB != 0 || M == 0) return BlockKind::kNone;
  if (group == 1 && Cg == C && KH == 1 && KW == 1 && ints_all(n, "strides", 1) && ints_all(n, "pads", 0))
    return BlockKind::kPointwise;
  if (group == C && M == C && Cg == 1) return BlockKind::kDepthwise;
  // Winograd's convs (nn_conv_winograd.h) with the channels for which it is picked.
  if (group == 1 && Cg == C && KH == 3 && KW == 3 && C >= 16 && M >= 16 && ints_all(n, "strides", 1) &&
      ints_all(n, "dilations", 1))
    return BlockKind::kDense3x3;
  // Other convs of one group, as a sum of pointwise convs over the taps (the blocked kernel's
  // tiles step 1 or 2 input pixels): ResNet's stride-2 convs between stages.
  const ir::Attribute* st = n.attrs.find("strides");
  const int64_t sw = st && st->ints.size() == 2 ? st->ints[1] : 1;
  if (group == 1 && Cg == C && (sw == 1 || sw == 2)) return BlockKind::kDense;
  // Grouped convs whose groups fill whole blocks, alone or merged (ResNeXt, RegNet, ShuffleNet):
  // dense convs per block group, in the same kernels.
  if (Cg * group == C && ir::blocked_merged_groups(C, M, group) > 0 && (sw == 1 || sw == 2)) return BlockKind::kDense;
  return BlockKind::kNone;
}

// A dense conv with a window (not 1x1) over few enough channels that the blocked kernel keeps all
// taps' sums in registers (ir::kBlockedDenseTapsMaxK): faster than the NCHW kernels (a YOLO-style
// 3x3 stride-2 conv 16 -> 32 at 80x80: 722 against 1146 us), so it anchors a chain.
bool registers_all_taps(const ir::Graph& g, const ir::Node& n) {
  const Tensor& w = *g.value(n.inputs[1]).constant;
  return w.dim(2) * w.dim(3) > 1 && w.dim(1) * w.dim(2) * w.dim(3) <= ir::kBlockedDenseTapsMaxK;
}

// A conv whose window is 1x1 (its W constant, as every blocked conv's).
bool window_1x1(const ir::Graph& g, const ir::Node& n) {
  const Tensor& w = *g.value(n.inputs[1]).constant;
  return w.dim(2) == 1 && w.dim(3) == 1;
}

// A conv of one group on an NCHW input whose channel count is not a multiple of 8 (a stem on an
// RGB image), without a residual, with a width stride of 1 or 2: a member that reads X as it is
// and writes blocked (BlockedConv with x_layout "NCHW"), so the chain after it starts without a
// ToBlocked.
bool is_stem(const ir::Graph& g, const ir::Node& n) {
  if (n.inputs.size() < 2 || (n.inputs.size() > 3 && n.inputs[3] != ir::kNoValue)) return false;
  const ir::ValueId x = n.inputs[0];
  if (x == ir::kNoValue || !fusion::is_float32(g, x)) return false;
  const ir::ValueType& t = g.value(x).type;
  if (!t.has_shape || t.rank() != 4 || !t.shape[1].is_known()) return false;
  const int64_t C = t.shape[1].value();
  const ir::ValueInfo& w = g.value(n.inputs[1]);
  if (C <= 0 || C % kB == 0 || !w.constant || w.is_graph_input || w.constant->dtype() != DType::kFloat32 ||
      w.constant->rank() != 4 || w.constant->dim(1) != C)
    return false;
  const int64_t M = w.constant->dim(0);
  if (M == 0 || M % kB != 0) return false;
  if (const ir::Attribute* ap = n.attrs.find("auto_pad"); ap && ap->s != "NOTSET") return false;
  const ir::Attribute* ga = n.attrs.find("group");
  const ir::Attribute* st = n.attrs.find("strides");
  const int64_t sw = st && st->ints.size() == 2 ? st->ints[1] : 1;
  return (!ga || ga->i == 1) && (sw == 1 || sw == 2);
}

// ReduceMean over exactly H and W with keepdims = 1 (axes from the attribute before opset 18,
// from a constant input since).
bool reduces_hw(const ir::Graph& g, const ir::Node& n) {
  if (n.inputs.empty() || blockable_channels(g, n.inputs[0]) == 0) return false;
  ir::AttrReader a(n);
  if (a.i("keepdims", 1) != 1 || a.i("noop_with_empty_axes", 0) != 0) return false;
  std::vector<int64_t> axes;
  if (n.opset < 18) {
    axes = a.ints("axes", {});
  } else {
    if (n.inputs.size() < 2 || n.inputs[1] == ir::kNoValue) return false;
    const ir::ValueInfo& v = g.value(n.inputs[1]);
    if (!v.constant || v.is_graph_input || v.constant->dtype() != DType::kInt64 || v.constant->rank() != 1)
      return false;
    axes.assign(v.constant->data<int64_t>(), v.constant->data<int64_t>() + v.constant->size());
  }
  if (!a.status().is_ok() || axes.size() != 2) return false;
  for (int64_t& x : axes) x = x < 0 ? x + 4 : x;
  std::sort(axes.begin(), axes.end());
  return axes[0] == 2 && axes[1] == 3;
}

// A MaxPool (without Indices: block_kind takes one output) or AveragePool whose window attributes
// are 2-D: it runs on the blocked tensor as the same op with a window of 1 over the lanes
// (with_lane_window), which the CPU kernel takes as rows of 8 channels (nn_pool.cc lane_pool).
bool window_2d(const ir::Node& n) {
  const ir::Attribute* k = n.attrs.find("kernel_shape");
  if (!k || k->ints.size() != 2) return false;
  for (const char* name : {"strides", "dilations"})
    if (const ir::Attribute* a = n.attrs.find(name); a && a->ints.size() != 2) return false;
  const ir::Attribute* pads = n.attrs.find("pads");
  return !pads || pads->ints.size() == 4;
}

// The 2-D window attributes of a pool with the lanes' window appended: kernel, stride and
// dilation 1, no pads (auto_pad then pads the lanes by 0 as well).
void with_lane_window(ir::Node& n) {
  for (const char* name : {"kernel_shape", "strides", "dilations"}) {
    const ir::Attribute* a = n.attrs.find(name);
    if (!a) continue;
    ir::Attribute three = *a;
    three.ints.push_back(1);
    n.attrs.set(three);
  }
  if (const ir::Attribute* p = n.attrs.find("pads")) {
    ir::Attribute pads = *p;
    pads.ints = {p->ints[0], p->ints[1], 0, p->ints[2], p->ints[3], 0};
    n.attrs.set(pads);
  }
}

// The fixed value of input `i` of `n` when it has at least one element (null otherwise: absent,
// empty, computed).
const Tensor* constant_input(const ir::Graph& g, const ir::Node& n, int i) {
  if (i < 0 || static_cast<size_t>(i) >= n.inputs.size()) return nullptr;
  const Tensor* t = fusion::fixed_constant(g, n.inputs[static_cast<size_t>(i)]);
  return t && t->size() > 0 ? t : nullptr;
}

// A Resize / Upsample that keeps the channels of a rank-4 tensor, in a mode whose
// coordinate transform maps an axis of scale 1 to itself (every mode but tf_crop_and_resize:
// half_pixel's (x + 0.5) / 1 - 0.5, align_corners' x * (n - 1) / (n - 1), ... are x), nearest or
// linear without antialias (cubic's and antialias's taps at scale 1 were not checked to be the
// identity).
bool resizes_hw(const ir::Graph& g, const ir::Node& n) {
  ir::ResizeAttrs a;
  if (!ir::read_resize_attrs(n, &a).is_ok() || a.mode == ir::ResizeMode::kCubic || a.antialias ||
      a.coord == ir::CoordMode::kTfCropAndResize)
    return false;
  if (!a.axes.empty()) {  // only H and W may be listed: the scales and sizes then cover just them
    std::set<int64_t> axes;
    for (int64_t ax : a.axes) axes.insert(ax < 0 ? ax + 4 : ax);
    return axes.size() == a.axes.size() && *axes.begin() >= 2 && *axes.rbegin() <= 3;
  }
  // The channel axis at scale exactly 1 (its size kept is not enough: a scale of 1.01 keeps 16
  // channels but mixes neighbours); the batch axis may be resized like H and W.
  if (!a.scales.empty()) return a.scales.size() == 4 && a.scales[1] == 1.f;  // Upsample-7
  if (const Tensor* s = constant_input(g, n, a.scales_input))
    return s->dtype() == DType::kFloat32 && s->rank() == 1 && s->size() == 4 && s->data<float>()[1] == 1.f;
  // Sizes keep the channels (the caller checked the output's): scale C / C = 1. Under a policy
  // other than stretch that holds only when nothing is resized, so those stay out.
  const Tensor* sz = constant_input(g, n, a.sizes_input);
  return sz && a.policy == ir::AspectPolicy::kStretch && sz->dtype() == DType::kInt64 && sz->rank() == 1 &&
         sz->size() == 4;
}

// A Resize / Upsample that resizes_hw accepted, rewritten for the blocked tensor [N, C/8, H, W, 8]:
// axes made positive (H and W keep their numbers), or the scales and sizes given a fifth entry
// (scale 1, the 8 lanes) and sizes' channels counted in blocks. The roi is dropped: only
// tf_crop_and_resize reads it, and its length is twice the rank.
Status with_lane_axis(ir::Graph& g, ir::Node& n, std::vector<std::string>& ins) {
  ir::ResizeAttrs a;
  ONNXRT_RETURN_IF_ERROR(ir::read_resize_attrs(n, &a));
  if (a.roi_input >= 0 && static_cast<size_t>(a.roi_input) < ins.size()) ins[static_cast<size_t>(a.roi_input)].clear();
  if (!a.axes.empty()) {
    std::vector<int64_t> axes = a.axes;
    for (int64_t& ax : axes) ax = ax < 0 ? ax + 4 : ax;
    n.attrs.set(ir::ints_attribute("axes", std::move(axes)));
    return Status::ok();
  }
  if (!a.scales.empty()) {  // Upsample-7's attribute
    ir::Attribute scales = *n.attrs.find("scales");
    scales.floats.push_back(1.f);
    n.attrs.set(std::move(scales));
    return Status::ok();
  }
  const bool by_scales = constant_input(g, n, a.scales_input) != nullptr;
  const int slot = by_scales ? a.scales_input : a.sizes_input;
  const Tensor& given = *constant_input(g, n, slot);
  Tensor five = Tensor::allocate(given.dtype(), {5});
  if (by_scales) {
    std::copy(given.data<float>(), given.data<float>() + 4, five.data<float>());
    five.data<float>()[4] = 1.f;
  } else {
    std::copy(given.data<int64_t>(), given.data<int64_t>() + 4, five.data<int64_t>());
    five.data<int64_t>()[1] /= kB;
    five.data<int64_t>()[4] = kB;
  }
  const std::string name = fresh_name(g, n.name + (by_scales ? "/scales_blocked" : "/sizes_blocked"));
  ONNXRT_RETURN_IF_ERROR(g.add_initializer(name, std::move(five)).status());
  ins[static_cast<size_t>(slot)] = name;
  return Status::ok();
}

// What a node would be in a chain, and which of its inputs then carry blocked tensors (bits).
struct Blockable {
  BlockKind kind = BlockKind::kNone;
  unsigned slots = 0;
};

Blockable block_kind(const ir::Graph& g, ir::NodeId id) {
  const ir::Node& n = g.node(id);
  if (n.outputs.size() != 1 || n.outputs[0] == ir::kNoValue || g.is_read_implicitly(n.outputs[0]) ||
      n.inputs.empty())
    return {};
  const bool fused = n.domain == ir::kFusedDomain;
  if (fusion::is_op(n, "Conv") || (fused && n.op_type == "FusedConv")) {
    const BlockKind k = conv_kind(g, n);
    if (k == BlockKind::kNone && is_stem(g, n)) return {BlockKind::kStem, 0u};  // X stays NCHW
    return {k, k == BlockKind::kNone ? 0u : 0b1001u};  // X and Z
  }
  if (blockable_channels(g, n.outputs[0]) == 0) return {};
  const bool plain = n.domain.empty();
  if ((plain && std::find(kUnaryOps.begin(), kUnaryOps.end(), n.op_type) != kUnaryOps.end()) ||
      (fused && (n.op_type == "Swish" || n.op_type == "Gelu" || n.op_type == "Mish" || n.op_type == "QuantizeDequantize")))
    return blockable_channels(g, n.inputs[0]) ? Blockable{BlockKind::kUnary, 1u} : Blockable{};
  if (plain && (n.op_type == "Add" || n.op_type == "Mul" || n.op_type == "Sub" || n.op_type == "Div") &&
      n.inputs.size() == 2) {
    const int64_t C = blockable_channels(g, n.outputs[0]);
    unsigned slots = 0;
    for (size_t s = 0; s < 2; ++s) {
      if (blockable_channels(g, n.inputs[s]) == C) slots |= 1u << s;
      else if (!single_value(g, n.inputs[s])) return {};
    }
    return slots ? Blockable{BlockKind::kBinary, slots} : Blockable{};
  }
  if (plain && n.op_type == "ReduceMean" && reduces_hw(g, n)) return {BlockKind::kReduceHW, 1u};
  if (plain && (n.op_type == "MaxPool" || n.op_type == "AveragePool") && blockable_channels(g, n.inputs[0]) &&
      window_2d(n))
    return {BlockKind::kPool, 1u};
  if (plain && (n.op_type == "Resize" || n.op_type == "Upsample")) {
    const int64_t C = blockable_channels(g, n.inputs[0]);
    return C && blockable_channels(g, n.outputs[0]) == C && resizes_hw(g, n) ? Blockable{BlockKind::kResize, 1u}
                                                                                : Blockable{};
  }
  if (plain && n.op_type == "Concat" && n.inputs.size() <= 32) {
    ir::AttrReader a(n);
    const int64_t axis = a.i("axis", 0);
    if (!a.status().is_ok() || (axis != 1 && axis != -3)) return {};
    unsigned slots = 0;
    for (size_t s = 0; s < n.inputs.size(); ++s) {
      if (blockable_channels(g, n.inputs[s]) == 0) return {};
      slots |= 1u << s;
    }
    return {BlockKind::kConcat, slots};
  }
  return {};
}

bool in_slot(unsigned slots, size_t s) { return s < 32 && (slots >> s & 1u) != 0; }

struct UnionFind {
  std::vector<int> parent;
  explicit UnionFind(size_t n) : parent(n) { std::iota(parent.begin(), parent.end(), 0); }
  int find(int a) { return parent[a] == a ? a : parent[a] = find(parent[a]); }
  void unite(int a, int b) { parent[find(a)] = find(b); }
};

// Whether value `v` (a member's output) is read anywhere other than a member's blocked slot.
bool read_outside(const ir::Graph& g, ir::ValueId v, const std::vector<Blockable>& kind) {
  const ir::ValueInfo& info = g.value(v);
  if (info.is_graph_output || g.is_read_implicitly(v)) return true;
  for (ir::NodeId c : info.consumers) {
    const ir::Node& n = g.node(c);
    for (size_t s = 0; s < n.inputs.size(); ++s)
      if (n.inputs[s] == v && !in_slot(kind[static_cast<size_t>(c)].slots, s)) return true;
  }
  return false;
}

// A layout change of `v` worth counting against a chain: more than kFreeReorder elements (unknown
// dims counted as 1).
bool costly_reorder(const ir::Graph& g, ir::ValueId v) {
  int64_t n = 1;
  for (const Dim& d : g.value(v).type.shape) n *= d.is_known() ? d.value() : 1;
  return n > kFreeReorder;
}

ir::Node fused_node(std::string name, std::string op) {
  ir::Node r;
  r.name = std::move(name);
  r.op_type = std::move(op);
  r.domain = std::string(ir::kFusedDomain);
  r.opset = 1;
  return r;
}

}  // namespace

bool block_channels_enabled() { return cpu_features().has_avx2_fma() && !cpu_features().has_avx512(); }

Expected<bool> block_channels(ir::Graph& graph, const PassContext&) {
  if (!block_channels_enabled()) return false;
  const size_t n = graph.num_nodes();
  std::vector<Blockable> kind(n);
  for (size_t i = 0; i < n; ++i)
    if (!graph.is_removed(static_cast<ir::NodeId>(i))) kind[i] = block_kind(graph, static_cast<ir::NodeId>(i));
  auto producer_member = [&](ir::ValueId v) {
    const ir::NodeId p = graph.value(v).producer;
    return p >= 0 && kind[static_cast<size_t>(p)].kind != BlockKind::kNone ? p : -1;
  };
  // A Concat joins a chain only when every part comes from a member: a part that would need its
  // own ToBlocked (a MaxPool's output in a YOLO neck) would also tie the chains on both sides into
  // one that no longer pays for its reorders (YOLO-style: 5.8 -> 7.6 ms, its backbone back in
  // NCHW). A Resize joins only when a member reads its output (see the file comment). Until
  // neither changes, as one may feed another.
  for (bool again = true; again;) {
    again = false;
    for (size_t i = 0; i < n; ++i) {
      if (kind[i].kind != BlockKind::kConcat && kind[i].kind != BlockKind::kResize) continue;  // removed ones too
      const ir::Node& node = graph.node(static_cast<ir::NodeId>(i));
      bool drop = false;
      if (kind[i].kind == BlockKind::kConcat)
        drop = std::any_of(node.inputs.begin(), node.inputs.end(), [&](ir::ValueId v) { return producer_member(v) < 0; });
      else if (kind[i].kind == BlockKind::kResize)
        drop = read_outside(graph, node.outputs[0], kind);
      if (drop) {
        kind[i] = {};
        again = true;
      }
    }
  }

  // Chains: members joined through their blocked inputs.
  UnionFind uf(n);
  for (size_t i = 0; i < n; ++i) {
    if (kind[i].kind == BlockKind::kNone) continue;
    const ir::Node& node = graph.node(static_cast<ir::NodeId>(i));
    for (size_t s = 0; s < node.inputs.size(); ++s) {
      if (!in_slot(kind[i].slots, s) || node.inputs[s] == ir::kNoValue) continue;
      if (const ir::NodeId p = producer_member(node.inputs[s]); p >= 0) uf.unite(static_cast<int>(i), p);
    }
  }
  struct Chain {
    int convs = 0;
    bool anchored = false;  // holds a depthwise, Winograd or narrow dense conv
    std::set<ir::ValueId> entries;  // values that need a costly ToBlocked
    int exits = 0;                  // outputs that need a costly FromBlocked
  };
  std::map<int, Chain> chains;
  for (size_t i = 0; i < n; ++i) {
    if (kind[i].kind == BlockKind::kNone) continue;
    Chain& c = chains[uf.find(static_cast<int>(i))];
    const bool pointwise_depthwise = kind[i].kind == BlockKind::kDepthwise && window_1x1(graph, graph.node(static_cast<ir::NodeId>(i)));
    c.convs += is_conv(kind[i].kind) && !pointwise_depthwise ? 1 : 0;
    c.anchored |= (kind[i].kind == BlockKind::kDepthwise && !pointwise_depthwise) || kind[i].kind == BlockKind::kDense3x3 ||
                  (kind[i].kind == BlockKind::kDense && registers_all_taps(graph, graph.node(static_cast<ir::NodeId>(i))));
    const ir::Node& node = graph.node(static_cast<ir::NodeId>(i));
    for (size_t s = 0; s < node.inputs.size(); ++s) {
      const ir::ValueId v = node.inputs[s];
      if (in_slot(kind[i].slots, s) && v != ir::kNoValue && producer_member(v) < 0 && costly_reorder(graph, v))
        c.entries.insert(v);
    }
    if (read_outside(graph, node.outputs[0], kind) && costly_reorder(graph, node.outputs[0])) ++c.exits;
  }
  std::vector<bool> member(n, false);
  bool any = false;
  for (size_t i = 0; i < n; ++i) {
    if (kind[i].kind == BlockKind::kNone) continue;
    const Chain& c = chains[uf.find(static_cast<int>(i))];
    const int reorders = static_cast<int>(c.entries.size()) + c.exits;
    member[i] = c.anchored && c.convs >= 2 * reorders;
    any |= member[i];
  }
  if (!any) return false;
  fusion::add_fused_import(graph);

  ONNXRT_ASSIGN_OR_RETURN(std::vector<ir::NodeId> order, graph.topological_order());
  std::map<ir::ValueId, ir::ValueId> blocked_of;  // NCHW value -> its blocked twin
  auto blocked_input = [&](ir::ValueId v, const std::string& node_name) -> Expected<std::string> {
    if (auto it = blocked_of.find(v); it != blocked_of.end()) return graph.value(it->second).name;
    const std::string out = fresh_name(graph, graph.value(v).name + "/blocked");
    const std::string in = graph.value(v).name;
    ONNXRT_ASSIGN_OR_RETURN(ir::NodeId id, graph.add_node(fused_node(node_name + "/to_blocked", "ToBlocked"),
                                                          std::vector<std::string>{in}, std::vector<std::string>{out}));
    blocked_of[v] = graph.node(id).outputs[0];
    return out;
  };
  for (ir::NodeId id : order) {
    if (!member[static_cast<size_t>(id)]) continue;
    const Blockable k = kind[static_cast<size_t>(id)];
    ir::Node node = graph.node(id);  // a copy: add_node below may move the node storage
    std::vector<std::string> ins;
    for (size_t s = 0; s < node.inputs.size(); ++s) {
      const ir::ValueId v = node.inputs[s];
      if (v == ir::kNoValue) {
        ins.emplace_back();
      } else if (in_slot(k.slots, s)) {
        ONNXRT_ASSIGN_OR_RETURN(std::string name, blocked_input(v, node.name));
        ins.push_back(std::move(name));
      } else {
        ins.push_back(graph.value(v).name);
      }
    }
    if (is_conv(k.kind)) {
      node.op_type = "BlockedConv";
      node.domain = std::string(ir::kFusedDomain);
      node.opset = 1;
      if (k.kind == BlockKind::kStem) {
        ir::Attribute layout;
        layout.name = "x_layout";
        layout.kind = ir::AttrKind::kString;
        layout.s = "NCHW";
        node.attrs.set(layout);
      }
    } else if (k.kind == BlockKind::kConcat) {
      ir::Attribute axis;  // the channel blocks' axis; -3 would now count from the lanes
      axis.name = "axis";
      axis.kind = ir::AttrKind::kInt;
      axis.i = 1;
      node.attrs.set(axis);
    } else if (k.kind == BlockKind::kPool) {
      with_lane_window(node);
    } else if (k.kind == BlockKind::kResize) {
      ONNXRT_RETURN_IF_ERROR(with_lane_axis(graph, node, ins));
    } else if (k.kind == BlockKind::kReduceHW) {
      // H and W stay dims 2 and 3, but negative axes would now count from the lanes.
      if (node.opset < 18) {
        ir::Attribute axes;
        axes.name = "axes";
        axes.kind = ir::AttrKind::kInts;
        axes.ints = {2, 3};
        node.attrs.set(axes);
      } else {
        const std::string axes_name = fresh_name(graph, node.name + "/axes_hw");
        Tensor axes = Tensor::allocate(DType::kInt64, {2});
        axes.data<int64_t>()[0] = 2;
        axes.data<int64_t>()[1] = 3;
        ONNXRT_RETURN_IF_ERROR(graph.add_initializer(axes_name, std::move(axes)).status());
        ins[1] = axes_name;
      }
    }
    const ir::ValueId y = node.outputs[0];
    const std::string y_name = graph.value(y).name;
    const std::string yb_name = fresh_name(graph, y_name + "/blocked");
    const std::string node_name = node.name;
    ONNXRT_ASSIGN_OR_RETURN(ir::NodeId bid, graph.add_node(std::move(node), ins, std::vector<std::string>{yb_name}));
    // Every reader of Y now reads FromBlocked(Yb); readers inside the chain are moved to Yb when
    // they are converted, and dead-code removal drops a FromBlocked that nobody reads then.
    ONNXRT_ASSIGN_OR_RETURN(
        ir::NodeId rid, graph.add_node(fused_node(node_name + "/from_blocked", "FromBlocked"),
                                       std::vector<std::string>{yb_name},
                                       std::vector<std::string>{fresh_name(graph, y_name + "/nchw")}));
    const ir::ValueId yp = graph.node(rid).outputs[0];
    graph.value(yp).type = graph.value(y).type;  // the same dims, symbols included
    graph.replace_uses(y, yp);
    blocked_of[yp] = graph.node(bid).outputs[0];
    graph.remove_node(id);
  }
  return true;
}

}  // namespace onnxrt::passes
