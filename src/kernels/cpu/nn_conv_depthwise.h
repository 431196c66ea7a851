// Depthwise 2-D convolution (one input channel per group) for ConvKernel (nn_conv.cc): the
// channel-blocked path (ukernels dwconv2d_c16: 16 channels per vector) when the CPU has AVX-512
// and each group has one output channel, otherwise the per-plane microkernel.
#pragma once

#include "base/thread_pool.h"
#include "ir/infer_fused.h"
#include "kernels/cpu/nn_common.h"
#include "kernels/ukernels/nn/ukernels.h"

namespace onnxrt::kernels::depthwise {

// 2-D, one input channel per group, more than one group.
bool applies(const nn::ConvGeom& g);

// The per-plane microkernel's geometry for g; Relu and Clip clamp in the microkernel when there is
// no Z (anything else runs as a second pass). Also used by the 16-bit conv (nn_conv_half.cc).
ukernels::DwConv2dArgs microkernel_args(const nn::ConvGeom& g, const ir::FusedActivation& act, bool has_z);

// y = act(conv(x, w) + bias + z) for all images; bias and z may be null. Requires applies(g).
void conv(const nn::ConvGeom& g, const float* x, const float* w, const float* bias, const float* z,
          const ir::FusedActivation& act, float* y, ThreadPool& pool);

}  // namespace onnxrt::kernels::depthwise
