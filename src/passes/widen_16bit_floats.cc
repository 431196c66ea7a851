// float16 / bfloat16 graphs computed in float32: the nodes that read or make 16-bit floats are
// switched to float32 (their 16-bit constants converted once), with a Cast at each edge where a
// 16-bit value enters from a graph input or a node left as it is, or leaves to a graph output or
// such a node. The float32 graph then gets every float32 fusion and kernel (prepacked GEMM, the
// fused attention and epilogues); 16-bit tensors computed op by op cost a conversion in and out of
// every node and miss all of them (a 2-layer float16 Transformer ran 2.8x slower than in float32).
//
// What changes: values inside a region are no longer rounded to 16 bits after every node. The
// result is more accurate, never less; it differs from op-by-op rounding by a few 16-bit ulps, and
// values past float16's range (65504) stay finite inside a region. onnxruntime runs float16 models
// on the CPU the same way (it inserts float32 casts around its float32 kernels and removes the
// pairs that meet). The basic level keeps op-by-op rounding.
//
// Only default-domain ops that compute the same function on float32 are switched; a node whose
// 16-bit output a subgraph reads by name, and ops with a type attribute other than Cast's `to`,
// keep their types. A graph with no such computing node is left alone (a lone Cast or Reshape
// gains nothing).
//
// Two kinds of 16-bit constant stay 16-bit, since converting them would only double their memory:
// a MatMul's constant 2-D weight (the MatMul becomes com.onnxrt FusedMatMul, whose kernel packs
// the weight as 16-bit panels and widens them in the GEMM microkernel: half the weight memory, and
// half the memory traffic when decoding), and the table of a Gather (an embedding: only the
// gathered rows are cast).
#include <string>
#include <string_view>
#include <unordered_set>
#include <vector>

#include "base/half.h"
#include "ir/attribute.h"
#include "passes/fusion_util.h"
#include "passes/pass.h"

namespace onnxrt::passes {

namespace {

using fusion::fresh_name;
using fusion::replace_input;

// Ops that only move, select or reshape elements: switched along with their neighbours, but they
// alone do not make a graph worth switching.
const std::unordered_set<std::string_view> kMovers = {
    "Cast", "CastLike", "Concat", "DepthToSpace", "Expand", "Flatten", "Gather", "GatherElements",
    "GatherND", "Identity", "Pad", "Reshape", "ScatterElements", "ScatterND", "Shape", "Size", "Slice",
    "SpaceToDepth", "Split", "Squeeze", "Tile", "Transpose", "Trilu", "Unsqueeze", "Where",
};

// Ops whose float32 kernel computes what their 16-bit kernel does before its final rounding.
const std::unordered_set<std::string_view> kComputers = {
    "Abs", "Acos", "Acosh", "Add", "ArgMax", "ArgMin", "Asin", "Asinh", "Atan", "Atanh", "Attention",
    "AveragePool", "BatchNormalization", "Ceil", "Celu", "Clip", "Conv", "ConvTranspose", "Cos", "Cosh",
    "CumSum", "Div", "Dropout", "Einsum", "Elu", "Equal", "Erf", "Exp", "Floor", "Gelu", "Gemm",
    "GlobalAveragePool", "GlobalMaxPool", "Greater", "GreaterOrEqual", "GroupNormalization",
    "HardSigmoid", "HardSwish", "InstanceNormalization", "IsInf", "IsNaN", "LayerNormalization",
    "LeakyRelu", "Less", "LessOrEqual", "Log", "LogSoftmax", "MatMul", "Max", "MaxPool", "Mean", "Min",
    "Mish", "Mod", "Mul", "Neg", "Pow", "PRelu", "Reciprocal", "ReduceL1", "ReduceL2", "ReduceLogSum",
    "ReduceLogSumExp", "ReduceMax", "ReduceMean", "ReduceMin", "ReduceProd", "ReduceSum",
    "ReduceSumSquare", "Relu", "Resize", "RMSNormalization", "RotaryEmbedding", "Round", "Selu",
    "Sigmoid", "Sign", "Sin", "Sinh", "Softmax", "Softplus", "Softsign", "Sqrt", "Sub", "Sum", "Tan",
    "Tanh", "ThresholdedRelu", "TopK",
};

bool has_dtype(const ir::Graph& g, ir::ValueId v, DType t) {
  return v != ir::kNoValue && g.value(v).type.is_tensor() && g.value(v).type.dtype == t;
}

// Whether node `id` may compute in float32 instead of `t`: a listed op that reads or makes a `t`
// tensor, with only tensor inputs and outputs, whose `t` outputs no subgraph reads by name.
bool is_constant(const ir::Graph& g, ir::ValueId v) { return fusion::fixed_constant(g, v) != nullptr; }

bool switchable(const ir::Graph& g, ir::NodeId id, DType t) {
  const ir::Node& n = g.node(id);
  if (!n.domain.empty() || (!kMovers.count(n.op_type) && !kComputers.count(n.op_type))) return false;
  if (n.op_type == "Gather" && !n.inputs.empty() && is_constant(g, n.inputs[0])) return false;
  bool touches = false;
  for (ir::ValueId v : n.inputs) {
    if (v == ir::kNoValue) continue;
    if (!g.value(v).type.is_tensor()) return false;
    touches |= has_dtype(g, v, t);
  }
  for (ir::ValueId v : n.outputs) {
    if (v == ir::kNoValue) continue;
    if (!g.value(v).type.is_tensor()) return false;
    if (has_dtype(g, v, t)) {
      if (g.is_read_implicitly(v)) return false;
      touches = true;
    }
  }
  return touches;
}

// GELU's irrational constants, which an exporter writes rounded to the model's 16-bit type (sqrt 2
// as 1.4140625 in float16). Computing in float32, a one-element constant equal to such a rounding
// is taken as the float32 constant it stands for: the difference is below the 16-bit type's
// precision, and the float32 fusions recognise GELU by these constants (its five-node erf form
// ran as five passes otherwise).
constexpr double kGeluConstants[] = {1.41421356237309505, 0.707106781186547524, 0.797884560802865356, 0.044715};

float widened_value(uint16_t bits, DType t) {
  return t == DType::kBFloat16 ? bfloat16_to_float(bits) : half_to_float(bits);
}

Tensor widened(const Tensor& x) {
  Tensor y = Tensor::allocate(DType::kFloat32, x.shape());
  const uint16_t* s = x.data<uint16_t>();
  float* d = y.data<float>();
  const DType t = x.dtype();
  for (int64_t i = 0; i < x.size(); ++i) d[i] = widened_value(s[i], t);
  if (x.size() == 1) {
    for (double c : kGeluConstants) {
      const float f = static_cast<float>(c);
      if (s[0] == (t == DType::kBFloat16 ? float_to_bfloat16(f) : float_to_half(f))) d[0] = f;
    }
  }
  return y;
}

// Moves every use of `from` by node `id` to `to`.
void redirect(ir::Graph& g, ir::NodeId id, ir::ValueId from, ir::ValueId to) {
  for (size_t i = 0; i < g.node(id).inputs.size(); ++i)
    if (g.node(id).inputs[i] == from) replace_input(g, id, i, to);
}

ir::Node cast_node(const ir::Graph& g, const std::string& name, DType to) {
  ir::Node n;
  n.name = name;
  n.op_type = "Cast";
  n.opset = static_cast<int>(g.opset_version(""));
  ir::Attribute a;
  a.name = "to";
  a.kind = ir::AttrKind::kInt;
  a.i = static_cast<int64_t>(to);
  n.attrs.set(a);
  return n;
}

// A MatMul whose B is a 16-bit constant 2-D weight: it reads B as it is (see the top).
bool keeps_half_weight(const ir::Graph& g, const ir::Node& n, DType t) {
  return n.domain.empty() && n.op_type == "MatMul" && n.inputs.size() == 2 &&
         n.inputs[0] != n.inputs[1] && is_constant(g, n.inputs[1]) && has_dtype(g, n.inputs[1], t) &&
         g.value(n.inputs[1]).constant->rank() == 2;
}

class Widener {
 public:
  Widener(ir::Graph& g, DType t) : g_(g), t_(t), on_(g.num_nodes(), false), half_b_(g.num_nodes(), false) {}

