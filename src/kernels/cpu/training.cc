// The cpu kernel table of the training-optimizer family (ai.onnx.preview.training). The kernels
// (kernels/cpu/training_ops.cc) are single element-wise passes shared by both tables.
#include "kernels/cpu/training_ops.h"
#include "kernels/kernel_families.h"

namespace onnxrt::kernels {

namespace {

constexpr const char* kDomain = "ai.onnx.preview.training";

const KernelEntry kTraining[] = {
    {kDomain, "Adagrad", 1, kMaxOpset, DType::kUndefined, &make_adagrad},
    {kDomain, "Adam", 1, kMaxOpset, DType::kUndefined, &make_adam},
    {kDomain, "Momentum", 1, kMaxOpset, DType::kUndefined, &make_momentum},
};

}  // namespace

std::span<const KernelEntry> cpu_training_kernels() { return kTraining; }

}  // namespace onnxrt::kernels
