// Pools over rows of 8 floats for AVX2 (ukernels.h, LanePool8Args): one vector per tap. The
// portable loop (nn_pool.cc reduce_window) took two SSE halves and a call per output, 2.5-3x
// NCHW's max pool on small_cnn's 16x16 planes.
#include <immintrin.h>

#include <limits>

#include "kernels/ukernels/nn/ukernels.h"

namespace onnxrt::kernels::ukernels {

void lane_pool8_f32_avx2(const LanePool8Args& a) {
  float* y = a.y;
  for (int64_t o0 = a.o0_begin; o0 < a.o0_end; ++o0) {
    const LaneWindow& w0 = a.w0[o0];
    const float* x0 = a.x + w0.first * a.in1 * 8;
    const int64_t step0 = w0.step * a.in1 * 8;
    for (int64_t o1 = 0; o1 < a.n1; ++o1, y += 8) {
      const LaneWindow& w1 = a.w1[o1];
      const float* x1 = x0 + w1.first * 8;
      const int64_t step1 = w1.step * 8;
      __m256 acc = _mm256_setzero_ps();
      if (a.max) {
        bool first = true;
        for (int64_t r = 0; r < w0.taps; ++r)
          for (int64_t c = 0; c < w1.taps; ++c) {
            const __m256 v = _mm256_loadu_ps(x1 + r * step0 + c * step1);
            // max_ps(v, acc) is v > acc ? v : acc, NaN included (its second operand on false).
            acc = first ? v : _mm256_max_ps(v, acc);
            first = false;
          }
        _mm256_storeu_ps(y, acc);
        continue;
      }
      for (int64_t r = 0; r < w0.taps; ++r)
        for (int64_t c = 0; c < w1.taps; ++c) acc = _mm256_add_ps(acc, _mm256_loadu_ps(x1 + r * step0 + c * step1));
      const int64_t count = w0.count * w1.count;
      const float scale = count > 0 ? 1.f / static_cast<float>(count) : std::numeric_limits<float>::quiet_NaN();
      _mm256_storeu_ps(y, _mm256_mul_ps(acc, _mm256_set1_ps(scale)));
    }
  }
}

}  // namespace onnxrt::kernels::ukernels
