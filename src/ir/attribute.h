// Node attributes as plain data. A node keeps its attributes in a small ordered list; kernels
// and inference read them through AttrReader, which records the first kind mismatch instead of
// failing on every call, so op code stays linear:
//   AttrReader a(node);
//   int64_t axis = a.i("axis", -1);
//   ONNXRT_RETURN_IF_ERROR(a.status());
#pragma once

#include <cstdint>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include "ir/value_type.h"
#include "onnxrt/status.h"
#include "onnxrt/tensor.h"

namespace onnxrt::ir {

class Graph;
class Node;

// Values equal ONNX AttributeProto.AttributeType.
enum class AttrKind : int32_t {
  kUndefined = 0,
  kFloat = 1,
  kInt = 2,
  kString = 3,
  kTensor = 4,
  kGraph = 5,
  kFloats = 6,
  kInts = 7,
  kStrings = 8,
  kTensors = 9,
  kGraphs = 10,
  kSparseTensor = 11,
  kSparseTensors = 12,
  kTypeProto = 13,
  kTypeProtos = 14,
};
std::string_view attr_kind_name(AttrKind k);

// A sparse tensor kept as its parts (values 1-D, indices [NNZ] linear or [NNZ, rank]).
struct SparseTensor {
  Tensor values;
  Tensor indices;
  Shape dims;
};

struct Attribute {
  std::string name;
  AttrKind kind = AttrKind::kUndefined;
  float f = 0.0f;
  int64_t i = 0;
  std::string s;  // bytes; ONNX strings are not necessarily UTF-8
  Tensor t;
  std::shared_ptr<Graph> g;
  SparseTensor sparse;
  ValueType type;
  std::vector<float> floats;
  std::vector<int64_t> ints;
  std::vector<std::string> strings;
  std::vector<Tensor> tensors;
  std::vector<std::shared_ptr<Graph>> graphs;
  std::vector<SparseTensor> sparse_tensors;
  std::vector<ValueType> types;
  // Set for a function-body attribute that refers to an attribute of the calling node; resolved
  // when the function is expanded.
  std::string ref_attr_name;
};

// An attribute of one kind, for the passes and tests that build nodes.
Attribute int_attribute(std::string name, int64_t v);
Attribute float_attribute(std::string name, float v);
Attribute string_attribute(std::string name, std::string v);
Attribute ints_attribute(std::string name, std::vector<int64_t> v);

class Attributes {
 public:
  const Attribute* find(std::string_view name) const;
  bool has(std::string_view name) const { return find(name) != nullptr; }
  void set(Attribute a);  // replaces an attribute of the same name
  bool erase(std::string_view name);
  const std::vector<Attribute>& all() const { return list_; }
  std::vector<Attribute>& all() { return list_; }

 private:
  std::vector<Attribute> list_;
};

// Typed access with defaults; see the file comment.
class AttrReader {
 public:
  // The node's description is made only when an error needs it: shape inference of dynamic
  // shapes reads attributes at every run (every iteration of a loop body).
  explicit AttrReader(const Node& node);
  AttrReader(const Attributes& attrs, std::string context) : attrs_(attrs), context_(std::move(context)) {}

  int64_t i(std::string_view name, int64_t def);
  float f(std::string_view name, float def);
  std::string s(std::string_view name, std::string def);
  std::vector<int64_t> ints(std::string_view name, std::vector<int64_t> def = {});
  std::vector<float> floats(std::string_view name, std::vector<float> def = {});
  std::vector<std::string> strings(std::string_view name, std::vector<std::string> def = {});
  Tensor tensor(std::string_view name);  // undefined Tensor when absent
  std::shared_ptr<Graph> graph(std::string_view name);
  // An attribute that the spec marks required; records an error when absent.
  const Attribute* required(std::string_view name, AttrKind kind);
  bool has(std::string_view name) const { return attrs_.has(name); }
  Status status() const { return status_; }

 private:
  const Attribute* get(std::string_view name, AttrKind kind);
  std::string context() const;
  const Attributes& attrs_;
  const Node* node_ = nullptr;
  std::string context_;
  Status status_;
};

}  // namespace onnxrt::ir
