// Model-local functions (ModelProto.functions) are expanded inline at import: each call becomes
// a copy of the function body whose values are renamed apart, whose attribute references
// (ref_attr_name) take the caller's attribute or the function's default, and whose nodes use the
// function's own opset imports. Calls inside bodies expand recursively, up to a depth limit.
#include "onnx/import_internal.h"

namespace onnxrt::onnx::detail {

namespace {
constexpr int kMaxFunctionDepth = 32;
using NameMap = std::map<std::string_view, std::string_view>;

void rename_all(std::vector<std::string_view>& names, const NameMap& map) {
  for (auto& n : names) {
    if (auto it = map.find(n); it != map.end()) n = it->second;
  }
}
}  // namespace

std::string function_key(std::string_view domain, std::string_view name, std::string_view overload) {
  std::string k(normalize_domain(domain));
  k += '\0';
  k += name;
  k += '\0';
  k += overload;
  return k;
}

Status Importer::expand(const std::vector<const NodeProto*>& nodes, const Opsets& opsets, std::vector<FlatNode>& out) {
  return expand_into(nodes, opsets, 0, out);
}

Status Importer::expand_into(const std::vector<const NodeProto*>& nodes, const Opsets& opsets, int depth,
                             std::vector<FlatNode>& out) {
  out.reserve(out.size() + nodes.size());
  for (const NodeProto* n : nodes) {
    auto it = functions_.empty() ? functions_.end() : functions_.find(function_key(n->domain, n->op_type, n->overload));
    if (it != functions_.end()) {
      ONNXRT_RETURN_IF_ERROR(expand_call(*n, *it->second, depth, out));
    } else {
      out.push_back(FlatNode{n, nullptr, &opsets});
    }
  }
  return Status::ok();
}

Status Importer::resolve_attrs(std::vector<AttributeProto>& attrs, const NodeProto& call, const FunctionProto& f,
                               int depth) {
  std::vector<AttributeProto> resolved;
  resolved.reserve(attrs.size());
  for (AttributeProto& a : attrs) {
    if (a.ref_attr_name.empty()) {
      resolved.push_back(std::move(a));
      continue;
    }
    const AttributeProto* src = nullptr;
    for (const auto& c : call.attribute)
      if (c.name == a.ref_attr_name) src = &c;
    if (src == nullptr) {
      for (const auto& d : f.attribute_proto)
        if (d.name == a.ref_attr_name) src = &d;
    }
    if (src == nullptr) continue;  // neither given nor defaulted: the attribute is absent
    AttributeProto copy = *src;
    copy.name = a.name;
    copy.mark(1);
    resolved.push_back(std::move(copy));
  }
  attrs = std::move(resolved);
  return Status::ok();
}

Status Importer::rewrite_subgraph(GraphProto& g, const NameMap& names, const NodeProto& call, const FunctionProto& f,
                                  int depth) {
  for (NodeProto& n : g.node) {
    rename_all(n.input, names);
    rename_all(n.output, names);
    ONNXRT_RETURN_IF_ERROR(resolve_attrs(n.attribute, call, f, depth));
    for (AttributeProto& a : n.attribute) {
      if (a.g) {
        a.g = std::make_shared<GraphProto>(*a.g);
        ONNXRT_RETURN_IF_ERROR(rewrite_subgraph(*a.g, names, call, f, depth));
      }
      for (auto& sg : a.graphs) {
        if (!sg) continue;
        sg = std::make_shared<GraphProto>(*sg);
        ONNXRT_RETURN_IF_ERROR(rewrite_subgraph(*sg, names, call, f, depth));
      }
    }
  }
  for (ValueInfoProto& o : g.output) {
    if (auto it = names.find(o.name); it != names.end()) o.name = it->second;
  }
  return Status::ok();
}

Status Importer::expand_call(const NodeProto& call, const FunctionProto& f, int depth, std::vector<FlatNode>& out) {
  const std::string who = "call of function '" + std::string(f.name) + "' by node '" + std::string(call.name) + "'";
  if (depth >= kMaxFunctionDepth) {
    return invalid_model(who + ": function calls nested deeper than " + std::to_string(kMaxFunctionDepth) +
                         " levels (a recursive function?)");
  }
  if (call.input.size() > f.input.size()) {
    return invalid_model(who + ": " + std::to_string(call.input.size()) + " inputs given, the function takes " +
                         std::to_string(f.input.size()));
  }
  if (call.output.size() > f.output.size()) {
    return invalid_model(who + ": " + std::to_string(call.output.size()) + " outputs given, the function has " +
                         std::to_string(f.output.size()));
  }
  // Internal values get a prefix unique to this call, so two calls of one function never clash.
  const std::string prefix = (call.name.empty() ? std::string(f.name) : std::string(call.name)) + "/" +
                             std::string(f.name) + "#" + std::to_string(counter_++) + "/";
  NameMap names;
  for (size_t i = 0; i < f.input.size(); ++i) names[f.input[i]] = i < call.input.size() ? call.input[i] : std::string_view();
  for (size_t i = 0; i < f.output.size(); ++i) {
    const bool given = i < call.output.size() && !call.output[i].empty();
    names[f.output[i]] = given ? call.output[i] : keep(prefix + std::string(f.output[i]));
  }
  // Every value a body node defines is internal (bodies see nothing but their inputs).
  for (const NodeProto& b : f.node) {
    for (std::string_view o : b.output) {
      if (!o.empty() && !names.count(o)) names[o] = keep(prefix + std::string(o));
    }
  }
  for (const NodeProto& b : f.node) {
    auto nb = std::make_shared<NodeProto>(b);
    for (auto& in : nb->input) {
      if (in.empty()) continue;
      auto it = names.find(in);
      if (it == names.end()) {
        return invalid_model(who + ": body node '" + std::string(b.name) + "' reads '" + std::string(in) +
                             "', which is neither a function input nor produced in the body");
      }
      in = it->second;
    }
    rename_all(nb->output, names);
    nb->name = keep(prefix + std::string(b.name));
    nb->mark(3);
    ONNXRT_RETURN_IF_ERROR(resolve_attrs(nb->attribute, call, f, depth));
    for (AttributeProto& a : nb->attribute) {
      if (a.g) {
        a.g = std::make_shared<GraphProto>(*a.g);
        ONNXRT_RETURN_IF_ERROR(rewrite_subgraph(*a.g, names, call, f, depth));
      }
      for (auto& sg : a.graphs) {
        if (!sg) continue;
        sg = std::make_shared<GraphProto>(*sg);
        ONNXRT_RETURN_IF_ERROR(rewrite_subgraph(*sg, names, call, f, depth));
      }
    }
    auto it = functions_.find(function_key(nb->domain, nb->op_type, nb->overload));
    if (it != functions_.end()) {
      ONNXRT_RETURN_IF_ERROR(expand_call(*nb, *it->second, depth + 1, out).with_context(who + ": "));
    } else {
      out.push_back(FlatNode{nullptr, nb, &f.opset_import});
    }
  }
  return Status::ok();
}

}  // namespace onnxrt::onnx::detail
