// Engine-side helpers for onnxrt::Value (include/onnxrt/value.h).
#pragma once

#include "onnxrt/value.h"

namespace onnxrt {

// A tensor whose storage outlives any RunState: borrowed arena or pool memory (a tensor without
// a keep-alive) is copied, anything else is shared. Values that outlive the step that made them
// (sequence elements, subgraph results, values passed on by reference) must be owned.
Tensor owned_tensor(const Tensor& t);
// owned_tensor() applied to every tensor inside `v`.
Value owned_value(const Value& v);
// A deep copy: no tensor storage shared with `v` (for values handed to a caller that may write).
Value clone_value(const Value& v);

}  // namespace onnxrt
