// AVX2 versions of the nn microkernels (ukernels.h), for CPUs without AVX-512 (Zen 2/3, most
// client and many cloud x86 parts). Without them every GEMM tile of a FusedConv or FusedMatMul
// went through the portable epilogue: on small_cnn (AVX2 EPYC) half of the run was that loop.
#include <immintrin.h>

#include "kernels/ukernels/nn/ukernels.h"

namespace onnxrt::kernels::ukernels {

namespace {

inline __m256i tail_mask(int64_t n) {
  const __m256i idx = _mm256_setr_epi32(0, 1, 2, 3, 4, 5, 6, 7);
  return _mm256_cmpgt_epi32(_mm256_set1_epi32(static_cast<int>(n < 8 ? n : 8)), idx);
}

// Operand order as in the AVX-512 kernel (max(v, bound)): a NaN comes out as the bound there too.
template <EpiAct A>
inline __m256 act_v(__m256 v, __m256 p0, __m256 p1) {
  const __m256 zero = _mm256_setzero_ps(), one = _mm256_set1_ps(1.f);
  if constexpr (A == EpiAct::kRelu) return _mm256_max_ps(v, zero);
  if constexpr (A == EpiAct::kClamp) return _mm256_min_ps(_mm256_max_ps(v, p0), p1);
  if constexpr (A == EpiAct::kLeakyRelu)
    return _mm256_blendv_ps(v, _mm256_mul_ps(v, p0), _mm256_cmp_ps(v, zero, _CMP_LT_OQ));
  if constexpr (A == EpiAct::kHardSigmoid)
    return _mm256_min_ps(_mm256_max_ps(_mm256_fmadd_ps(v, p0, p1), zero), one);
  if constexpr (A == EpiAct::kHardSwish) {
    const __m256 h = _mm256_fmadd_ps(v, _mm256_set1_ps(1.f / 6.f), _mm256_set1_ps(0.5f));
    return _mm256_mul_ps(v, _mm256_min_ps(_mm256_max_ps(h, zero), one));
  }
  return v;
}

template <EpiAct A>
inline __m256 epilogue_vec(const EpilogueArgs& a, __m256 v, __m256 rb, const float* zr, int64_t c,
                           __m256 p0, __m256 p1) {
  v = _mm256_add_ps(v, rb);
  if (a.col_bias) v = _mm256_add_ps(v, _mm256_loadu_ps(a.col_bias + c));
  if (zr) v = _mm256_add_ps(v, _mm256_loadu_ps(zr + c));
  return act_v<A>(v, p0, p1);
}

template <EpiAct A>
void epilogue_impl(const EpilogueArgs& a, float* y, int64_t ldy, int64_t rows, int64_t cols) {
  const __m256 p0 = _mm256_set1_ps(a.p0), p1 = _mm256_set1_ps(a.p1);
  for (int64_t r = 0; r < rows; ++r) {
    float* yr = y + r * ldy;
    const __m256 rb = _mm256_set1_ps(a.row_bias ? a.row_bias[r] : 0.f);
    const float* zr = a.z ? a.z + r * a.ldz : nullptr;
    int64_t c = 0;
    for (; c + 8 <= cols; c += 8)
      _mm256_storeu_ps(yr + c, epilogue_vec<A>(a, _mm256_loadu_ps(yr + c), rb, zr, c, p0, p1));
    if (c < cols) {  // masked loads: nothing past the last column is read or written
      const __m256i m = tail_mask(cols - c);
      __m256 v = _mm256_add_ps(_mm256_maskload_ps(yr + c, m), rb);
      if (a.col_bias) v = _mm256_add_ps(v, _mm256_maskload_ps(a.col_bias + c, m));
      if (zr) v = _mm256_add_ps(v, _mm256_maskload_ps(zr + c, m));
      _mm256_maskstore_ps(yr + c, m, act_v<A>(v, p0, p1));
    }
  }
}

}  // namespace

void epilogue_f32_avx2(const EpilogueArgs& a, float* y, int64_t ldy, int64_t rows, int64_t cols) {
  switch (a.act) {
    case EpiAct::kNone: return epilogue_impl<EpiAct::kNone>(a, y, ldy, rows, cols);
    case EpiAct::kRelu: return epilogue_impl<EpiAct::kRelu>(a, y, ldy, rows, cols);
    case EpiAct::kClamp: return epilogue_impl<EpiAct::kClamp>(a, y, ldy, rows, cols);
    case EpiAct::kLeakyRelu: return epilogue_impl<EpiAct::kLeakyRelu>(a, y, ldy, rows, cols);
    case EpiAct::kHardSigmoid: return epilogue_impl<EpiAct::kHardSigmoid>(a, y, ldy, rows, cols);
    case EpiAct::kHardSwish: return epilogue_impl<EpiAct::kHardSwish>(a, y, ldy, rows, cols);
  }
}

}  // namespace onnxrt::kernels::ukernels
