// MaxPool, AveragePool, LpPool and the global pools on the CPU. Windowed pools run on a 3-D view
// of the spatial dims (1-D and 2-D inputs get leading dims of size 1), threaded over N*C planes.
// Window bounds are clipped per dim once per output position, so the inner loops carry no
// bounds checks.
#include <algorithm>
#include <cmath>
#include <limits>
#include <vector>

#include "base/thread_pool.h"
#include "kernels/cpu/nn_common.h"
#include "kernels/ukernels/nn/ukernels.h"

namespace onnxrt::kernels {

namespace {

enum class PoolKind { kMax, kAvg, kLp };

struct Geom3 {
  int64_t in[3], out[3], k[3], s[3], dil[3], pb[3], pe[3];
  int64_t in_size, out_size;
};

Geom3 to_3d(const nn::PoolGeom& g) {
  Geom3 r;
  const size_t nd = g.in.size(), lead = 3 - nd;
  for (size_t d = 0; d < 3; ++d) {
    const bool real = d >= lead;
    const size_t i = d - lead;
    r.in[d] = real ? g.in[i] : 1;
    r.out[d] = real ? g.out[i] : 1;
    r.k[d] = real ? g.kernel[i] : 1;
    r.s[d] = real ? g.stride[i] : 1;
    r.dil[d] = real ? g.dil[i] : 1;
    r.pb[d] = real ? g.pad_begin[i] : 0;
    r.pe[d] = real ? g.pad_end[i] : 0;
  }
  r.in_size = g.in_size;
  r.out_size = g.out_size;
  return r;
}

// Kernel taps [lo, hi) of dim d whose input coordinate start + t*dil lies in [lo_bound, hi_bound).
inline void taps(int64_t start, int64_t dil, int64_t k, int64_t lo_bound, int64_t hi_bound,
                 int64_t* lo, int64_t* hi) {
  int64_t a = start >= lo_bound ? 0 : (lo_bound - start + dil - 1) / dil;
  int64_t b = start < hi_bound ? (hi_bound - 1 - start) / dil + 1 : 0;
  *lo = std::min(a, k);
  *hi = std::clamp(b, *lo, k);
}

// The 2-D MaxPool microkernels step through every tap of a window (and size row buffers by its
// width), which is right for CNN windows and hopeless for windows far wider than the input (a
// SAME-padded kernel_shape of 10^9 is valid ONNX): those take pool_plane, whose work is bounded
// by the input because it clips each window's taps to it first.
inline bool window_fits(int64_t k, int64_t dil, int64_t in) {
  return k <= in + 16 && k - 1 <= (in + 16) / std::max<int64_t>(dil, 1);
}

struct PoolParams {
  PoolKind kind;
  bool count_include_pad = false;
  float p = 2.0f;
  bool col_major = false;  // MaxPool storage_order = 1
};

void pool_plane(const Geom3& g, const PoolParams& pp, const float* x, float* y, int64_t* idx,
                int64_t idx_base) {
  int64_t o = 0;
  for (int64_t od = 0; od < g.out[0]; ++od) {
    const int64_t sd = od * g.s[0] - g.pb[0];
    int64_t d0, d1;
    taps(sd, g.dil[0], g.k[0], 0, g.in[0], &d0, &d1);
    int64_t pd0, pd1;
    taps(sd, g.dil[0], g.k[0], -g.pb[0], g.in[0] + g.pe[0], &pd0, &pd1);
    for (int64_t oh = 0; oh < g.out[1]; ++oh) {
      const int64_t sh = oh * g.s[1] - g.pb[1];
      int64_t h0, h1, ph0, ph1;
      taps(sh, g.dil[1], g.k[1], 0, g.in[1], &h0, &h1);
      taps(sh, g.dil[1], g.k[1], -g.pb[1], g.in[1] + g.pe[1], &ph0, &ph1);
      for (int64_t ow = 0; ow < g.out[2]; ++ow, ++o) {
        const int64_t sw = ow * g.s[2] - g.pb[2];
        int64_t w0, w1;
        taps(sw, g.dil[2], g.k[2], 0, g.in[2], &w0, &w1);
        if (pp.kind == PoolKind::kMax) {
          float best = 0.0f;
          int64_t best_i = -1;
          bool first = true;
          for (int64_t td = d0; td < d1; ++td) {
            const int64_t id = sd + td * g.dil[0];
            for (int64_t th = h0; th < h1; ++th) {
              const int64_t ih = sh + th * g.dil[1];
              const float* row = x + (id * g.in[1] + ih) * g.in[2];
              for (int64_t tw = w0; tw < w1; ++tw) {
                const int64_t iw = sw + tw * g.dil[2];
                const float v = row[iw];
                if (first || v > best) {
                  first = false;
                  best = v;
                  best_i = (id * g.in[1] + ih) * g.in[2] + iw;
                }
              }
            }
          }
          y[o] = best;
          if (idx) {
            if (best_i >= 0 && pp.col_major) {
              // Column-major flattening of the spatial position (storage_order = 1).
              const int64_t iw = best_i % g.in[2], ih = (best_i / g.in[2]) % g.in[1],
                            id = best_i / (g.in[2] * g.in[1]);
              // The real dims are the trailing ones; the leading size-1 dims add nothing.
              best_i = iw * g.in[1] * g.in[0] + ih * g.in[0] + id;
              if (g.in[0] == 1) best_i = iw * g.in[1] + ih;
            }
            idx[o] = best_i < 0 ? -1 : idx_base + best_i;
          }
          continue;
        }
        double acc = 0.0;
        int64_t count = 0;
        for (int64_t td = d0; td < d1; ++td) {
          const int64_t id = sd + td * g.dil[0];
          for (int64_t th = h0; th < h1; ++th) {
            const int64_t ih = sh + th * g.dil[1];
            const float* row = x + (id * g.in[1] + ih) * g.in[2];
            float part = 0.0f;
            if (pp.kind == PoolKind::kAvg) {
              for (int64_t tw = w0; tw < w1; ++tw) part += row[sw + tw * g.dil[2]];
            } else if (pp.p == 2.0f) {
              for (int64_t tw = w0; tw < w1; ++tw) {
                const float v = row[sw + tw * g.dil[2]];
                part += v * v;
              }
            } else {
              for (int64_t tw = w0; tw < w1; ++tw)
                part += std::pow(std::fabs(row[sw + tw * g.dil[2]]), pp.p);
            }
            acc += part;
            count += w1 - w0;
          }
        }
        if (pp.kind == PoolKind::kAvg) {
          if (pp.count_include_pad) {
            int64_t pw0, pw1;
            taps(sw, g.dil[2], g.k[2], -g.pb[2], g.in[2] + g.pe[2], &pw0, &pw1);
            count = (pd1 - pd0) * (ph1 - ph0) * (pw1 - pw0);
          }
          y[o] = count > 0 ? static_cast<float>(acc / static_cast<double>(count))
                           : std::numeric_limits<float>::quiet_NaN();
        } else {
          y[o] = static_cast<float>(pp.p == 2.0f ? std::sqrt(acc) : std::pow(acc, 1.0 / pp.p));
        }
      }
    }
  }
}

// AveragePool with dilation 1 (CNNs' AvgPool2d / AvgPool3d), per output row: the window's input
// rows summed into one row buffer (zeros for the W padding around it), then the window sums as kw
// adds per output (strides above 2 through the buffer's stride phases), all loops the compiler
// vectorizes (avgpool_row.inl); then a multiply by 1 / rows and 1 / columns of the window's count. pool_plane clipped every window
// per output position with integer divisions and summed in scalar code: a 2x2 stride-2 pool over
// [64, 112, 112] took 5.3 ms against onnxruntime's 0.35. Sums are float per row as pool_plane's,
// but over all of a window's rows at once (pool_plane adds the row sums in double).
bool avgpool_rows_applies(const Geom3& g) {
  for (int d = 0; d < 3; ++d)
    if (g.dil[d] != 1 || g.pb[d] >= g.k[d] || g.pe[d] >= g.k[d]) return false;
  return window_fits(g.k[1], 1, g.in[1]) && window_fits(g.k[2], 1, g.in[2]);
}

void avgpool_rows(const Geom3& g, bool count_include_pad, int64_t planes, const float* x, float* y,
                  ThreadPool& pool) {
  const int64_t D = g.in[0], H = g.in[1], W = g.in[2], OD = g.out[0], OH = g.out[1], OW = g.out[2];
  const int64_t kw = g.k[2], sw = g.s[2], L = g.pb[2];
  // Per output column: 1 / its valid taps and 1 / its taps inside the padded row
  // (count_include_pad); NaN for none.
  std::vector<float> valid_w(static_cast<size_t>(OW)), padded_w(static_cast<size_t>(OW));
  for (int64_t ow = 0; ow < OW; ++ow) {
    int64_t a, b;
    taps(ow * sw - L, 1, kw, 0, W, &a, &b);
    valid_w[static_cast<size_t>(ow)] = b > a ? 1.f / static_cast<float>(b - a) : std::numeric_limits<float>::quiet_NaN();
    taps(ow * sw - L, 1, kw, -L, W + g.pe[2], &a, &b);
    padded_w[static_cast<size_t>(ow)] = b > a ? 1.f / static_cast<float>(b - a) : std::numeric_limits<float>::quiet_NaN();
  }
  // Window rows per output row and depth (valid ones, and those inside the pads), clipped once
  // here: the integer divisions of taps() per output row cost as much as the row's sums.
  struct Span {
    int64_t lo, hi, plo, phi;
  };
  auto spans = [](int64_t out, int64_t s, int64_t pb, int64_t pe, int64_t k, int64_t in) {
    std::vector<Span> r(static_cast<size_t>(out));
    for (int64_t o = 0; o < out; ++o) {
      Span& sp = r[static_cast<size_t>(o)];
      taps(o * s - pb, 1, k, 0, in, &sp.lo, &sp.hi);
      taps(o * s - pb, 1, k, -pb, in + pe, &sp.plo, &sp.phi);
    }
    return r;
  };
  const std::vector<Span> dspan = spans(OD, g.s[0], g.pb[0], g.pe[0], g.k[0], D);
  const std::vector<Span> hspan = spans(OH, g.s[1], g.pb[1], g.pe[1], g.k[1], H);
  // 1 / n for the row counts a window can have (NaN for 0).
  int64_t max_rows = 0;
  for (const Span& a : dspan)
    for (const Span& b : hspan)
      max_rows = std::max({max_rows, (a.hi - a.lo) * (b.hi - b.lo), (a.phi - a.plo) * (b.phi - b.plo)});
  std::vector<float> inv_rows(static_cast<size_t>(max_rows + 1), std::numeric_limits<float>::quiet_NaN());
  for (int64_t n = 1; n <= max_rows; ++n) inv_rows[static_cast<size_t>(n)] = 1.f / static_cast<float>(n);
  // The padded row's stride phases (avgpool_row.inl), for strides above 2.
  const int64_t phase_len = OW + (kw - 1) / sw;
  const ukernels::AvgPoolRowF32Fn row_fn = ukernels::avgpool_row_f32_ukernel();
  const int64_t buf_len = std::max(L + W, phase_len * sw) + 1;
  pool.parallel_for(planes * OD, static_cast<double>(OH * (W * g.k[0] * g.k[1] + OW * kw)), [&](int64_t t0, int64_t t1) {
    std::vector<float> buf(static_cast<size_t>(buf_len), 0.f), phases(static_cast<size_t>(sw * phase_len));
    std::vector<float> acc(static_cast<size_t>(OW));
    std::vector<const float*> rows(static_cast<size_t>(std::min(g.k[0], D) * std::min(g.k[1], H)));
    ukernels::AvgPoolRowArgs ra{};
    ra.rows = rows.data(), ra.W = W, ra.buf = buf.data(), ra.L = L, ra.acc = acc.data();
    ra.phases = phases.data(), ra.phase_len = phase_len, ra.OW = OW, ra.kw = kw, ra.sw = sw;
    ra.inv_cols = count_include_pad ? padded_w.data() : valid_w.data();
    for (int64_t t = t0; t < t1; ++t) {
      const int64_t p = t / OD, od = t % OD;
      const float* xp = x + p * g.in_size;
      float* yp = y + p * g.out_size + od * OH * OW;
      const Span& ds = dspan[static_cast<size_t>(od)];
      for (int64_t oh = 0; oh < OH; ++oh) {
        const Span& hs = hspan[static_cast<size_t>(oh)];
        int64_t n = 0;
        for (int64_t td = ds.lo; td < ds.hi; ++td)
          for (int64_t th = hs.lo; th < hs.hi; ++th)
            rows[static_cast<size_t>(n++)] = xp + ((od * g.s[0] - g.pb[0] + td) * H + oh * g.s[1] - g.pb[1] + th) * W;
        // count = rows * columns; an empty window (count_include_pad = 0) is NaN, as in pool_plane.
        const int64_t nr = count_include_pad ? (ds.phi - ds.plo) * (hs.phi - hs.plo) : n;
        ra.nrows = n;
        ra.inv_rows = inv_rows[static_cast<size_t>(nr)];
        ra.y = yp + oh * OW;
        row_fn(ra);
      }
    }
  });
}

// Pools whose innermost window is one element (kernel 1, stride 1, dilation 1, no pads on the last
// dim): each output reduces whole rows of the last dim, L contiguous floats, rows of 8 on AVX2 in
// one vector per tap (lane_pool8_f32_avx2). block_channels writes the 2-D pools of its chains this way: over the
// channel-blocked [N, C/8, H, W, 8] with the window [kh, kw, 1], the rows are the 8 channels of a
// pixel (passes/block_channels.cc). Max keeps pool_plane's NaN rule (v > best replaces best), an
// empty window gives 0 (max) or NaN (average), as there.
constexpr int64_t kMaxLanes = 64;

bool lane_pool_applies(const Geom3& g) {
  return g.k[2] == 1 && g.s[2] == 1 && g.dil[2] == 1 && g.pb[2] == 0 && g.pe[2] == 0 && g.in[2] >= 1 &&
         g.in[2] <= kMaxLanes;
}

// One output's window over `rows` rows of L floats starting at `first_row`, `row_step` floats
// apart within a window row of `cols` rows (`col_step` apart), reduced into out: the max (v > best
// replaces best), or the sum times `scale`. The portable loop; 8 lanes on AVX2 (every blocked
// chain: block_channels runs on AVX2 CPUs only) take lane_pool8_f32_avx2.
inline void reduce_window(bool max, const float* first_row, int64_t rows, int64_t row_step, int64_t cols,
                          int64_t col_step, int64_t L, float scale, float* out) {
  float acc[kMaxLanes] = {};
  bool first = true;
  for (int64_t r = 0; r < rows; ++r)
    for (int64_t c = 0; c < cols; ++c) {
      const float* row = first_row + r * row_step + c * col_step;
      for (int64_t l = 0; l < L; ++l) acc[l] = first ? row[l] : max ? (row[l] > acc[l] ? row[l] : acc[l]) : acc[l] + row[l];
      first = false;
    }
  for (int64_t l = 0; l < L; ++l) out[l] = max ? acc[l] : acc[l] * scale;
}

void lane_pool(const Geom3& g, const PoolParams& pp, int64_t planes, const float* x, float* y, ThreadPool& pool) {
  const int64_t D = g.in[0], H = g.in[1], L = g.in[2], OD = g.out[0], OH = g.out[1];
  const bool max = pp.kind == PoolKind::kMax;
  // Each output's clipped window, per dim, computed once: taps() divides, and four divisions per
  // output took most of the run.
  auto windows = [&](int d, int64_t out, int64_t in) {
    std::vector<ukernels::LaneWindow> r(static_cast<size_t>(out));
    for (int64_t o = 0; o < out; ++o) {
      const int64_t start = o * g.s[d] - g.pb[d];
      int64_t lo, hi, plo, phi;
      taps(start, g.dil[d], g.k[d], 0, in, &lo, &hi);
      taps(start, g.dil[d], g.k[d], -g.pb[d], in + g.pe[d], &plo, &phi);
      r[static_cast<size_t>(o)] = {start + lo * g.dil[d], hi - lo, g.dil[d], pp.count_include_pad ? phi - plo : hi - lo};
    }
    return r;
  };
  const std::vector<ukernels::LaneWindow> dwin = windows(0, OD, D), hwin = windows(1, OH, H);
  const ukernels::LanePool8F32Fn fn = L == 8 ? ukernels::lane_pool8_f32_ukernel() : nullptr;
  const double cost = static_cast<double>(OH * L * g.k[0] * g.k[1]);
  pool.parallel_for(planes * OD, cost, [&](int64_t t0, int64_t t1) {
    for (int64_t t = t0; t < t1;) {
      // The outputs of one plane in [t, t_end): rows od0..od1.
      const int64_t p = t / OD, od0 = t % OD, od1 = std::min(OD, od0 + (t1 - t));
      const float* xp = x + p * g.in_size;
      float* yp = y + p * g.out_size + od0 * OH * L;
      if (fn) {
        fn({xp, yp, H, dwin.data(), od0, od1, hwin.data(), OH, max});
      } else {
        for (int64_t od = od0; od < od1; ++od) {
          const ukernels::LaneWindow& dw = dwin[static_cast<size_t>(od)];
          for (int64_t oh = 0; oh < OH; ++oh) {
            const ukernels::LaneWindow& hw = hwin[static_cast<size_t>(oh)];
            const int64_t count = dw.count * hw.count;
            const float scale = count > 0 ? 1.f / static_cast<float>(count) : std::numeric_limits<float>::quiet_NaN();
            reduce_window(max, xp + (dw.first * H + hw.first) * L, dw.taps, dw.step * H * L, hw.taps,
                                  hw.step * L, L, scale, yp + ((od - od0) * OH + oh) * L);
          }
        }
      }
      t += od1 - od0;
    }
  });
}

// Whether x holds a NaN (or an infinity: x * 0 is NaN for both, and the callers only need "maybe
// NaN"). Sixteen independent lanes, so the compiler vectorizes it without reassociating.
bool may_hold_nan(const float* x, int64_t n) {
  float acc[16] = {};
  int64_t i = 0;
  for (; i + 16 <= n; i += 16)
    for (int j = 0; j < 16; ++j) acc[j] += x[i + j] * 0.0f;
  for (; i < n; ++i) acc[0] += x[i] * 0.0f;
  float all = 0.0f;
  for (float a : acc) all += a;
  return all != all;
}

// 3-D MaxPool without Indices (video CNNs' MaxPool3d): the max over a window is the 2-D max pool
// of the elementwise max of its depth slices, so each output depth takes one pass over its
// slices and one call of the 2-D microkernel (pool_plane stepped through every tap in scalar
// code: C3D's pools took 14x onnxruntime's time). That equality needs max to be order-free, which
// NaN breaks (the first tap's NaN stays, later ones are skipped): planes that may hold a NaN
// take pool_plane.
void maxpool3d(const Geom3& g, int64_t planes, const float* x, float* y, ThreadPool& pool) {
  ukernels::DwConv2dArgs a{};
  a.H = g.in[1], a.W = g.in[2], a.OH = g.out[1], a.OW = g.out[2], a.KH = g.k[1], a.KW = g.k[2];
  a.sh = g.s[1], a.sw = g.s[2], a.dh = g.dil[1], a.dw = g.dil[2], a.ph = g.pb[1], a.pw = g.pb[2];
  const ukernels::MaxPool2dF32Fn fn = ukernels::maxpool2d_f32_ukernel();
  const int64_t slice_in = g.in[1] * g.in[2], slice_out = g.out[1] * g.out[2];
  const PoolParams pp{PoolKind::kMax};
  pool.parallel_for(planes, static_cast<double>(g.out_size) * g.k[0] * g.k[1] * g.k[2],
                    [&](int64_t p0, int64_t p1) {
    std::vector<float> depth_max(static_cast<size_t>(slice_in));
    for (int64_t p = p0; p < p1; ++p) {
      const float* xp = x + p * g.in_size;
      float* yp = y + p * g.out_size;
      if (may_hold_nan(xp, g.in_size)) {
        pool_plane(g, pp, xp, yp, nullptr, 0);
        continue;
      }
      for (int64_t od = 0; od < g.out[0]; ++od) {
        const int64_t sd = od * g.s[0] - g.pb[0];
        int64_t d0, d1;
        taps(sd, g.dil[0], g.k[0], 0, g.in[0], &d0, &d1);
        float* yo = yp + od * slice_out;
        if (d0 == d1) {  // a window wholly in the padding: 0, as pool_plane
          std::fill(yo, yo + slice_out, 0.0f);
          continue;
        }
        const float* src = xp + (sd + d0 * g.dil[0]) * slice_in;
        if (d1 - d0 > 1) {
          std::copy(src, src + slice_in, depth_max.data());
          for (int64_t td = d0 + 1; td < d1; ++td) {
            const float* s = xp + (sd + td * g.dil[0]) * slice_in;
            for (int64_t i = 0; i < slice_in; ++i) depth_max[i] = std::max(depth_max[i], s[i]);
          }
          src = depth_max.data();
        }
        fn(a, src, yo);
      }
    }
  });
}

class PoolKernel final : public Kernel {
 public:
  PoolKernel(std::optional<ir::WindowAttrs> attrs, PoolParams pp) : attrs_(std::move(attrs)), pp_(pp) {}

