#include "tensor/value.h"

#include <utility>

#include "tensor/sym_shape.h"

namespace onnxrt {

Value::Value(Tensor t) {
  if (!t.defined()) return;
  kind_ = ValueKind::kTensor;
  tensor_ = std::move(t);
}

Value Value::sequence(std::vector<Value> items) {
  Value v;
  v.kind_ = ValueKind::kSequence;
  v.seq_ = std::make_shared<const std::vector<Value>>(std::move(items));
  return v;
}

Value Value::map(Tensor keys, Tensor values) {
  Value v;
  v.kind_ = ValueKind::kMap;
  v.map_ = std::make_shared<const MapValue>(MapValue{std::move(keys), std::move(values)});
  return v;
}

const std::vector<Value>& Value::sequence() const {
  static const std::vector<Value> kEmpty;
  return seq_ ? *seq_ : kEmpty;
}

const MapValue& Value::map() const {
  static const MapValue kEmpty;
  return map_ ? *map_ : kEmpty;
}

std::string Value::describe() const {
  switch (kind_) {
    case ValueKind::kNone: return "none";
    case ValueKind::kTensor:
      return "tensor(" + std::string(dtype_name(tensor_.dtype())) + ")" + shape_to_string(tensor_.shape());
    case ValueKind::kSequence: {
      std::string s = "seq(" + std::to_string(sequence().size());
      if (!sequence().empty()) s += " x " + sequence().front().describe();
      return s + ")";
    }
    case ValueKind::kMap: return "map(" + std::to_string(map().keys.size()) + ")";
  }
  return "?";
}

namespace {

bool is_owned(const Value& v) {
  switch (v.kind()) {
    case ValueKind::kTensor: return v.tensor().storage() != nullptr;
    case ValueKind::kSequence:
      for (const Value& e : v.sequence())
        if (!is_owned(e)) return false;
      return true;
    case ValueKind::kMap: return v.map().keys.storage() && v.map().values.storage();
    case ValueKind::kNone: return true;
  }
  return true;
}

}  // namespace

Tensor owned_tensor(const Tensor& t) {
  if (!t.defined() || t.storage()) return t;
  return t.clone();
}

Value owned_value(const Value& v) {
  switch (v.kind()) {
    case ValueKind::kTensor: return owned_tensor(v.tensor());
    case ValueKind::kSequence: {
      if (is_owned(v)) return v;
      std::vector<Value> items;
      items.reserve(v.sequence().size());
      for (const Value& e : v.sequence()) items.push_back(owned_value(e));
      return Value::sequence(std::move(items));
    }
    case ValueKind::kMap: return Value::map(owned_tensor(v.map().keys), owned_tensor(v.map().values));
    case ValueKind::kNone: return v;
  }
  return v;
}

Value clone_value(const Value& v) {
  switch (v.kind()) {
    case ValueKind::kTensor: return v.tensor().clone();
    case ValueKind::kSequence: {
      std::vector<Value> items;
      items.reserve(v.sequence().size());
      for (const Value& e : v.sequence()) items.push_back(clone_value(e));
      return Value::sequence(std::move(items));
    }
    case ValueKind::kMap: return Value::map(v.map().keys.clone(), v.map().values.clone());
    case ValueKind::kNone: return v;
  }
  return v;
}

}  // namespace onnxrt
