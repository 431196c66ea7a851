// AVX-512 Winograd transforms (winograd_impl.h): one zmm register per 16 channel lanes, so every
// 1-D transform step is a handful of vector adds and FMAs; the partial store of the last channel
// block is one masked store.
#include <immintrin.h>

#include "kernels/ukernels/nn/winograd_impl.h"

namespace onnxrt::kernels::ukernels {

namespace {

struct Avx512Vec {
  using T = __m512;
  static T load(const float* p) { return _mm512_loadu_ps(p); }
  static T zero() { return _mm512_setzero_ps(); }
  static void store(float* p, T a, int64_t lanes) {
    if (lanes >= kWinogradLanes) {
      _mm512_storeu_ps(p, a);
    } else {
      _mm512_mask_storeu_ps(p, static_cast<__mmask16>((1u << lanes) - 1u), a);
    }
  }
  static void store_full(float* p, T a) { _mm512_storeu_ps(p, a); }
  static T add(T a, T b) { return _mm512_add_ps(a, b); }
  static T sub(T a, T b) { return _mm512_sub_ps(a, b); }
  static T fma(T a, float c, T b) { return _mm512_fmadd_ps(a, _mm512_set1_ps(c), b); }
};

}  // namespace

void winograd_input_f32_avx512(const WinogradInputArgs& a) { wino_impl::input_dispatch<Avx512Vec>(a); }
void winograd_output_f32_avx512(const WinogradOutputArgs& a) { wino_impl::output_dispatch<Avx512Vec>(a); }

}  // namespace onnxrt::kernels::ukernels
