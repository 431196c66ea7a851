// AVX2 Winograd transforms (winograd_impl.h): the 16 channel lanes as two ymm registers, so each
// 1-D transform step is twice the vector adds and FMAs of the AVX-512 build. The partial store of
// the last channel block goes through a buffer: masked stores are microcoded on AMD cores.
#include <immintrin.h>

#include <cstring>

#include "kernels/ukernels/nn/winograd_impl.h"

namespace onnxrt::kernels::ukernels {

namespace {

struct Avx2Vec {
  struct T {
    __m256 lo, hi;
  };
  static T load(const float* p) { return {_mm256_loadu_ps(p), _mm256_loadu_ps(p + 8)}; }
  static T zero() { return {_mm256_setzero_ps(), _mm256_setzero_ps()}; }
  static void store_full(float* p, T a) {
    _mm256_storeu_ps(p, a.lo);
    _mm256_storeu_ps(p + 8, a.hi);
  }
  static void store(float* p, T a, int64_t lanes) {
    if (lanes >= kWinogradLanes) return store_full(p, a);
    alignas(32) float tmp[kWinogradLanes];
    _mm256_store_ps(tmp, a.lo);
    _mm256_store_ps(tmp + 8, a.hi);
    std::memcpy(p, tmp, static_cast<size_t>(lanes) * sizeof(float));
  }
  static T add(T a, T b) { return {_mm256_add_ps(a.lo, b.lo), _mm256_add_ps(a.hi, b.hi)}; }
  static T sub(T a, T b) { return {_mm256_sub_ps(a.lo, b.lo), _mm256_sub_ps(a.hi, b.hi)}; }
  static T fma(T a, float c, T b) {
    const __m256 vc = _mm256_set1_ps(c);
    return {_mm256_fmadd_ps(a.lo, vc, b.lo), _mm256_fmadd_ps(a.hi, vc, b.hi)};
  }
};

}  // namespace

void winograd_input_f32_avx2(const WinogradInputArgs& a) { wino_impl::input_dispatch<Avx2Vec>(a); }
void winograd_output_f32_avx2(const WinogradOutputArgs& a) { wino_impl::output_dispatch<Avx2Vec>(a); }

}  // namespace onnxrt::kernels::ukernels
