// The training-optimizer kernels (Adagrad, Adam, Momentum of ai.onnx.preview.training). They are
// one element-wise pass each, so the CPU and reference tables share them; the pinned values in
// tests/kernels/test_training.cc (from onnx's own formulas) carry the weight.
#pragma once

#include "kernels/kernel.h"

namespace onnxrt::kernels {

Expected<std::unique_ptr<Kernel>> make_adagrad(const KernelInit& init);
Expected<std::unique_ptr<Kernel>> make_adam(const KernelInit& init);
Expected<std::unique_ptr<Kernel>> make_momentum(const KernelInit& init);

}  // namespace onnxrt::kernels
