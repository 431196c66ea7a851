// ConvTranspose on the CPU, float32: per (image, group) one GEMM and a col2im scatter-add.
//   col[Mg*ks, cols] = W_g^T * X_g[Cg, cols]   (W in ONNX layout [C, Mg, k...] is W_g[Cg, Mg*ks],
//                                                so the GEMM reads it transposed, no copy)
//   y[m, i*stride + k*dil - pad] += col[(m, k), i]
// Input columns are tiled so the col buffer stays bounded for large images. The scatter is
// split over output channels: each channel's rows write only that channel's plane, so threads
// never write the same element.
//
// When no two taps of a kernel reach the same output ((k - 1) * dilation < stride on every axis:
// a UNet decoder's 2x2 stride-2 upsampling), every output takes at most one product, so there is
// nothing to add up. Then the product is taken the other way round, one row per input pixel:
//   colT[pixels, Mg*ks] = X_g^T * W_g   (W_g [Cg, Mg*ks] as stored: prepacked once as B)
// and each finished block of it is stored into Y (plus bias) while still in cache, by the GEMM's
// epilogue. No col round trip through memory, no transposed read of W per run, no zero fill
// when the taps cover Y.
#include <algorithm>
#include <vector>

#ifdef __SSE2__
#include <immintrin.h>
#endif

#include "base/thread_pool.h"
#include "ir/attribute.h"
#include "ir/infer_image.h"
#include "kernels/cpu/gemm.h"
#include "kernels/cpu/image_common.h"

