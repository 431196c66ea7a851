// The CPU table of the control family is the reference table: these kernels move values and run
// subgraphs, so an optimized variant would add nothing (see reference/control.cc).
#include "kernels/kernel_families.h"

namespace onnxrt::kernels {

std::span<const KernelEntry> cpu_control_kernels() { return reference_control_kernels(); }

}  // namespace onnxrt::kernels
