// A graph value: a tensor, a sequence of values, a map, or None (an empty optional). ONNX's
// optional type has no wrapper here: a present optional is just the value it holds.
//
//   onnxrt::Value t = tensor;                                  // implicit from a Tensor
//   onnxrt::Value s = onnxrt::Value::sequence({t1, t2});       // seq(tensor(float))
//   if (v.is_sequence()) for (const Value& e : v.sequence()) ...
//
// Values are cheap handles like Tensor: copies share their tensors and sequence storage. The
// engine never writes into a value it has handed out, so sharing is safe.
#pragma once

#include <memory>
#include <string>
#include <vector>

#include "onnxrt/tensor.h"

namespace onnxrt {

enum class ValueKind { kNone, kTensor, kSequence, kMap };

class Value;

// A map as two 1-D tensors of equal length: keys (int64 or string) and values.
struct MapValue {
  Tensor keys;
  Tensor values;
};

class Value {
 public:
  Value() = default;  // None
  // A defined tensor becomes a tensor value; an undefined Tensor becomes None.
  Value(Tensor t);  // NOLINT(google-explicit-constructor): a Tensor is a Value

  static Value none() { return Value(); }
  static Value sequence(std::vector<Value> items);
  static Value map(Tensor keys, Tensor values);

  ValueKind kind() const { return kind_; }
  bool is_none() const { return kind_ == ValueKind::kNone; }
  bool is_tensor() const { return kind_ == ValueKind::kTensor; }
  bool is_sequence() const { return kind_ == ValueKind::kSequence; }
  bool is_map() const { return kind_ == ValueKind::kMap; }

  // Valid only for the matching kind (callers check kind() first).
  const Tensor& tensor() const { return tensor_; }
  Tensor& tensor() { return tensor_; }
  const std::vector<Value>& sequence() const;
  const MapValue& map() const;

  // "tensor(float)[2x3]", "seq(3)", "map(3)", "none": for error messages.
  std::string describe() const;

 private:
  ValueKind kind_ = ValueKind::kNone;
  Tensor tensor_;
  std::shared_ptr<const std::vector<Value>> seq_;
  std::shared_ptr<const MapValue> map_;
};

}  // namespace onnxrt