  Expected<bool> run() {
    bool computes = false;
    for (size_t i = 0; i < g_.num_nodes(); ++i) {
      const auto id = static_cast<ir::NodeId>(i);
      if (g_.is_removed(id) || !switchable(g_, id, t_)) continue;
      on_[i] = true;
      half_b_[i] = keeps_half_weight(g_, g_.node(id), t_);
      computes |= !kMovers.count(g_.node(id).op_type);
    }
    if (!computes) return false;
    // Shape and Size read any type: they follow their input rather than cast it.
    for (size_t i = 0; i < g_.num_nodes(); ++i) {
      if (!on_[i]) continue;
      const ir::Node& n = g_.node(static_cast<ir::NodeId>(i));
      if (n.op_type == "Shape" || n.op_type == "Size") {
        const ir::NodeId p = g_.value(n.inputs[0]).producer;
        on_[i] = p >= 0 && on_[static_cast<size_t>(p)];
      }
    }
    std::vector<ir::ValueId> values;
    std::vector<bool> seen(g_.num_values(), false);
    for (size_t i = 0; i < g_.num_nodes(); ++i) {
      if (!on_[i]) continue;
      const ir::Node& n = g_.node(static_cast<ir::NodeId>(i));
      for (const auto* list : {&n.inputs, &n.outputs})
        for (ir::ValueId v : *list)
          if (has_dtype(g_, v, t_) && !seen[static_cast<size_t>(v)]) {
            seen[static_cast<size_t>(v)] = true;
            values.push_back(v);
          }
    }
    for (ir::ValueId v : values) {
      const ir::NodeId p = g_.value(v).producer;
      if (p >= 0 && on_[static_cast<size_t>(p)]) {
        ONNXRT_RETURN_IF_ERROR(narrow_for_others(v));
      } else {
        ONNXRT_RETURN_IF_ERROR(widen_for_switched(v));
      }
    }
    for (size_t i = 0; i < on_.size(); ++i)
      if (on_[i]) switch_node(static_cast<ir::NodeId>(i));
    return true;
  }

