// The per-family inference tables that ir/op_table.cc concatenates into the one op table.
// Each is defined in ir/infer_<family>.cc.
#pragma once

#include <span>

#include "ir/infer.h"

namespace onnxrt::ir {

std::span<const OpInfo> elementwise_op_infos();  // arithmetic, math, logic, cast, activations
std::span<const OpInfo> linalg_op_infos();       // MatMul, Gemm, ...
std::span<const OpInfo> nn_op_infos();           // Conv, pooling, normalization, Softmax, ...
std::span<const OpInfo> tensor_op_infos();       // shape and data-movement ops, Constant, ...
std::span<const OpInfo> reduce_op_infos();       // Reduce*, ArgMax/ArgMin, TopK, CumSum/CumProd
std::span<const OpInfo> image_op_infos();        // ConvTranspose, Resize, GridSample, RoiAlign, ...
std::span<const OpInfo> transformer_op_infos();  // Attention, RotaryEmbedding, RMSNormalization, ...
std::span<const OpInfo> loss_op_infos();         // SoftmaxCrossEntropyLoss, NegativeLogLikelihoodLoss
std::span<const OpInfo> recurrent_op_infos();    // RNN, GRU, LSTM
std::span<const OpInfo> signal_op_infos();       // DFT, STFT, windows, MelWeightMatrix, NMS
std::span<const OpInfo> quant_op_infos();
std::span<const OpInfo> control_op_infos();       // If, Loop, Scan, sequence and optional ops        // QuantizeLinear, DequantizeLinear, integer ops
std::span<const OpInfo> fused_op_infos();        // com.onnxrt: FusedConv, FusedMatMul (made by passes)
std::span<const OpInfo> blocked_op_infos();      // com.onnxrt: ToBlocked, FromBlocked, BlockedConv
std::span<const OpInfo> random_op_infos();       // RandomUniform/Normal[Like], Bernoulli, Multinomial
std::span<const OpInfo> training_op_infos();     // ai.onnx.preview.training: Adagrad, Adam, Momentum
std::span<const OpInfo> ml_op_infos();           // ai.onnx.ml: scikit-learn style models
std::span<const OpInfo> strings_op_infos();      // StringNormalizer, StringSplit, RegexFullMatch, TfIdfVectorizer, ...

}  // namespace onnxrt::ir
