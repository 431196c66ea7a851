// The CPU kernel table of our fused ops (domain com.onnxrt, see ir/infer_fused.h). FusedConv
// shares Conv's kernel (nn_conv.cc) with an epilogue; FusedMatMul is in fused_matmul.cc,
// FusedAttention in fused_attention.cc, the channel-blocked ops in fused_blocked.cc.
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
    {"com.onnxrt", "BlockedConv", 1, kMaxOpset, DType::kFloat32, &make_cpu_blocked_conv},
    {"com.onnxrt", "ToBlocked", 1, kMaxOpset, DType::kFloat32, &make_cpu_to_blocked},
    {"com.onnxrt", "FromBlocked", 1, kMaxOpset, DType::kFloat32, &make_cpu_from_blocked},
};

}  // namespace

std::span<const KernelEntry> cpu_fused_kernels() { return kCpuFused; }

}  // namespace onnxrt::kernels
