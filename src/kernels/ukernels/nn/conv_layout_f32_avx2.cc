// Layout moves around the convolution GEMMs for AVX2 (see ukernels.h): the stride-2 copy of
// im2col rows, im2col runs straight into B panels, and the pixel-row GEMM's transposed store (a result tile of up to 8 pixels x 16
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

namespace {

// 8 outputs src[0], src[s], ... (s = 1 or 2) of which the first n (1..8) are read; lanes past n
// are garbage.
template <int S>
inline __m256 load_run(const float* src, int64_t n) {
  if constexpr (S == 1) {
    return n >= 8 ? _mm256_loadu_ps(src) : _mm256_maskload_ps(src, tail_mask(n));
  } else {
    // Outputs t < n read src[2t]: the low vector holds t < 4, the high one t = 4..7, of which the
    // last needed float is src[2(n-1)] (lane 2n - 10 of the high vector).
    const __m256 lo = n > 4 ? _mm256_loadu_ps(src) : _mm256_maskload_ps(src, tail_mask(2 * n - 1));
    const __m256 hi = n > 4 ? _mm256_maskload_ps(src + 8, tail_mask(2 * n - 9)) : _mm256_setzero_ps();
    return in_order(even_of(lo, hi));
  }
}

// Rows outer, panels inner: each im2col row's stretch of X is read front to back (X is the large
// operand, streamed from L3 or memory, and 256 rows read a panel's width at a time were 256
// streams the prefetchers did not follow), and each row writes one 64-byte line per panel into
// the B block, which stays in L2. Panels outer took 12-17% of a 512 -> 512 stride-2 Conv1d's and
// a 144 -> 144 3x3 stride-2 conv's run (perf).
template <int S>
void im2col_panels(const Im2colPanelsArgs& a) {
  for (int64_t r = 0; r < a.kc; ++r) {
    const float* row = a.rows[r];
    float* out = a.out + r * a.nr;
    const Im2colRun* u = a.runs;
    const Im2colRun* end = a.runs + a.panel_runs[a.panels];
    for (; u != end; ++u) {
      const float* src = row + u->src;
      float* dst = out + u->dst;
      int64_t t = 0;
      for (; t + 8 <= u->len; t += 8) _mm256_storeu_ps(dst + t, load_run<S>(src + t * S, 8));
      if (t == u->len) continue;
      // A short tail's whole-vector store runs into the next run of the row or the next row of the
      // panel, written after it; past the last row lies the next panel's first row, written
      // before it, so there the tail is stored masked (masked stores everywhere cost the gain).
      const __m256 v = load_run<S>(src + t * S, u->len - t);
      if (r + 1 < a.kc) _mm256_storeu_ps(dst + t, v);
      else _mm256_maskstore_ps(dst + t, tail_mask(u->len - t), v);
    }
  }
}

}  // namespace

void im2col_panels_f32_avx2(const Im2colPanelsArgs& a) {
  if (a.stride == 1) return im2col_panels<1>(a);
  im2col_panels<2>(a);
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
