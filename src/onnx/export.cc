// ir::Graph -> ModelProto bytes. The proto points into the graph (names, tensor bytes) and into a
// local string pool; everything is serialized before either goes away.
#include <algorithm>
#include <deque>
#include <set>

#include "onnx/model_io.h"
#include "onnx/proto.h"
#include "onnx/tensor_proto.h"

namespace onnxrt::onnx {
namespace {

struct Exporter {
  std::deque<std::string> pool;
  const SymbolTable* symbols = nullptr;
  std::set<std::pair<std::string, int64_t>> used_domains;

  std::string_view keep(std::string s) { return pool.emplace_back(std::move(s)); }

  TypeProto type(const ir::ValueType& t) {
    TypeProto p;
    const auto tensor = [&](TypeProto::Tensor& tt) {
      tt.elem_type = static_cast<int32_t>(t.dtype);
      tt.mark(1);
      if (!t.has_shape) return;
      tt.mark(2);
      for (const Dim& d : t.shape) {
        TensorShapeProto::Dimension dim;
        if (d.is_known()) {
          dim.dim_value = d.value();
          dim.mark(1);
        } else if (symbols && symbols->is_named(d.symbol_id())) {
          dim.dim_param = symbols->name(d.symbol_id());
          dim.mark(2);
        }  // anonymous symbols: an empty dimension means "unknown"
        tt.shape.dim.push_back(dim);
      }
    };
    const auto elem = [&]() {
      return std::make_shared<TypeProto>(t.elem ? type(*t.elem) : TypeProto());
    };
    switch (t.kind) {
      case ir::TypeKind::kTensor: p.value_case = TypeProto::kTensor; tensor(p.tensor_type); break;
      case ir::TypeKind::kSparseTensor: p.value_case = TypeProto::kSparseTensor; tensor(p.sparse_tensor_type); break;
      case ir::TypeKind::kSequence: p.value_case = TypeProto::kSequence; p.sequence_type.elem_type = elem(); break;
      case ir::TypeKind::kOptional: p.value_case = TypeProto::kOptional; p.optional_type.elem_type = elem(); break;
      case ir::TypeKind::kMap:
        p.value_case = TypeProto::kMap;
        p.map_type.key_type = static_cast<int32_t>(t.dtype);
        p.map_type.mark(1);
        p.map_type.value_type = elem();
        break;
      case ir::TypeKind::kUnknown: break;
    }
    return p;
  }

  ValueInfoProto value_info(std::string_view name, const ir::ValueType& t) {
    ValueInfoProto v;
    v.name = name;
    v.mark(1);
    if (t.kind != ir::TypeKind::kUnknown) {
      v.type = type(t);
      v.mark(2);
    }
    return v;
  }

  SparseTensorProto sparse(const ir::SparseTensor& s) {
    SparseTensorProto p;
    p.values = tensor_to_proto(s.values, {});
    p.indices = tensor_to_proto(s.indices, {});
    p.mark(1);
    p.mark(2);
    p.dims.assign(s.dims.begin(), s.dims.end());
    return p;
  }

  Expected<AttributeProto> attribute(const ir::Attribute& a) {
    AttributeProto p;
    p.name = a.name;
    p.mark(1);
    p.type = static_cast<int32_t>(a.kind);
    p.mark(20);
    switch (a.kind) {
      case ir::AttrKind::kFloat: p.f = a.f; p.mark(2); break;
      case ir::AttrKind::kInt: p.i = a.i; p.mark(3); break;
      case ir::AttrKind::kString: p.s = a.s; p.mark(4); break;
      case ir::AttrKind::kTensor: p.t = tensor_to_proto(a.t, {}); p.mark(5); break;
      case ir::AttrKind::kGraph: {
        if (!a.g) return invalid_model("attribute '" + a.name + "': graph is missing");
        ONNXRT_ASSIGN_OR_RETURN(GraphProto g, graph(*a.g));
        p.g = std::make_shared<GraphProto>(std::move(g));
        break;
      }
      case ir::AttrKind::kFloats: p.floats = a.floats; break;
      case ir::AttrKind::kInts: p.ints = a.ints; break;
      case ir::AttrKind::kStrings:
        for (const auto& s : a.strings) p.strings.emplace_back(s);
        break;
      case ir::AttrKind::kTensors:
        for (const auto& t : a.tensors) p.tensors.push_back(tensor_to_proto(t, {}));
        break;
      case ir::AttrKind::kGraphs:
        for (const auto& sg : a.graphs) {
          if (!sg) continue;
          ONNXRT_ASSIGN_OR_RETURN(GraphProto g, graph(*sg));
          p.graphs.push_back(std::make_shared<GraphProto>(std::move(g)));
        }
        break;
      case ir::AttrKind::kSparseTensor: p.sparse_tensor = sparse(a.sparse); p.mark(22); break;
      case ir::AttrKind::kSparseTensors:
        for (const auto& s : a.sparse_tensors) p.sparse_tensors.push_back(sparse(s));
        break;
      case ir::AttrKind::kTypeProto: p.tp = type(a.type); p.mark(14); break;
      case ir::AttrKind::kTypeProtos:
        for (const auto& t : a.types) p.type_protos.push_back(type(t));
        break;
      case ir::AttrKind::kUndefined: return invalid_model("attribute '" + a.name + "' has no type");
    }
    return p;
  }

