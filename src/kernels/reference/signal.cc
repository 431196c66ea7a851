// Placeholder until the signal family lands.
#include "kernels/kernel_families.h"

namespace onnxrt::kernels {

std::span<const KernelEntry> reference_signal_kernels() { return {}; }

}  // namespace onnxrt::kernels
