// Channel-blocked layout for chains of pointwise and depthwise convs (MobileNet-style inverted
// residual blocks): Conv / FusedConv nodes become com.onnxrt BlockedConv on tensors
// [N, C/8, H, W, 8] (ir/infer_fused.h), with ToBlocked / FromBlocked only where the chain meets
// other nodes. In NCHW a pointwise conv reads one stream per input channel plane and a stride-2
// depthwise conv shuffles every vector; blocked, both read whole 8-channel vectors per pixel.
//
// Which convs: float32, 2-D, W constant, auto_pad unset, channel counts multiples of 8, and
//   pointwise: group 1, 1x1 window, strides 1, no padding;
//   depthwise: group = C = M, W [C, 1, KH, KW], any window, strides, padding and dilation.
// Convs connected through their X or Z inputs form chains; a chain is converted when it holds a
// depthwise conv and at least two convs per layout change it needs, so that the reorders are
// paid back (a ResNet's 1x1 convs between 3x3 ones never qualify).
//
// Only on CPUs with AVX2 and without AVX-512 (block_channels_enabled): the blocked kernels are
// AVX2 (8 channels per vector), the scalar ones slower than the NCHW paths, and on AVX-512 CPUs
// the NCHW kernels use 16-lane vectors; the blocked layout was measured only against AVX2 ones.
#include <algorithm>
#include <map>
#include <numeric>
#include <set>
#include <string>
#include <vector>

#include "base/cpu_features.h"
#include "passes/fusion_util.h"
#include "passes/pass.h"

