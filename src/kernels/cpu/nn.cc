// The CPU kernel table of the neural-network family. Kernels live in nn_conv.cc, nn_pool.cc,
// nn_norm.cc and nn_softmax.cc. All are float32; every opset version of an op shares one
// factory, which reads the version's attribute semantics from the node.
#include "kernels/cpu/nn_common.h"
#include "kernels/kernel_families.h"

namespace onnxrt::kernels {

namespace {

constexpr DType F32 = DType::kFloat32;

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
    {"", "InstanceNormalization", 1, kMaxOpset, F32, &make_cpu_instancenorm},
    {"", "GroupNormalization", 18, kMaxOpset, F32, &make_cpu_groupnorm},
    {"", "LpNormalization", 1, kMaxOpset, F32, &make_cpu_lpnorm},
    {"", "LRN", 1, kMaxOpset, F32, &make_cpu_lrn},
    {"", "Softmax", 1, kMaxOpset, F32, &make_cpu_softmax},
    {"", "LogSoftmax", 1, kMaxOpset, F32, &make_cpu_softmax},
    {"", "Hardmax", 1, kMaxOpset, F32, &make_cpu_softmax},
    {"", "Dropout", 1, kMaxOpset, F32, &make_cpu_dropout},
};

}  // namespace

std::span<const KernelEntry> cpu_nn_kernels() { return kCpuNn; }

}  // namespace onnxrt::kernels
