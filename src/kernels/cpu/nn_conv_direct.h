// Direct 2-D convolution (no im2col) for ConvKernel (nn_conv.cc), for convs whose GEMM depth
// K = C*KH*KW is small: network stems (3 input channels) and other few-channel convs, where
// writing im2col panels cost as much as the multiply-adds. The input of each image is copied
// once into a zero-padded buffer split into `stride` column phases, so that every tap of a row
// of outputs is one contiguous run; the microkernel (ukernels conv_direct) then reads its taps
// through an offset table. AVX-512 and AVX2 (ukernels::conv_direct_f32_ukernel).
#pragma once

#include <cstdint>
#include <vector>

#include "base/thread_pool.h"
#include "ir/infer_fused.h"
#include "kernels/cpu/nn_common.h"

namespace onnxrt::kernels::direct {

// W [M, K] in panels of mr output channels: [panel][K][mr], zero rows past M.
class Weights {
 public:
  static Weights make(const float* w, int64_t M, int64_t K);
  bool empty() const { return p_.empty(); }
  int mr() const { return mr_; }
  int64_t M() const { return M_; }
  int64_t K() const { return K_; }
  const float* panel(int64_t i) const { return p_.data() + i * K_ * mr_; }

 private:
  int mr_ = 12;  // one of the microkernel's two MR values
  int64_t M_ = 0, K_ = 0;
  std::vector<float> p_;
};

// Whether the direct kernel is the one to use for a conv of this geometry (CPU, rank, groups,
// depth), judged from the attributes and W alone: 2-D, one group, a window larger than 1x1 and
// K <= kMaxK.
bool applies(const nn::ConvGeom& g);
bool applies_to_weights(int64_t group, int64_t kh, int64_t kw, int64_t K);

// Pointwise convs (1x1 kernel, stride 1, no padding, any spatial rank) with K = C <= kMaxK and K
// or M at most 64: the same microkernel reads X's channel planes in place (no padded copy, no
// im2col panels), and the bias and Relu/Clip are applied in registers, so each output is written
// once. The im2col GEMM
// packs B panels and then re-reads every output tile for its epilogue, which on large planes
// with a short K (MobileNetV2's 16->96 @112) cost more than the multiply-adds.
bool pointwise_applies_to_weights(int64_t group, int64_t kh, int64_t kw, int64_t K, int64_t M);
bool pointwise_applies(const nn::ConvGeom& g);
void conv_pointwise(const Weights& w, const nn::ConvGeom& g, const float* x, const float* bias, const float* z,
                    const ir::FusedActivation& act, float* y, ThreadPool& pool);

// Scratch floats conv() needs for g.
int64_t scratch_floats(const nn::ConvGeom& g);

// y = act(conv(x, w) + bias + z) for all images; bias and z may be null.
void conv(const Weights& w, const nn::ConvGeom& g, const float* x, const float* bias, const float* z,
          const ir::FusedActivation& act, float* y, float* scratch, ThreadPool& pool);

}  // namespace onnxrt::kernels::direct
