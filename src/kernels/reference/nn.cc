// The reference (oracle) kernel table of the neural-network family: naive kernels in
// nn_conv_pool.cc and nn_norm.cc that the CPU kernels are tested against.
#include "kernels/cpu/nn_common.h"
#include "kernels/kernel_families.h"

namespace onnxrt::kernels {

namespace {

constexpr DType F32 = DType::kFloat32;

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
};

}  // namespace

std::span<const KernelEntry> reference_nn_kernels() { return kRefNn; }

}  // namespace onnxrt::kernels
