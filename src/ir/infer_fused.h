// Our fused ops (domain com.onnxrt), made by the fusion passes (passes/fuse_*.cc) and never
// written by exporters:
//   FusedConv(X, W, B?, Z?)        Y = act(Conv(X, W, B) + Z)     Conv's attributes
//   FusedMatMul(A, B, bias?, Z?)   Y = act(MatMul(A, B) + bias + Z)  bias broadcast over the last
//                                                                    dim, Z of Y's shape
//                                  trans_b = 1 (int, default 0): B is 2-D [N, K] and the product
//                                  is MatMul(A, B^T) (passes/fuse_matmul_transpose.cc)
// with the activation in two attributes: activation (string, "" = none) and activation_params
// (floats). Both the passes and the kernels read them through read_fused_activation(), so the
// list of activations lives in one place.
//   FusedAttention(Q, K, V, mask?) scaled dot-product attention, see FusedAttentionAttrs below.
//   Swish(X)                       Y = X * sigmoid(alpha X), alpha (float, default 1): ONNX's
//                                  Swish-24 for models of any opset (passes/collapse_activations.cc)
//   Gelu(X)                        ONNX's Gelu-20 (approximate "none" or "tanh") for models of any
//                                  opset (passes/collapse_activations.cc)
//   Mish(X)                        ONNX's Mish-18 for models of any opset (the same pass)
//   QuantizeDequantize(X, scale, zero_point)   Y = DequantizeLinear(QuantizeLinear(X, scale,
//                                  zero_point), scale, zero_point): X float32, scale a float32
//                                  scalar, zero_point a scalar of int8, uint8, int16 or uint16
//                                  (the quantized type), Y float32 of X's shape
//                                  (passes/fuse_quantize_dequantize.cc)
//   SquaredDistances(X, V)         Y[i, j] = sum_k (X[i, k] - V[j, k])^2: X [N, K] and V [M, K]
//                                  float32, Y [N, M] float32, each sum taken in double in k
//                                  order and rounded once (passes/fuse_scan_distances.cc: the
//                                  Scan that scikit-learn converters write for pairwise distances)
// The channel-blocked layout (passes/block_channels.cc): a float32 tensor [N, C/8, H, W, 8] holds
// channel c of pixel (h, w) at [n, c/8, h, w, c%8], C a multiple of 8.
//   ToBlocked(X)                   NCHW [N, C, H, W] -> blocked
//   FromBlocked(X)                 blocked -> NCHW
//   BlockedConv(X, W, B?, Z?)      FusedConv on blocked X, Z and Y, W and B as for Conv (2-D);
//                                  the CPU kernel runs pointwise (1x1, stride 1, no padding),
//                                  depthwise (group = C = M), 3x3 and other one-group convs with
//                                  a width stride of 1 or 2. With x_layout = "NCHW" X is NCHW
//                                  with any channel count (a network's stem on an image), the
//                                  conv has one group and no Z, and only Y is blocked.
#pragma once

#include <array>
#include <cmath>
#include <string>
#include <string_view>

#include "base/quantize_dequantize.h"
#include "ir/graph.h"
#include "onnxrt/status.h"

namespace onnxrt::ir {

inline constexpr std::string_view kFusedDomain = "com.onnxrt";
inline constexpr int64_t kChannelBlock = 8;  // channels per block of the blocked layout
// BlockedConv keeps a dense conv's sums over all window taps in registers when KH * KW * C is at
// most this (kernels/cpu/fused_blocked.cc); block_channels counts such convs as chain anchors.
inline constexpr int64_t kBlockedDenseTapsMaxK = 9 * 64;

// A grouped conv (group > 1, not depthwise) on blocked tensors: BlockedConv merges its groups r at
// a time into block groups whose input and output channels are whole blocks, r = 8 / (C/group)
// when a group has fewer than 8 input channels (ResNeXt's 32 groups of 4), else 1. A block
// group's weights are block-diagonal (zero between merged groups), so its kernels see a dense
// conv over r * C/group inputs: merging 2 groups of 4 doubles the multiply-adds but keeps every
// load a whole vector. Returns r, or 0 when the groups do not fit (block_channels leaves such a
// conv in NCHW; BlockedConv refuses it).
inline int64_t blocked_merged_groups(int64_t C, int64_t M, int64_t group) {
  if (group <= 1 || C <= 0 || M <= 0 || C % group != 0 || M % group != 0) return 0;
  const int64_t Cg = C / group, Mg = M / group;
  const int64_t r = Cg % kChannelBlock == 0 ? 1 : kChannelBlock % Cg == 0 ? kChannelBlock / Cg : 0;
  if (r == 0 || group % r != 0 || (Mg * r) % kChannelBlock != 0) return 0;
  return r;
}

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
  kSwish,        // x * sigmoid(alpha x) (SiLU at alpha 1); params: alpha
  kMish,         // x * tanh(softplus(x))
  // QuantizeLinear then DequantizeLinear per tensor (base/quantize_dequantize.h); params: scale,
  // zero point, lo, hi (the integer type's range), the last three integers.
  kQuantizeDequantize,
};

