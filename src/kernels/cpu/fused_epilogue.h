// The epilogue of the fused ops (ir/infer_fused.h) on the CPU: bias, residual Z and activation
// applied to a block of a GEMM result while it is still in cache. Also declares the CPU and
// reference factories of the fused family.
#pragma once

#include <cstdint>

#include "ir/infer_fused.h"
#include "kernels/kernel.h"

namespace onnxrt::kernels::fused {

struct Epilogue {
  ir::FusedActivation act;
  const float* row_bias = nullptr;  // one value per row of the block (Conv: per output channel)
  const float* col_bias = nullptr;  // one value per column (MatMul bias)
  const float* z = nullptr;         // residual, same layout as y with leading dim ldz
  int64_t ldz = 0;
  // True when there is nothing to do (plain GEMM result).
  bool empty() const {
    return act.kind == ir::FusedAct::kNone && !row_bias && !col_bias && !z;
  }
  // The same epilogue for the block starting at (row, col) of the full result.
  Epilogue at(int64_t row, int64_t col) const {
    Epilogue e = *this;
    if (row_bias) e.row_bias += row;
    if (col_bias) e.col_bias += col;
    if (z) e.z += row * ldz + col;
    return e;
  }
};

// y[r*ldy + c] = act(y + row_bias[r] + col_bias[c] + z[r*ldz + c]) for a rows x cols block.
// Vectorized; the activations without a cheap vector form use the element-wise ukernels.
void apply_epilogue(const Epilogue& e, float* y, int64_t ldy, int64_t rows, int64_t cols);

}  // namespace onnxrt::kernels::fused

namespace onnxrt::kernels {

Expected<std::unique_ptr<Kernel>> make_cpu_fused_conv(const KernelInit& init);    // nn_conv.cc
Expected<std::unique_ptr<Kernel>> make_cpu_fused_matmul(const KernelInit& init);  // fused_matmul.cc
// The channel-blocked ops (fused_blocked.cc; reference/fused_blocked.cc).
Expected<std::unique_ptr<Kernel>> make_cpu_blocked_conv(const KernelInit& init);
Expected<std::unique_ptr<Kernel>> make_cpu_to_blocked(const KernelInit& init);
Expected<std::unique_ptr<Kernel>> make_cpu_from_blocked(const KernelInit& init);
Expected<std::unique_ptr<Kernel>> make_ref_blocked_conv(const KernelInit& init);
Expected<std::unique_ptr<Kernel>> make_ref_to_blocked(const KernelInit& init);
Expected<std::unique_ptr<Kernel>> make_ref_from_blocked(const KernelInit& init);
Expected<std::unique_ptr<Kernel>> make_ref_fused_conv(const KernelInit& init);
Expected<std::unique_ptr<Kernel>> make_ref_fused_matmul(const KernelInit& init);

}  // namespace onnxrt::kernels
