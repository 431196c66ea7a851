// Our fused ops (domain com.onnxrt), made by the fusion passes (passes/fuse_*.cc) and never
// written by exporters:
//   FusedConv(X, W, B?, Z?)        Y = act(Conv(X, W, B) + Z)     Conv's attributes
//   FusedMatMul(A, B, bias?, Z?)   Y = act(MatMul(A, B) + bias + Z)  bias broadcast over the last
//                                                                    dim, Z of Y's shape
// with the activation in two attributes: activation (string, "" = none) and activation_params
// (floats). Both the passes and the kernels read them through read_fused_activation(), so the
// list of activations lives in one place.
#pragma once

#include <cmath>
#include <string>
#include <string_view>

#include "ir/graph.h"
#include "onnxrt/status.h"

namespace onnxrt::ir {

inline constexpr std::string_view kFusedDomain = "com.onnxrt";

enum class FusedAct : uint8_t {
  kNone,
  kRelu,
  kClip,         // params: min, max
  kSigmoid,
  kTanh,
  kLeakyRelu,    // params: alpha
  kHardSigmoid,  // params: alpha, beta
  kHardSwish,
  kGelu,         // erf form
  kGeluTanh,     // tanh approximation
};

struct FusedActivation {
  FusedAct kind = FusedAct::kNone;
  float p0 = 0.f;
  float p1 = 0.f;
};

// Reads activation / activation_params of a fused node; an error names the node.
Expected<FusedActivation> read_fused_activation(const Node& node);
// The attribute spelling of an activation ("Relu", ...); "" for kNone.
std::string_view fused_activation_name(FusedAct kind);
// Number of activation_params the activation takes.
size_t fused_activation_num_params(FusedAct kind);

// The activation on one value, written like the ONNX op definitions (the reference kernels use
// it; the CPU kernels use it for tails and the activations they do not vectorize).
inline float apply_fused_activation(const FusedActivation& a, float x) {
  switch (a.kind) {
    case FusedAct::kNone: return x;
    case FusedAct::kRelu: return x > 0.f ? x : 0.f;
    // Clip's spec: min(max(x, lo), hi), so NaN stays NaN and lo > hi gives hi.
    case FusedAct::kClip: return std::isnan(x) ? x : std::fmin(std::fmax(x, a.p0), a.p1);
    case FusedAct::kSigmoid: return 1.f / (1.f + std::exp(-x));
    case FusedAct::kTanh: return std::tanh(x);
    case FusedAct::kLeakyRelu: return x >= 0.f ? x : a.p0 * x;
    case FusedAct::kHardSigmoid: return std::fmax(0.f, std::fmin(1.f, a.p0 * x + a.p1));
    case FusedAct::kHardSwish: return x * std::fmax(0.f, std::fmin(1.f, x / 6.f + 0.5f));
    case FusedAct::kGelu: return 0.5f * x * (1.f + std::erf(x * 0.70710678118654752f));
    case FusedAct::kGeluTanh:
      return 0.5f * x * (1.f + std::tanh(0.79788456080286536f * (x + 0.044715f * x * x * x)));
  }
  return x;
}

}  // namespace onnxrt::ir
