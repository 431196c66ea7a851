// The tensor-family kernel functions, shared by the CPU table (kernels/cpu/tensor.cc) and, for
// ops with nothing to optimise (Shape, Size, Constant, Range...), by the reference table.
#pragma once

#include "kernels/kernel.h"

namespace onnxrt::kernels::tensor_ops {

// kernels/cpu/tensor_shape.cc
Status copy_kernel(KernelContext& ctx);  // Reshape, Flatten, Squeeze, Unsqueeze, Identity
Status shape_kernel(KernelContext& ctx);
Status size_kernel(KernelContext& ctx);
Status constant_kernel(KernelContext& ctx);
Status constant_of_shape_kernel(KernelContext& ctx);
Status transpose_kernel(KernelContext& ctx);
Status expand_kernel(KernelContext& ctx);
Status concat_kernel(KernelContext& ctx);
Status slice_kernel(KernelContext& ctx);
Status split_kernel(KernelContext& ctx);
Status tile_kernel(KernelContext& ctx);
// Starts and steps per input axis of a Slice node (after clamping).
Status slice_params(KernelContext& ctx, const Tensor& x, std::vector<int64_t>& start,
                    std::vector<int64_t>& step);

// kernels/cpu/tensor_index.cc
Status gather_kernel(KernelContext& ctx);
Status range_kernel(KernelContext& ctx);

}  // namespace onnxrt::kernels::tensor_ops
