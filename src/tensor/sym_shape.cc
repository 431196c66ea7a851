#include "tensor/sym_shape.h"

namespace onnxrt {

int32_t SymbolTable::intern(std::string_view name) {
  auto it = ids_.find(std::string(name));
  if (it != ids_.end()) return it->second;
  const auto id = static_cast<int32_t>(names_.size());
  names_.emplace_back(name);
  ids_.emplace(std::string(name), id);
  return id;
}

int32_t SymbolTable::fresh() {
  const auto id = static_cast<int32_t>(names_.size());
  // Anonymous symbols are not entered in ids_, so no dim_param can alias them.
  names_.push_back("unk__" + std::to_string(id));
  return id;
}

int32_t SymbolTable::derived(const std::string& key) {
  auto it = derived_.find(key);
  if (it != derived_.end()) return it->second;
  const int32_t id = fresh();
  derived_.emplace(key, id);
  return id;
}

bool SymbolTable::is_named(int32_t id) const {
  auto it = ids_.find(names_[static_cast<size_t>(id)]);
  return it != ids_.end() && it->second == id;
}

SymShape to_sym_shape(const Shape& s) { return SymShape(s.begin(), s.end()); }

Shape to_static_shape(const SymShape& s) {
  Shape out;
  out.reserve(s.size());
  for (const Dim& d : s) out.push_back(d.value());
  return out;
}

std::string shape_to_string(const SymShape& s, const SymbolTable* symbols) {
  std::string out = "[";
  for (size_t i = 0; i < s.size(); ++i) {
    if (i) out += ",";
    if (s[i].is_known()) {
      out += std::to_string(s[i].value());
    } else if (symbols && static_cast<size_t>(s[i].symbol_id()) < symbols->size()) {
      out += symbols->name(s[i].symbol_id());
    } else {
      out += "?" + std::to_string(s[i].symbol_id());
    }
  }
  return out + "]";
}

std::string shape_to_string(const Shape& s) { return shape_to_string(to_sym_shape(s)); }

}  // namespace onnxrt
