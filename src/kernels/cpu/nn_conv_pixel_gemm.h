// Convolution as a GEMM with output pixels as the rows and output channels in the vector lanes,
// for ConvKernel (nn_conv.cc):
//   Y^T[pixels, M] = X^T[pixels, C] * W^T[C, M]   (1x1; windowed convs: im2col rows, K = C*KH*KW)
// The other 1x1 paths put pixels in the lanes (Y[M, pixels] = W * X), which wastes lanes when a
// plane is not a multiple of 16 pixels wide in total: 7x7 planes fill 49 of 64 lanes, 14x14 196
// of 224, and ResNet-50's late 1x1 convs ran at ~75% of the FMA rate onnxruntime reached there.
// Here the lanes always hold output channels (32 per tile with AVX-512, 16 with AVX2; M is a
// multiple of 16 in every CNN we run), and pixels of several images share a tile, so batch-8 7x7
// planes fill whole 12-pixel (AVX2: 6-pixel) tiles. Strided 1x1 convs (ResNet's downsampling
// shortcuts) gather their pixels while packing, with no strided im2col copy; windowed convs
// (ResNet's 3x3 stride-2 ones on 7x7 and 14x14 outputs) gather their im2col rows the same way,
// padding included. The cost is a transposed store: each 12 x 32 (6 x 16) result tile is written
// to Y's channel rows (12 or 6 contiguous pixels each) with the bias, Z and activation applied.
#pragma once

#include <cstdint>
#include <vector>

#include "base/thread_pool.h"
#include "ir/infer_fused.h"
#include "kernels/cpu/nn_common.h"
#include "kernels/ukernels/gemm/sgemm.h"

namespace onnxrt::kernels::pixel_gemm {

// W [M, K] transposed into NR-channel panels: panel j holds W^T[k][j*nr + c] at k*nr + c (zero
// past M), the B layout of the sgemm microkernel.
class Weights {
 public:
  static Weights make(const float* w, int64_t M, int64_t K, int nr);
  bool empty() const { return p_.empty(); }
  int64_t M() const { return M_; }
  int64_t K() const { return K_; }
  int nr() const { return nr_; }
  const float* panel(int64_t j) const { return p_.data() + j * K_ * nr_; }

 private:
  int nr_ = 32;
  int64_t M_ = 0, K_ = 0;
  std::vector<float> p_;
};

// One group, 2-D, any kernel, pads, strides and dilations (what conv() handles), on a CPU with
// AVX-512 or AVX2 (the 12x32 and 6x16 sgemm microkernels, which have transposed stores).
bool applies(const nn::ConvGeom& g);

// Whether this path measured faster than the direct and packed-GEMM ones for g (small planes;
// see the table in nn_conv_pixel_gemm.cc), with the sgemm microkernel of width nr. Only
// meaningful when applies(g).
bool preferred(const nn::ConvGeom& g, int nr);

// Scratch floats conv() needs for g (the packed X^T).
int64_t scratch_floats(const nn::ConvGeom& g, int mr);

// y = act(conv(x, w) + bias + z); bias and z may be null. `uk` is the microkernel w was packed
// for (w.nr() == uk.nr).
void conv(const ukernels::SgemmUkernel& uk, const Weights& w, const nn::ConvGeom& g, const float* x,
          const float* bias, const float* z, const ir::FusedActivation& act, float* y, float* scratch,
          ThreadPool& pool);

}  // namespace onnxrt::kernels::pixel_gemm
