// im2col for the quantized convolutions (ConvInteger, QLinearConv on the integer GEMM): the
// patches of one image and group of an N-D, 8-bit X as a [CG * window, out_pixels] byte matrix,
// row (c, window offset), column output pixel. Positions in the padding get `pad_byte` (X's zero
// point, so that they count as zero once the GEMM subtracts it). Bytes are copied as they are,
// so int8 and uint8 share the code.
#pragma once

#include <cstdint>
#include <vector>

#include "ir/infer_nn_window.h"

namespace onnxrt::kernels {

struct QconvGeometry {
  std::vector<int64_t> in;      // input spatial dims
  std::vector<int64_t> kernel;  // window dims
  std::vector<int64_t> strides, dilations;
  std::vector<ir::WindowDim> out;  // output dims and begin pads
  int64_t in_pixels = 1, out_pixels = 1, window = 1;
};

// x: the channel planes of one image and group (in_pixels bytes each, contiguous). Output pixels
// [p0, p1) only (callers bound their scratch by taking the pixels in blocks): dst has rows of
// p1 - p0 bytes, channel c's window at rows [c * window, (c + 1) * window). Fills the rows of
// channels [c0, c1), so that threads can split the channels.
void qconv_im2col(const QconvGeometry& g, int64_t p0, int64_t p1, int64_t c0, int64_t c1, const uint8_t* x,
                  uint8_t pad_byte, uint8_t* dst);

}  // namespace onnxrt::kernels
