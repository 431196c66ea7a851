// Scalar microkernels on the channel-blocked layout (blocked.h), written like their definitions:
// the fallback on CPUs without AVX2 and the loops the vector kernels are tested against.
#include "base/cpu_features.h"
#include "kernels/ukernels/nn/blocked.h"

namespace onnxrt::kernels::ukernels {

namespace {

inline float finish(float v, bool clamp, float lo, float hi) {
  if (!clamp) return v;
  v = v > lo ? v : lo;  // same results as the vector max/min pair, NaN included
  return v < hi ? v : hi;
}

}  // namespace

int blocked_pointwise_tile_pixels(int ob) { return ob == 1 ? 8 : ob == 2 ? 6 : 4; }

void blocked_pointwise_f32_scalar(const BlockedPointwiseArgs& a, int ob) {
  for (int b = 0; b < ob; ++b)
    for (int64_t p = 0; p < a.pixels; ++p)
      for (int j = 0; j < 8; ++j) {
        const int64_t at = b * a.y_block_stride + p * 8 + j;
        float acc = a.accumulate ? a.y[at] : 0.f;
        for (int64_t t = 0; t < a.taps; ++t) {
          const float* x = a.x + (a.tap_off ? a.tap_off[t] : 0);
          const float* w = a.w + t * a.w_tap_stride;
          for (int64_t k = 0; k < a.in_blocks * 8; ++k)
            acc += x[(k / 8) * a.x_block_stride + p * a.x_pixel_step * 8 + k % 8] * w[k * ob * 8 + b * 8 + j];
        }
        if (!a.finish) {
          a.y[at] = acc;
          continue;
        }
        float v = acc + (a.bias ? a.bias[b * 8 + j] : 0.f);
        if (a.z) v += a.z[at];
        a.y[at] = finish(v, a.clamp, a.lo, a.hi);
      }
}

void blocked_stem_f32_scalar(const BlockedStemArgs& a, int ob) {
  for (int b = 0; b < ob; ++b)
    for (int64_t p = 0; p < a.pixels; ++p)
      for (int j = 0; j < 8; ++j) {
        float acc = 0.f;
        for (int64_t t = 0; t < a.taps; ++t)
          acc += a.x[a.tap_off[t] + p * a.x_pixel_step] * a.w[t * ob * 8 + b * 8 + j];
        const float v = acc + (a.bias ? a.bias[b * 8 + j] : 0.f);
        a.y[b * a.y_block_stride + p * 8 + j] = finish(v, a.clamp, a.lo, a.hi);
      }
}

void blocked_depthwise_f32_scalar(const BlockedDepthwiseArgs& a) {
  const DwConv2dArgs& g = a.geom;
  for (int64_t oh = a.oh0; oh < a.oh1; ++oh)
    for (int64_t ow = 0; ow < g.OW; ++ow)
      for (int j = 0; j < 8; ++j) {
        float acc = a.bias ? a.bias[j] : 0.f;
        for (int64_t kh = 0; kh < g.KH; ++kh) {
          const int64_t ih = oh * g.sh - g.ph + kh * g.dh;
          if (ih < 0 || ih >= g.H) continue;
          for (int64_t kw = 0; kw < g.KW; ++kw) {
            const int64_t iw = ow * g.sw - g.pw + kw * g.dw;
            if (iw < 0 || iw >= g.W) continue;
            acc += a.x[(ih * g.W + iw) * 8 + j] * a.w[(kh * g.KW + kw) * 8 + j];
          }
        }
        const int64_t at = (oh * g.OW + ow) * 8 + j;
        if (a.z) acc += a.z[at];
        a.y[at] = finish(acc, g.clamp, g.lo, g.hi);
      }
}

void to_blocked_f32_scalar(const float* x, int64_t plane, int64_t p0, int64_t p1, float* y) {
  for (int64_t p = p0; p < p1; ++p)
    for (int j = 0; j < 8; ++j) y[p * 8 + j] = x[j * plane + p];
}

void from_blocked_f32_scalar(const float* x, int64_t p0, int64_t p1, float* y, int64_t plane) {
  for (int64_t p = p0; p < p1; ++p)
    for (int j = 0; j < 8; ++j) y[j * plane + p] = x[p * 8 + j];
}

const BlockedUkernels& blocked_ukernels() {
  static const BlockedUkernels k = cpu_features().has_avx2_fma()
      ? BlockedUkernels{&blocked_pointwise_f32_avx2, &blocked_stem_f32_avx2, &blocked_depthwise_f32_avx2,
                        &to_blocked_f32_avx2, &from_blocked_f32_avx2}
      : BlockedUkernels{&blocked_pointwise_f32_scalar, &blocked_stem_f32_scalar, &blocked_depthwise_f32_scalar,
                        &to_blocked_f32_scalar, &from_blocked_f32_scalar};
  return k;
}

}  // namespace onnxrt::kernels::ukernels
