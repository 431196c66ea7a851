// Tensors whose storage is not zero-filled, for the engine's own outputs: every kernel writes
// all of its outputs (docs/pipeline.md), so clearing them first is a wasted pass over memory
// (measured: an Add + Relu on 4M floats spent a quarter of its time in memset).
#pragma once

#include "onnxrt/tensor.h"

namespace onnxrt {

// Like Tensor::allocate, but the contents are undefined (strings are still empty strings).
Tensor allocate_uninitialized(DType dtype, Shape shape);

}  // namespace onnxrt
