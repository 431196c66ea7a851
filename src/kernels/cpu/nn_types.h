// Dtype bridge for the nn family: runs a float32 kernel on float16, bfloat16, double and 8-bit
// integer tensors by converting the node's T-typed inputs to float32 and its T-typed outputs back.
// Softmax, Conv and pooling tolerate float32 intermediate precision (the conformance tolerances are
// looser than float32 rounding), and max/min pooling of 8-bit integers is exact in float32.
#pragma once

#include "kernels/kernel.h"
#include "onnxrt/dtype.h"

namespace onnxrt::kernels::nn {

// True for the element types the bridge converts.
bool bridgeable(DType t);

// Wraps the float32 kernel made by `inner`. Inputs and outputs whose declared dtype equals the
// node's key dtype are converted; the others (Indices, masks, ratios of another type) pass through.
// `allow_int8`: uint8/int8 are accepted (MaxPool only: its result is one of its inputs).
Expected<std::unique_ptr<Kernel>> make_f32_bridge(const KernelInit& init, KernelFactory inner,
                                                  bool allow_int8);

template <KernelFactory Inner, bool AllowInt8 = false>
Expected<std::unique_ptr<Kernel>> bridge_factory(const KernelInit& init) {
  return make_f32_bridge(init, Inner, AllowInt8);
}

}  // namespace onnxrt::kernels::nn

namespace onnxrt::kernels::nn {

// BatchNormalization in training mode (float32): normalises with the batch statistics and writes
// running mean/var = input * momentum + batch * (1 - momentum) to outputs 1 and 2; opset < 14
// graphs may also ask for outputs 3 and 4, the batch mean and (population) variance.
Expected<std::unique_ptr<Kernel>> make_batchnorm_training(const KernelInit& init);
// True when the node runs BatchNormalization in training mode.
bool batchnorm_is_training(const KernelInit& init);

// Dropout with training_mode true and ratio r: keep mask = u >= r for u uniform in [0, 1) drawn per
// element in row-major order from MT19937 seeded with the `seed` attribute (0 when absent) and
// 53-bit doubles built from two draws, the way numpy's legacy RandomState does; so a graph seeded
// like onnx's test cases reproduces their masks. Y = X * mask / (1 - r).
Status dropout_train(KernelContext& ctx, const Tensor& x, Tensor& y, Tensor* mask, double ratio);
// Reads Dropout's ratio input (any float type); `fallback` when absent.
double dropout_ratio(const Tensor* r, double fallback);

}  // namespace onnxrt::kernels::nn

namespace onnxrt::kernels::nn {

// SwiGLU (opset 28), float32: Y = A * sigmoid(alpha * A) * B over identically shaped A and B.
// One element-wise pass, shared by the CPU and reference tables (other floats via the bridge).
Expected<std::unique_ptr<Kernel>> make_swiglu(const KernelInit& init);

}  // namespace onnxrt::kernels::nn

namespace onnxrt::kernels::nn {

// CausalConvWithState (opset 27), float32: depthwise causal conv over [past_state | input] along
// length, optional bias and SiLU; present_state is the last K - 1 positions of that concatenation.
Expected<std::unique_ptr<Kernel>> make_causal_conv(const KernelInit& init);

}  // namespace onnxrt::kernels::nn
