// Sliding-window geometry shared by Conv and the pooling ops: attribute parsing with the spec's
// defaults, and the per-dimension output size and effective padding. Inference, the CPU kernels
// and the reference kernels all use these, so the shapes the planner allocates are exactly the
// shapes the kernels write.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "ir/attribute.h"
#include "ir/infer.h"
#include "onnxrt/status.h"

namespace onnxrt::ir {

enum class AutoPad { kNotSet, kSameUpper, kSameLower, kValid };

struct WindowAttrs {
  std::vector<int64_t> kernel;     // one per spatial dim
  std::vector<int64_t> strides;    // default 1
  std::vector<int64_t> dilations;  // default 1
  std::vector<int64_t> pads;       // [begin_0..begin_n-1, end_0..end_n-1], default 0
  AutoPad auto_pad = AutoPad::kNotSet;
  bool ceil_mode = false;
  size_t rank() const { return kernel.size(); }
};

// Reads kernel_shape, strides, dilations, pads, auto_pad and ceil_mode for `spatial_rank` spatial
// dims. `kernel_from_weights` (Conv: W's spatial dims, possibly with -1 for unknown) is used when
// kernel_shape is absent; pools pass an empty vector and then kernel_shape is required. Errors
// carry no node prefix (callers add it through ctx.error / init.error).
Status read_window_attrs(AttrReader& a, size_t spatial_rank,
                         const std::vector<int64_t>& kernel_from_weights, bool allow_ceil_mode,
                         WindowAttrs* out);

struct WindowDim {
  int64_t out = 0;
  int64_t pad_begin = 0;
  int64_t pad_end = 0;  // may be smaller than the window overhang in ceil_mode (windows are clipped)
};

// Output size and padding of spatial dim `d` for a concrete input size.
Expected<WindowDim> window_dim(const WindowAttrs& w, size_t d, int64_t in);

// MaxUnpool's default output size (in - 1) * stride - pad_begin - pad_end + kernel, checked:
// false when it leaves int64 (the attributes are the model's).
inline bool unpooled_size(int64_t in, int64_t stride, int64_t pad_begin, int64_t pad_end, int64_t kernel,
                          int64_t* out) {
  int64_t v = 0;
  if (__builtin_mul_overflow(in - 1, stride, &v) || __builtin_sub_overflow(v, pad_begin, &v) ||
      __builtin_sub_overflow(v, pad_end, &v) || __builtin_add_overflow(v, kernel, &v))
    return false;
  *out = v;
  return true;
}

// Output spatial dims for a concrete input; fails when a window does not fit.
Expected<std::vector<WindowDim>> window_dims(const WindowAttrs& w,
                                             const std::vector<int64_t>& in_spatial);

// Inference functions (defined in infer_nn_window.cc, listed in infer_nn.cc's table).
Status infer_conv(InferContext& ctx);
Status infer_pool(InferContext& ctx);  // MaxPool, AveragePool, LpPool

}  // namespace onnxrt::ir