  Status run(KernelContext& ctx) const override {
    const Tensor* x = ctx.input(0);
    Tensor* y = ctx.output(0);
    if (!x || !y) return ctx.error("needs X and output Y");
    if (x->dtype() != DType::kFloat32) return ctx.error("X must be float32");
    auto geom = nn::pool_geometry(ctx, attrs_, *x, *y);
    if (!geom) return geom.status();
    if (geom->in.size() > 3)
      return {ErrorCode::kNotImplemented,
              ctx.error("pooling over " + std::to_string(geom->in.size()) +
                        " spatial dims is not implemented (at most 3)").message()};
    Tensor* ind = ctx.num_outputs() > 1 ? ctx.output(1) : nullptr;
    if (ind && (ind->dtype() != DType::kInt64 || ind->shape() != y->shape()))
      return ctx.error("output Indices must be int64 with Y's shape");
    const Geom3 g = to_3d(*geom);
    // taps() adds and subtracts pads, strides and dilations: beyond 2^60 each (valid ONNX only
    // in name: kernel_shape INT64_MAX with SAME padding) those sums could overflow.
    constexpr int64_t kMaxGeom = int64_t{1} << 60;
    for (int d = 0; d < 3; ++d)
      if (g.k[d] > kMaxGeom || g.s[d] > kMaxGeom || g.dil[d] > kMaxGeom || g.pb[d] > kMaxGeom || g.pe[d] > kMaxGeom)
        return ctx.error("kernel_shape, strides, dilations and pads must be at most 2^60, got kernel " +
                         std::to_string(g.k[d]) + ", stride " + std::to_string(g.s[d]) + ", dilation " +
                         std::to_string(g.dil[d]) + ", pads " + std::to_string(g.pb[d]) + " and " +
                         std::to_string(g.pe[d]));
    const float* xd = x->data<float>();
    float* yd = y->data<float>();
    int64_t* id = ind ? ind->data<int64_t>() : nullptr;
    if (pp_.kind == PoolKind::kMax && !id && geom->in.size() == 2 && window_fits(g.k[1], g.dil[1], g.in[1]) &&
        window_fits(g.k[2], g.dil[2], g.in[2])) {
      // 2-D MaxPool without Indices (every CNN stem): vectorized over output columns.
      ukernels::DwConv2dArgs a{};
      a.H = g.in[1], a.W = g.in[2], a.OH = g.out[1], a.OW = g.out[2], a.KH = g.k[1], a.KW = g.k[2];
      a.sh = g.s[1], a.sw = g.s[2], a.dh = g.dil[1], a.dw = g.dil[2], a.ph = g.pb[1], a.pw = g.pb[2];
      const ukernels::MaxPool2dF32Fn fn = ukernels::maxpool2d_f32_ukernel();
      ctx.threads().parallel_for(geom->N * geom->C, static_cast<double>(g.out_size) * g.k[1] * g.k[2],
                                 [&](int64_t p0, int64_t p1) {
                                   for (int64_t p = p0; p < p1; ++p)
                                     fn(a, xd + p * g.in_size, yd + p * g.out_size);
                                 });
      return Status::ok();
    }
    if (pp_.kind != PoolKind::kLp && !id && geom->in.size() == 3 && lane_pool_applies(g)) {
      lane_pool(g, pp_, geom->N * geom->C, xd, yd, ctx.threads());
      return Status::ok();
    }
    if (pp_.kind == PoolKind::kMax && !id && geom->in.size() == 3 && window_fits(g.k[1], g.dil[1], g.in[1]) &&
        window_fits(g.k[2], g.dil[2], g.in[2])) {
      maxpool3d(g, geom->N * geom->C, xd, yd, ctx.threads());
      return Status::ok();
    }
    if (pp_.kind == PoolKind::kAvg && avgpool_rows_applies(g)) {
      avgpool_rows(g, pp_.count_include_pad, geom->N * geom->C, xd, yd, ctx.threads());
      return Status::ok();
    }
    const double cost = static_cast<double>(g.out_size) * g.k[0] * g.k[1] * g.k[2];
    ctx.threads().parallel_for(geom->N * geom->C, cost, [&](int64_t p0, int64_t p1) {
      for (int64_t p = p0; p < p1; ++p)
        pool_plane(g, pp_, xd + p * g.in_size, yd + p * g.out_size, id ? id + p * g.out_size : nullptr,
                   p * g.in_size);
    });
    return Status::ok();
  }

