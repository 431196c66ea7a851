// Reference (oracle) kernels of the tensor family that live outside reference/tensor.cc.
#pragma once

#include "kernels/kernel.h"

namespace onnxrt::kernels::tensor_ref {

// reference/tensor_index.cc: one output (or update) element at a time, straight from the spec.
Status ref_pad(KernelContext& ctx);
Status ref_center_crop_pad(KernelContext& ctx);
Status ref_gather_elements(KernelContext& ctx);
Status ref_gather_nd(KernelContext& ctx);
Status ref_scatter_nd(KernelContext& ctx);
Status ref_scatter_elements(KernelContext& ctx);
Status ref_depth_to_space(KernelContext& ctx);
Status ref_space_to_depth(KernelContext& ctx);

}  // namespace onnxrt::kernels::tensor_ref
