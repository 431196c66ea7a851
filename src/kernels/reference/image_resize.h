// The per-axis interpolation taps of Resize (image_resize.cc), shared with the CPU kernel's
// float32 fast path (kernels/cpu/image_resize.cc) so that both place and weigh taps the same way.
#pragma once

#include <cstdint>
#include <vector>

#include "ir/infer_image.h"

namespace onnxrt::kernels {

struct AxisTaps {
  int64_t n = 1;                 // taps per output index
  std::vector<int64_t> idx;      // [out * n], clamped to [0, in)
  std::vector<double> w;         // [out * n]
  std::vector<uint8_t> extrap;   // [out]: output extrapolation_value
};

// Taps of every output index along one axis of `in` -> `out` elements at `scale`, with the
// axis's roi [r0, r1] (tf_crop_and_resize).
AxisTaps axis_taps(const ir::ResizeAttrs& a, int64_t in, int64_t out, double scale, double r0, double r1);

// The taps of an axis the resize leaves alone: each index reads itself with weight 1.
AxisTaps identity_taps(int64_t n);

}  // namespace onnxrt::kernels
