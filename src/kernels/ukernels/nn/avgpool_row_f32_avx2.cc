// AveragePool output rows for AVX2: avgpool_row.inl compiled with -mavx2 (8-float vectors), and
// the 2x2 stride-2 window (DenseNet's transitions, FPN / UNet downsampling) in intrinsics.
#include <immintrin.h>

#include <cstdint>

#include "kernels/ukernels/nn/ukernels.h"

namespace onnxrt::kernels::ukernels {
namespace {
#include "kernels/ukernels/nn/avgpool_row.inl"

// 2x2 windows at stride 2 over two rows, no left padding, every window starting inside the row.
// The compiler's loop for window_sums<2> gathered the even and odd columns one float at a time
// ([1, 32, 256, 256]: 1.39 ms against onnxruntime's 0.75); here one hadd pairs them. Same order
// of additions as avgpool_row_impl (the two rows' sum per column, then column pairs, then
// * inv_rows * inv_cols), so the same bits.
void avgpool_2x2s2_row(const AvgPoolRowArgs& a) {
  const float* r0 = a.rows[0];
  const float* r1 = a.rows[1];
  const __m256 inv_rows = _mm256_set1_ps(a.inv_rows);
  int64_t ow = 0;
  for (; 2 * (ow + 8) <= a.W && ow + 8 <= a.OW; ow += 8) {
    const __m256 s0 = _mm256_add_ps(_mm256_loadu_ps(r0 + 2 * ow), _mm256_loadu_ps(r1 + 2 * ow));
    const __m256 s1 = _mm256_add_ps(_mm256_loadu_ps(r0 + 2 * ow + 8), _mm256_loadu_ps(r1 + 2 * ow + 8));
    // hadd gives the pair sums of s0's and s1's halves interleaved by 128-bit lane: outputs
    // 0-1, 4-5 | 2-3, 6-7 in 64-bit pieces, put in order by the permute.
    const __m256 pairs = _mm256_castpd_ps(_mm256_permute4x64_pd(_mm256_castps_pd(_mm256_hadd_ps(s0, s1)), 0xD8));
    _mm256_storeu_ps(a.y + ow, _mm256_mul_ps(_mm256_mul_ps(pairs, inv_rows), _mm256_loadu_ps(a.inv_cols + ow)));
  }
  for (; ow < a.OW; ++ow) {
    const int64_t w = 2 * ow;
    const float b0 = r0[w] + r1[w];
    const float b1 = w + 1 < a.W ? r0[w + 1] + r1[w + 1] : 0.f;  // the zero past the row's end
    a.y[ow] = (b0 + b1) * a.inv_rows * a.inv_cols[ow];
  }
}

}  // namespace

void avgpool_row_f32_avx2(const AvgPoolRowArgs& a) {
  if (a.kw == 2 && a.sw == 2 && a.nrows == 2 && a.L == 0 && a.OW > 0 && 2 * (a.OW - 1) < a.W)
    return avgpool_2x2s2_row(a);
  avgpool_row_impl(a);
}

}  // namespace onnxrt::kernels::ukernels
