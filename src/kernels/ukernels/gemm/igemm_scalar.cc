// Portable integer tile: the reference the AVX2 tile is tested against, and the path of CPUs
// without AVX2. Unsigned arithmetic wraps where int32 would overflow (the result is the int32
// sum modulo 2^32, as the spec's int32 accumulation gives).
#include "kernels/ukernels/gemm/igemm.h"

namespace onnxrt::kernels::ukernels {

void igemm_tile_scalar(int64_t m, int64_t n, int64_t pairs, const int16_t* a, const int16_t* b, int32_t* c,
                       int64_t ldc, bool accumulate) {
  uint32_t acc[kIgemmRows][kIgemmCols] = {};
  for (int64_t p = 0; p < pairs; ++p, a += 2 * m, b += 2 * kIgemmCols) {
    for (int64_t i = 0; i < m; ++i) {
      const int32_t a0 = a[2 * i], a1 = a[2 * i + 1];
      for (int j = 0; j < kIgemmCols; ++j)
        acc[i][j] += static_cast<uint32_t>(a0 * b[2 * j] + a1 * b[2 * j + 1]);
    }
  }
  for (int64_t i = 0; i < m; ++i) {
    int32_t* ci = c + i * ldc;
    for (int64_t j = 0; j < n; ++j) {
      const uint32_t v = accumulate ? acc[i][j] + static_cast<uint32_t>(ci[j]) : acc[i][j];
      ci[j] = static_cast<int32_t>(v);
    }
  }
}

void igemm_pack_panel_scalar(const uint8_t* b, bool is_signed, int64_t ld, int64_t K, int64_t nc, const int16_t* z,
                             int16_t* panel) {
  const int64_t pairs = (K + 1) / 2;
  for (int64_t k = 0; k < 2 * pairs; ++k) {
    int16_t* d = panel + (k / 2) * 2 * kIgemmCols + (k % 2);
    const uint8_t* row = k < K ? b + k * ld : nullptr;
    for (int64_t j = 0; j < kIgemmCols; ++j) {
      int32_t v = 0;
      if (row && j < nc) v = (is_signed ? static_cast<int32_t>(static_cast<int8_t>(row[j])) : row[j]) - z[j];
      d[2 * j] = static_cast<int16_t>(v);
    }
  }
}

void gemv_int8w_scalar(const float* x, int64_t K, const int8_t* q, int64_t ldq, int64_t n, float* acc) {
  for (int64_t j = 0; j < n; ++j) acc[j] = 0.0f;
  for (int64_t k = 0; k < K; ++k) {
    const float xk = x[k];
    const int8_t* row = q + k * ldq;
    for (int64_t j = 0; j < n; ++j) acc[j] += xk * static_cast<float>(row[j]);
  }
}

void igemm_widen_scalar(const int8_t* src, int64_t n, int16_t* dst) {
  for (int64_t i = 0; i < n; ++i) dst[i] = src[i];
}

}  // namespace onnxrt::kernels::ukernels
