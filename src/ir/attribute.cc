#include "ir/attribute.h"

#include "ir/graph.h"

namespace onnxrt::ir {

std::string_view attr_kind_name(AttrKind k) {
  switch (k) {
    case AttrKind::kFloat: return "FLOAT";
    case AttrKind::kInt: return "INT";
    case AttrKind::kString: return "STRING";
    case AttrKind::kTensor: return "TENSOR";
    case AttrKind::kGraph: return "GRAPH";
    case AttrKind::kFloats: return "FLOATS";
    case AttrKind::kInts: return "INTS";
    case AttrKind::kStrings: return "STRINGS";
    case AttrKind::kTensors: return "TENSORS";
    case AttrKind::kGraphs: return "GRAPHS";
    case AttrKind::kSparseTensor: return "SPARSE_TENSOR";
    case AttrKind::kSparseTensors: return "SPARSE_TENSORS";
    case AttrKind::kTypeProto: return "TYPE_PROTO";
    case AttrKind::kTypeProtos: return "TYPE_PROTOS";
    case AttrKind::kUndefined: break;
  }
  return "UNDEFINED";
}

const Attribute* Attributes::find(std::string_view name) const {
  for (const Attribute& a : list_)
    if (a.name == name) return &a;
  return nullptr;
}

void Attributes::set(Attribute a) {
  for (Attribute& existing : list_) {
    if (existing.name == a.name) {
      existing = std::move(a);
      return;
    }
  }
  list_.push_back(std::move(a));
}

bool Attributes::erase(std::string_view name) {
  for (auto it = list_.begin(); it != list_.end(); ++it) {
    if (it->name == name) {
      list_.erase(it);
      return true;
    }
  }
  return false;
}

AttrReader::AttrReader(const Node& node) : attrs_(node.attrs), node_(&node) {}

std::string AttrReader::context() const { return node_ ? node_->describe() + ": " : context_; }

const Attribute* AttrReader::get(std::string_view name, AttrKind kind) {
  const Attribute* a = attrs_.find(name);
  if (a == nullptr) return nullptr;
  if (a->kind != kind) {
    if (status_.is_ok()) {
      status_ = invalid_model(context() + "attribute '" + std::string(name) + "' must be " +
                              std::string(attr_kind_name(kind)) + ", got " +
                              std::string(attr_kind_name(a->kind)));
    }
    return nullptr;
  }
  return a;
}

int64_t AttrReader::i(std::string_view name, int64_t def) {
  const Attribute* a = get(name, AttrKind::kInt);
  return a ? a->i : def;
}

float AttrReader::f(std::string_view name, float def) {
  const Attribute* a = get(name, AttrKind::kFloat);
  return a ? a->f : def;
}

std::string AttrReader::s(std::string_view name, std::string def) {
  const Attribute* a = get(name, AttrKind::kString);
  return a ? a->s : def;
}

std::vector<int64_t> AttrReader::ints(std::string_view name, std::vector<int64_t> def) {
  const Attribute* a = get(name, AttrKind::kInts);
  return a ? a->ints : def;
}

std::vector<float> AttrReader::floats(std::string_view name, std::vector<float> def) {
  const Attribute* a = get(name, AttrKind::kFloats);
  return a ? a->floats : def;
}

std::vector<std::string> AttrReader::strings(std::string_view name, std::vector<std::string> def) {
  const Attribute* a = get(name, AttrKind::kStrings);
  return a ? a->strings : def;
}

Tensor AttrReader::tensor(std::string_view name) {
  const Attribute* a = get(name, AttrKind::kTensor);
  return a ? a->t : Tensor();
}

std::shared_ptr<Graph> AttrReader::graph(std::string_view name) {
  const Attribute* a = get(name, AttrKind::kGraph);
  return a ? a->g : nullptr;
}

const Attribute* AttrReader::required(std::string_view name, AttrKind kind) {
  const Attribute* a = get(name, kind);
  if (a == nullptr && status_.is_ok()) {
    status_ = invalid_model(context() + "required attribute '" + std::string(name) + "' (" +
                            std::string(attr_kind_name(kind)) + ") is missing");
  }
  return a;
}

Attribute int_attribute(std::string name, int64_t v) {
  Attribute a;
  a.name = std::move(name);
  a.kind = AttrKind::kInt;
  a.i = v;
  return a;
}

Attribute float_attribute(std::string name, float v) {
  Attribute a;
  a.name = std::move(name);
  a.kind = AttrKind::kFloat;
  a.f = v;
  return a;
}

Attribute string_attribute(std::string name, std::string v) {
  Attribute a;
  a.name = std::move(name);
  a.kind = AttrKind::kString;
  a.s = std::move(v);
  return a;
}

Attribute ints_attribute(std::string name, std::vector<int64_t> v) {
  Attribute a;
  a.name = std::move(name);
  a.kind = AttrKind::kInts;
  a.ints = std::move(v);
  return a;
}

}  // namespace onnxrt::ir