struct FusedActivation {
  FusedAct kind = FusedAct::kNone;
  float p0 = 0.f;
  float p1 = 0.f;
  float p2 = 0.f;
  float p3 = 0.f;
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
    case FusedAct::kSwish: return x / (1.f + std::exp(-a.p0 * x));
    case FusedAct::kMish: return x * std::tanh(std::log1p(std::exp(x)));
    case FusedAct::kQuantizeDequantize:
      return quantize_dequantize(x, a.p0, static_cast<int32_t>(a.p1), static_cast<int32_t>(a.p2),
                                 static_cast<int32_t>(a.p3));
  }
  return x;
}

// FusedAttention (passes/fuse_attention.cc; kernels cpu/fused_attention.cc and
// reference/fused_attention.cc) is exactly these ONNX ops, all on rank-4 float32 tensors:
//   Qh = Transpose(Q, q_perm)   [B, H, Sq, D]
//   Kt = Transpose(K, k_perm)   [B, H, D, Sk]   (K^T: the second operand of the first MatMul)
//   Vh = Transpose(V, v_perm)   [B, H, Sk, Dv]
//   S  = MatMul(Qh, Kt) * scale + mask        mask (optional) broadcasts to [B, H, Sq, Sk]
//   S[..., i, j] = -inf where causal and j > i   (top-left aligned, like torch's tril)
//   P  = Softmax(S, axis=-1);  with nan_to_zero = 1: P = Where(IsNaN(P), 0, P) (torch's
//        decomposition of scaled_dot_product_attention, so that fully masked rows give zeros)
//   Y  = Transpose(MatMul(P, Vh), out_perm)
// The perms are the layouts exporters produce around attention, so the Transposes disappear
// into strides: q_perm, v_perm, out_perm are [0,1,2,3] or [0,2,1,3] ([B, S, H, D] storage);
// k_perm is [0,1,3,2] (K stored [B, H, Sk, D]), [0,2,3,1] (K stored [B, Sk, H, D]) or [0,1,2,3]
// (K^T itself). Every perm keeps a unit-stride last dim, which the GEMMs need.
// With qkv_packed = 1 and num_heads = H, input 0 is X [B, S, 3*H*D] and inputs 1, 2 are empty:
// Q, K, V are the three equal thirds of X's last axis, each Reshaped to [B, S, H, D] (the Split
// and Reshapes of a fused QKV projection), and the perms must be the [B, S, H, D] ones
// (q_perm = v_perm = [0,2,1,3], k_perm = [0,2,3,1]).
struct FusedAttentionAttrs {
  float scale = 1.0f;
  bool causal = false;
  bool nan_to_zero = false;
  bool qkv_packed = false;
  int64_t num_heads = 0;  // qkv_packed only
  std::array<int64_t, 4> q_perm{0, 1, 2, 3};
  std::array<int64_t, 4> k_perm{0, 1, 3, 2};
  std::array<int64_t, 4> v_perm{0, 1, 2, 3};
  std::array<int64_t, 4> out_perm{0, 1, 2, 3};
};

// Reads and validates the attributes of a FusedAttention node; an error names the node.
Expected<FusedAttentionAttrs> read_fused_attention(const Node& node);

class InferContext;
// Z (input `i`) must have exactly the output's shape: the kernels add it element by element.
Status check_same_shape_input(InferContext& ctx, size_t i, const char* what);

// Inference of FusedAttention (ir/infer_fused_attention.cc).
Status infer_fused_attention(InferContext& ctx);

}  // namespace onnxrt::ir