 private:
  bool on(ir::NodeId id) const { return id >= 0 && static_cast<size_t>(id) < on_.size() && on_[static_cast<size_t>(id)]; }
  // Whether switched node `id` reads `v` only as its 16-bit weight.
  bool reads_as_half_weight(ir::NodeId id, ir::ValueId v) const {
    if (!on(id) || !half_b_[static_cast<size_t>(id)]) return false;
    const ir::Node& n = g_.node(id);
    return n.inputs[1] == v && n.inputs[0] != v;
  }

  // `v` is made by a switched node, so it becomes float32; nodes left as they are and graph
  // outputs read a Cast back to `t` instead.
  Status narrow_for_others(ir::ValueId v) {
    g_.value(v).type.dtype = DType::kFloat32;
    bool others = g_.value(v).is_graph_output;
    for (ir::NodeId c : g_.value(v).consumers) others |= !on(c);
    if (!others) return Status::ok();
    const std::string name = g_.value(v).name;
    ONNXRT_ASSIGN_OR_RETURN(
        ir::NodeId cast, g_.add_node(cast_node(g_, fresh_name(g_, name + "/narrow"), t_), std::vector<std::string>{name},
                                     std::vector<std::string>{fresh_name(g_, name + "/" + std::string(dtype_name(t_)))}));
    const ir::ValueId narrow = g_.node(cast).outputs[0];
    // Every use (and graph output) moves to the narrow copy; the switched readers and the Cast
    // itself move back.
    g_.replace_uses(v, narrow);
    const std::vector<ir::NodeId> readers = g_.value(narrow).consumers;
    for (ir::NodeId c : readers)
      if (on(c) || c == cast) redirect(g_, c, narrow, v);
    return Status::ok();
  }

  // `v` comes from a graph input, an initializer or a node left as it is; switched nodes read it
  // as float32: a converted constant (in place when nothing else reads it) or a Cast.
  Status widen_for_switched(ir::ValueId v) {
    ir::ValueInfo& info = g_.value(v);
    bool only_switched = !info.is_graph_output && !info.is_graph_input && !g_.is_read_implicitly(v);
    bool wanted = false;  // by a switched node other than as a 16-bit weight
    for (ir::NodeId c : info.consumers) {
      only_switched &= on(c) && !reads_as_half_weight(c, v);
      wanted |= on(c) && !reads_as_half_weight(c, v);
    }
    if (!wanted) return Status::ok();
    if (info.constant && only_switched) {
      info.constant = widened(*info.constant);
      info.type.dtype = DType::kFloat32;
      return Status::ok();
    }
    const std::string name = info.name;
    ir::ValueId wide = ir::kNoValue;
    if (info.constant && !info.is_graph_input) {
      ONNXRT_ASSIGN_OR_RETURN(wide, g_.add_initializer(fresh_name(g_, name + "/float32"), widened(*info.constant)));
    } else {
      ONNXRT_ASSIGN_OR_RETURN(
          ir::NodeId cast, g_.add_node(cast_node(g_, fresh_name(g_, name + "/widen"), DType::kFloat32),
                                       std::vector<std::string>{name}, std::vector<std::string>{fresh_name(g_, name + "/float32")}));
      wide = g_.node(cast).outputs[0];
    }
    const std::vector<ir::NodeId> readers = g_.value(v).consumers;
    for (ir::NodeId c : readers)
      if (on(c) && !reads_as_half_weight(c, v)) redirect(g_, c, v, wide);
    return Status::ok();
  }

  // The node's own `t` outputs were retyped with their values; what is left is Cast's target
  // (a Cast between float32 and `t` becomes an Identity of float32).
  void switch_node(ir::NodeId id) {
    ir::Node& n = g_.node(id);
    if (half_b_[static_cast<size_t>(id)]) return fusion::make_fused(g_, id);
    if (n.op_type != "Cast") return;
    const ir::Attribute* to = n.attrs.find("to");
    if (to && to->i == static_cast<int64_t>(t_)) {
      ir::Attribute a = *to;
      a.i = static_cast<int64_t>(DType::kFloat32);
      n.attrs.set(a);
    }
    const ir::Attribute* now = n.attrs.find("to");
    if (now && now->i == static_cast<int64_t>(DType::kFloat32) && has_dtype(g_, n.inputs[0], DType::kFloat32)) {
      n.op_type = "Identity";
      n.attrs = ir::Attributes();
    }
  }

  ir::Graph& g_;
  DType t_;
  std::vector<bool> on_;
  std::vector<bool> half_b_;  // switched MatMuls that keep their 16-bit weight
};

}  // namespace

Expected<bool> widen_16bit_floats(ir::Graph& graph, const PassContext&) {
  bool changed = false;
  for (DType t : {DType::kFloat16, DType::kBFloat16}) {
    ONNXRT_ASSIGN_OR_RETURN(bool c, Widener(graph, t).run());
    changed |= c;
  }
  return changed;
}

}  // namespace onnxrt::passes
