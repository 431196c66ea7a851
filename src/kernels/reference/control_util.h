// Helpers of the control-family kernels (defined in reference/control.cc).
#pragma once

#include <span>

#include "kernels/kernel.h"

namespace onnxrt::kernels::control {

// A bool tensor of one element (a loop condition); error names `what`.
Expected<bool> read_bool(KernelContext& ctx, const Value& v, const char* what);
// False for sub-byte types (int4, ...), which cannot be sliced element by element here.
bool is_byte_addressable(DType t);
// Copies `count` elements (strings by value).
void copy_elements(DType dtype, const Tensor& src, int64_t src_off, Tensor& dst, int64_t dst_off, int64_t count);
// x[..., index, ...] along `axis`, with that axis removed (a new owned tensor).
Tensor slice_axis(const Tensor& x, int64_t axis, int64_t index);
// A new owned tensor of item_shape with a dim of `total` inserted at `axis`; items[t] is placed at
// positions[t] along it; positions not written stay zero.
Tensor stack_axis(DType dtype, const Shape& item_shape, int64_t total, int64_t axis, std::span<const Tensor> items,
                  std::span<const int64_t> positions);

}  // namespace onnxrt::kernels::control
