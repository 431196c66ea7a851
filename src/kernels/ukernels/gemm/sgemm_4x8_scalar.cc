// Portable microkernel. Written so that the compiler can keep the 4x8 accumulator tile in
// (SSE2 baseline) vector registers: 8 of the 16 xmm. 4x16 spilled and ran at 9 GFLOP/s, 4x8
// runs at 34 and 6x8 at 28 on the dev machine. Used only without AVX2+FMA or ONNXRT_ISA=scalar.
// Also the portable row-panel product (sgemm_rows_scalar), which the AVX2 one is tested against.
#include "base/half.h"
#include "kernels/ukernels/gemm/sgemm.h"

namespace onnxrt::kernels::ukernels {
namespace {

constexpr int kMr = 4;
constexpr int kNr = 8;

template <bool kBf16>
inline float load(float b) {
  return b;
}
template <bool kBf16>
inline float load(uint16_t b) {  // float16 / bfloat16 panels (half_fn / bf16_fn)
  return kBf16 ? bfloat16_to_float(b) : half_to_float(b);
}

template <int MR, typename BT, bool kBf16 = false>
void tile(int64_t n, int64_t K, const float* a, const BT* b, int64_t ldb, float* c,
          int64_t ldc, float alpha, float beta) {
  float acc[MR][kNr] = {};
  if (n == kNr) {
    for (int64_t k = 0; k < K; ++k, a += MR, b += ldb) {
      float bk[kNr];
      for (int j = 0; j < kNr; ++j) bk[j] = load<kBf16>(b[j]);
      for (int i = 0; i < MR; ++i) {
        const float ai = a[i];
        for (int j = 0; j < kNr; ++j) acc[i][j] += ai * bk[j];
      }
    }
  } else {  // unpacked B at the right edge: never read past column n
    for (int64_t k = 0; k < K; ++k, a += MR, b += ldb) {
      for (int i = 0; i < MR; ++i) {
        const float ai = a[i];
        for (int64_t j = 0; j < n; ++j) acc[i][j] += ai * load<kBf16>(b[j]);
      }
    }
  }
  for (int i = 0; i < MR; ++i) {
    float* ci = c + i * ldc;
    if (beta == 0.f) {
      for (int64_t j = 0; j < n; ++j) ci[j] = alpha * acc[i][j];
    } else {
      for (int64_t j = 0; j < n; ++j) ci[j] = alpha * acc[i][j] + beta * ci[j];
    }
  }
}

template <typename BT, bool kBf16 = false>
void ukernel(int64_t m, int64_t n, int64_t k, const float* a, const BT* b, int64_t ldb,
             float* c, int64_t ldc, float alpha, float beta) {
  switch (m) {
    case 1: return tile<1, BT, kBf16>(n, k, a, b, ldb, c, ldc, alpha, beta);
    case 2: return tile<2, BT, kBf16>(n, k, a, b, ldb, c, ldc, alpha, beta);
    case 3: return tile<3, BT, kBf16>(n, k, a, b, ldb, c, ldc, alpha, beta);
    default: return tile<4, BT, kBf16>(n, k, a, b, ldb, c, ldc, alpha, beta);
  }
}

}  // namespace

SgemmUkernel sgemm_ukernel_scalar() {
  return {kMr, kNr, &ukernel<float>, "sgemm_4x8_scalar", &ukernel<uint16_t>, &ukernel<uint16_t, true>};
}

void sgemm_rows_scalar(int64_t m, int64_t n, int64_t K, const float* a, int64_t lda, const float* p,
                       float* c, int64_t ldc) {
  const int64_t width = (n + kRowPanelStep - 1) / kRowPanelStep * kRowPanelStep;
  for (int64_t i = 0; i < m; ++i) {
    float acc[kRowPanelWidth] = {};
    for (int64_t k = 0; k < K; ++k) {
      const float ai = a[i * lda + k];
      for (int64_t j = 0; j < n; ++j) acc[j] += ai * p[k * width + j];
    }
    for (int64_t j = 0; j < n; ++j) c[i * ldc + j] = acc[j];
  }
}

void dot_rows_scalar(const float* x, const float* r, int64_t ld, int64_t n, int64_t d, float alpha, float* out) {
  for (int64_t j = 0; j < n; ++j) {
    float acc = 0.0f;
    for (int64_t k = 0; k < d; ++k) acc += x[k] * r[j * ld + k];
    out[j] = alpha * acc;
  }
}

void axpy_rows_scalar(const float* w, const float* r, int64_t ld, int64_t n, int64_t d, float* out) {
  for (int64_t k = 0; k < d; ++k) out[k] = 0.0f;
  for (int64_t j = 0; j < n; ++j)
    for (int64_t k = 0; k < d; ++k) out[k] += w[j] * r[j * ld + k];
}

}  // namespace onnxrt::kernels::ukernels
