// The reference kernel table of the transformer family. RotaryEmbedding and
// MeanVarianceNormalization share the CPU table's simple kernels (kernels/cpu/transformer_*.cc);
// their tests pin values computed by onnx's reference implementation instead.
#include "kernels/cpu/transformer_common.h"
#include "kernels/kernel_families.h"

namespace onnxrt::kernels {

namespace {

constexpr DType kAny = DType::kUndefined;

const KernelEntry kRefTransformer[] = {
    {"", "Attention", 23, kMaxOpset, kAny, &make_ref_attention},
    {"", "RotaryEmbedding", 23, kMaxOpset, kAny, &make_rotary_embedding},
    {"", "RMSNormalization", 23, kMaxOpset, kAny, &make_ref_rms_norm},
    {"", "MeanVarianceNormalization", 9, kMaxOpset, kAny, &make_mvn},
    {"", "LinearAttention", 27, kMaxOpset, kAny, &make_linear_attention},
    {"ai.onnx.preview", "FlexAttention", 1, kMaxOpset, kAny, &make_flex_attention},
};

}  // namespace

std::span<const KernelEntry> reference_transformer_kernels() { return kRefTransformer; }

}  // namespace onnxrt::kernels
