// The CPU kernel table of the tensor family. Data-movement ops are dtype-agnostic (dtype
// kUndefined: the kernel copies by element size, strings element-wise; the numeric ones dispatch
// on the dtype themselves).
#include "kernels/cpu/tensor_ops.h"
#include "kernels/kernel_families.h"

namespace onnxrt::kernels {
namespace {
using namespace tensor_ops;  // NOLINT
constexpr DType kAny = DType::kUndefined;

const KernelEntry kCpuTensorKernels[] = {
    {"", "Reshape", 1, kMaxOpset, kAny, &view_factory<&copy_kernel>},
    {"", "Flatten", 1, kMaxOpset, kAny, &view_factory<&copy_kernel>},
    {"", "Squeeze", 1, kMaxOpset, kAny, &view_factory<&copy_kernel>},
    {"", "Unsqueeze", 1, kMaxOpset, kAny, &view_factory<&copy_kernel>},
    {"", "Identity", 1, kMaxOpset, kAny, &view_factory<&copy_kernel>},
    {"", "Shape", 1, kMaxOpset, kAny, &fn_factory<&shape_kernel>},
    {"", "Size", 1, kMaxOpset, kAny, &fn_factory<&size_kernel>},
    {"", "Constant", 1, kMaxOpset, kAny, &fn_factory<&constant_kernel>},
    {"", "ConstantOfShape", 9, kMaxOpset, kAny, &fn_factory<&constant_of_shape_kernel>},
    {"", "Transpose", 1, kMaxOpset, kAny, &fn_factory<&transpose_kernel>},
    {"", "Expand", 8, kMaxOpset, kAny, &fn_factory<&expand_kernel>},
    {"", "Concat", 1, kMaxOpset, kAny, &fn_factory<&concat_kernel>},
    {"", "Slice", 1, kMaxOpset, kAny, &fn_factory<&slice_kernel>},
    {"", "Split", 1, kMaxOpset, kAny, &fn_factory<&split_kernel>},
    {"", "Tile", 1, kMaxOpset, kAny, &fn_factory<&tile_kernel>},
    {"", "Gather", 1, kMaxOpset, kAny, &fn_factory<&gather_kernel>},
    {"", "Range", 11, kMaxOpset, kAny, &fn_factory<&range_kernel>},
    {"", "Pad", 1, kMaxOpset, kAny, &fn_factory<&pad_kernel>},
    {"", "CenterCropPad", 18, kMaxOpset, kAny, &fn_factory<&center_crop_pad_kernel>},
    {"", "GatherElements", 11, kMaxOpset, kAny, &fn_factory<&gather_elements_kernel>},
    {"", "GatherND", 11, kMaxOpset, kAny, &fn_factory<&gather_nd_kernel>},
    {"", "ScatterND", 11, kMaxOpset, kAny, &fn_factory<&scatter_nd_kernel>},
    {"", "ScatterElements", 11, kMaxOpset, kAny, &fn_factory<&scatter_elements_kernel>},
    {"", "Scatter", 9, kMaxOpset, kAny, &fn_factory<&scatter_elements_kernel>},
    {"", "DepthToSpace", 1, kMaxOpset, kAny, &fn_factory<&depth_to_space_kernel>},
    {"", "SpaceToDepth", 1, kMaxOpset, kAny, &fn_factory<&space_to_depth_kernel>},
    {"", "Trilu", 14, kMaxOpset, kAny, &fn_factory<&trilu_kernel>},
    {"", "NonZero", 9, kMaxOpset, kAny, &fn_factory<&nonzero_kernel>},
    {"", "OneHot", 9, kMaxOpset, kAny, &fn_factory<&onehot_kernel>},
    {"", "Compress", 9, kMaxOpset, kAny, &fn_factory<&compress_kernel>},
    {"", "Unique", 11, kMaxOpset, kAny, &fn_factory<&unique_kernel>},
    {"", "EyeLike", 9, kMaxOpset, kAny, &fn_factory<&eye_like_kernel>},
    {"", "ReverseSequence", 10, kMaxOpset, kAny, &fn_factory<&reverse_sequence_kernel>},
    {"", "TensorScatter", 24, kMaxOpset, kAny, &fn_factory<&tensor_scatter_kernel>},
    {"", "Col2Im", 18, kMaxOpset, kAny, &fn_factory<&col2im_kernel>},
    {"", "Det", 11, kMaxOpset, kAny, &fn_factory<&det_kernel>},
    {"", "Einsum", 12, kMaxOpset, kAny, &fn_factory<&einsum_kernel>},
};
}  // namespace

std::span<const KernelEntry> cpu_tensor_kernels() { return kCpuTensorKernels; }

}  // namespace onnxrt::kernels
