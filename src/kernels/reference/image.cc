// The reference kernel table of the image family. Kernels live in image_convtranspose.cc,
// image_resize.cc, image_sample.cc and image_roi.cc; each dispatches on its element type.
#include "kernels/cpu/image_common.h"
#include "kernels/kernel_families.h"

namespace onnxrt::kernels {

Expected<std::unique_ptr<Kernel>> make_image_decoder(const KernelInit& init);  // reference/image_decoder.cc

namespace {

constexpr DType kAny = DType::kUndefined;

const KernelEntry kRefImage[] = {
    {"", "ConvTranspose", 1, kMaxOpset, kAny, &make_ref_convtranspose},
    {"", "Resize", 10, kMaxOpset, kAny, &make_ref_resize},
    {"", "Upsample", 7, 9, kAny, &make_ref_resize},
    {"", "GridSample", 16, kMaxOpset, kAny, &make_ref_grid_sample},
    {"", "AffineGrid", 20, kMaxOpset, kAny, &make_ref_affine_grid},
    {"", "DeformConv", 19, kMaxOpset, kAny, &make_ref_deform_conv},
    {"", "RoiAlign", 10, kMaxOpset, kAny, &make_ref_roi_align},
    {"", "MaxRoiPool", 1, kMaxOpset, kAny, &make_ref_max_roi_pool},
    {"", "MaxUnpool", 9, kMaxOpset, kAny, &make_ref_max_unpool},
    {"", "ImageDecoder", 20, kMaxOpset, kAny, &make_image_decoder},
};

}  // namespace

std::span<const KernelEntry> reference_image_kernels() { return kRefImage; }

}  // namespace onnxrt::kernels
