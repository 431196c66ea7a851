// Placeholder until the reduce family lands.
#include "kernels/kernel_families.h"

namespace onnxrt::kernels {

std::span<const KernelEntry> reference_reduce_kernels() { return {}; }

}  // namespace onnxrt::kernels
