// AveragePool output rows for AVX2: avgpool_row.inl compiled with -mavx2 (8-float vectors).
#include <cstdint>

#include "kernels/ukernels/nn/ukernels.h"

namespace onnxrt::kernels::ukernels {
namespace {
#include "kernels/ukernels/nn/avgpool_row.inl"
}  // namespace

void avgpool_row_f32_avx2(const AvgPoolRowArgs& a) { avgpool_row_impl(a); }

}  // namespace onnxrt::kernels::ukernels
