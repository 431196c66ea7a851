#include "kernels/cpu/fused_epilogue.h"

#include "kernels/ukernels/elementwise/quantize.h"
#include "kernels/ukernels/elementwise/ukernels.h"
#include "kernels/ukernels/nn/ukernels.h"

namespace onnxrt::kernels::fused {

void apply_epilogue(const Epilogue& e, float* y, int64_t ldy, int64_t rows, int64_t cols) {
  if (rows <= 0 || cols <= 0 || e.empty()) return;
  using ir::FusedAct;
  using ukernels::EpiAct;
  ukernels::EpilogueArgs a;
  a.row_bias = e.row_bias;
  a.col_bias = e.col_bias;
  a.z = e.z;
  a.ldz = e.ldz;
  a.p0 = e.act.p0;
  a.p1 = e.act.p1;
  ew::UnaryOp second = ew::UnaryOp::kCount;
  const bool qdq = e.act.kind == FusedAct::kQuantizeDequantize;
  switch (e.act.kind) {
    case FusedAct::kNone: a.act = EpiAct::kNone; break;
    case FusedAct::kRelu: a.act = EpiAct::kRelu; break;
    case FusedAct::kClip: a.act = EpiAct::kClamp; break;
    case FusedAct::kLeakyRelu: a.act = EpiAct::kLeakyRelu; break;
    case FusedAct::kHardSigmoid: a.act = EpiAct::kHardSigmoid; break;
    case FusedAct::kHardSwish: a.act = EpiAct::kHardSwish; break;
    case FusedAct::kSigmoid: second = ew::UnaryOp::kSigmoid; break;
    case FusedAct::kTanh: second = ew::UnaryOp::kTanh; break;
    case FusedAct::kGelu: second = ew::UnaryOp::kGelu; break;
    case FusedAct::kGeluTanh: second = ew::UnaryOp::kGeluTanh; break;
    case FusedAct::kSwish: second = ew::UnaryOp::kSilu; break;
    case FusedAct::kMish: second = ew::UnaryOp::kMish; break;
    case FusedAct::kQuantizeDequantize: a.act = EpiAct::kNone; break;
  }
  if (qdq) {
    if (a.row_bias || a.col_bias || a.z) ukernels::epilogue_f32_ukernel()(a, y, ldy, rows, cols);
    const ew::QuantizeDequantizeF32Fn fn = ew::quantize_dequantize_f32_ukernel();
    const auto zp = static_cast<int32_t>(e.act.p1), lo = static_cast<int32_t>(e.act.p2), hi = static_cast<int32_t>(e.act.p3);
    if (ldy == cols) return fn(y, rows * cols, e.act.p0, zp, lo, hi, y);  // contiguous: one call
    for (int64_t r = 0; r < rows; ++r) fn(y + r * ldy, cols, e.act.p0, zp, lo, hi, y + r * ldy);
    return;
  }
  if (second == ew::UnaryOp::kCount || a.row_bias || a.col_bias || a.z)
    ukernels::epilogue_f32_ukernel()(a, y, ldy, rows, cols);
  if (second != ew::UnaryOp::kCount) {
    const ew::UnaryF32Fn fn = ew::unary_f32_ukernel();
    // Swish's alpha, as the unfused Swish kernel passes it (the other ops take no parameter).
    const ew::UnaryParams params{e.act.kind == FusedAct::kSwish ? e.act.p0 : 0.0f, 0.0f};
    // A contiguous block is one call: with one or two columns (a classifier's output layer) a
    // call per row cost ~35 ns for 1-2 values.
    if (ldy == cols) return fn(second, y, y, rows * cols, params);
    for (int64_t r = 0; r < rows; ++r) fn(second, y + r * ldy, y + r * ldy, cols, params);
  }
}

}  // namespace onnxrt::kernels::fused
