// The reference kernel table of the training-optimizer family (ai.onnx.preview.training). The kernels
// (kernels/cpu/training_ops.cc) are single element-wise passes shared by both tables. Gradient has
// no kernel: passes/lower_gradient.cc rewrites it into ordinary ops plus com.onnxrt SumToShape.
#include "kernels/cpu/training_ops.h"
#include "kernels/kernel_families.h"

namespace onnxrt::kernels {

Expected<std::unique_ptr<Kernel>> make_sum_to_shape(const KernelInit& init);  // reference/training_sum_to_shape.cc

namespace {

constexpr const char* kDomain = "ai.onnx.preview.training";

const KernelEntry kTraining[] = {
    {kDomain, "Adagrad", 1, kMaxOpset, DType::kUndefined, &make_adagrad},
    {kDomain, "Adam", 1, kMaxOpset, DType::kUndefined, &make_adam},
    {kDomain, "Momentum", 1, kMaxOpset, DType::kUndefined, &make_momentum},
    {"com.onnxrt", "SumToShape", 1, kMaxOpset, DType::kUndefined, &make_sum_to_shape},
};

}  // namespace

std::span<const KernelEntry> reference_training_kernels() { return kTraining; }

}  // namespace onnxrt::kernels
