// Placeholder until the image family lands.
#include "kernels/kernel_families.h"

namespace onnxrt::kernels {

std::span<const KernelEntry> cpu_image_kernels() { return {}; }

}  // namespace onnxrt::kernels
