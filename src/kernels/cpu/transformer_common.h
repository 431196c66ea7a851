// Shared pieces of the transformer-family kernels (CPU and reference): element access for the
// float types these ops accept, Attention's attributes and run-time geometry (checked against
// the concrete tensors, so no kernel indexes out of bounds when a model lies about shapes) and
// the additive attention bias (mask, causal frontier, sliding window, key padding). Also
// declares the factories of both backends.
#pragma once

#include <cmath>
#include <cstdint>
#include <limits>
#include <vector>

#include "kernels/kernel.h"

namespace onnxrt::kernels::tf {

// float32, float16, bfloat16, float64.
bool is_float(DType t);
// Element i of a float, bool or integer tensor, as double.
double load(const Tensor& t, int64_t i);
// Stores v into element i of a float tensor (rounded to its type).
void store(Tensor& t, int64_t i, double v);
// Whole tensor to / from float32 (t.size() elements).
void to_float(const Tensor& t, float* dst);
void from_float(const float* src, Tensor& t);
// RMSNormalization's scale broadcast (numpy, right-aligned) to the normalized shape, as floats.
Status expand_scale(KernelContext& ctx, const Tensor& s, const Shape& trailing, std::vector<float>& out);

struct AttnAttrs {
  int64_t q_heads = 0, kv_heads = 0;
  int64_t mode = 0;  // qk_matmul_output_mode
  int64_t left = -1, right = -1;  // sliding window (opset 25); -1: unbounded
  bool causal = false;
  float scale = 0.0f;  // 0: 1/sqrt(head_size)
  float softcap = 0.0f;
  int64_t softmax_precision = 0;  // 0: the inputs' type
};
Expected<AttnAttrs> read_attention_attrs(const ir::Node& node);

struct AttnGeom {
  bool is3d = false;
  int64_t B = 0, Hq = 0, Hkv = 0, Sq = 0, Skv = 0, Sp = 0, St = 0, D = 0, Dv = 0;
  // Q·Kᵀ is multiplied by sqrt_scale twice: the spec scales Q and K by sqrt(scale) each, and the
  // float-rounded sqrt is what the spec's function body multiplies by.
  float sqrt_scale = 1.0f;
  const Tensor* q = nullptr;
  const Tensor* k = nullptr;
  const Tensor* v = nullptr;
  const Tensor* mask = nullptr;
  const Tensor* past_k = nullptr;
  const Tensor* past_v = nullptr;
  std::vector<int64_t> nonpad;  // empty when not given
  int64_t mask_len = 0;         // the mask's key dim (may be shorter than St: the rest is masked)
  int64_t mstride[4] = {0, 0, 0, 0};  // mask element strides over (b, h, i, j); 0 = broadcast

  int64_t group() const { return Hq / Hkv; }
  // Element offset of Q[b, h, i, d] / new K[b, h, j, d] / new V[b, h, j, d] in the input tensor.
  int64_t q_off(int64_t b, int64_t h, int64_t i) const {
    return is3d ? (b * Sq + i) * Hq * D + h * D : ((b * Hq + h) * Sq + i) * D;
  }
  int64_t k_off(int64_t b, int64_t h, int64_t j) const {
    return is3d ? (b * Skv + j) * Hkv * D + h * D : ((b * Hkv + h) * Skv + j) * D;
  }
  int64_t v_off(int64_t b, int64_t h, int64_t j) const {
    return is3d ? (b * Skv + j) * Hkv * Dv + h * Dv : ((b * Hkv + h) * Skv + j) * Dv;
  }
  int64_t y_off(int64_t b, int64_t h, int64_t i) const {
    return is3d ? (b * Sq + i) * Hq * Dv + h * Dv : ((b * Hq + h) * Sq + i) * Dv;
  }
  // The count of valid keys before the query block (causal and window alignment).
  int64_t offset(int64_t b) const {
    if (past_k) return Sp;
    if (!nonpad.empty()) return nonpad[static_cast<size_t>(b)] - Sq;
    return 0;
  }
};

// Validates inputs and outputs (shapes, types) against each other and the attributes.
Expected<AttnGeom> attention_geometry(KernelContext& ctx, const AttnAttrs& a);

// Additive bias of query row (b, h, i) over all St keys: 0 (attend), -inf (masked) or a float
// mask value. Returns false when every key is masked (the row's output is then zero).
template <typename T>
bool attention_bias_row(const AttnGeom& g, const AttnAttrs& a, int64_t b, int64_t h, int64_t i,
                        T* row) {
  constexpr T kNegInf = -std::numeric_limits<T>::infinity();
  const bool mask_bool = g.mask && g.mask->dtype() == DType::kBool;
  const int64_t off = g.offset(b);
  const int64_t mbase = b * g.mstride[0] + h * g.mstride[1] + i * g.mstride[2];
  bool any = false;
  for (int64_t j = 0; j < g.St; ++j) {
    T v = 0;
    if (g.mask) {
      if (j >= g.mask_len) {
        v = kNegInf;
      } else if (mask_bool) {
        v = g.mask->data<bool>()[mbase + j * g.mstride[3]] ? T(0) : kNegInf;
      } else {
        v = static_cast<T>(load(*g.mask, mbase + j * g.mstride[3]));
      }
    }
    if (a.causal && j > i + off) v = kNegInf;
    if (a.left >= 0 || a.right >= 0) {
      const int64_t diff = i + off - j;
      if ((a.left >= 0 && diff > a.left) || (a.right >= 0 && -diff > a.right)) v = kNegInf;
    }
    if (!g.nonpad.empty() && j >= g.nonpad[static_cast<size_t>(b)]) v = kNegInf;
    row[j] = v;
    if (v != kNegInf) any = true;
  }
  return any;
}

}  // namespace onnxrt::kernels::tf

namespace onnxrt::kernels {

// CPU (kernels/cpu/transformer_*.cc). Rotary, MeanVarianceNormalization and the losses have
// one simple kernel that both tables use.
Expected<std::unique_ptr<Kernel>> make_cpu_attention(const KernelInit& init);
Expected<std::unique_ptr<Kernel>> make_cpu_rms_norm(const KernelInit& init);
Expected<std::unique_ptr<Kernel>> make_rotary_embedding(const KernelInit& init);
Expected<std::unique_ptr<Kernel>> make_mvn(const KernelInit& init);
Expected<std::unique_ptr<Kernel>> make_linear_attention(const KernelInit& init);
Expected<std::unique_ptr<Kernel>> make_flex_attention(const KernelInit& init);  // ai.onnx.preview
Expected<std::unique_ptr<Kernel>> make_loss(const KernelInit& init);  // SCE and NLL (loss_kernels.cc)

// Reference (kernels/reference/transformer_*.cc).
Expected<std::unique_ptr<Kernel>> make_ref_attention(const KernelInit& init);
Expected<std::unique_ptr<Kernel>> make_ref_rms_norm(const KernelInit& init);

}  // namespace onnxrt::kernels
