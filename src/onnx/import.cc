// ModelProto -> ir::Graph. Nodes are added in a topological order computed here (ONNX files need
// not be sorted), after model-local functions are expanded; subgraph attributes become ir::Graphs
// that share the model's symbol table and read enclosing values as outer-scope values.
#include <filesystem>
#include <queue>
#include <unordered_map>

#include "base/mapped_file.h"
#include "base/utf8.h"
#include "onnx/import_internal.h"
#include "onnx/model_io.h"

namespace onnxrt::onnx {
namespace detail {

namespace {

constexpr int kMaxGraphDepth = 64;

const ir::ValueInfo* find_in_scope(const ir::Graph* g, std::string_view name) {
  for (; g != nullptr; g = g->parent()) {
    const ir::ValueId id = g->find(name);
    if (id != ir::kNoValue) return &g->value(id);
  }
  return nullptr;
}

std::string node_label(const NodeProto& n) {
  std::string s = std::string(n.op_type) + " '" + std::string(n.name) + "'";
  if (n.name.empty() && !n.output.empty()) s = std::string(n.op_type) + " (unnamed, output '" + std::string(n.output[0]) + "')";
  if (!n.domain.empty() && n.domain != "ai.onnx") s = std::string(n.domain) + "." + s;
  return s;
}

Expected<int> opset_of(const FlatNode& fn, const Opsets& model_opsets) {
  const NodeProto& n = fn.node();
  const std::string_view domain = normalize_domain(n.domain);
  for (const Opsets* list : {fn.opsets, &model_opsets}) {
    if (list == nullptr) continue;
    for (const auto& o : *list)
      if (normalize_domain(o.domain) == domain) return static_cast<int>(o.version);
  }
  return invalid_model(node_label(n) + ": domain '" + std::string(domain.empty() ? "ai.onnx" : domain) +
                       "' is not in the model's opset_import");
}

void collect_subgraphs(const NodeProto& n, std::vector<const GraphProto*>& out) {
  for (const auto& a : n.attribute) {
    if (a.g) out.push_back(a.g.get());
    for (const auto& g : a.graphs)
      if (g) out.push_back(g.get());
  }
}

}  // namespace

Importer::Importer(const ModelProto& model, const ExternalDataContext& ext) : model_(model), ext_(ext) {
  for (const FunctionProto& f : model.functions) functions_[function_key(f.domain, f.name, f.overload)] = &f;
}

std::set<std::string_view> Importer::free_names(const GraphProto& gp) {
  std::set<std::string_view> defined, used;
  for (const auto& i : gp.input) defined.insert(i.name);
  for (const auto& t : gp.initializer) defined.insert(t.name);
  for (const auto& s : gp.sparse_initializer) defined.insert(s.values.name);
  for (const auto& n : gp.node) {
    for (auto o : n.output) defined.insert(o);
    for (auto i : n.input) used.insert(i);
    std::vector<const GraphProto*> subs;
    collect_subgraphs(n, subs);
    for (const GraphProto* s : subs)
      for (auto name : free_names(*s)) used.insert(name);
  }
  for (const auto& o : gp.output) used.insert(o.name);
  std::set<std::string_view> out;
  for (auto u : used)
    if (!u.empty() && !defined.count(u)) out.insert(u);
  return out;
}

// The types a Loop or Scan body's inputs must have, from the calling node's inputs: used where
// the body does not declare them (the spec lets it leave them out).
static std::vector<ir::ValueType> body_input_types(const NodeProto& n, int opset, const ir::Graph& g) {
  std::vector<ir::ValueType> out;
  if (!(n.domain.empty() || n.domain == "ai.onnx")) return out;
  auto type_of = [&](std::string_view name) -> ir::ValueType {
    for (const ir::Graph* s = &g; s; s = s->parent()) {
      const ir::ValueId id = s->find(name);
      if (id != ir::kNoValue) return s->value(id).type;
    }
    return {};
  };
  if (n.op_type == "Loop") {
    out.push_back(ir::ValueType::tensor(DType::kInt64, {}));  // iteration number
    out.push_back(ir::ValueType::tensor(DType::kBool, {}));   // condition
    for (size_t i = 2; i < n.input.size(); ++i) out.push_back(type_of(n.input[i]));
  } else if (n.op_type == "Scan" && opset >= 9) {
    int64_t num_scan = 0;
    std::vector<int64_t> axes;
    for (const AttributeProto& a : n.attribute) {
      if (a.name == "num_scan_inputs") num_scan = a.i;
      if (a.name == "scan_input_axes") axes.assign(a.ints.begin(), a.ints.end());
    }
    if (num_scan < 0 || static_cast<size_t>(num_scan) > n.input.size()) return {};
    const size_t num_state = n.input.size() - static_cast<size_t>(num_scan);
    for (size_t i = 0; i < n.input.size(); ++i) {
      ir::ValueType t = type_of(n.input[i]);
      if (i >= num_state && t.is_tensor() && t.has_shape) {
        // A scan input's slice drops the scan axis.
        const size_t k = i - num_state;
        int64_t axis = k < axes.size() ? axes[k] : 0;
        if (axis < 0) axis += t.rank();
        if (axis < 0 || axis >= t.rank()) return {};
        t.shape.erase(t.shape.begin() + axis);
      }
      out.push_back(std::move(t));
    }
  }
  return out;
}

// Every name must be UTF-8 before anything puts it into a message or a Python string.
static Status check_names_are_utf8(const GraphProto& gp) {
  auto bad = [&](std::string_view what, std::string_view name) -> Status {
    return invalid_model("graph '" + escape_invalid_utf8(gp.name) + "': " + std::string(what) + " '" +
                         escape_invalid_utf8(name) + "' is not valid UTF-8");
  };
  if (!is_valid_utf8(gp.name)) return bad("the graph name", gp.name);
  for (const auto* list : {&gp.input, &gp.output, &gp.value_info})
    for (const ValueInfoProto& v : *list)
      if (!is_valid_utf8(v.name)) return bad("value name", v.name);
  for (const TensorProto& t : gp.initializer)
    if (!is_valid_utf8(t.name)) return bad("initializer name", t.name);
  for (const SparseTensorProto& t : gp.sparse_initializer)
    if (!is_valid_utf8(t.values.name)) return bad("initializer name", t.values.name);
  for (const NodeProto& n : gp.node) {
    for (std::string_view name : {n.name, n.op_type, n.domain})
      if (!is_valid_utf8(name)) return bad("node name, op or domain", name);
    for (const auto* list : {&n.input, &n.output})
      for (std::string_view name : *list)
        if (!is_valid_utf8(name)) return bad("value name", name);
    for (const AttributeProto& a : n.attribute)
      if (!is_valid_utf8(a.name)) return bad("attribute name", a.name);
  }
  return Status::ok();
}

// Initializers of a top-level graph whose every reader takes them bytewise or not at all before
// the plan decides: MatMul and Gemm (or our FusedMatMul) pack B at create time, reading it
// bytewise; Gather copies rows of its data with memcpy; a Transpose is either fused into the
// MatMul that reads it (a tied output projection, passes/fuse_matmul_transpose.cc) or given an
// aligned copy first (constant folding and the plan copy a misaligned weight for any reader that
// reads its floats). Such a weight may stay misaligned in the mapped file instead of being copied
// here (tensor_from_proto): GPT-2's token embedding, read by the embedding Gather and by the
// transposed lm_head, is 154 MB. Graph inputs and outputs, and names a subgraph reads, are left out.
std::set<std::string_view> Importer::weights_read_bytewise(const GraphProto& gp) {
  std::set<std::string_view> out;
  for (const TensorProto& t : gp.initializer) out.insert(t.name);
  for (const auto* list : {&gp.input, &gp.output})
    for (const ValueInfoProto& v : *list) out.erase(v.name);
  for (const NodeProto& n : gp.node) {
    const std::string_view domain = normalize_domain(n.domain);
    const bool packs_b = (domain.empty() && (n.op_type == "MatMul" || n.op_type == "Gemm")) ||
                         (domain == "com.onnxrt" && n.op_type == "FusedMatMul");
    const bool copies_data = domain.empty() && (n.op_type == "Gather" || n.op_type == "Transpose");
    for (size_t k = 0; k < n.input.size(); ++k)
      if (!(packs_b && k == 1) && !(copies_data && k == 0)) out.erase(n.input[k]);
    std::vector<const GraphProto*> subs;
    collect_subgraphs(n, subs);
    for (const GraphProto* sub : subs)
      for (std::string_view name : free_names(*sub)) out.erase(name);
  }
  return out;
}

Status Importer::import_graph(const GraphProto& gp, ir::Graph& g, const Opsets& opsets) {
  ONNXRT_RETURN_IF_ERROR(check_names_are_utf8(gp));
  if (depth_ >= kMaxGraphDepth) {
    return invalid_model("graph '" + std::string(gp.name) + "': subgraphs nested deeper than " +
                         std::to_string(kMaxGraphDepth) + " levels");
  }
  ++depth_;
  struct Leave {
    int& d;
    ~Leave() { --d; }
  } leave{depth_};
  const std::string gname = "graph '" + std::string(gp.name) + "'";

  // Outer-scope values first, typed from the enclosing graph, so that subgraph outputs and nodes
  // can name them.
  if (g.parent() != nullptr) {
    for (std::string_view name : free_names(gp)) {
      const ir::ValueInfo* outer = find_in_scope(g.parent(), name);
      if (outer == nullptr) {
        return invalid_model(gname + ": '" + std::string(name) +
                             "' is used but defined neither in the subgraph nor in an enclosing graph");
      }
      ir::ValueType type = outer->type;
      if (relax_outer_types_ && type.is_tensor()) type = ir::ValueType::tensor_unknown_rank(type.dtype);
      ONNXRT_RETURN_IF_ERROR(g.add_outer_scope_value(std::string(name), std::move(type)).status().with_context(gname + ": "));
    }
  }

  std::set<std::string_view> initializer_names;
  const std::set<std::string_view> bytewise =
      g.parent() == nullptr ? weights_read_bytewise(gp) : std::set<std::string_view>{};
  for (const TensorProto& tp : gp.initializer) {
    const std::string who = gname + " initializer '" + std::string(tp.name) + "'";
    if (tp.name.empty()) return invalid_model(gname + ": an initializer has no name");
    auto t = tensor_from_proto(tp, ext_, bytewise.count(tp.name) > 0);
    if (!t) return t.status().with_context(gname + ": ");
    ONNXRT_RETURN_IF_ERROR(g.add_initializer(std::string(tp.name), std::move(t).value()).status().with_context(who + ": "));
    initializer_names.insert(tp.name);
  }
  for (const SparseTensorProto& sp : gp.sparse_initializer) {
    const std::string who = gname + " sparse initializer '" + std::string(sp.values.name) + "'";
    if (sp.values.name.empty()) return invalid_model(gname + ": a sparse initializer has no name");
    ONNXRT_ASSIGN_OR_RETURN(Tensor dense, sparse_to_dense(sp, who));
    ONNXRT_RETURN_IF_ERROR(g.add_initializer(std::string(sp.values.name), std::move(dense)).status().with_context(who + ": "));
    initializer_names.insert(sp.values.name);
  }
  const std::vector<ir::ValueType> hints = std::move(body_input_hints_);
  body_input_hints_.clear();
  for (size_t pos = 0; pos < gp.input.size(); ++pos) {
    const ValueInfoProto& in = gp.input[pos];
    // IR < 4 lists initializers among the inputs too; they stay initializers (constants).
    if (initializer_names.count(in.name)) continue;
    const std::string who = gname + " input '" + std::string(in.name) + "'";
    ONNXRT_ASSIGN_OR_RETURN(ir::ValueType t, value_type(in.type, who));
    if (t.kind == ir::TypeKind::kUnknown && pos < hints.size()) t = hints[pos];
    ONNXRT_RETURN_IF_ERROR(g.add_input(std::string(in.name), std::move(t)).status().with_context(gname + ": "));
  }

  // Expand functions, then order the nodes.
  std::vector<const NodeProto*> raw;
  raw.reserve(gp.node.size());
  for (const NodeProto& n : gp.node) raw.push_back(&n);
  std::vector<FlatNode> nodes;
  ONNXRT_RETURN_IF_ERROR(expand(raw, opsets, nodes).with_context(gname + ": "));

  const size_t count = nodes.size();
  std::unordered_map<std::string_view, size_t> producer;
  producer.reserve(count * 2);
  for (size_t i = 0; i < count; ++i) {
    for (std::string_view o : nodes[i].node().output) {
      if (o.empty()) continue;
      if (!producer.emplace(o, i).second) {
        return invalid_model(gname + ": value '" + std::string(o) + "' is produced by both " +
                             node_label(nodes[producer[o]].node()) + " and " + node_label(nodes[i].node()));
      }
    }
  }
  std::vector<std::vector<size_t>> users(count);
  std::vector<size_t> pending(count, 0);
  for (size_t i = 0; i < count; ++i) {
    const NodeProto& n = nodes[i].node();
    std::set<std::string_view> deps(n.input.begin(), n.input.end());
    std::vector<const GraphProto*> subs;
    collect_subgraphs(n, subs);
    for (const GraphProto* s : subs)
      for (auto name : free_names(*s)) deps.insert(name);
    for (std::string_view d : deps) {
      if (d.empty()) continue;
      if (auto it = producer.find(d); it != producer.end()) {
        users[it->second].push_back(i);
        ++pending[i];
      } else if (find_in_scope(&g, d) == nullptr) {
        return invalid_model(gname + ": input '" + std::string(d) + "' of " + node_label(n) +
                             " is not a graph input, an initializer, or the output of any node");
      }
    }
  }
  // Kahn's algorithm, smallest file position first, so a sorted file keeps its order.
  std::priority_queue<size_t, std::vector<size_t>, std::greater<>> ready;
  for (size_t i = 0; i < count; ++i)
    if (pending[i] == 0) ready.push(i);
  std::vector<size_t> order;
  order.reserve(count);
  while (!ready.empty()) {
    const size_t i = ready.top();
    ready.pop();
    order.push_back(i);
    for (size_t u : users[i])
      if (--pending[u] == 0) ready.push(u);
  }
  if (order.size() != count) {
    for (size_t i = 0; i < count; ++i) {
      if (pending[i] != 0) return invalid_model(gname + ": the nodes form a cycle through " + node_label(nodes[i].node()));
    }
  }

  for (size_t i : order) {
    const NodeProto& np = nodes[i].node();
    const std::string label = node_label(np);
    ir::Node node;
    node.name = std::string(np.name);
    node.op_type = std::string(np.op_type);
    node.domain = std::string(normalize_domain(np.domain));
    node.doc_string = std::string(np.doc_string);
    ONNXRT_ASSIGN_OR_RETURN(node.opset, opset_of(nodes[i], opsets));
    const Opsets& inner = nodes[i].opsets ? *nodes[i].opsets : opsets;
    set_body_input_hints(body_input_types(np, node.opset, g));
    for (const AttributeProto& a : np.attribute) {
      ONNXRT_ASSIGN_OR_RETURN(ir::Attribute attr, attribute(a, g, inner, label));
      node.attrs.set(std::move(attr));
    }
    std::vector<std::string> ins(np.input.begin(), np.input.end());
    std::vector<std::string> outs(np.output.begin(), np.output.end());
    auto added = g.add_node(std::move(node), ins, outs);
    if (!added) {
      Status st = added.status();
      // Many exporters leave nodes unnamed; the first output identifies the node instead.
      if (np.name.empty() && !np.output.empty()) st = st.with_context("node with output '" + std::string(np.output[0]) + "': ");
      return st.with_context(gname + ": ");
    }
  }

  for (const ValueInfoProto& o : gp.output) {
    ONNXRT_RETURN_IF_ERROR(g.add_output(std::string(o.name)).with_context(gname + ": "));
  }
  // Declared types only fill in what inference left unknown.
  const auto declare = [&](const ValueInfoProto& vi) -> Status {
    const ir::ValueId id = g.find(vi.name);
    if (id == ir::kNoValue || g.value(id).type.kind != ir::TypeKind::kUnknown) return Status::ok();
    ONNXRT_ASSIGN_OR_RETURN(ir::ValueType t, value_type(vi.type, gname + " value '" + std::string(vi.name) + "'"));
    g.set_declared_type(id, std::move(t));
    return Status::ok();
  };
  for (const auto& vi : gp.output) ONNXRT_RETURN_IF_ERROR(declare(vi));
  for (const auto& vi : gp.value_info) ONNXRT_RETURN_IF_ERROR(declare(vi));
  return Status::ok();
}

Expected<LoadedModel> import_model(const ModelProto& m, const ExternalDataContext& ext) {
  // Protobuf reads empty or unrelated bytes as a message with no fields; onnxruntime refuses
  // those too rather than running an empty graph.
  if (!m.has_field(7)) {
    return invalid_model("no graph found (ModelProto.graph is missing): the bytes are empty or not an ONNX model");
  }
  LoadedModel out;
  out.graph = std::make_unique<ir::Graph>();
  ir::Graph& g = *out.graph;
  g.name = std::string(m.graph.name);
  g.doc_string = std::string(m.graph.doc_string);
  // The model's opsets with the default domain spelled "".
  Opsets opsets = m.opset_import;
  for (auto& o : opsets) o.domain = normalize_domain(o.domain);
  for (const auto& o : opsets) {
    g.opset_imports.push_back(ir::OpsetImport{std::string(o.domain), o.version});
    out.metadata.opset_imports.emplace_back(std::string(o.domain), o.version);
  }
  if (opsets.empty()) {
    // IR version 1/2 models may omit opset_import; they mean opset 1 of the default domain.
    OperatorSetIdProto def;
    def.version = 1;
    opsets.push_back(def);
    g.opset_imports.push_back(ir::OpsetImport{"", 1});
    out.metadata.opset_imports.emplace_back("", 1);
  }
  Importer imp(m, ext);
  imp.set_symbols(&g.symbols());
  ONNXRT_RETURN_IF_ERROR(imp.import_graph(m.graph, g, opsets));

  ModelMetadata& md = out.metadata;
  md.producer_name = std::string(m.producer_name);
  md.producer_version = std::string(m.producer_version);
  md.domain = std::string(m.domain);
  md.graph_name = std::string(m.graph.name);
  md.description = std::string(m.doc_string);
  md.model_version = m.model_version;
  md.ir_version = m.ir_version;
  for (const auto& e : m.metadata_props) md.custom_metadata.emplace_back(std::string(e.key), std::string(e.value));
  return out;
}

}  // namespace detail

Expected<LoadedModel> load_model_bytes(const void* data, size_t size, const std::string& model_dir) {
  const std::string_view bytes(static_cast<const char*>(data), data ? size : 0);
  ONNXRT_ASSIGN_OR_RETURN(ModelProto m, parse_model(bytes));
  ExternalDataContext ctx;
  ctx.model_dir = model_dir;  // no buffer owner: tensors copy, nothing refers to `data` later
  return detail::import_model(m, ctx);
}

Expected<LoadedModel> load_model_file(const std::string& path) {
  auto file = MappedFile::open(path);
  if (!file) return file.status();
  std::shared_ptr<MappedFile> f = std::move(file).value();
  auto m = parse_model(f->view());
  if (!m) return m.status().with_context("'" + path + "': ");
  ExternalDataContext ctx;
  std::filesystem::path dir = std::filesystem::path(path).parent_path();
  ctx.model_dir = dir.empty() ? std::string(".") : dir.string();
  ctx.buffer_owner = f;
  ctx.buffer_file = f;
  auto loaded = detail::import_model(*m, ctx);
  if (!loaded) return loaded.status().with_context("'" + path + "': ");
  return loaded;
}

}  // namespace onnxrt::onnx
