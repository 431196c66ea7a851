// The CPU kernel table of our fused ops (domain com.onnxrt, see ir/infer_fused.h). FusedConv
// shares Conv's kernel (nn_conv.cc) with an epilogue; FusedMatMul is in fused_matmul.cc,
// FusedAttention in fused_attention.cc.
#include "kernels/cpu/fused_attention.h"
#include "kernels/cpu/fused_epilogue.h"
#include "kernels/cpu/nn_common.h"
#include "kernels/kernel_families.h"

namespace onnxrt::kernels {

namespace {

constexpr KernelEntry kCpuFused[] = {
    {"com.onnxrt", "FusedConv", 1, kMaxOpset, DType::kFloat32, &make_cpu_fused_conv},
    {"com.onnxrt", "FusedConv", 1, kMaxOpset, DType::kFloat16, &make_cpu_fused_conv_half},
    {"com.onnxrt", "FusedConv", 1, kMaxOpset, DType::kBFloat16, &make_cpu_fused_conv_half},
    {"com.onnxrt", "FusedMatMul", 1, kMaxOpset, DType::kFloat32, &make_cpu_fused_matmul},
    {"com.onnxrt", "FusedAttention", 1, kMaxOpset, DType::kFloat32, &make_cpu_fused_attention},
};

}  // namespace

std::span<const KernelEntry> cpu_fused_kernels() { return kCpuFused; }

}  // namespace onnxrt::kernels
