// The Winograd F(2x2,3x3) and F(4x4,3x3) input and output transforms over 16 channel lanes,
// written once against a small vector policy `V` (load / store / add / sub / multiply-add by a
// constant) and instantiated by winograd_f32_scalar.cc, winograd_f32_avx2.cc and winograd_f32_avx512.cc. Only those
// files include this header.
//
// Both transforms are separable (B^T d B, A^T m A): a 1-D transform over every row, then over
// every column. The 1-D forms below are the rows of B^T and A^T for the interpolation points
// (0, 1, -1, inf) for F(2,3) and (0, 1, -1, 2, -2, inf) for F(4,3), factored so that shared
// sums are computed once (15 adds/multiply-adds per 1-D F(4,3) input transform instead of 36).
#pragma once

#include <cstdint>

#include "kernels/ukernels/nn/winograd.h"

namespace onnxrt::kernels::ukernels::wino_impl {

// out[i*os] = (B^T d)[i] for d[j*ds], alpha = 6.
template <class V>
inline void in1d_f4(const typename V::T* d, int64_t ds, typename V::T* out, int64_t os) {
  using T = typename V::T;
  const T d0 = d[0], d1 = d[ds], d2 = d[2 * ds], d3 = d[3 * ds], d4 = d[4 * ds], d5 = d[5 * ds];
  const T s12 = V::add(d1, d2), s34 = V::add(d3, d4);
  const T t12 = V::sub(d1, d2), t43 = V::sub(d4, d3);
  const T t42 = V::sub(d4, d2), t31 = V::sub(d3, d1);
  out[0] = V::fma(d2, -5.f, V::fma(d0, 4.f, d4));         // 4 d0 - 5 d2 + d4
  out[os] = V::fma(s12, -4.f, s34);                        // -4 (d1 + d2) + d3 + d4
  out[2 * os] = V::fma(t12, 4.f, t43);                     // 4 (d1 - d2) + d4 - d3
  out[3 * os] = V::fma(t31, 2.f, t42);                     // 2 (d3 - d1) + d4 - d2
  out[4 * os] = V::fma(t31, -2.f, t42);                    // -2 (d3 - d1) + d4 - d2
  out[5 * os] = V::fma(d3, -5.f, V::fma(d1, 4.f, d5));     // 4 d1 - 5 d3 + d5
}

// out[i*os] = (A^T m)[i] for m[j*ms], alpha = 6, 4 outputs.
template <class V>
inline void out1d_f4(const typename V::T* m, int64_t ms, typename V::T* out, int64_t os) {
  using T = typename V::T;
  const T m0 = m[0], m1 = m[ms], m2 = m[2 * ms], m3 = m[3 * ms], m4 = m[4 * ms], m5 = m[5 * ms];
  const T s12 = V::add(m1, m2), s34 = V::add(m3, m4);
  const T t12 = V::sub(m1, m2), t34 = V::sub(m3, m4);
  out[0] = V::add(V::add(m0, s12), s34);
  out[os] = V::fma(t34, 2.f, t12);
  out[2 * os] = V::fma(s34, 4.f, s12);
  out[3 * os] = V::add(V::fma(t34, 8.f, t12), m5);
}

template <class V>
inline void in1d_f2(const typename V::T* d, int64_t ds, typename V::T* out, int64_t os) {
  const auto d0 = d[0], d1 = d[ds], d2 = d[2 * ds], d3 = d[3 * ds];
  out[0] = V::sub(d0, d2);
  out[os] = V::add(d1, d2);
  out[2 * os] = V::sub(d2, d1);
  out[3 * os] = V::sub(d1, d3);
}

template <class V>
inline void out1d_f2(const typename V::T* m, int64_t ms, typename V::T* out, int64_t os) {
  const auto m0 = m[0], m1 = m[ms], m2 = m[2 * ms], m3 = m[3 * ms];
  out[0] = V::add(V::add(m0, m1), m2);
  out[os] = V::sub(V::sub(m1, m2), m3);
}

template <class V, int kTile>
void input_transform(const WinogradInputArgs& a) {
  using T = typename V::T;
  constexpr int kA = kTile + 2;
  for (int64_t tx = 0; tx < a.tiles; ++tx) {
    T d[kA][kA], t[kA][kA];
    for (int r = 0; r < kA; ++r)
      for (int j = 0; j < kA; ++j) d[r][j] = V::load(a.buf + r * a.buf_row_stride + (tx * kTile + j) * kWinogradLanes);
    // Rows (d B), then columns (B^T t).
    for (int r = 0; r < kA; ++r) {
      if constexpr (kTile == 4) in1d_f4<V>(d[r], 1, t[r], 1);
      else in1d_f2<V>(d[r], 1, t[r], 1);
    }
    for (int j = 0; j < kA; ++j) {
      if constexpr (kTile == 4) in1d_f4<V>(&t[0][j], kA, &d[0][j], kA);
      else in1d_f2<V>(&t[0][j], kA, &d[0][j], kA);
    }
    float* v = a.v + tx * a.v_tile_stride;
    for (int i = 0; i < kA; ++i)
      for (int j = 0; j < kA; ++j) V::store(v + (i * kA + j) * a.v_xi_stride, d[i][j], a.lanes);
  }
}

template <class V, int kTile>
void output_transform(const WinogradOutputArgs& a) {
  using T = typename V::T;
  constexpr int kA = kTile + 2;
  const T bias = a.bias ? V::load(a.bias) : V::zero();
  for (int64_t tx = 0; tx < a.tiles; ++tx) {
    T m[kA][kA], t[kTile][kA], o[kTile][kTile];
    const float* src = a.m + tx * a.m_tile_stride;
    for (int i = 0; i < kA; ++i)
      for (int j = 0; j < kA; ++j) m[i][j] = V::load(src + (i * kA + j) * a.m_xi_stride);
    // Columns (A^T m), then rows (t A).
    for (int j = 0; j < kA; ++j) {
      if constexpr (kTile == 4) out1d_f4<V>(&m[0][j], kA, &t[0][j], kA);
      else out1d_f2<V>(&m[0][j], kA, &t[0][j], kA);
    }
    for (int i = 0; i < kTile; ++i) {
      if constexpr (kTile == 4) out1d_f4<V>(t[i], 1, o[i], 1);
      else out1d_f2<V>(t[i], 1, o[i], 1);
    }
    for (int i = 0; i < kTile; ++i)
      for (int j = 0; j < kTile; ++j)
        V::store_full(a.out + i * a.out_row_stride + (tx * kTile + j) * kWinogradLanes, V::add(o[i][j], bias));
  }
}

template <class V>
void input_dispatch(const WinogradInputArgs& a) {
  if (a.tile == 4) input_transform<V, 4>(a);
  else input_transform<V, 2>(a);
}

template <class V>
void output_dispatch(const WinogradOutputArgs& a) {
  if (a.tile == 4) output_transform<V, 4>(a);
  else output_transform<V, 2>(a);
}

}  // namespace onnxrt::kernels::ukernels::wino_impl
