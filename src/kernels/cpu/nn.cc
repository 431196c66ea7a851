// The CPU kernel table of the neural-network family. Kernels live in nn_conv.cc, nn_pool.cc,
// nn_norm.cc and nn_softmax.cc (16-bit Conv in nn_conv_half.cc). All are float32 (Conv, the
// Softmax family and the normalizations also float16 and bfloat16); every opset version of an op shares one
// factory, which reads the version's attribute semantics from the node.
#include "kernels/cpu/nn_common.h"
#include "kernels/cpu/nn_types.h"
#include "kernels/kernel_families.h"

namespace onnxrt::kernels {

namespace {

constexpr DType F32 = DType::kFloat32;
constexpr DType F16 = DType::kFloat16;
constexpr DType BF16 = DType::kBFloat16;
constexpr DType ANY = DType::kUndefined;
using nn::bridge_factory;

const KernelEntry kCpuNn[] = {
    {"", "Conv", 1, kMaxOpset, F32, &make_cpu_conv},
    {"", "MaxPool", 1, kMaxOpset, F32, &make_cpu_pool},
    {"", "AveragePool", 1, kMaxOpset, F32, &make_cpu_pool},
    {"", "LpPool", 1, kMaxOpset, F32, &make_cpu_pool},
    {"", "GlobalAveragePool", 1, kMaxOpset, F32, &make_cpu_global_pool},
    {"", "GlobalMaxPool", 1, kMaxOpset, F32, &make_cpu_global_pool},
    {"", "GlobalLpPool", 1, kMaxOpset, F32, &make_cpu_global_pool},
    {"", "BatchNormalization", 1, kMaxOpset, F32, &make_cpu_batchnorm},
    {"", "LayerNormalization", 17, kMaxOpset, F32, &make_cpu_layernorm},
    {"com.onnxrt", "LayerNormalization", 1, kMaxOpset, F32, &make_cpu_layernorm},  // passes/fuse_layer_norm.cc
    {"", "InstanceNormalization", 1, kMaxOpset, F32, &make_cpu_instancenorm},
    {"", "GroupNormalization", 18, kMaxOpset, F32, &make_cpu_groupnorm},
    {"", "LpNormalization", 1, kMaxOpset, F32, &make_cpu_lpnorm},
    {"", "LRN", 1, kMaxOpset, F32, &make_cpu_lrn},
    {"", "Softmax", 1, kMaxOpset, F32, &make_cpu_softmax},
    {"", "LogSoftmax", 1, kMaxOpset, F32, &make_cpu_softmax},
    {"", "Hardmax", 1, kMaxOpset, F32, &make_cpu_softmax},
    {"", "Dropout", 1, kMaxOpset, F32, &make_cpu_dropout},
    {"", "SwiGLU", 28, kMaxOpset, F32, &nn::make_swiglu},
    {"", "CausalConvWithState", 27, kMaxOpset, F32, &nn::make_causal_conv},
    // float16 / bfloat16 natively, a row at a time in float32 registers (no whole-tensor casts).
    {"", "Conv", 1, kMaxOpset, F16, &make_cpu_conv_half},
    {"", "Conv", 1, kMaxOpset, BF16, &make_cpu_conv_half},
    {"", "BatchNormalization", 1, kMaxOpset, F16, &make_cpu_batchnorm_half},
    {"", "BatchNormalization", 1, kMaxOpset, BF16, &make_cpu_batchnorm_half},
    {"", "InstanceNormalization", 1, kMaxOpset, F16, &make_cpu_instancenorm},
    {"", "InstanceNormalization", 1, kMaxOpset, BF16, &make_cpu_instancenorm},
    {"", "GroupNormalization", 18, kMaxOpset, F16, &make_cpu_groupnorm},
    {"", "GroupNormalization", 18, kMaxOpset, BF16, &make_cpu_groupnorm},
    {"", "LpNormalization", 1, kMaxOpset, F16, &make_cpu_lpnorm},
    {"", "LpNormalization", 1, kMaxOpset, BF16, &make_cpu_lpnorm},
    {"", "LayerNormalization", 17, kMaxOpset, F16, &make_cpu_layernorm},
    {"", "LayerNormalization", 17, kMaxOpset, BF16, &make_cpu_layernorm},
    {"", "Softmax", 1, kMaxOpset, F16, &make_cpu_softmax},
    {"", "Softmax", 1, kMaxOpset, BF16, &make_cpu_softmax},
    {"", "LogSoftmax", 1, kMaxOpset, F16, &make_cpu_softmax},
    {"", "LogSoftmax", 1, kMaxOpset, BF16, &make_cpu_softmax},
    {"", "Hardmax", 1, kMaxOpset, F16, &make_cpu_softmax},
    {"", "Hardmax", 1, kMaxOpset, BF16, &make_cpu_softmax},
    // Other float types (and 8-bit integers for MaxPool) through float32; see nn_types.h.
    {"", "Conv", 1, kMaxOpset, ANY, &bridge_factory<&make_cpu_conv>},
    {"", "MaxPool", 1, kMaxOpset, ANY, &bridge_factory<&make_cpu_pool, true>},
    {"", "AveragePool", 1, kMaxOpset, ANY, &bridge_factory<&make_cpu_pool>},
    {"", "GlobalAveragePool", 1, kMaxOpset, ANY, &bridge_factory<&make_cpu_global_pool>},
    {"", "GlobalMaxPool", 1, kMaxOpset, ANY, &bridge_factory<&make_cpu_global_pool>},
    {"", "Softmax", 1, kMaxOpset, ANY, &bridge_factory<&make_cpu_softmax>},
    {"", "LogSoftmax", 1, kMaxOpset, ANY, &bridge_factory<&make_cpu_softmax>},
    {"", "Hardmax", 1, kMaxOpset, ANY, &bridge_factory<&make_cpu_softmax>},
    {"", "BatchNormalization", 1, kMaxOpset, ANY, &bridge_factory<&make_cpu_batchnorm>},
    {"", "SwiGLU", 28, kMaxOpset, ANY, &bridge_factory<&nn::make_swiglu>},
    {"", "CausalConvWithState", 27, kMaxOpset, ANY, &bridge_factory<&nn::make_causal_conv>},
    {"", "Dropout", 1, kMaxOpset, ANY, &bridge_factory<&make_cpu_dropout>},
};

}  // namespace

std::span<const KernelEntry> cpu_nn_kernels() { return kCpuNn; }

}  // namespace onnxrt::kernels
