// AveragePool output rows, portable (SSE2 vectors on x86-64): avgpool_row.inl, and the run-time
// choice of the ISA version.
#include <cstdint>

#include "base/cpu_features.h"
#include "kernels/ukernels/nn/ukernels.h"

namespace onnxrt::kernels::ukernels {
namespace {
#include "kernels/ukernels/nn/avgpool_row.inl"
}  // namespace

void avgpool_row_f32_scalar(const AvgPoolRowArgs& a) { avgpool_row_impl(a); }

AvgPoolRowF32Fn avgpool_row_f32_ukernel() {
  static const AvgPoolRowF32Fn fn = cpu_features().has_avx2_fma() ? &avgpool_row_f32_avx2 : &avgpool_row_f32_scalar;
  return fn;
}

}  // namespace onnxrt::kernels::ukernels
