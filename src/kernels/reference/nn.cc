// The reference (oracle) kernel table of the neural-network family: naive kernels in
// nn_conv_pool.cc and nn_norm.cc that the CPU kernels are tested against.
#include "kernels/cpu/nn_common.h"
#include "kernels/cpu/nn_types.h"
#include "kernels/kernel_families.h"

namespace onnxrt::kernels {

namespace {

constexpr DType F32 = DType::kFloat32;
constexpr DType ANY = DType::kUndefined;
using nn::bridge_factory;

const KernelEntry kRefNn[] = {
    {"", "Conv", 1, kMaxOpset, F32, &make_ref_conv},
    {"", "MaxPool", 1, kMaxOpset, F32, &make_ref_pool},
    {"", "AveragePool", 1, kMaxOpset, F32, &make_ref_pool},
    {"", "LpPool", 1, kMaxOpset, F32, &make_ref_pool},
    {"", "GlobalAveragePool", 1, kMaxOpset, F32, &make_ref_global_pool},
    {"", "GlobalMaxPool", 1, kMaxOpset, F32, &make_ref_global_pool},
    {"", "GlobalLpPool", 1, kMaxOpset, F32, &make_ref_global_pool},
    {"", "BatchNormalization", 1, kMaxOpset, F32, &make_ref_batchnorm},
    {"", "LayerNormalization", 17, kMaxOpset, F32, &make_ref_layernorm},
    {"", "InstanceNormalization", 1, kMaxOpset, F32, &make_ref_instancenorm},
    {"", "GroupNormalization", 18, kMaxOpset, F32, &make_ref_groupnorm},
    {"", "LpNormalization", 1, kMaxOpset, F32, &make_ref_lpnorm},
    {"", "LRN", 1, kMaxOpset, F32, &make_ref_lrn},
    {"", "Softmax", 1, kMaxOpset, F32, &make_ref_softmax},
    {"", "LogSoftmax", 1, kMaxOpset, F32, &make_ref_softmax},
    {"", "Hardmax", 1, kMaxOpset, F32, &make_ref_softmax},
    {"", "Dropout", 1, kMaxOpset, F32, &make_ref_dropout},
    {"", "SwiGLU", 28, kMaxOpset, F32, &nn::make_swiglu},
    {"", "CausalConvWithState", 27, kMaxOpset, F32, &nn::make_causal_conv},
    // Other float types (and 8-bit integers for MaxPool) through float32; see nn_types.h.
    {"", "Conv", 1, kMaxOpset, ANY, &bridge_factory<&make_ref_conv>},
    {"", "MaxPool", 1, kMaxOpset, ANY, &bridge_factory<&make_ref_pool, true>},
    {"", "AveragePool", 1, kMaxOpset, ANY, &bridge_factory<&make_ref_pool>},
    {"", "GlobalAveragePool", 1, kMaxOpset, ANY, &bridge_factory<&make_ref_global_pool>},
    {"", "GlobalMaxPool", 1, kMaxOpset, ANY, &bridge_factory<&make_ref_global_pool>},
    {"", "LayerNormalization", 17, kMaxOpset, ANY, &bridge_factory<&make_ref_layernorm>},
    {"", "Softmax", 1, kMaxOpset, ANY, &bridge_factory<&make_ref_softmax>},
    {"", "LogSoftmax", 1, kMaxOpset, ANY, &bridge_factory<&make_ref_softmax>},
    {"", "Hardmax", 1, kMaxOpset, ANY, &bridge_factory<&make_ref_softmax>},
    {"", "BatchNormalization", 1, kMaxOpset, ANY, &bridge_factory<&make_ref_batchnorm>},
    {"", "SwiGLU", 28, kMaxOpset, ANY, &bridge_factory<&nn::make_swiglu>},
    {"", "CausalConvWithState", 27, kMaxOpset, ANY, &bridge_factory<&nn::make_causal_conv>},
    {"", "Dropout", 1, kMaxOpset, ANY, &bridge_factory<&make_ref_dropout>},
};

}  // namespace

std::span<const KernelEntry> reference_nn_kernels() { return kRefNn; }

}  // namespace onnxrt::kernels
