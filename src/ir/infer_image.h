// Geometry of the image-family ops shared by inference and the kernels (CPU and reference):
// ConvTranspose's output size and padding, and Resize/Upsample's scales, output sizes and ROI.
// Inference computes output shapes with these; the kernels recompute the same geometry from the
// concrete inputs, so the buffers the planner allocates are exactly the ones the kernels write.
// Errors carry no node prefix (callers add it through ctx.error / init.error).
#pragma once

#include <cstdint>
#include <vector>

#include "ir/graph.h"
#include "ir/infer_nn_window.h"
#include "onnxrt/status.h"
#include "onnxrt/tensor.h"

namespace onnxrt::ir {

// ---- ConvTranspose

struct ConvTransposeAttrs {
  std::vector<int64_t> kernel;  // from kernel_shape, or -1 per dim when taken from W
  std::vector<int64_t> strides, dilations, output_padding;
  std::vector<int64_t> pads;          // [begin..., end...]
  std::vector<int64_t> output_shape;  // spatial dims only; empty when absent
  AutoPad auto_pad = AutoPad::kNotSet;
  int64_t group = 1;
};

Status read_convtranspose_attrs(const Node& node, size_t spatial_rank, ConvTransposeAttrs* out);

struct ConvTransposeDim {
  int64_t out = 0;
  int64_t pad_begin = 0;  // may be negative when output_shape asks for more than the input covers
};

// Output size and leading padding of spatial dim d for input size `in` and kernel size `k`.
Expected<ConvTransposeDim> convtranspose_dim(const ConvTransposeAttrs& a, size_t d, int64_t in,
                                             int64_t k);

struct ConvTransposeGeom {
  int64_t N = 0, C = 0, M = 0, G = 1, Cg = 0, Mg = 0;
  std::vector<int64_t> in, out, kernel, stride, dil, pad_begin;
  int64_t in_size = 1, out_size = 1, kernel_size = 1;
};

// Full geometry for concrete X [N, C, in...] and W [C, M/group, k...].
Expected<ConvTransposeGeom> convtranspose_geometry(const Node& node, const Shape& x,
                                                   const Shape& w);

// ---- Resize / Upsample

enum class ResizeMode { kNearest, kLinear, kCubic };
enum class CoordMode {
  kHalfPixel,
  kHalfPixelSymmetric,
  kPytorchHalfPixel,
  kAlignCorners,
  kAsymmetric,
  kTfCropAndResize
};
// kSimple: Resize-10 and Upsample, which predate nearest_mode (floor when upsampling, ceil when
// downsampling, as onnxruntime has always done).
enum class NearestMode { kRoundPreferFloor, kRoundPreferCeil, kFloor, kCeil, kSimple };
enum class AspectPolicy { kStretch, kNotLarger, kNotSmaller };

struct ResizeAttrs {
  ResizeMode mode = ResizeMode::kNearest;
  CoordMode coord = CoordMode::kHalfPixel;
  NearestMode nearest = NearestMode::kRoundPreferFloor;
  float cubic_a = -0.75f;
  bool exclude_outside = false;
  float extrapolation = 0.0f;
  bool antialias = false;
  AspectPolicy policy = AspectPolicy::kStretch;
  std::vector<int64_t> axes;    // as given (may be negative); empty: all axes
  std::vector<float> scales;    // Upsample-7's attribute
  // Input positions of roi / scales / sizes (-1 when the op version has no such input).
  int roi_input = -1, scales_input = -1, sizes_input = -1;
};

// Reads Resize (10, 11, 13, 18, 19) or Upsample (7, 9) attributes per the node's opset.
Status read_resize_attrs(const Node& node, ResizeAttrs* out);

struct ResizePlan {
  Shape out;
  std::vector<double> scale;                // per axis of X
  std::vector<double> roi_start, roi_end;   // per axis of X; [0, 1] when no roi
  bool has_roi = false;
};

// Output shape, scales and roi for a concrete X shape and the values of roi / scales / sizes
// (null when omitted; empty tensors count as omitted).
Expected<ResizePlan> resize_plan(const ResizeAttrs& a, const Shape& x, const Tensor* roi,
                                 const Tensor* scales, const Tensor* sizes);

// Inference functions (infer_image_resize.cc), listed in infer_image.cc's table.
Status infer_resize(InferContext& ctx);

}  // namespace onnxrt::ir
