// The CPU kernel table of the image family. ConvTranspose float32 has its own kernel (sgemm +
// col2im, image_convtranspose.cc); other dtypes fall back to the reference kernel. Resize runs
// float32 bilinear resizes itself (image_resize.cc) and the rest on the reference kernel. The
// sampling and ROI ops use the reference kernels, which are already threaded gathers (see
// kernels/reference/image_*.cc).
#include "kernels/cpu/image_common.h"
#include "kernels/kernel_families.h"

namespace onnxrt::kernels {

namespace {

constexpr DType kAny = DType::kUndefined;

const KernelEntry kCpuImage[] = {
    {"", "ConvTranspose", 1, kMaxOpset, DType::kFloat32, &make_cpu_convtranspose},
    {"", "Resize", 10, kMaxOpset, kAny, &make_cpu_resize},
    {"", "Upsample", 7, 9, kAny, &make_cpu_resize},
    {"", "GridSample", 16, kMaxOpset, kAny, &make_ref_grid_sample},
    {"", "AffineGrid", 20, kMaxOpset, kAny, &make_ref_affine_grid},
    {"", "DeformConv", 19, kMaxOpset, kAny, &make_ref_deform_conv},
    {"", "RoiAlign", 10, kMaxOpset, kAny, &make_ref_roi_align},
    {"", "MaxRoiPool", 1, kMaxOpset, kAny, &make_ref_max_roi_pool},
    {"", "MaxUnpool", 9, kMaxOpset, kAny, &make_ref_max_unpool},
};

}  // namespace

std::span<const KernelEntry> cpu_image_kernels() { return kCpuImage; }

}  // namespace onnxrt::kernels
