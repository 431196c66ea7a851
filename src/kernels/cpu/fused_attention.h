// Factories of com.onnxrt FusedAttention (contract in ir/infer_fused.h): the CPU kernel
// (cpu/fused_attention.cc) and the naive reference (reference/fused_attention.cc).
#pragma once

#include <memory>

#include "kernels/kernel.h"

namespace onnxrt::kernels {

Expected<std::unique_ptr<Kernel>> make_cpu_fused_attention(const KernelInit& init);
Expected<std::unique_ptr<Kernel>> make_ref_fused_attention(const KernelInit& init);

}  // namespace onnxrt::kernels
