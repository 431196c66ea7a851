// Graph passes: small named units that rewrite an ir::Graph in place. Each returns whether it
// changed the graph. Passes know only the IR; work that needs kernels (constant folding) gets an
// evaluator from the caller, so this layer never depends on kernels or the runtime.
#pragma once

#include <functional>
#include <span>
#include <string>
#include <vector>

#include "ir/graph.h"
#include "onnxrt/session.h"

namespace onnxrt::passes {

// Evaluates one node on constant inputs (null = omitted input); returns its outputs.
using NodeEvaluator = std::function<Expected<std::vector<Tensor>>(
    const ir::Node& node, std::span<const Tensor* const> inputs, size_t num_outputs)>;

struct PassContext {
  NodeEvaluator evaluate;  // may be empty: folding is then skipped
};

struct Pass {
  std::string_view name;
  Expected<bool> (*run)(ir::Graph& graph, const PassContext& ctx);
};

// Replaces each Gradient (ai.onnx.preview.training) by its backward graph: symbolic reverse-mode
// differentiation of y with respect to xs. Not an optimization: it runs at every level, first.
Expected<bool> lower_gradient(ir::Graph& graph, const PassContext& ctx);
// Conv -> BatchNormalization (inference) folded into the conv's weights and bias.
Expected<bool> fold_conv_batchnorm(ir::Graph& graph, const PassContext& ctx);
// A BatchNormalization no Conv absorbed -> the depthwise 1x1 Conv it is (extended levels).
Expected<bool> batchnorm_to_depthwise_conv(ir::Graph& graph, const PassContext& ctx);
// Replaces nodes whose inputs are all constants by their computed outputs, then re-infers the
// types downstream (shapes often become concrete once a shape input is known).
Expected<bool> fold_constants(ir::Graph& graph, const PassContext& ctx);
// Makes consumers of an Identity read its input directly.
Expected<bool> eliminate_identity(ir::Graph& graph, const PassContext& ctx);
// Removes nodes whose outputs nobody reads, and values nothing refers to.
Expected<bool> eliminate_dead_code(ir::Graph& graph, const PassContext& ctx);

// float16 / bfloat16 nodes switched to float32, with Casts where their values meet the rest of the
// graph, so that float32 fusions and kernels apply (values are no longer rounded to 16 bits
// between the switched nodes: see widen_16bit_floats.cc).
Expected<bool> widen_16bit_floats(ir::Graph& graph, const PassContext& ctx);

// Fusions into our com.onnxrt ops (ir/infer_fused.h); float32 only, never across a graph output
// or a value with other readers. Conv + Add(Z of the same shape) -> FusedConv with Z.
Expected<bool> fuse_conv_add(ir::Graph& graph, const PassContext& ctx);
// MatMul(A, Transpose(constant 2-D W)) -> FusedMatMul(A, W) with trans_b = 1 (before folding).
Expected<bool> fuse_matmul_transpose(ir::Graph& graph, const PassContext& ctx);
// MatMul(constant 2-D B) + Add(bias) and/or + Add(Z of the same shape) -> FusedMatMul.
Expected<bool> fuse_matmul_add(ir::Graph& graph, const PassContext& ctx);
// Conv/FusedConv/FusedMatMul + Relu, Clip, Sigmoid, Tanh, LeakyRelu, HardSigmoid, HardSwish, Gelu,
// Swish -> the fused op with that activation.
Expected<bool> fuse_activation(ir::Graph& graph, const PassContext& ctx);
// Pad (constant 0, spatial dims, no crop) -> Conv with explicit pads: the pads go into the Conv.
Expected<bool> fuse_pad_conv(ir::Graph& graph, const PassContext& ctx);
// An activation written out as several element-wise nodes (GELU's erf and tanh forms, SiLU as
// x * Sigmoid(x), ...) -> one Sigmoid, Tanh, com.onnxrt Gelu or com.onnxrt Swish node; found by
// evaluating the region's formula at probe points.
Expected<bool> collapse_activations(ir::Graph& graph, const PassContext& ctx);
// Pow / ReduceMean / Add / Sqrt / Reciprocal / Mul chains (torch's RMSNorm) -> com.onnxrt
// RMSNormalization.
Expected<bool> fuse_rms_norm(ir::Graph& graph, const PassContext& ctx);
// ReduceMean / Sub / Pow / ReduceMean / Add / Sqrt / Div [/ Mul / Add] chains over the last axis
// (LayerNorm below opset 17, TensorFlow converters' LayerNorm) -> com.onnxrt LayerNormalization.
Expected<bool> fuse_layer_norm(ir::Graph& graph, const PassContext& ctx);
// fold_constants that leaves the DequantizeLinear nodes fuse_dequantize_matmul takes (the
// extended levels run both; the basic level folds them).
Expected<bool> fold_constants_keeping_quantized_weights(ir::Graph& graph, const PassContext& ctx);
// MatMul(A, DequantizeLinear(constant 8-bit W)) -> com.onnxrt MatMulInt8Weight (W stays int8).
Expected<bool> fuse_dequantize_matmul(ir::Graph& graph, const PassContext& ctx);
// True when that pass would take DequantizeLinear node `n` (constant folding leaves it alone).
bool dequantized_matmul_weight(const ir::Graph& g, const ir::Node& n);
// QuantizeLinear -> DequantizeLinear per tensor on a float32 activation -> com.onnxrt
// QuantizeDequantize, an element-wise op the conv and matmul fusions take as an activation.
Expected<bool> fuse_quantize_dequantize(ir::Graph& graph, const PassContext& ctx);
// The Scan of scikit-learn converters' pairwise squared distances -> com.onnxrt SquaredDistances.
Expected<bool> fuse_scan_distances(ir::Graph& graph, const PassContext& ctx);
// MatMulInteger -> Cast -> Mul(scale) [-> Add(bias)] -> com.onnxrt MatMulIntegerToFloat.
Expected<bool> fuse_quant_matmul(ir::Graph& graph, const PassContext& ctx);
// MatMul(Q, K^T) [* scale] [+ mask] [causal Where] -> Softmax -> MatMul(., V), with the exporter's
// Transposes around it, -> FusedAttention (ir/infer_fused.h).
Expected<bool> fuse_attention(ir::Graph& graph, const PassContext& ctx);

// Chains of pointwise and depthwise Conv/FusedConv -> com.onnxrt BlockedConv on the channel-blocked
// layout [N, C/8, H, W, 8], with ToBlocked/FromBlocked where a chain meets other nodes.
Expected<bool> block_channels(ir::Graph& graph, const PassContext& ctx);
// Whether block_channels rewrites anything on this CPU (AVX2 without AVX-512).
bool block_channels_enabled();

// The passes that `level` enables, in order.
std::vector<Pass> default_pipeline(GraphOptimizationLevel level);
// Runs a pipeline; stops after `stop_after` when it is not empty (for `onnxrt dump --after`).
Status run_pipeline(ir::Graph& graph, std::span<const Pass> passes, const PassContext& ctx,
                    std::string_view stop_after = {});

}  // namespace onnxrt::passes
