// Placeholder until the recurrent family lands.
#include "kernels/kernel_families.h"

namespace onnxrt::kernels {

std::span<const KernelEntry> cpu_recurrent_kernels() { return {}; }

}  // namespace onnxrt::kernels
