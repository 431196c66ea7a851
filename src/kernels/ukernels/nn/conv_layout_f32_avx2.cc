// Layout moves around the convolution GEMMs for AVX2 (see ukernels.h): the stride-2 copy of
// im2col rows, and the pixel-row GEMM's transposed store (a result tile of up to 8 pixels x 16
// channels from the 6x16 sgemm microkernel, two 8x8 transposes).
#include <immintrin.h>

#include "kernels/ukernels/nn/avx2_lanes.h"
#include "kernels/ukernels/nn/ukernels.h"

namespace onnxrt::kernels::ukernels {

void copy_stride2_f32_avx2(const float* src, float* dst, int64_t n) {
  int64_t t = 0;
  // 8 outputs read src[2t .. 2t+15]; src[2t+15] is only readable while t + 8 < n.
  for (; t + 8 < n; t += 8)
    _mm256_storeu_ps(dst + t, in_order(even_of(_mm256_loadu_ps(src + 2 * t), _mm256_loadu_ps(src + 2 * t + 8))));
  for (; t < n; ++t) dst[t] = src[2 * t];
}

void store_transposed_f32_avx2(const TransposedStoreArgs& a) {
  const __m256i lanes = tail_mask(a.m);
  const __m256 lo = _mm256_set1_ps(a.lo), hi = _mm256_set1_ps(a.hi);
  for (int half = 0; half * 8 < a.channels; ++half) {
    __m256 r[8];
    for (int i = 0; i < 8; ++i) r[i] = i < a.m ? _mm256_loadu_ps(a.c + i * 16 + half * 8) : _mm256_setzero_ps();
    transpose8(r);
    const int n = a.channels - half * 8 < 8 ? a.channels - half * 8 : 8;
    for (int jj = 0; jj < n; ++jj) {
      const int j = half * 8 + jj;
      __m256 v = r[jj];
      if (a.bias) v = _mm256_add_ps(v, _mm256_set1_ps(a.bias[j]));
      if (a.z) v = _mm256_add_ps(v, a.m >= 8 ? _mm256_loadu_ps(a.z + j * a.ldz) : _mm256_maskload_ps(a.z + j * a.ldz, lanes));
      // x86 max/min return their second operand on NaN: v second, so NaN passes (Relu(NaN) = NaN).
      if (a.clamp) v = _mm256_min_ps(hi, _mm256_max_ps(lo, v));
      store_n(a.y + j * a.ldy, v, a.m);
    }
  }
}

}  // namespace onnxrt::kernels::ukernels
