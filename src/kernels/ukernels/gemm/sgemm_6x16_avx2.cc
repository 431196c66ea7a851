// AVX2+FMA microkernel: a 6x16 tile is 12 ymm accumulators + 2 B vectors + 1 broadcast of the
// 16 registers. The right edge uses maskload/maskstore so an unpacked B is never over-read.
// The float16-B variant widens each 8 values with F16C's vcvtph2ps as it loads them (bfloat16: a
// zero-extend and a 16-bit shift); its panels are packed and zero-padded, so it reads all 16
// columns at the edge too.
#include <immintrin.h>

#include <type_traits>

#include "kernels/ukernels/gemm/sgemm.h"

namespace onnxrt::kernels::ukernels {
namespace {

constexpr int kMr = 6;
constexpr int kNr = 16;

inline __m256i lane_mask(int64_t valid) {
  const __m256i idx = _mm256_setr_epi32(0, 1, 2, 3, 4, 5, 6, 7);
  return _mm256_cmpgt_epi32(_mm256_set1_epi32(static_cast<int>(valid)), idx);
}

template <bool kBf16>
inline __m256 load8(const float* b) {
  return _mm256_loadu_ps(b);
}
template <bool kBf16>
inline __m256 load8(const uint16_t* b) {
  const __m128i h = _mm_loadu_si128(reinterpret_cast<const __m128i*>(b));
  if constexpr (kBf16) return _mm256_castsi256_ps(_mm256_slli_epi32(_mm256_cvtepu16_epi32(h), 16));
  return _mm256_cvtph_ps(h);
}

template <int MR, typename BT, bool kBf16 = false>
void tile(int64_t n, int64_t K, const float* a, const BT* b, int64_t ldb, float* c,
          int64_t ldc, float alpha, float beta) {
  const __m256i m0 = lane_mask(n < 8 ? n : 8);
  const __m256i m1 = lane_mask(n > 8 ? n - 8 : 0);
  __m256 acc0[MR];
  __m256 acc1[MR];
#pragma GCC unroll 8
  for (int i = 0; i < MR; ++i) acc0[i] = acc1[i] = _mm256_setzero_ps();
  if (n == kNr || std::is_same_v<BT, uint16_t>) {
#pragma GCC unroll 2
    for (int64_t k = 0; k < K; ++k) {
      const __m256 b0 = load8<kBf16>(b);
      const __m256 b1 = load8<kBf16>(b + 8);
#pragma GCC unroll 8
      for (int i = 0; i < MR; ++i) {
        const __m256 ai = _mm256_broadcast_ss(a + i);
        acc0[i] = _mm256_fmadd_ps(ai, b0, acc0[i]);
        acc1[i] = _mm256_fmadd_ps(ai, b1, acc1[i]);
      }
      a += MR;
      b += ldb;
    }
  } else {
    for (int64_t k = 0; k < K; ++k) {
      const __m256 b0 = _mm256_maskload_ps(reinterpret_cast<const float*>(b), m0);
      const __m256 b1 = _mm256_maskload_ps(reinterpret_cast<const float*>(b) + 8, m1);
#pragma GCC unroll 8
      for (int i = 0; i < MR; ++i) {
        const __m256 ai = _mm256_broadcast_ss(a + i);
        acc0[i] = _mm256_fmadd_ps(ai, b0, acc0[i]);
        acc1[i] = _mm256_fmadd_ps(ai, b1, acc1[i]);
      }
      a += MR;
      b += ldb;
    }
  }
  const __m256 va = _mm256_set1_ps(alpha);
  if (n == kNr) {
    // Full width: plain loads and stores. vmaskmovps stores are microcoded on AMD cores (Zen 2/3:
    // one per ~12 cycles), and 12 of them per tile and K block cost ~20% of the GEMM there.
    if (beta == 0.f) {
#pragma GCC unroll 8
      for (int i = 0; i < MR; ++i) {
        _mm256_storeu_ps(c + i * ldc, _mm256_mul_ps(va, acc0[i]));
        _mm256_storeu_ps(c + i * ldc + 8, _mm256_mul_ps(va, acc1[i]));
      }
    } else {
      const __m256 vb = _mm256_set1_ps(beta);
#pragma GCC unroll 8
      for (int i = 0; i < MR; ++i) {
        float* ci = c + i * ldc;
        _mm256_storeu_ps(ci, _mm256_fmadd_ps(va, acc0[i], _mm256_mul_ps(vb, _mm256_loadu_ps(ci))));
        _mm256_storeu_ps(ci + 8, _mm256_fmadd_ps(va, acc1[i], _mm256_mul_ps(vb, _mm256_loadu_ps(ci + 8))));
      }
    }
    return;
  }
  if (beta == 0.f) {
#pragma GCC unroll 8
    for (int i = 0; i < MR; ++i) {
      _mm256_maskstore_ps(c + i * ldc, m0, _mm256_mul_ps(va, acc0[i]));
      _mm256_maskstore_ps(c + i * ldc + 8, m1, _mm256_mul_ps(va, acc1[i]));
    }
  } else {
    const __m256 vb = _mm256_set1_ps(beta);
#pragma GCC unroll 8
    for (int i = 0; i < MR; ++i) {
      float* ci = c + i * ldc;
      const __m256 c0 = _mm256_mul_ps(vb, _mm256_maskload_ps(ci, m0));
      const __m256 c1 = _mm256_mul_ps(vb, _mm256_maskload_ps(ci + 8, m1));
      _mm256_maskstore_ps(ci, m0, _mm256_fmadd_ps(va, acc0[i], c0));
      _mm256_maskstore_ps(ci + 8, m1, _mm256_fmadd_ps(va, acc1[i], c1));
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
    case 4: return tile<4, BT, kBf16>(n, k, a, b, ldb, c, ldc, alpha, beta);
    case 5: return tile<5, BT, kBf16>(n, k, a, b, ldb, c, ldc, alpha, beta);
    default: return tile<6, BT, kBf16>(n, k, a, b, ldb, c, ldc, alpha, beta);
  }
}

}  // namespace

SgemmUkernel sgemm_ukernel_avx2() {
  return {kMr, kNr, &ukernel<float>, "sgemm_6x16_avx2", &ukernel<uint16_t>, &ukernel<uint16_t, true>};
}

}  // namespace onnxrt::kernels::ukernels