 private:
  std::optional<ir::WindowAttrs> attrs_;
  PoolParams pp_;
};

class GlobalPoolKernel final : public Kernel {
 public:
  explicit GlobalPoolKernel(PoolParams pp) : pp_(pp) {}
  Status run(KernelContext& ctx) const override {
    const Tensor* x = ctx.input(0);
    Tensor* y = ctx.output(0);
    if (!x || !y) return ctx.error("needs X and output Y");
    if (x->dtype() != DType::kFloat32 || x->rank() < 3)
      return ctx.error("X must be float32 with rank >= 3");
    const int64_t planes = x->dim(0) * x->dim(1);
    const int64_t n = planes == 0 ? 0 : x->size() / planes;
    if (y->size() != planes) return ctx.error("output Y has the wrong size");
    const float* xd = x->data<float>();
    float* yd = y->data<float>();
    ctx.threads().parallel_for(planes, static_cast<double>(n), [&](int64_t p0, int64_t p1) {
      for (int64_t p = p0; p < p1; ++p) {
        const float* v = xd + p * n;
        if (pp_.kind == PoolKind::kMax) {
          float m = n > 0 ? v[0] : -std::numeric_limits<float>::infinity();
          for (int64_t i = 1; i < n; ++i) m = v[i] > m ? v[i] : m;
          yd[p] = m;
          continue;
        }
        // Eight partial sums let the compiler vectorise the reduction and keep float error low.
        float acc[8] = {0, 0, 0, 0, 0, 0, 0, 0};
        int64_t i = 0;
        if (pp_.kind == PoolKind::kAvg) {
          for (; i + 8 <= n; i += 8)
            for (int j = 0; j < 8; ++j) acc[j] += v[i + j];
          for (; i < n; ++i) acc[0] += v[i];
        } else {
          for (; i < n; ++i) acc[0] += std::pow(std::fabs(v[i]), pp_.p);
        }
        double s = 0;
        for (float a : acc) s += a;
        yd[p] = pp_.kind == PoolKind::kAvg
                    ? (n > 0 ? static_cast<float>(s / static_cast<double>(n))
                             : std::numeric_limits<float>::quiet_NaN())
                    : static_cast<float>(std::pow(s, 1.0 / pp_.p));
      }
    });
    return Status::ok();
  }

