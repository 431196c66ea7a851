// The per-family kernel tables that kernels/registry.cc concatenates. Each CPU table is defined
// in kernels/cpu/<family>.cc, each reference (oracle) table in kernels/reference/<family>.cc.
#pragma once

#include <span>

#include "kernels/registry.h"

namespace onnxrt::kernels {

std::span<const KernelEntry> cpu_elementwise_kernels();
std::span<const KernelEntry> cpu_linalg_kernels();
std::span<const KernelEntry> cpu_nn_kernels();
std::span<const KernelEntry> cpu_tensor_kernels();
std::span<const KernelEntry> cpu_reduce_kernels();
std::span<const KernelEntry> cpu_image_kernels();
std::span<const KernelEntry> cpu_transformer_kernels();
std::span<const KernelEntry> cpu_loss_kernels();
std::span<const KernelEntry> cpu_recurrent_kernels();
std::span<const KernelEntry> cpu_signal_kernels();
std::span<const KernelEntry> cpu_quant_kernels();
std::span<const KernelEntry> cpu_control_kernels();
std::span<const KernelEntry> cpu_fused_kernels();
std::span<const KernelEntry> cpu_random_kernels();
std::span<const KernelEntry> cpu_training_kernels();
std::span<const KernelEntry> cpu_ml_kernels();
std::span<const KernelEntry> cpu_strings_kernels();

std::span<const KernelEntry> reference_elementwise_kernels();
std::span<const KernelEntry> reference_linalg_kernels();
std::span<const KernelEntry> reference_nn_kernels();
std::span<const KernelEntry> reference_tensor_kernels();
std::span<const KernelEntry> reference_reduce_kernels();
std::span<const KernelEntry> reference_image_kernels();
std::span<const KernelEntry> reference_transformer_kernels();
std::span<const KernelEntry> reference_loss_kernels();
std::span<const KernelEntry> reference_recurrent_kernels();
std::span<const KernelEntry> reference_signal_kernels();
std::span<const KernelEntry> reference_quant_kernels();
std::span<const KernelEntry> reference_control_kernels();
std::span<const KernelEntry> reference_fused_kernels();
std::span<const KernelEntry> reference_random_kernels();
std::span<const KernelEntry> reference_training_kernels();
std::span<const KernelEntry> reference_ml_kernels();
std::span<const KernelEntry> reference_strings_kernels();

}  // namespace onnxrt::kernels
