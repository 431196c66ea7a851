// The tensor-family kernel functions, shared by the CPU table (kernels/cpu/tensor.cc) and, for
// ops with nothing to optimise (Shape, Size, Constant, Range...), by the reference table.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

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

// kernels/cpu/tensor_pad.cc
enum class PadMode { kConstant, kEdge, kReflect, kWrap };
struct PadSpec {
  PadMode mode = PadMode::kConstant;
  std::vector<int64_t> begin, end;  // per input axis; negative crops
  std::vector<uint8_t> value;       // the fill value as one element (not for strings)
  std::string str_value;            // the fill value for string tensors
};
// The source index along one axis for output index o, or -1 where the fill value goes.
int64_t pad_source_index(int64_t o, int64_t begin, int64_t end, int64_t dim, PadMode mode);
Status pad_params(KernelContext& ctx, const Tensor& x, PadSpec& spec);
Status center_crop_pad_params(KernelContext& ctx, const Tensor& x, PadSpec& spec);
void fill_value(DType t, void* dst, int64_t n, const PadSpec& spec);
Status pad_kernel(KernelContext& ctx);
Status center_crop_pad_kernel(KernelContext& ctx);

// kernels/cpu/tensor_gather_scatter.cc
enum class ScatterReduction { kNone, kAdd, kMul, kMax, kMin };
Status scatter_reduction(KernelContext& ctx, ScatterReduction& r);
// Combines one updates element into one output element (element type t).
void scatter_combine(DType t, ScatterReduction r, void* dst, const void* upd);
Status gather_elements_kernel(KernelContext& ctx);
Status gather_nd_kernel(KernelContext& ctx);
Status scatter_nd_kernel(KernelContext& ctx);
Status scatter_elements_kernel(KernelContext& ctx);  // also Scatter (opset 9-10)
Status depth_to_space_kernel(KernelContext& ctx);
Status space_to_depth_kernel(KernelContext& ctx);

// kernels/cpu/tensor_misc.cc (shared with the reference table: simple loops)
Status trilu_kernel(KernelContext& ctx);
Status nonzero_kernel(KernelContext& ctx);
Status onehot_kernel(KernelContext& ctx);
Status compress_kernel(KernelContext& ctx);
Status eye_like_kernel(KernelContext& ctx);
Status reverse_sequence_kernel(KernelContext& ctx);
Status tensor_scatter_kernel(KernelContext& ctx);
Status col2im_kernel(KernelContext& ctx);
Status det_kernel(KernelContext& ctx);

// kernels/cpu/tensor_unique.cc
Status unique_kernel(KernelContext& ctx);

// kernels/cpu/tensor_einsum.cc
Status einsum_kernel(KernelContext& ctx);        // float32: transpose + sgemm; else naive
Status einsum_naive_kernel(KernelContext& ctx);  // the reference: one summation loop

}  // namespace onnxrt::kernels::tensor_ops