namespace onnxrt::passes {

namespace {

constexpr int64_t kB = ir::kChannelBlock;

enum class BlockKind { kNone, kPointwise, kDepthwise };

bool ints_all(const ir::Node& n, const char* name, int64_t v) {
  const ir::Attribute* a = n.attrs.find(name);
  return !a || std::all_of(a->ints.begin(), a->ints.end(), [v](int64_t x) { return x == v; });
}

BlockKind block_kind(const ir::Graph& g, ir::NodeId id) {
  const ir::Node& n = g.node(id);
  const bool conv = fusion::is_op(n, "Conv") || (n.op_type == "FusedConv" && n.domain == ir::kFusedDomain);
  if (!conv || n.outputs.size() != 1 || n.outputs[0] == ir::kNoValue || n.inputs.size() < 2 ||
      !fusion::is_float32(g, n.inputs[0]) || g.is_read_implicitly(n.outputs[0]))
    return BlockKind::kNone;
  const ir::ValueType& xt = g.value(n.inputs[0]).type;
  const ir::ValueInfo& w = g.value(n.inputs[1]);
  if (!xt.has_shape || xt.rank() != 4 || !xt.shape[1].is_known() || !w.constant || w.is_graph_input ||
      w.constant->dtype() != DType::kFloat32 || w.constant->rank() != 4)
    return BlockKind::kNone;
  if (const ir::Attribute* ap = n.attrs.find("auto_pad"); ap && ap->s != "NOTSET") return BlockKind::kNone;
  const int64_t C = xt.shape[1].value(), M = w.constant->dim(0), Cg = w.constant->dim(1);
  const int64_t KH = w.constant->dim(2), KW = w.constant->dim(3);
  const ir::Attribute* ga = n.attrs.find("group");
  const int64_t group = ga ? ga->i : 1;
  if (C % kB != 0 || M % kB != 0 || C == 0 || M == 0) return BlockKind::kNone;
  if (group == 1 && Cg == C && KH == 1 && KW == 1 && ints_all(n, "strides", 1) && ints_all(n, "pads", 0))
    return BlockKind::kPointwise;
  if (group == C && M == C && Cg == 1) return BlockKind::kDepthwise;
  return BlockKind::kNone;
}

// The inputs through which blocked values flow: X (0) and the residual Z (3).
bool is_blocked_slot(size_t slot) { return slot == 0 || slot == 3; }

struct UnionFind {
  std::vector<int> parent;
  explicit UnionFind(size_t n) : parent(n) { std::iota(parent.begin(), parent.end(), 0); }
  int find(int a) { return parent[a] == a ? a : parent[a] = find(parent[a]); }
  void unite(int a, int b) { parent[find(a)] = find(b); }
};

std::string fresh_name(const ir::Graph& g, const std::string& base) {
  std::string name = base;
  for (int i = 1; g.find(name) != ir::kNoValue; ++i) name = base + "_" + std::to_string(i);
  return name;
}

// Whether value `v` (a member's output) is read anywhere other than a member's X or Z slot.
bool read_outside(const ir::Graph& g, ir::ValueId v, const std::vector<BlockKind>& kind) {
  const ir::ValueInfo& info = g.value(v);
  if (info.is_graph_output || g.is_read_implicitly(v)) return true;
  for (ir::NodeId c : info.consumers) {
    const ir::Node& n = g.node(c);
    for (size_t s = 0; s < n.inputs.size(); ++s)
      if (n.inputs[s] == v && (kind[static_cast<size_t>(c)] == BlockKind::kNone || !is_blocked_slot(s))) return true;
  }
  return false;
}

}  // namespace

bool block_channels_enabled() { return cpu_features().has_avx2_fma() && !cpu_features().has_avx512(); }

Expected<bool> block_channels(ir::Graph& graph, const PassContext&) {
  if (!block_channels_enabled()) return false;
  const size_t n = graph.num_nodes();
  std::vector<BlockKind> kind(n, BlockKind::kNone);
  for (size_t i = 0; i < n; ++i)
    if (!graph.is_removed(static_cast<ir::NodeId>(i))) kind[i] = block_kind(graph, static_cast<ir::NodeId>(i));

  // Chains: members joined through X / Z.
  UnionFind uf(n);
  for (size_t i = 0; i < n; ++i) {
    if (kind[i] == BlockKind::kNone) continue;
    const ir::Node& node = graph.node(static_cast<ir::NodeId>(i));
    for (size_t s = 0; s < node.inputs.size(); ++s) {
      if (!is_blocked_slot(s) || node.inputs[s] == ir::kNoValue) continue;
      const ir::NodeId p = graph.value(node.inputs[s]).producer;
      if (p >= 0 && kind[static_cast<size_t>(p)] != BlockKind::kNone) uf.unite(static_cast<int>(i), p);
    }
  }
  struct Chain {
    int convs = 0;
    bool depthwise = false;
    std::set<ir::ValueId> entries;  // values that need a ToBlocked
    int exits = 0;                  // outputs that need a FromBlocked
  };
  std::map<int, Chain> chains;
  for (size_t i = 0; i < n; ++i) {
    if (kind[i] == BlockKind::kNone) continue;
    Chain& c = chains[uf.find(static_cast<int>(i))];
    ++c.convs;
    c.depthwise |= kind[i] == BlockKind::kDepthwise;
    const ir::Node& node = graph.node(static_cast<ir::NodeId>(i));
    for (size_t s = 0; s < node.inputs.size(); ++s) {
      if (!is_blocked_slot(s) || node.inputs[s] == ir::kNoValue) continue;
      const ir::NodeId p = graph.value(node.inputs[s]).producer;
      if (p < 0 || kind[static_cast<size_t>(p)] == BlockKind::kNone) c.entries.insert(node.inputs[s]);
    }
    if (read_outside(graph, node.outputs[0], kind)) ++c.exits;
  }
  std::vector<bool> member(n, false);
  bool any = false;
  for (size_t i = 0; i < n; ++i) {
    if (kind[i] == BlockKind::kNone) continue;
    const Chain& c = chains[uf.find(static_cast<int>(i))];
    const int reorders = static_cast<int>(c.entries.size()) + c.exits;
    member[i] = c.depthwise && c.convs >= 2 * reorders;
    any |= member[i];
  }
  if (!any) return false;
  fusion::add_fused_import(graph);

  ONNXRT_ASSIGN_OR_RETURN(std::vector<ir::NodeId> order, graph.topological_order());
  std::map<ir::ValueId, ir::ValueId> blocked_of;  // NCHW value -> its blocked twin
  auto blocked_input = [&](ir::ValueId v, const std::string& node_name) -> Expected<std::string> {
    if (auto it = blocked_of.find(v); it != blocked_of.end()) return graph.value(it->second).name;
    ir::Node r;
    r.name = node_name + "/to_blocked";
    r.op_type = "ToBlocked";
    r.domain = std::string(ir::kFusedDomain);
    r.opset = 1;
    const std::string out = fresh_name(graph, graph.value(v).name + "/blocked");
    const std::string in = graph.value(v).name;
    ONNXRT_ASSIGN_OR_RETURN(ir::NodeId id, graph.add_node(std::move(r), std::vector<std::string>{in},
                                                          std::vector<std::string>{out}));
    blocked_of[v] = graph.node(id).outputs[0];
    return out;
  };
  for (ir::NodeId id : order) {
    if (!member[static_cast<size_t>(id)]) continue;
    ir::Node conv = graph.node(id);  // a copy: add_node below may move the node storage
    std::vector<std::string> ins;
    for (size_t s = 0; s < conv.inputs.size(); ++s) {
      const ir::ValueId v = conv.inputs[s];
      if (v == ir::kNoValue) {
        ins.emplace_back();
      } else if (is_blocked_slot(s)) {
        ONNXRT_ASSIGN_OR_RETURN(std::string name, blocked_input(v, conv.name));
        ins.push_back(std::move(name));
      } else {
        ins.push_back(graph.value(v).name);
      }
    }
    const ir::ValueId y = conv.outputs[0];
    const std::string y_name = graph.value(y).name;
    ir::Node bc = conv;
    bc.op_type = "BlockedConv";
    bc.domain = std::string(ir::kFusedDomain);
    bc.opset = 1;
    const std::string yb_name = fresh_name(graph, y_name + "/blocked");
    ONNXRT_ASSIGN_OR_RETURN(ir::NodeId bid, graph.add_node(std::move(bc), ins, std::vector<std::string>{yb_name}));
    // Every reader of Y now reads FromBlocked(Yb); readers inside the chain are moved to Yb when
    // they are converted, and dead-code removal drops a FromBlocked that nobody reads then.
    ir::Node r;
    r.name = conv.name + "/from_blocked";
    r.op_type = "FromBlocked";
    r.domain = std::string(ir::kFusedDomain);
    r.opset = 1;
    ONNXRT_ASSIGN_OR_RETURN(ir::NodeId rid, graph.add_node(std::move(r), std::vector<std::string>{yb_name},
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
