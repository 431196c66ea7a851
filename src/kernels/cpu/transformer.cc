// Placeholder until the transformer family lands.
#include "kernels/kernel_families.h"

namespace onnxrt::kernels {

std::span<const KernelEntry> cpu_transformer_kernels() { return {}; }

}  // namespace onnxrt::kernels
