// The CPU kernel table of the loss family (kernel in loss_kernels.cc; it dispatches on the
// element type itself).
#include "kernels/cpu/transformer_common.h"
#include "kernels/kernel_families.h"

namespace onnxrt::kernels {

namespace {

constexpr DType kAny = DType::kUndefined;

const KernelEntry kCpuLoss[] = {
    {"", "SoftmaxCrossEntropyLoss", 12, kMaxOpset, kAny, &make_loss},
    {"", "NegativeLogLikelihoodLoss", 12, kMaxOpset, kAny, &make_loss},
};

}  // namespace

std::span<const KernelEntry> cpu_loss_kernels() { return kCpuLoss; }

}  // namespace onnxrt::kernels