 private:
  PoolParams pp_;
};

Expected<PoolParams> read_pool_params(const ir::Node& node) {
  PoolParams pp;
  ir::AttrReader a(node);
  const std::string& op = node.op_type;
  if (op == "MaxPool" || op == "GlobalMaxPool") {
    pp.kind = PoolKind::kMax;
    pp.col_major = op == "MaxPool" && a.i("storage_order", 0) == 1;
  } else if (op == "AveragePool" || op == "GlobalAveragePool") {
    pp.kind = PoolKind::kAvg;
    pp.count_include_pad = op == "AveragePool" && a.i("count_include_pad", 0) != 0;
  } else {
    pp.kind = PoolKind::kLp;
    // LpPool-1 and GlobalLpPool-1 carry p as a float; later versions as an int.
    const ir::Attribute* pa = node.attrs.find("p");
    pp.p = !pa ? 2.0f : pa->kind == ir::AttrKind::kFloat ? pa->f : static_cast<float>(pa->i);
    if (!(pp.p > 0.0f)) return invalid_model("p must be positive");
  }
  ONNXRT_RETURN_IF_ERROR(a.status());
  return pp;
}

}  // namespace

Expected<std::unique_ptr<Kernel>> make_cpu_pool(const KernelInit& init) {
  auto pp = read_pool_params(init.node);
  if (!pp) return init.error(pp.status().message());
  std::optional<ir::WindowAttrs> attrs;
  if (auto nd = nn::declared_spatial_rank(init, 0)) {
    auto a = nn::read_pool_attrs(init.node, *nd);
    if (!a) return init.error(a.status().message());
    attrs = *a;
  }
  return std::unique_ptr<Kernel>(new PoolKernel(std::move(attrs), *pp));
}

Expected<std::unique_ptr<Kernel>> make_cpu_global_pool(const KernelInit& init) {
  auto pp = read_pool_params(init.node);
  if (!pp) return init.error(pp.status().message());
  return std::unique_ptr<Kernel>(new GlobalPoolKernel(*pp));
}

}  // namespace onnxrt::kernels
