// The reference kernel table of the loss family: the CPU table's simple kernel
// (kernels/cpu/loss_kernels.cc), checked by pinned values from onnx's reference implementation.
#include "kernels/cpu/transformer_common.h"
#include "kernels/kernel_families.h"

namespace onnxrt::kernels {

namespace {

constexpr DType kAny = DType::kUndefined;

const KernelEntry kRefLoss[] = {
    {"", "SoftmaxCrossEntropyLoss", 12, kMaxOpset, kAny, &make_loss},
    {"", "NegativeLogLikelihoodLoss", 12, kMaxOpset, kAny, &make_loss},
};

}  // namespace

std::span<const KernelEntry> reference_loss_kernels() { return kRefLoss; }

}  // namespace onnxrt::kernels