  Expected<GraphProto> graph(const ir::Graph& g) {
    GraphProto p;
    p.name = g.name;
    p.mark(2);
    p.doc_string = g.doc_string;
    const auto name_of = [&](ir::ValueId v) -> std::string_view {
      return v == ir::kNoValue ? std::string_view() : std::string_view(g.value(v).name);
    };
    for (ir::ValueId v : g.inputs()) p.input.push_back(value_info(g.value(v).name, g.value(v).type));
    for (size_t v = 0; v < g.num_values(); ++v) {
      const ir::ValueInfo& info = g.value(static_cast<ir::ValueId>(v));
      if (!info.constant || info.producer != -1 || info.is_outer_scope || info.is_graph_input) continue;
      if (info.consumers.empty() && !info.is_graph_output) continue;  // dead constant
      p.initializer.push_back(tensor_to_proto(*info.constant, info.name));
    }
    ONNXRT_ASSIGN_OR_RETURN(std::vector<ir::NodeId> order, g.topological_order());
    for (ir::NodeId id : order) {
      const ir::Node& n = g.node(id);
      NodeProto np;
      for (ir::ValueId v : n.inputs) np.input.push_back(name_of(v));
      // Trailing omitted inputs are simply left out.
      while (!np.input.empty() && np.input.back().empty()) np.input.pop_back();
      for (ir::ValueId v : n.outputs) np.output.push_back(name_of(v));
      np.name = n.name;
      np.op_type = n.op_type;
      np.domain = n.domain;
      np.doc_string = n.doc_string;
      for (const ir::Attribute& a : n.attrs.all()) {
        auto ap = attribute(a);
        if (!ap) return ap.status().with_context(n.describe() + ": ");
        np.attribute.push_back(std::move(ap).value());
      }
      used_domains.emplace(n.domain, n.opset);
      p.node.push_back(std::move(np));
    }
    const auto& names = g.output_names();
    for (size_t i = 0; i < g.outputs().size(); ++i) {
      const ir::ValueInfo& info = g.value(g.outputs()[i]);
      const std::string_view declared = i < names.size() ? std::string_view(names[i]) : std::string_view(info.name);
      if (declared != info.name) {
        // A pass made this output an alias of another value; keep the name users ask for.
        NodeProto id;
        id.op_type = "Identity";
        id.name = keep("output_alias_" + std::string(declared));
        id.input.push_back(info.name);
        id.output.push_back(declared);
        used_domains.emplace("", 0);
        p.node.push_back(std::move(id));
      }
      p.output.push_back(value_info(declared, info.type));
    }
    return p;
  }
};

}  // namespace

Expected<std::string> save_model(const ir::Graph& graph, const ModelMetadata& meta) {
  Exporter ex;
  ex.symbols = &graph.symbols();
  ModelProto m;
  ONNXRT_ASSIGN_OR_RETURN(m.graph, ex.graph(graph));
  m.mark(7);
  // Initializers are not listed as inputs, which needs IR version 4 or later.
  m.ir_version = meta.ir_version == 0 ? 10 : std::max<int64_t>(meta.ir_version, 4);
  m.producer_name = meta.producer_name;
  m.producer_version = meta.producer_version;
  m.domain = meta.domain;
  m.model_version = meta.model_version;
  m.doc_string = meta.description;
  std::set<std::string> imported;
  for (const auto& o : graph.opset_imports) {
    OperatorSetIdProto op;
    op.domain = o.domain;
    op.version = o.version;
    op.mark(1);
    op.mark(2);
    m.opset_import.push_back(op);
    imported.insert(o.domain);
  }
  // Domains that only passes introduced (fused ops) must be imported too.
  for (const auto& [domain, version] : ex.used_domains) {
    if (imported.count(domain)) continue;
    OperatorSetIdProto op;
    op.domain = ex.keep(domain);
    op.version = std::max<int64_t>(version, 1);
    op.mark(1);
    op.mark(2);
    m.opset_import.push_back(op);
    imported.insert(domain);
  }
  for (const auto& [k, v] : meta.custom_metadata) {
    StringStringEntryProto e;
    e.key = k;
    e.value = v;
    m.metadata_props.push_back(e);
  }
  return serialize_model(m);
}

}  // namespace onnxrt::onnx