namespace onnxrt::kernels {

namespace {

constexpr int64_t kColBudgetFloats = int64_t{1} << 20;

// What the col2im of one column tile shares between its channels: every tap's kernel index
// (kernel_size x nd) and the tile's first pixel's index, worked out once per tile instead of
// with divisions per channel and tap (a DCGAN's one-pixel 100 -> 512 x 4x4 layer spent 66% of
// its run there).
struct Col2imTile {
  std::vector<int64_t> taps;  // tap kr's index on axis d at kr * nd + d
  std::vector<int64_t> first;  // index of pixel c0 on each axis
  // One input pixel whose taps are the output plane in order (no pads or dilation: a
  // generator's latent -> 4x4 layer).
  bool one_pixel_is_plane = true;
  Col2imTile(const ir::ConvTransposeGeom& g, int64_t c0) : taps(static_cast<size_t>(g.kernel_size) * g.in.size()),
                                                          first(g.in.size()) {
    const size_t nd = g.in.size();
    for (size_t d = 0; d < nd; ++d)
      one_pixel_is_plane = one_pixel_is_plane && g.in[d] == 1 && g.dil[d] == 1 && g.pad_begin[d] == 0 &&
                           g.out[d] == g.kernel[d];
    for (int64_t kr = 0; kr < g.kernel_size; ++kr) {
      int64_t r = kr;
      for (size_t d = nd; d-- > 0;) {
        taps[static_cast<size_t>(kr) * nd + d] = r % g.kernel[d];
        r /= g.kernel[d];
      }
    }
    for (size_t d = nd; d-- > 0;) {
      first[d] = c0 % g.in[d];
      c0 /= g.in[d];
    }
  }
};

// Adds col rows of output channel m (ks rows, each covering input columns [c0, c1)) into the
// channel's output plane y. i: work space of nd entries.
void col2im_channel(const ir::ConvTransposeGeom& g, const Col2imTile& tile, const float* col, int64_t width,
                    int64_t c0, int64_t c1, float* y, std::vector<int64_t>& i) {
  const size_t nd = g.in.size();
  const size_t L = nd - 1;
  if (tile.one_pixel_is_plane) {  // col's ks values are the plane, tap by tap
    for (int64_t kr = 0; kr < g.kernel_size; ++kr) y[kr] += col[kr];
    return;
  }
  i.resize(nd);
  for (int64_t kr = 0; kr < g.kernel_size; ++kr) {
    const int64_t* k = tile.taps.data() + static_cast<size_t>(kr) * nd;
    const float* src = col + kr * width;
    std::copy(tile.first.begin(), tile.first.end(), i.begin());
    int64_t j = c0;
    while (j < c1) {
      const int64_t run = std::min(g.in[L] - i[L], c1 - j);
      int64_t off = 0;
      bool valid = true;
      for (size_t d = 0; d < L; ++d) {
        const int64_t o = i[d] * g.stride[d] + k[d] * g.dil[d] - g.pad_begin[d];
        if (o < 0 || o >= g.out[d]) {
          valid = false;
          break;
        }
        off = off * g.out[d] + o;
      }
      if (valid) {
        float* row = y + off * g.out[L];
        const int64_t s = g.stride[L], n = g.out[L];
        const int64_t o0 = i[L] * s + k[L] * g.dil[L] - g.pad_begin[L];  // output of t = 0
        // Valid t in [0, run): 0 <= o0 + t*s < n. (No division at stride 1: with one pixel per
        // run, as in a generator's first layer, two divisions were most of a tap's cost.)
        int64_t lo = o0 >= 0 ? 0 : (s == 1 ? -o0 : (-o0 + s - 1) / s);
        int64_t hi = o0 < n ? (s == 1 ? n - o0 : (n - 1 - o0) / s + 1) : 0;
        lo = std::min(lo, run);
        hi = std::clamp(hi, lo, run);
        const float* sp = src + (j - c0);
        if (s == 1) {
          float* dst = row + o0;
          for (int64_t t = lo; t < hi; ++t) dst[t] += sp[t];
        } else {
          for (int64_t t = lo; t < hi; ++t) row[o0 + t * s] += sp[t];
        }
      }
      j += run;
      i[L] += run;
      for (size_t d = L; d > 0 && i[d] == g.in[d]; --d) {
        i[d] = 0;
        ++i[d - 1];
      }
    }
  }
}

// floor(a / 2) for any sign.
inline int64_t half_floor(int64_t a) { return a >= 0 ? a / 2 : -((-a + 1) / 2); }

// col2im_channel for stride 2 and dilation 1 on the last axis (a decoder's 3x3 or 4x4 stride-2
// ConvTranspose). Tap kw of pixel iw lands on output 2 * (iw + sh) + par, (sh, par) the floor
// half and parity of kw - pad. So per outer tap and input row, the taps are summed into two
// half rows (one per output parity) by contiguous shifted adds, and the half rows are
// interleaved into the output row in one pass: tap by tap, each was a scalar stride-2
// read-modify-write of the output row (16-29% of a run). `half` is the caller's buffer.
void col2im_channel_s2(const ir::ConvTransposeGeom& g, const Col2imTile& tile, const float* col, int64_t width,
                       int64_t c0, int64_t c1, float* y, std::vector<int64_t>& i, std::vector<float>& half) {
  const size_t nd = g.in.size(), L = nd - 1;
  const int64_t KL = g.kernel[L], pad = g.pad_begin[L], n = g.out[L];
  const int64_t sh_min = half_floor(-pad), sh_max = half_floor(KL - 1 - pad);
  half.resize(static_cast<size_t>(2 * (g.in[L] + sh_max - sh_min + 1)));
  i.resize(nd);
  for (int64_t ko = 0; ko < g.kernel_size / KL; ++ko) {
    const int64_t* k = tile.taps.data() + static_cast<size_t>(ko * KL) * nd;  // outer axes of tap ko * KL
    std::copy(tile.first.begin(), tile.first.end(), i.begin());
    for (int64_t j = c0; j < c1;) {
      const int64_t run = std::min(g.in[L] - i[L], c1 - j);
      int64_t off = 0;
      bool valid = true;
      for (size_t d = 0; d < L && valid; ++d) {
        const int64_t o = i[d] * g.stride[d] + k[d] * g.dil[d] - g.pad_begin[d];
        valid = o >= 0 && o < g.out[d];
        off = off * g.out[d] + o;
      }
      if (valid) {
        // Half rows h0 (even outputs), h1 (odd): entry e is output half-index q0 + e.
        const int64_t len = run + sh_max - sh_min, q0 = i[L] + sh_min;
        float* h0 = half.data();
        float* h1 = h0 + len;
        std::fill(h0, h0 + 2 * len, 0.0f);
        for (int64_t kw = 0; kw < KL; ++kw) {
          const int64_t sh = half_floor(kw - pad), par = kw - pad - 2 * sh;
          float* hp = (par ? h1 : h0) + (sh - sh_min);
          const float* sp = col + (ko * KL + kw) * width + (j - c0);
          for (int64_t t = 0; t < run; ++t) hp[t] += sp[t];
        }
        // Entries whose outputs 2q, 2q + 1 both lie in [0, n): e in [lo, hi).
        float* row = y + off * n;
        const int64_t lo = std::clamp(-q0, int64_t{0}, len), hi = std::clamp(half_floor(n - 2) - q0 + 1, lo, len);
        auto edge = [&](int64_t e) {
          const int64_t o = 2 * (q0 + e);
          if (o >= 0 && o < n) row[o] += h0[e];
          if (o + 1 >= 0 && o + 1 < n) row[o + 1] += h1[e];
        };
        for (int64_t e = 0; e < lo; ++e) edge(e);
        // Entry e's outputs are row[2 * (q0 + e)] and the next; q0 may be negative (a pad).
        int64_t e = lo;
#ifdef __SSE2__
        for (; e + 4 <= hi; e += 4) {
          const __m128 a = _mm_loadu_ps(h0 + e), b = _mm_loadu_ps(h1 + e);
          float* o = row + 2 * (q0 + e);
          _mm_storeu_ps(o, _mm_add_ps(_mm_loadu_ps(o), _mm_unpacklo_ps(a, b)));
          _mm_storeu_ps(o + 4, _mm_add_ps(_mm_loadu_ps(o + 4), _mm_unpackhi_ps(a, b)));
        }
#endif
        for (; e < hi; ++e) {
          row[2 * (q0 + e)] += h0[e];
          row[2 * (q0 + e) + 1] += h1[e];
        }
        for (e = std::max(hi, lo); e < len; ++e) edge(e);
      }
      j += run;
      i[L] += run;
      for (size_t d = L; d > 0 && i[d] == g.in[d]; --d) {
        i[d] = 0;
        ++i[d - 1];
      }
    }
  }
}

// Whether no two kernel taps reach the same output on any axis.
bool taps_disjoint(const std::vector<int64_t>& kernel, const std::vector<int64_t>& stride,
                   const std::vector<int64_t>& dil) {
  for (size_t d = 0; d < kernel.size(); ++d)
    if ((kernel[d] - 1) * dil[d] >= stride[d]) return false;
  return true;
}

// Whether every output has a tap (so Y needs no bias fill first): kernel == stride, dilation 1,
// and the output inside the span the input's taps reach.
bool taps_cover_output(const ir::ConvTransposeGeom& g) {
  for (size_t d = 0; d < g.in.size(); ++d)
    if (g.kernel[d] != g.stride[d] || g.dil[d] != 1 || g.pad_begin[d] < 0 ||
        g.out[d] + g.pad_begin[d] > g.in[d] * g.stride[d])
      return false;
  return true;
}

// Stores block [r0, r1) x [c0, c1) of colT (row r = input pixel pix0 + r, column (m, tap)) into
// its outputs, plus m's bias. Taps are disjoint, so each output is written once and blocks on
// different threads never meet. For each run of pixels along the last axis, output row by output
// row: the stores run front to back. The reads go down a column pair of colT, whose padded row
// length (run_disjoint_taps) keeps those rows in different L1 sets. Pixel by pixel instead, the
// stores went to a few dozen output rows whose planes lie a multiple of 4 KB apart, all in the
// same L1 sets: 34% of a 2x2 ConvTranspose's run.
void store_disjoint_taps(const ir::ConvTransposeGeom& g, const float* colT, int64_t ldc, int64_t pix0, int64_t r0,
                         int64_t r1, int64_t c0, int64_t c1, const float* bias, float* yg) {
  const size_t nd = g.in.size(), L = nd - 1;
  const int64_t KL = g.kernel[L], s = g.stride[L], dil = g.dil[L], pad = g.pad_begin[L], outL = g.out[L];
  // Segments: the block's columns of one (m, outer taps), last-axis taps kL0 .. kL0 + len - 1.
  struct Segment {
    int64_t col, len, kL0, plane;
    float bias;
    int64_t dst;  // per pixel run (live segments only): output index of pixel 0, tap kL0
    int64_t lo, hi;
  };
  std::vector<Segment> segs;
  std::vector<int64_t> kterm;  // per segment, per outer axis d: k_d * dil_d - pad_d
  for (int64_t c = c0; c < c1;) {
    const int64_t m = c / g.kernel_size, tap = c % g.kernel_size;
    const int64_t kL0 = tap % KL, len = std::min(c1 - c, KL - kL0);
    int64_t r = tap / KL;
    const size_t at = kterm.size();
    kterm.resize(at + L);
    for (size_t d = L; d-- > 0;) {
      kterm[at + d] = (r % g.kernel[d]) * g.dil[d] - g.pad_begin[d];
      r /= g.kernel[d];
    }
    segs.push_back({c - c0, len, kL0, m * g.out_size, bias ? bias[m] : 0.0f, -1, 0, 0});
    c += len;
  }
  std::vector<int64_t> i(nd);
  int64_t rem = pix0 + r0;
  for (size_t d = nd; d-- > 0;) {
    i[d] = rem % g.in[d];
    rem /= g.in[d];
  }
  std::vector<Segment*> live;
  for (int64_t p = r0; p < r1;) {
    // A run of pixels along the last axis: the same output row for each segment.
    const int64_t run = std::min(g.in[L] - i[L], r1 - p);
    live.clear();
    for (size_t q = 0; q < segs.size(); ++q) {
      Segment& sg = segs[q];
      int64_t off = 0;
      bool valid = true;
      for (size_t d = 0; d < L && valid; ++d) {
        const int64_t o = i[d] * g.stride[d] + kterm[q * L + d];
        valid = o >= 0 && o < g.out[d];
        off = off * g.out[d] + o;
      }
      if (!valid) continue;
      // Output of pixel j and tap t: o0 + j * s + t * dil, inside [0, outL) for j in [lo, hi).
      const int64_t o0 = i[L] * s + sg.kL0 * dil - pad, span = (sg.len - 1) * dil;
      sg.lo = std::min(run, o0 >= 0 ? 0 : (-o0 + s - 1) / s);
      sg.hi = std::clamp(o0 + span < outL ? (outL - 1 - o0 - span) / s + 1 : 0, sg.lo, run);
      sg.dst = sg.plane + off * outL + o0;
      live.push_back(&sg);
    }
    const float* src = colT + p * ldc + c0;
    for (const Segment* sg : live) {
      // One output row: contiguous for kernel == stride (len floats per pixel, side by side).
      // Locals, as stores through y could alias the segment for all the compiler knows.
      const float* v = src + sg->col;
      const int64_t len = sg->len, kL0 = sg->kL0, lo = sg->lo, hi = sg->hi, dst = sg->dst;
      const float bias_m = sg->bias;
      // Output of pixel j, tap t: yg[dst + j * s + t * dil]; dst itself may be before Y's start
      // (a pad), so it is only ever added to as an index.
      auto edge = [&](int64_t j) {
        for (int64_t t = 0; t < len; ++t) {
          const int64_t o = i[L] * s + (kL0 + t) * dil - pad + j * s;  // output column
          if (o >= 0 && o < outL) yg[dst + j * s + t * dil] = v[j * ldc + t] + bias_m;
        }
      };
      for (int64_t j = 0; j < lo; ++j) edge(j);
      if (len == 2 && dil == 1) {
        int64_t j = lo;
#ifdef __SSE2__
        if (s == 2) {  // kernel == stride == 2: two pixels' pairs make 4 contiguous outputs
          const __m128 b = _mm_set1_ps(bias_m);
          for (; j + 2 <= hi; j += 2) {
            __m128 pair = _mm_loadl_pi(_mm_setzero_ps(), reinterpret_cast<const __m64*>(v + j * ldc));
            pair = _mm_loadh_pi(pair, reinterpret_cast<const __m64*>(v + (j + 1) * ldc));
            _mm_storeu_ps(yg + (dst + j * 2), _mm_add_ps(pair, b));
          }
        }
#endif
        for (; j < hi; ++j) {
          yg[dst + j * s] = v[j * ldc] + bias_m;
          yg[dst + j * s + 1] = v[j * ldc + 1] + bias_m;
        }
      } else {
        for (int64_t j = lo; j < hi; ++j)
          for (int64_t t = 0; t < len; ++t) yg[dst + j * s + t * dil] = v[j * ldc + t] + bias_m;
      }
      for (int64_t j = hi; j < run; ++j) edge(j);
    }
    p += run;
    i[L] += run;
    for (size_t d = L; d > 0 && i[d] == g.in[d]; --d) {
      i[d] = 0;
      ++i[d - 1];
    }
  }
}

// colT's row length for `rows` columns: one cache line more than a whole number of lines, so
// that the epilogue's walk down a column pair visits every L1 set (rows of 128 floats, 512
// bytes apart, used only 8 of them).
int64_t disjoint_taps_ldc(int64_t rows) { return (rows + 15) / 16 * 16 + 16; }

// The disjoint-taps path for all images and groups. packed[gi] holds W_g [Cg, Mg*ks].
void run_disjoint_taps(const ir::ConvTransposeGeom& g, const float* xd, const std::vector<PackedB>& packed,
                       const float* bd, float* yd, float* colT, int64_t tile, ThreadPool& pool) {
  const int64_t ldc = disjoint_taps_ldc(g.Mg * g.kernel_size);
  for (int64_t n = 0; n < g.N; ++n) {
    for (int64_t gi = 0; gi < g.G; ++gi) {
      const float* xg = xd + (n * g.C + gi * g.Cg) * g.in_size;
      float* yg = yd + (n * g.M + gi * g.Mg) * g.out_size;
      const float* bg = bd ? bd + gi * g.Mg : nullptr;
      for (int64_t p0 = 0; p0 < g.in_size; p0 += tile) {
        const int64_t pixels = std::min(tile, g.in_size - p0);
        const GemmEpilogue store = [&](int64_t r0, int64_t r1, int64_t c0, int64_t c1) {
          store_disjoint_taps(g, colT, ldc, p0, r0, r1, c0, c1, bg, yg);
        };
        sgemm_packed_epilogue(true, pixels, 1.0f, xg + p0, g.in_size, packed[static_cast<size_t>(gi)], 0.0f, colT,
                              ldc, &pool, store);
      }
    }
  }
}

// How a constant W is prepared at creation (ConvTransposeKernel).
enum class WeightForm {
  kNone,       // W is not a constant: read as given each run
  kPackedB,    // W_g packed as the B of colT = X^T * W_g (disjoint taps, or few input pixels)
  kTransposed  // W_g^T [Mg*ks, Cg] kept for col = W_g^T * X (overlapping taps, many pixels)
};

class ConvTransposeKernel final : public Kernel {
 public:
  // packed: W_g per group (kPackedB); w_t: W_g^T per group, back to back (kTransposed). With
  // overlapping taps, col = W_g^T X packed all of W as A every run: a transposed read of W_g
  // (11-17% of a 4x4 stride-2 run), or with W_g^T kept, a copy of W (a DCGAN's 8 MB 512 -> 256
  // layer over 4x4 pixels: twice onnxruntime's time). When the input has fewer pixels than
  // channels, colT = X^T W_g with W_g packed once streams W once instead; its blocks are
  // transposed into col by the GEMM's epilogue.
  ConvTransposeKernel(WeightForm form, bool overlapping, std::vector<PackedB> packed, std::vector<float> w_t)
      : form_(form), overlapping_(overlapping), packed_(std::move(packed)), w_t_(std::move(w_t)) {}
  const char* variant() const override {
    if (form_ != WeightForm::kPackedB) return "sgemm_col2im";
    return overlapping_ ? "sgemm_t_col2im" : "sgemm_tap_store";
  }
  Status run(KernelContext& ctx) const override;

