// The CPU kernel table of the tensor family. Data-movement ops are dtype-agnostic (dtype
// kUndefined: the kernel copies by element size, strings element-wise).
#include "kernels/cpu/tensor_ops.h"
#include "kernels/kernel_families.h"

namespace onnxrt::kernels {
namespace {
using namespace tensor_ops;  // NOLINT
constexpr DType kAny = DType::kUndefined;

const KernelEntry kCpuTensorKernels[] = {
    {"", "Reshape", 1, kMaxOpset, kAny, &fn_factory<&copy_kernel>},
    {"", "Flatten", 1, kMaxOpset, kAny, &fn_factory<&copy_kernel>},
    {"", "Squeeze", 1, kMaxOpset, kAny, &fn_factory<&copy_kernel>},
    {"", "Unsqueeze", 1, kMaxOpset, kAny, &fn_factory<&copy_kernel>},
    {"", "Identity", 1, kMaxOpset, kAny, &fn_factory<&copy_kernel>},
    {"", "Shape", 1, kMaxOpset, kAny, &fn_factory<&shape_kernel>},
    {"", "Size", 1, kMaxOpset, kAny, &fn_factory<&size_kernel>},
    {"", "Constant", 1, kMaxOpset, kAny, &fn_factory<&constant_kernel>},
    {"", "ConstantOfShape", 9, kMaxOpset, kAny, &fn_factory<&constant_of_shape_kernel>},
    {"", "Transpose", 1, kMaxOpset, kAny, &fn_factory<&transpose_kernel>},
    {"", "Expand", 8, kMaxOpset, kAny, &fn_factory<&expand_kernel>},
    {"", "Concat", 1, kMaxOpset, kAny, &fn_factory<&concat_kernel>},
    {"", "Slice", 1, kMaxOpset, kAny, &fn_factory<&slice_kernel>},
    {"", "Split", 1, kMaxOpset, kAny, &fn_factory<&split_kernel>},
    {"", "Tile", 6, kMaxOpset, kAny, &fn_factory<&tile_kernel>},
    {"", "Gather", 1, kMaxOpset, kAny, &fn_factory<&gather_kernel>},
    {"", "Range", 11, kMaxOpset, kAny, &fn_factory<&range_kernel>},
};
}  // namespace

std::span<const KernelEntry> cpu_tensor_kernels() { return kCpuTensorKernels; }

}  // namespace onnxrt::kernels
