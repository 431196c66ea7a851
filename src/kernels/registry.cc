#include "kernels/registry.h"

#include <vector>

#include "kernels/kernel_families.h"

namespace onnxrt::kernels {

Status KernelInit::error(const std::string& message) const {
  return invalid_model(node.describe() + ": " + message);
}

Status KernelContext::error(const std::string& message) const {
  return invalid_argument(node().describe() + ": " + message);
}

namespace {

std::vector<KernelEntry> concat(std::initializer_list<std::span<const KernelEntry>> families) {
  std::vector<KernelEntry> all;
  for (auto f : families) all.insert(all.end(), f.begin(), f.end());
  return all;
}

}  // namespace

std::span<const KernelEntry> kernel_table(Backend backend) {
  static const std::vector<KernelEntry> cpu =
      concat({cpu_elementwise_kernels(), cpu_linalg_kernels(), cpu_nn_kernels(), cpu_tensor_kernels(),
              cpu_reduce_kernels(), cpu_image_kernels(), cpu_transformer_kernels(), cpu_loss_kernels(),
              cpu_recurrent_kernels(), cpu_signal_kernels(), cpu_quant_kernels(),
              cpu_control_kernels(),
              cpu_fused_kernels(),
              cpu_strings_kernels(),
              cpu_random_kernels(),
              cpu_training_kernels(),
              cpu_ml_kernels()});
  static const std::vector<KernelEntry> reference = concat(
      {reference_elementwise_kernels(), reference_linalg_kernels(), reference_nn_kernels(),
       reference_tensor_kernels(), reference_reduce_kernels(), reference_image_kernels(),
       reference_transformer_kernels(), reference_loss_kernels(), reference_recurrent_kernels(),
       reference_signal_kernels(), reference_quant_kernels(),
       reference_control_kernels(),
       reference_fused_kernels(),
       reference_strings_kernels(),
       reference_random_kernels(),
       reference_training_kernels(),
       reference_ml_kernels()});
  return backend == Backend::kCpu ? std::span<const KernelEntry>(cpu)
                                  : std::span<const KernelEntry>(reference);
}

DType key_dtype(std::span<const ir::ValueType* const> input_types,
                std::span<const ir::ValueType* const> output_types) {
  for (const ir::ValueType* t : input_types)
    if (t) return t->dtype;
  for (const ir::ValueType* t : output_types)
    if (t) return t->dtype;
  return DType::kUndefined;
}

const KernelEntry* find_kernel(Backend backend, std::string_view domain, std::string_view op_type,
                               int opset, DType dtype, std::string* reason) {
  if (domain == "ai.onnx") domain = "";
  bool op_known = false;
  bool opset_known = false;
  for (const KernelEntry& e : kernel_table(backend)) {
    if (e.domain != domain || e.op_type != op_type) continue;
    op_known = true;
    if (opset < e.since_version || opset > e.until_version) continue;
    opset_known = true;
    if (e.dtype == DType::kUndefined || e.dtype == dtype) return &e;
  }
  if (reason) {
    const std::string d = domain.empty() ? "ai.onnx" : std::string(domain);
    if (!op_known) {
      *reason = "no kernel for op '" + std::string(op_type) + "' of domain '" + d + "'";
    } else if (!opset_known) {
      *reason = "no kernel for op '" + std::string(op_type) + "' at opset " + std::to_string(opset);
    } else {
      *reason = "no kernel for op '" + std::string(op_type) + "' with element type " +
                std::string(dtype_name(dtype));
    }
  }
  return nullptr;
}

}  // namespace onnxrt::kernels