 private:
  WeightForm form_;
  bool overlapping_;  // taps overlap (for the variant name)
  std::vector<PackedB> packed_;
  std::vector<float> w_t_;
};

Status ConvTransposeKernel::run(KernelContext& ctx) const {
  const Tensor* x = ctx.input(0);
  const Tensor* w = ctx.num_inputs() > 1 ? ctx.input(1) : nullptr;
  const Tensor* b = ctx.num_inputs() > 2 ? ctx.input(2) : nullptr;
  Tensor* y = ctx.output(0);
  if (!x || !w || !y) return ctx.error("needs X, W and output Y");
  if (x->dtype() != DType::kFloat32 || w->dtype() != DType::kFloat32 ||
      (b && b->dtype() != DType::kFloat32) || y->dtype() != DType::kFloat32)
    return ctx.error("X, W, B and Y must be float32");
  auto gr = ir::convtranspose_geometry(ctx.node(), x->shape(), w->shape());
  if (!gr) return ctx.error(gr.status().message());
  const ir::ConvTransposeGeom& g = *gr;
  Shape expect{g.N, g.M};
  expect.insert(expect.end(), g.out.begin(), g.out.end());
  if (y->shape() != expect)
    return ctx.error("output Y has shape " + shape_to_string(y->shape()) + ", expected " +
                     shape_to_string(expect));
  if (b && b->size() != g.M)
    return ctx.error("B has " + std::to_string(b->size()) + " values, expected " + std::to_string(g.M));
  const float* xd = x->data<float>();
  const float* wd = w->data<float>();
  const float* bd = b ? b->data<float>() : nullptr;
  float* yd = y->data<float>();
  ThreadPool& pool = ctx.threads();
  const int64_t planes = g.N * g.M;
  const int64_t rows = g.Mg * g.kernel_size;
  const bool disjoint = taps_disjoint(g.kernel, g.stride, g.dil) && g.out_size > 0;
  // Outputs that no tap reaches hold the bias alone.
  if (!disjoint || !taps_cover_output(g))
    pool.parallel_for(planes, static_cast<double>(g.out_size), [&](int64_t p0, int64_t p1) {
      for (int64_t p = p0; p < p1; ++p)
        std::fill(yd + p * g.out_size, yd + (p + 1) * g.out_size, bd ? bd[p % g.M] : 0.0f);
    });
  if (planes == 0 || g.out_size == 0 || g.in_size == 0 || rows == 0 || g.Cg == 0) return Status::ok();
  const int64_t tile = std::min(g.in_size, std::max<int64_t>(64, kColBudgetFloats / rows));
  const int64_t row_floats = disjoint ? disjoint_taps_ldc(rows) : rows;
  float* col = static_cast<float*>(ctx.scratch(static_cast<size_t>(row_floats * tile) * sizeof(float) + 64));
  if (!col) return ctx.error("out of memory for a column buffer of " + std::to_string(row_floats * tile) + " floats");
  // The constant W's form, when it matches this run's geometry; else W is read as given.
  WeightForm form = form_;
  if (form == WeightForm::kPackedB &&
      !(static_cast<int64_t>(packed_.size()) == g.G && packed_[0].K() == g.Cg && packed_[0].N() == rows))
    form = WeightForm::kNone;
  if (form == WeightForm::kTransposed && w_t_.size() != static_cast<size_t>(w->size())) form = WeightForm::kNone;
  if (disjoint) {
    if (form == WeightForm::kPackedB) {
      run_disjoint_taps(g, xd, packed_, bd, yd, col, tile, pool);
      return Status::ok();
    }
    std::vector<PackedB> packed;  // W is not a constant: packed for this run
    for (int64_t gi = 0; gi < g.G; ++gi) {
      packed.push_back(PackedB::pack(false, g.Cg, rows, wd + gi * g.Cg * rows, rows));
      if (packed.back().empty()) return ctx.error("out of memory for W packed as " + std::to_string(g.Cg) + " x " +
                                                  std::to_string(rows) + " panels");
    }
    run_disjoint_taps(g, xd, packed, bd, yd, col, tile, pool);
    return Status::ok();
  }
  const size_t L = g.in.size() - 1;
  const bool stride2_last = g.stride[L] == 2 && g.dil[L] == 1;
  // colT blocks (rows of `ldc`) land here, transposed, before col2im reads col.
  float* colT = nullptr;
  const int64_t ldc = disjoint_taps_ldc(rows);
  if (form == WeightForm::kPackedB) {
    colT = static_cast<float*>(ctx.scratch(static_cast<size_t>(ldc * tile) * sizeof(float) + 64));
    if (!colT) return ctx.error("out of memory for a column buffer of " + std::to_string(ldc * tile) + " floats");
  }
  for (int64_t n = 0; n < g.N; ++n) {
    for (int64_t gi = 0; gi < g.G; ++gi) {
      const float* xg = xd + (n * g.C + gi * g.Cg) * g.in_size;
      const float* wg = wd + gi * g.Cg * rows;
      float* yg = yd + (n * g.M + gi * g.Mg) * g.out_size;
      for (int64_t c0 = 0; c0 < g.in_size; c0 += tile) {
        const int64_t c1 = std::min(g.in_size, c0 + tile), width = c1 - c0;
        if (form == WeightForm::kPackedB && width == 1) {
          // One pixel: colT's single row is col's single column.
          sgemm_packed(true, 1, 1.0f, xg + c0, g.in_size, packed_[static_cast<size_t>(gi)], 0.0f, col, rows, &pool);
        } else if (form == WeightForm::kPackedB) {
          const GemmEpilogue to_col = [&](int64_t r0, int64_t r1, int64_t j0, int64_t j1) {
            for (int64_t j = j0; j < j1; ++j)
              for (int64_t r = r0; r < r1; ++r) col[j * width + r] = colT[r * ldc + j];
          };
          sgemm_packed_epilogue(true, width, 1.0f, xg + c0, g.in_size, packed_[static_cast<size_t>(gi)], 0.0f, colT,
                                ldc, &pool, to_col);
        } else if (form == WeightForm::kTransposed) {
          sgemm(false, false, rows, width, g.Cg, 1.0f, w_t_.data() + gi * g.Cg * rows, g.Cg, xg + c0, g.in_size,
                0.0f, col, width, &pool);
        } else {
          sgemm(true, false, rows, width, g.Cg, 1.0f, wg, rows, xg + c0, g.in_size, 0.0f, col, width, &pool);
        }
        const Col2imTile plan(g, c0);
        pool.parallel_for(g.Mg, static_cast<double>(g.kernel_size * width), [&](int64_t m0, int64_t m1) {
          std::vector<int64_t> i;
          std::vector<float> half;
          for (int64_t m = m0; m < m1; ++m) {
            const float* cm = col + m * g.kernel_size * width;
            if (stride2_last)
              col2im_channel_s2(g, plan, cm, width, c0, c1, yg + m * g.out_size, i, half);
            else
              col2im_channel(g, plan, cm, width, c0, c1, yg + m * g.out_size, i);
          }
        });
      }
    }
  }
  return Status::ok();
}

}  // namespace

Expected<std::unique_ptr<Kernel>> make_cpu_convtranspose(const KernelInit& init) {
  // A constant W [C, M/group, k...] takes its WeightForm here, from W's shape, the attributes
  // and, for overlapping taps, X's pixel count when the model fixes it.
  WeightForm form = WeightForm::kNone;
  bool overlapping = false;
  std::vector<PackedB> packed;
  std::vector<float> w_t;
  const Tensor* w = init.constant_inputs.size() > 1 ? init.constant_inputs[1] : nullptr;
  if (w && w->dtype() == DType::kFloat32 && w->rank() >= 3) {
    ir::AttrReader a(init.node);
    const int64_t group = a.i("group", 1);
    const size_t nd = static_cast<size_t>(w->rank() - 2);
    const std::vector<int64_t> kernel(w->shape().begin() + 2, w->shape().end());
    const std::vector<int64_t> stride = a.ints("strides", std::vector<int64_t>(nd, 1));
    const std::vector<int64_t> dil = a.ints("dilations", std::vector<int64_t>(nd, 1));
    const std::vector<int64_t> kshape = a.ints("kernel_shape", kernel);
    const int64_t Cg = group >= 1 ? w->dim(0) / group : 0, rows = w->size() / std::max<int64_t>(1, w->dim(0));
    const float* wd = w->data<float>();
    if (a.status().is_ok() && group >= 1 && w->dim(0) % group == 0 && stride.size() == nd && dil.size() == nd &&
        kshape == kernel && Cg > 0 && rows > 0) {
      overlapping = !taps_disjoint(kernel, stride, dil);
      // Input pixels, when X's spatial dims are known.
      int64_t pixels = -1;
      const ir::ValueType* xt = init.input_types.empty() ? nullptr : init.input_types[0];
      if (xt && xt->has_shape && xt->shape.size() == nd + 2) {
        pixels = 1;
        for (size_t d = 2; d < xt->shape.size(); ++d)
          pixels = xt->shape[d].is_known() && pixels >= 0 ? pixels * xt->shape[d].value() : -1;
      }
      if (!overlapping || (pixels >= 0 && pixels < Cg)) {
        form = WeightForm::kPackedB;
        for (int64_t gi = 0; gi < group; ++gi) packed.push_back(PackedB::pack(false, Cg, rows, wd + gi * Cg * rows, rows));
      } else {
        form = WeightForm::kTransposed;
        w_t.resize(static_cast<size_t>(w->size()));
        for (int64_t gi = 0; gi < group; ++gi)
          for (int64_t c = 0; c < Cg; ++c)
            for (int64_t r = 0; r < rows; ++r)
              w_t[static_cast<size_t>(gi * Cg * rows + r * Cg + c)] = wd[gi * Cg * rows + c * rows + r];
      }
    }
  }
  return std::unique_ptr<Kernel>(new ConvTransposeKernel(form, overlapping, std::move(packed), std::move(w_t)));
}

}  // namespace onnxrt::kernels
