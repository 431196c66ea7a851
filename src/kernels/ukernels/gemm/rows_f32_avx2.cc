// AVX2+FMA products of one vector with few rows read in place (sgemm.h, DotRowsFn / AxpyRowsFn):
// the score row and the output row of attention with one query against a KV cache.
#include <immintrin.h>

#include "kernels/ukernels/gemm/sgemm.h"
#include "kernels/ukernels/nn/avx2_lanes.h"

namespace onnxrt::kernels::ukernels {
namespace {

// Elements [k, k + 8) of a row, or its last d - k < 8 elements and zeros.
inline __m256 load_part(const float* p, int64_t k, int64_t d) {
  return d - k >= 8 ? _mm256_loadu_ps(p + k) : _mm256_maskload_ps(p + k, tail_mask(d - k));
}

// Sums of each of 8 vectors, in order: the 8 scores of a block of rows.
inline __m256 sums8(const __m256 a[8]) {
  const __m256 h0123 = _mm256_hadd_ps(_mm256_hadd_ps(a[0], a[1]), _mm256_hadd_ps(a[2], a[3]));
  const __m256 h4567 = _mm256_hadd_ps(_mm256_hadd_ps(a[4], a[5]), _mm256_hadd_ps(a[6], a[7]));
  return _mm256_add_ps(_mm256_permute2f128_ps(h0123, h4567, 0x20), _mm256_permute2f128_ps(h0123, h4567, 0x31));
}

// Rows [j, j + R) of dot_rows, R <= 8: R accumulators in flight hide the FMA latency.
template <int R>
void dot_block(const float* x, const float* r, int64_t ld, int64_t d, float alpha, float* out) {
  __m256 acc[8];
#pragma GCC unroll 8
  for (int i = 0; i < 8; ++i) acc[i] = _mm256_setzero_ps();
  for (int64_t k = 0; k < d; k += 8) {
    const __m256 xv = load_part(x, k, d);
#pragma GCC unroll 8
    for (int i = 0; i < R; ++i) acc[i] = _mm256_fmadd_ps(xv, load_part(r + i * ld, k, d), acc[i]);
  }
  store_n(out, _mm256_mul_ps(_mm256_set1_ps(alpha), sums8(acc)), R);
}

// Columns [c, c + 8 * NV) of axpy_rows (the last vector cut at d): rows alternate between two
// sets of accumulators, so that 2 * NV FMA chains are in flight.
template <int NV>
void axpy_block(const float* w, const float* r, int64_t ld, int64_t n, int64_t c, int64_t d, float* out) {
  __m256 even[NV], odd[NV];
#pragma GCC unroll 4
  for (int v = 0; v < NV; ++v) even[v] = odd[v] = _mm256_setzero_ps();
  int64_t j = 0;
  for (; j + 2 <= n; j += 2) {
    const __m256 w0 = _mm256_broadcast_ss(w + j), w1 = _mm256_broadcast_ss(w + j + 1);
    const float* r0 = r + j * ld;
#pragma GCC unroll 4
    for (int v = 0; v < NV; ++v) {
      even[v] = _mm256_fmadd_ps(w0, load_part(r0, c + 8 * v, d), even[v]);
      odd[v] = _mm256_fmadd_ps(w1, load_part(r0 + ld, c + 8 * v, d), odd[v]);
    }
  }
  if (j < n) {
    const __m256 w0 = _mm256_broadcast_ss(w + j);
#pragma GCC unroll 4
    for (int v = 0; v < NV; ++v) even[v] = _mm256_fmadd_ps(w0, load_part(r + j * ld, c + 8 * v, d), even[v]);
  }
#pragma GCC unroll 4
  for (int v = 0; v < NV; ++v) store_n(out + c + 8 * v, _mm256_add_ps(even[v], odd[v]), d - c - 8 * v);
}

}  // namespace

void dot_rows_avx2(const float* x, const float* r, int64_t ld, int64_t n, int64_t d, float alpha, float* out) {
  int64_t j = 0;
  for (; j + 8 <= n; j += 8) dot_block<8>(x, r + j * ld, ld, d, alpha, out + j);
  switch (n - j) {
    case 1: return dot_block<1>(x, r + j * ld, ld, d, alpha, out + j);
    case 2: return dot_block<2>(x, r + j * ld, ld, d, alpha, out + j);
    case 3: return dot_block<3>(x, r + j * ld, ld, d, alpha, out + j);
    case 4: return dot_block<4>(x, r + j * ld, ld, d, alpha, out + j);
    case 5: return dot_block<5>(x, r + j * ld, ld, d, alpha, out + j);
    case 6: return dot_block<6>(x, r + j * ld, ld, d, alpha, out + j);
    case 7: return dot_block<7>(x, r + j * ld, ld, d, alpha, out + j);
    default: return;
  }
}

void axpy_rows_avx2(const float* w, const float* r, int64_t ld, int64_t n, int64_t d, float* out) {
  int64_t c = 0;
  for (; c + 32 <= d; c += 32) axpy_block<4>(w, r, ld, n, c, d, out);
  switch ((d - c + 7) / 8) {
    case 1: return axpy_block<1>(w, r, ld, n, c, d, out);
    case 2: return axpy_block<2>(w, r, ld, n, c, d, out);
    case 3: return axpy_block<3>(w, r, ld, n, c, d, out);
    case 4: return axpy_block<4>(w, r, ld, n, c, d, out);
    default: return;
  }
}

}  // namespace onnxrt::kernels::ukernels
