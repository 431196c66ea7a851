#include "passes/pass.h"

namespace onnxrt::passes {

std::vector<Pass> default_pipeline(GraphOptimizationLevel level) {
  std::vector<Pass> p;
  // Lowering that the executor depends on (Gradient has no kernel), so it runs at every level.
  p.push_back({"lower_gradient", &lower_gradient});
  if (level == GraphOptimizationLevel::kDisableAll) return p;
  // A fusion, but before folding, which would otherwise materialise the transposed weight.
  if (level != GraphOptimizationLevel::kBasic) p.push_back({"fuse_matmul_transpose", &fuse_matmul_transpose});
  if (level == GraphOptimizationLevel::kBasic) {
    p.push_back({"fold_constants", &fold_constants});
  } else {
    // After folding (a Transpose of the weight folds first), which leaves its nodes.
    p.push_back({"fold_constants", &fold_constants_keeping_quantized_weights});
    p.push_back({"fuse_dequantize_matmul", &fuse_dequantize_matmul});
    // After folding (constants fold in their own type first); its Cast-turned-Identity nodes go next.
    p.push_back({"widen_16bit_floats", &widen_16bit_floats});
  }
  p.push_back({"eliminate_identity", &eliminate_identity});
  p.push_back({"fold_conv_batchnorm", &fold_conv_batchnorm});
  p.push_back({"eliminate_dead_code", &eliminate_dead_code});
  if (level == GraphOptimizationLevel::kBasic) return p;
  p.push_back({"fuse_pad_conv", &fuse_pad_conv});
  // After the folding above (a BN right after a Conv goes into it); before the fusions, which
  // take the depthwise conv and its activation.
  p.push_back({"batchnorm_to_depthwise_conv", &batchnorm_to_depthwise_conv});
  // Residual Adds first: an activation after the Add must end up after it in the fused op.
  p.push_back({"fuse_conv_add", &fuse_conv_add});
  p.push_back({"fuse_matmul_add", &fuse_matmul_add});
  // Before collapse_activations, whose element-wise regions could otherwise take the chain's tail.
  p.push_back({"fuse_layer_norm", &fuse_layer_norm});
  p.push_back({"collapse_activations", &collapse_activations});
  p.push_back({"fuse_rms_norm", &fuse_rms_norm});
  p.push_back({"fuse_quant_matmul", &fuse_quant_matmul});
  p.push_back({"fuse_scan_distances", &fuse_scan_distances});
  // Before fuse_activation, which takes the pairs it makes as the activation of a Conv / MatMul.
  p.push_back({"fuse_quantize_dequantize", &fuse_quantize_dequantize});
  p.push_back({"fuse_activation", &fuse_activation});
  p.push_back({"fuse_attention", &fuse_attention});
  // After the conv fusions: it converts FusedConv nodes with their Z and activation.
  p.push_back({"block_channels", &block_channels});
  p.push_back({"eliminate_dead_code_after_fusion", &eliminate_dead_code});
  return p;
}

Status run_pipeline(ir::Graph& graph, std::span<const Pass> passes, const PassContext& ctx,
                    std::string_view stop_after) {
  for (const Pass& pass : passes) {
    auto changed = pass.run(graph, ctx);
    if (!changed) return changed.status().with_context("pass " + std::string(pass.name) + ": ");
    if (pass.name == stop_after) break;
  }
  return Status::ok();
}

}  // namespace onnxrt::passes
