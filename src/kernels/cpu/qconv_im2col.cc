#include "kernels/cpu/qconv_im2col.h"

#include <algorithm>
#include <cstring>

#ifdef __SSE2__
#include <immintrin.h>
#endif

namespace onnxrt::kernels {
namespace {

// One output row of a 2-D window tap: out_w pixels from input row `row` (null: in the padding).
// The pixels whose input lies in the row, [lo, hi), are copied without bounds checks (at stride 2,
// 16 at a time); a check per byte made im2col a quarter of a strided QLinearConv chain's run.
void tap_row(const uint8_t* row, int64_t in_w, int64_t out_w, int64_t stride, int64_t start, uint8_t pad,
             uint8_t* dst) {
  if (!row) {
    std::memset(dst, pad, static_cast<size_t>(out_w));
    return;
  }
  const int64_t lo = std::min(out_w, start >= 0 ? 0 : (-start + stride - 1) / stride);
  const int64_t hi = std::clamp(start < in_w ? (in_w - 1 - start) / stride + 1 : 0, lo, out_w);
  std::memset(dst, pad, static_cast<size_t>(lo));
  int64_t o = lo;
#ifdef __SSE2__
  if (stride == 2) {
    // The even bytes of 32 input bytes: each 16-bit lane's low byte, packed. Only while all 32
    // lie inside the row.
    const __m128i low = _mm_set1_epi16(0x00FF);
    for (; o + 16 <= hi && start + 2 * o + 32 <= in_w; o += 16) {
      const uint8_t* s = row + start + 2 * o;
      const __m128i a = _mm_and_si128(_mm_loadu_si128(reinterpret_cast<const __m128i*>(s)), low);
      const __m128i b = _mm_and_si128(_mm_loadu_si128(reinterpret_cast<const __m128i*>(s + 16)), low);
      _mm_storeu_si128(reinterpret_cast<__m128i*>(dst + o), _mm_packus_epi16(a, b));
    }
  }
#endif
  for (; o < hi; ++o) dst[o] = row[start + o * stride];
  std::memset(dst + hi, pad, static_cast<size_t>(out_w - hi));
}

void im2col_2d(const QconvGeometry& g, int64_t p0, int64_t p1, int64_t c0, int64_t c1, const uint8_t* x, uint8_t pad,
               uint8_t* dst) {
  const int64_t ih_n = g.in[0], iw_n = g.in[1], ow_n = g.out[1].out, width = p1 - p0;
  dst += c0 * g.window * width;
  for (int64_t c = c0; c < c1; ++c) {
    const uint8_t* plane = x + c * g.in_pixels;
    for (int64_t kh = 0; kh < g.kernel[0]; ++kh) {
      for (int64_t kw = 0; kw < g.kernel[1]; ++kw, dst += width) {
        // Output rows, each cut to [p0, p1).
        for (int64_t oh = p0 / ow_n; oh * ow_n < p1; ++oh) {
          const int64_t ow0 = std::max<int64_t>(p0 - oh * ow_n, 0), ow1 = std::min(p1 - oh * ow_n, ow_n);
          const int64_t ih = oh * g.strides[0] - g.out[0].pad_begin + kh * g.dilations[0];
          const uint8_t* row = ih >= 0 && ih < ih_n ? plane + ih * iw_n : nullptr;
          const int64_t start = kw * g.dilations[1] - g.out[1].pad_begin + ow0 * g.strides[1];
          uint8_t* d = dst + (oh * ow_n + ow0 - p0);  // the pixel's index within the block
          // Stride 1 without padding in this segment: one copy.
          if (row && g.strides[1] == 1 && start >= 0 && start + (ow1 - ow0) <= iw_n) {
            std::memcpy(d, row + start, static_cast<size_t>(ow1 - ow0));
          } else {
            tap_row(row, iw_n, ow1 - ow0, g.strides[1], start, pad, d);
          }
        }
      }
    }
  }
}

// Any rank: odometers over the window and the output positions.
void im2col_nd(const QconvGeometry& g, int64_t p0, int64_t p1, int64_t c0, int64_t c1, const uint8_t* x, uint8_t pad,
               uint8_t* dst) {
  const size_t r = g.in.size();
  std::vector<int64_t> kpos(r), opos(r);
  dst += c0 * g.window * (p1 - p0);
  for (int64_t c = c0; c < c1; ++c) {
    for (int64_t k = 0; k < g.window; ++k, dst += p1 - p0) {
      int64_t kr = k;
      for (size_t d = r; d-- > 0;) {
        kpos[d] = kr % g.kernel[d];
        kr /= g.kernel[d];
      }
      for (int64_t o = p0; o < p1; ++o) {
        int64_t orr = o, off = 0;
        bool inside = true;
        for (size_t d = r; d-- > 0;) {
          opos[d] = orr % g.out[d].out;
          orr /= g.out[d].out;
        }
        for (size_t d = 0; d < r && inside; ++d) {
          const int64_t p = opos[d] * g.strides[d] - g.out[d].pad_begin + kpos[d] * g.dilations[d];
          inside = p >= 0 && p < g.in[d];
          off = off * g.in[d] + p;
        }
        dst[o - p0] = inside ? x[c * g.in_pixels + off] : pad;
      }
    }
  }
}

}  // namespace

void qconv_im2col(const QconvGeometry& g, int64_t p0, int64_t p1, int64_t c0, int64_t c1, const uint8_t* x,
                  uint8_t pad_byte, uint8_t* dst) {
  if (g.in.size() == 2) {
    im2col_2d(g, p0, p1, c0, c1, x, pad_byte, dst);
  } else {
    im2col_nd(g, p0, p1, c0, c1, x, pad_byte, dst);
  }
}

}  // namespace onnxrt::kernels
