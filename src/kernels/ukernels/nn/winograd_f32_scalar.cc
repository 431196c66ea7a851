// Portable Winograd transforms (winograd_impl.h) on 16-float arrays; also the CPUID dispatch.
#include <algorithm>
#include <cstring>

#include "base/cpu_features.h"
#include "kernels/ukernels/nn/winograd_impl.h"

namespace onnxrt::kernels::ukernels {

namespace {

struct ScalarVec {
  struct T {
    float v[kWinogradLanes];
  };
  static T load(const float* p) {
    T r;
    std::memcpy(r.v, p, sizeof(r.v));
    return r;
  }
  static T zero() { return T{}; }
  static void store(float* p, const T& a, int64_t lanes) {
    std::memcpy(p, a.v, static_cast<size_t>(lanes) * sizeof(float));
  }
  static void store_full(float* p, const T& a) { std::memcpy(p, a.v, sizeof(a.v)); }
  static T add(const T& a, const T& b) {
    T r;
    for (int64_t i = 0; i < kWinogradLanes; ++i) r.v[i] = a.v[i] + b.v[i];
    return r;
  }
  static T sub(const T& a, const T& b) {
    T r;
    for (int64_t i = 0; i < kWinogradLanes; ++i) r.v[i] = a.v[i] - b.v[i];
    return r;
  }
  // a * c + b
  static T fma(const T& a, float c, const T& b) {
    T r;
    for (int64_t i = 0; i < kWinogradLanes; ++i) r.v[i] = a.v[i] * c + b.v[i];
    return r;
  }
};

}  // namespace

void winograd_input_f32_scalar(const WinogradInputArgs& a) { wino_impl::input_dispatch<ScalarVec>(a); }
void winograd_output_f32_scalar(const WinogradOutputArgs& a) { wino_impl::output_dispatch<ScalarVec>(a); }

WinogradInputFn winograd_input_f32_ukernel() {
  static const WinogradInputFn fn = cpu_features().has_avx512()     ? &winograd_input_f32_avx512
                                    : cpu_features().has_avx2_fma() ? &winograd_input_f32_avx2
                                                                    : &winograd_input_f32_scalar;
  return fn;
}

WinogradOutputFn winograd_output_f32_ukernel() {
  static const WinogradOutputFn fn = cpu_features().has_avx512()     ? &winograd_output_f32_avx512
                                     : cpu_features().has_avx2_fma() ? &winograd_output_f32_avx2
                                                                     : &winograd_output_f32_scalar;
  return fn;
}

}  // namespace onnxrt::kernels::ukernels
