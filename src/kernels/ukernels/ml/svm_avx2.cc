// AVX2 support vector kernel values (svm.h): tiles of up to 4 rows x 8 vectors of double sums in
// registers, and a double exp.
#include <immintrin.h>

#include <cmath>

#include "kernels/ukernels/ml/svm.h"

namespace onnxrt::kernels::ml {

namespace {

// Rows [0, R) of x against the NP panels at p (each `pstride` doubles apart); `valid` of the
// 4 * NP vectors are stored (the rest are the zero padding of the last panel).
template <int R, int NP, bool SQ>
void tile(const double* x, int64_t cols, const double* p, int64_t pstride, double* out, int64_t ldo, int64_t valid) {
  __m256d acc[R][NP];
  for (int i = 0; i < R; ++i)
    for (int j = 0; j < NP; ++j) acc[i][j] = _mm256_setzero_pd();
  for (int64_t k = 0; k < cols; ++k) {
    __m256d v[NP];
    for (int j = 0; j < NP; ++j) v[j] = _mm256_loadu_pd(p + j * pstride + k * kSvmPanel);
    for (int i = 0; i < R; ++i) {
      const __m256d xb = _mm256_broadcast_sd(x + i * cols + k);
      for (int j = 0; j < NP; ++j) {
        if constexpr (SQ) {
          const __m256d t = _mm256_sub_pd(v[j], xb);  // (v - x)^2 = (x - v)^2 exactly
          acc[i][j] = _mm256_fmadd_pd(t, t, acc[i][j]);
        } else {
          acc[i][j] = _mm256_fmadd_pd(xb, v[j], acc[i][j]);
        }
      }
    }
  }
  for (int i = 0; i < R; ++i) {
    if (valid == kSvmPanel * NP) {
      for (int j = 0; j < NP; ++j) _mm256_storeu_pd(out + i * ldo + j * kSvmPanel, acc[i][j]);
    } else {
      alignas(32) double tmp[kSvmPanel * NP];
      for (int j = 0; j < NP; ++j) _mm256_store_pd(tmp + j * kSvmPanel, acc[i][j]);
      for (int64_t v = 0; v < valid; ++v) out[i * ldo + v] = tmp[v];
    }
  }
}

template <int R, bool SQ>
void rows_block(const double* x, int64_t cols, const double* panels, int64_t n_vectors, double* out) {
  const int64_t pstride = cols * kSvmPanel;
  int64_t v = 0;
  for (; v + 2 * kSvmPanel <= n_vectors; v += 2 * kSvmPanel)
    tile<R, 2, SQ>(x, cols, panels + (v / kSvmPanel) * pstride, pstride, out + v, n_vectors, 2 * kSvmPanel);
  for (; v < n_vectors; v += kSvmPanel)
    tile<R, 1, SQ>(x, cols, panels + (v / kSvmPanel) * pstride, pstride, out + v, n_vectors,
                   n_vectors - v < kSvmPanel ? n_vectors - v : kSvmPanel);
}

template <bool SQ>
void pairs(const double* x, int64_t rows, int64_t cols, const double* panels, int64_t n_vectors, double* out) {
  int64_t i = 0;
  for (; i + 4 <= rows; i += 4) rows_block<4, SQ>(x + i * cols, cols, panels, n_vectors, out + i * n_vectors);
  switch (rows - i) {
    case 3: rows_block<3, SQ>(x + i * cols, cols, panels, n_vectors, out + i * n_vectors); break;
    case 2: rows_block<2, SQ>(x + i * cols, cols, panels, n_vectors, out + i * n_vectors); break;
    case 1: rows_block<1, SQ>(x + i * cols, cols, panels, n_vectors, out + i * n_vectors); break;
    default: break;
  }
}

// exp(x) for x in [-708, 709] (results normal and finite): x = n ln2 + r with |r| <= ln2 / 2,
// e^r by its Taylor series to r^13 (the next term is below 4e-18), times 2^n built in the
// exponent field.
inline __m256d exp_in_range(__m256d x) {
  const __m256d n = _mm256_round_pd(_mm256_mul_pd(x, _mm256_set1_pd(1.4426950408889634)),
                                    _MM_FROUND_TO_NEAREST_INT | _MM_FROUND_NO_EXC);
  // ln 2 as a double and the double nearest its remainder: r keeps ~70 bits of n ln2.
  __m256d r = _mm256_fnmadd_pd(n, _mm256_set1_pd(0x1.62e42fefa39efp-1), x);
  r = _mm256_fnmadd_pd(n, _mm256_set1_pd(0x1.abc9e3b39803fp-56), r);
  static constexpr double kInvFactorial[14] = {1.0,
                                               1.0,
                                               1.0 / 2,
                                               1.0 / 6,
                                               1.0 / 24,
                                               1.0 / 120,
                                               1.0 / 720,
                                               1.0 / 5040,
                                               1.0 / 40320,
                                               1.0 / 362880,
                                               1.0 / 3628800,
                                               1.0 / 39916800,
                                               1.0 / 479001600,
                                               1.0 / 6227020800};
  __m256d p = _mm256_set1_pd(kInvFactorial[13]);
  for (int k = 12; k >= 0; --k) p = _mm256_fmadd_pd(p, r, _mm256_set1_pd(kInvFactorial[k]));
  // n + 1.5 * 2^52 holds n in its low mantissa bits; adding the bias and shifting by 52 leaves
  // the exponent field n + 1023 (in [2, 2046] here) and clears everything else.
  const __m256i bits = _mm256_castpd_si256(_mm256_add_pd(n, _mm256_set1_pd(6755399441055744.0)));
  const __m256i e = _mm256_slli_epi64(_mm256_add_epi64(bits, _mm256_set1_epi64x(1023)), 52);
  return _mm256_mul_pd(p, _mm256_castsi256_pd(e));
}

}  // namespace

void svm_pairs_avx2(const double* x, int64_t rows, int64_t cols, const double* panels, int64_t n_vectors,
                    bool sqdist, double* out) {
  if (cols == 0) {  // no features: every sum is empty (and the panels may be a null pointer)
    for (int64_t i = 0; i < rows * n_vectors; ++i) out[i] = 0.0;
    return;
  }
  if (sqdist) pairs<true>(x, rows, cols, panels, n_vectors, out);
  else pairs<false>(x, rows, cols, panels, n_vectors, out);
}

void exp_scaled_f64_avx2(double* v, int64_t n, double scale) {
  const __m256d s = _mm256_set1_pd(scale);
  const __m256d lo = _mm256_set1_pd(-708.0), hi = _mm256_set1_pd(709.0);
  int64_t i = 0;
  for (; i + 4 <= n; i += 4) {
    const __m256d x = _mm256_mul_pd(s, _mm256_loadu_pd(v + i));
    const __m256d in = _mm256_and_pd(_mm256_cmp_pd(x, lo, _CMP_GE_OQ), _mm256_cmp_pd(x, hi, _CMP_LE_OQ));
    if (_mm256_movemask_pd(in) == 0xF) {
      _mm256_storeu_pd(v + i, exp_in_range(x));
    } else {  // underflow, overflow or NaN in some lane: the library's exp for all four
      alignas(32) double t[4];
      _mm256_store_pd(t, x);
      for (int k = 0; k < 4; ++k) v[i + k] = std::exp(t[k]);
    }
  }
  for (; i < n; ++i) v[i] = std::exp(scale * v[i]);
}

}  // namespace onnxrt::kernels::ml
