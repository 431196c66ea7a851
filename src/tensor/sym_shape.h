// Shapes with symbolic dimensions. A Dim is either a known size or a symbol (an ONNX dim_param
// such as "batch", or an anonymous unknown created during inference). Symbols are never encoded
// as -1: two dims with the same symbol are known to be equal, which inference relies on.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <unordered_map>
#include <vector>

#include "onnxrt/tensor.h"

namespace onnxrt {

class Dim {
 public:
  constexpr Dim() = default;
  constexpr Dim(int64_t value) : value_(value) {}  // NOLINT(implicit): dims are mostly numbers
  static constexpr Dim symbol(int32_t id) {
    Dim d;
    d.value_ = -1;
    d.sym_ = id;
    return d;
  }

  bool is_known() const { return sym_ < 0; }
  bool is_symbol() const { return sym_ >= 0; }
  int64_t value() const { return value_; }  // only meaningful when is_known()
  int32_t symbol_id() const { return sym_; }
  bool operator==(const Dim& o) const { return value_ == o.value_ && sym_ == o.sym_; }

 private:
  int64_t value_ = 0;
  int32_t sym_ = -1;
};

using SymShape = std::vector<Dim>;

// Names of the symbols of one model. Anonymous symbols get generated names ("unk__3").
class SymbolTable {
 public:
  int32_t intern(std::string_view name);
  int32_t fresh();  // a new anonymous symbol, equal to no other
  // The anonymous symbol for a dim that a deterministic function of other dims gives, named by
  // `key` (say "bcast(3,7)": the broadcast of symbols 3 and 7): the same key gives the same
  // symbol, so that two nodes computing the same unknown dim from the same dims agree on it
  // (Q, K and V reshaped by one shape tensor get one heads dim). Sound because at run time the
  // function gives both the same value; keys are only ever built from symbol ids and constants.
  int32_t derived(const std::string& key);
  const std::string& name(int32_t id) const { return names_[static_cast<size_t>(id)]; }
  size_t size() const { return names_.size(); }
  // False for anonymous symbols made by fresh(): they stand for "unknown", not for a dim_param.
  bool is_named(int32_t id) const;

 private:
  std::vector<std::string> names_;
  std::unordered_map<std::string, int32_t> ids_;
  std::unordered_map<std::string, int32_t> derived_;
};

inline bool shape_is_static(const SymShape& s) {
  for (const Dim& d : s)
    if (!d.is_known()) return false;
  return true;
}
SymShape to_sym_shape(const Shape& s);
// Requires shape_is_static(s).
Shape to_static_shape(const SymShape& s);
// "[batch,3,224,224]"; symbols printed by name when a table is given, as "?<id>" otherwise.
std::string shape_to_string(const SymShape& s, const SymbolTable* symbols = nullptr);
std::string shape_to_string(const Shape& s);

}  // namespace onnxrt
