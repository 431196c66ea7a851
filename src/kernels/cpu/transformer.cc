// The CPU kernel table of the transformer family. Kernels live in transformer_attention.cc,
// transformer_norm.cc and transformer_rotary.cc; every entry dispatches on the element type
// itself (float32, float16, bfloat16, float64: 16-bit and double compute in float).
#include "kernels/cpu/transformer_common.h"
#include "kernels/kernel_families.h"

namespace onnxrt::kernels {

namespace {

constexpr DType kAny = DType::kUndefined;

const KernelEntry kCpuTransformer[] = {
    {"", "Attention", 23, kMaxOpset, kAny, &make_cpu_attention},
    {"", "RotaryEmbedding", 23, kMaxOpset, kAny, &make_rotary_embedding},
    {"", "RMSNormalization", 23, kMaxOpset, kAny, &make_cpu_rms_norm},
    {"com.onnxrt", "RMSNormalization", 1, kMaxOpset, kAny, &make_cpu_rms_norm},  // passes/fuse_rms_norm.cc
    {"", "MeanVarianceNormalization", 9, kMaxOpset, kAny, &make_mvn},
    {"", "LinearAttention", 27, kMaxOpset, kAny, &make_linear_attention},
    {"ai.onnx.preview", "FlexAttention", 1, kMaxOpset, kAny, &make_flex_attention},
};

}  // namespace

std::span<const KernelEntry> cpu_transformer_kernels() { return kCpuTransformer; }

}  // namespace onnxrt::kernels
