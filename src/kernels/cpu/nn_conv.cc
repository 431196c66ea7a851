// Conv on the CPU. Three paths:
//   pointwise (all kernel dims 1, stride 1, no padding): Y_g = W_g * X_g, a plain GEMM on the
//     NCHW data with no copy;
//   depthwise 2-D (one input channel per group, any channel multiplier): direct loops, since a
//     GEMM with K = kh*kw (9 for MobileNet) spends its time in packing, not arithmetic;
//   general N-D: im2col over a tile of output columns, then one sgemm per group and tile.
// W in ONNX layout [M, C/group, k...] is already the row-major A operand W_g[Mg, Cg*k] of the
// GEMM, so a constant W is kept as is (the sgemm interface has no pre-packed operand to fill).
#include <algorithm>
#include <cstring>

#include "base/thread_pool.h"
#include "kernels/cpu/gemm.h"
#include "kernels/cpu/nn_common.h"

namespace onnxrt::kernels {

namespace {

using nn::ConvGeom;

// Columns per im2col tile: bounds the scratch buffer (and keeps it cache-friendlier) while
// leaving GEMM a wide enough N to run at full speed.
constexpr int64_t kColBudgetFloats = int64_t{1} << 20;

int64_t col_tile(const ConvGeom& g) {
  const int64_t k = std::max<int64_t>(1, g.K());
  int64_t t = kColBudgetFloats / k;
  t = std::max<int64_t>(t, 64);
  return std::min(t, std::max<int64_t>(g.out_size, 1));
}

// im2col rows [r0, r1) for output columns [c0, c1) of one group's input channels `x`:
// col[r][j] = x[c][o*stride - pad + k*dil] (0 outside the input), r = (c, k...), j = column.
void im2col_rows(const float* x, const ConvGeom& g, int64_t r0, int64_t r1, int64_t c0, int64_t c1,
                 float* col) {
  const size_t nd = g.in.size();
  const size_t L = nd - 1;
  const int64_t width = c1 - c0;
  std::vector<int64_t> k(nd), o(nd);
  for (int64_t r = r0; r < r1; ++r) {
    const int64_t c = r / g.kernel_size;
    int64_t kr = r % g.kernel_size;
    for (size_t d = nd; d-- > 0;) {
      k[d] = kr % g.kernel[d];
      kr /= g.kernel[d];
    }
    const float* xc = x + c * g.in_size;
    float* dst = col + (r - r0) * width;
    int64_t rem = c0;
    for (size_t d = nd; d-- > 0;) {
      o[d] = rem % g.out[d];
      rem /= g.out[d];
    }
    int64_t j = c0;
    while (j < c1) {
      const int64_t run = std::min(g.out[L] - o[L], c1 - j);
      int64_t off = 0;
      bool valid = true;
      for (size_t d = 0; d < L; ++d) {
        const int64_t id = o[d] * g.stride[d] - g.pad_begin[d] + k[d] * g.dil[d];
        if (id < 0 || id >= g.in[d]) {
          valid = false;
          break;
        }
        off = off * g.in[d] + id;
      }
      if (!valid) {
        std::fill(dst, dst + run, 0.0f);
      } else {
        const float* row = xc + off * g.in[L];
        const int64_t s = g.stride[L], n = g.in[L];
        const int64_t i0 = o[L] * s - g.pad_begin[L] + k[L] * g.dil[L];
        // Valid j: 0 <= i0 + j*s < n.
        int64_t lo = i0 >= 0 ? 0 : (-i0 + s - 1) / s;
        int64_t hi = i0 < n ? (n - 1 - i0) / s + 1 : 0;
        lo = std::min(lo, run);
        hi = std::clamp(hi, lo, run);
        std::fill(dst, dst + lo, 0.0f);
        if (s == 1) {
          if (hi > lo) std::memcpy(dst + lo, row + i0 + lo, static_cast<size_t>(hi - lo) * 4);
        } else {
          for (int64_t t = lo; t < hi; ++t) dst[t] = row[i0 + t * s];
        }
        std::fill(dst + hi, dst + run, 0.0f);
      }
      dst += run;
      j += run;
      o[L] += run;
      for (size_t d = L; d > 0 && o[d] == g.out[d]; --d) {
        o[d] = 0;
        ++o[d - 1];
      }
    }
  }
}

bool is_pointwise(const ConvGeom& g) {
  for (size_t d = 0; d < g.in.size(); ++d)
    if (g.kernel[d] != 1 || g.stride[d] != 1 || g.pad_begin[d] != 0 || g.out[d] != g.in[d])
      return false;
  return true;
}

// Y rows for one (n, g): bias or zero before accumulating GEMM tiles into them.
void init_rows(float* y, const float* bias, int64_t rows, int64_t cols) {
  for (int64_t m = 0; m < rows; ++m) std::fill(y + m * cols, y + (m + 1) * cols, bias ? bias[m] : 0.0f);
}

// One (n, group) item of the GEMM path. `col` holds K * tile floats; `pool` may be null.
void conv_item(const ConvGeom& g, const float* x, const float* w, const float* bias, float* y,
               bool pointwise, float* col, int64_t tile, ThreadPool* pool) {
  const int64_t K = g.K();
  init_rows(y, bias, g.Mg, g.out_size);
  if (K == 0 || g.out_size == 0 || g.Mg == 0) return;
  if (pointwise) {
    sgemm(false, false, g.Mg, g.out_size, K, 1.0f, w, K, x, g.out_size, 1.0f, y, g.out_size, pool);
    return;
  }
  for (int64_t c0 = 0; c0 < g.out_size; c0 += tile) {
    const int64_t c1 = std::min(g.out_size, c0 + tile);
    if (pool) {
      pool->parallel_for(K, static_cast<double>(c1 - c0), [&](int64_t r0, int64_t r1) {
        im2col_rows(x, g, r0, r1, c0, c1, col + r0 * (c1 - c0));
      });
    } else {
      im2col_rows(x, g, 0, K, c0, c1, col);
    }
    sgemm(false, false, g.Mg, c1 - c0, K, 1.0f, w, K, col, c1 - c0, 1.0f, y + c0, g.out_size,
          pool);
  }
}

// Depthwise 2-D: output channel oc reads input channel oc / Mg only.
void depthwise_plane(const ConvGeom& g, const float* x, const float* w, float bias, float* y) {
  const int64_t H = g.in[0], W = g.in[1], OH = g.out[0], OW = g.out[1];
  const int64_t KH = g.kernel[0], KW = g.kernel[1];
  const int64_t sh = g.stride[0], sw = g.stride[1], dh = g.dil[0], dw = g.dil[1];
  const int64_t ph = g.pad_begin[0], pw = g.pad_begin[1];
  for (int64_t oh = 0; oh < OH; ++oh) {
    float* out = y + oh * OW;
    std::fill(out, out + OW, bias);
    for (int64_t kh = 0; kh < KH; ++kh) {
      const int64_t ih = oh * sh - ph + kh * dh;
      if (ih < 0 || ih >= H) continue;
      const float* row = x + ih * W;
      for (int64_t kw = 0; kw < KW; ++kw) {
        const float wv = w[kh * KW + kw];
        const int64_t i0 = kw * dw - pw;
        int64_t lo = i0 >= 0 ? 0 : (-i0 + sw - 1) / sw;
        int64_t hi = i0 < W ? (W - 1 - i0) / sw + 1 : 0;
        lo = std::min(lo, OW);
        hi = std::clamp(hi, lo, OW);
        if (sw == 1) {
          const float* src = row + i0;
          for (int64_t t = lo; t < hi; ++t) out[t] += wv * src[t];
        } else {
          for (int64_t t = lo; t < hi; ++t) out[t] += wv * row[i0 + t * sw];
        }
      }
    }
  }
}

class ConvKernel final : public Kernel {
 public:
  ConvKernel(std::optional<nn::ConvAttrs> attrs, Tensor w) : attrs_(std::move(attrs)), w_(std::move(w)) {}

  Status run(KernelContext& ctx) const override {
    const Tensor* x = ctx.input(0);
    const Tensor* w = w_.defined() ? &w_ : ctx.input(1);
    const Tensor* b = ctx.num_inputs() > 2 ? ctx.input(2) : nullptr;
    Tensor* y = ctx.output(0);
    if (!x || !w || !y) return ctx.error("needs X, W and output Y");
    auto geom = nn::conv_geometry(ctx, attrs_, *x, *w, b, *y);
    if (!geom) return geom.status();
    const ConvGeom& g = *geom;
    const float* xd = x->data<float>();
    const float* wd = w->data<float>();
    const float* bd = b ? b->data<float>() : nullptr;
    float* yd = y->data<float>();
    ThreadPool& pool = ctx.threads();
    if (g.N == 0 || g.M == 0 || g.out_size == 0) return Status::ok();

    if (g.in.size() == 2 && g.Cg == 1 && g.G > 1) {
      const int64_t ks = g.kernel_size;
      pool.parallel_for(g.N * g.M, static_cast<double>(g.out_size * ks), [&](int64_t i0, int64_t i1) {
        for (int64_t i = i0; i < i1; ++i) {
          const int64_t n = i / g.M, oc = i % g.M, ic = oc / g.Mg;
          depthwise_plane(g, xd + (n * g.C + ic) * g.in_size, wd + oc * ks, bd ? bd[oc] : 0.0f,
                          yd + i * g.out_size);
        }
      });
      return Status::ok();
    }

    const bool pointwise = is_pointwise(g);
    const int64_t tile = pointwise ? 0 : col_tile(g);
    const int64_t col_floats = g.K() * tile;
    const int64_t items = g.N * g.G;
    const int64_t nt = pool.num_threads();
    const double item_macs = static_cast<double>(g.Mg) * g.K() * g.out_size;
    // Many small items (grouped convs, batches): one item per thread with single-threaded GEMMs
    // scales better than splitting each small GEMM.
    const bool outer = nt > 1 && (items >= 2 * nt || (items >= nt && item_macs < (1 << 22)));
    auto item = [&](int64_t it, float* col, ThreadPool* p) {
      const int64_t n = it / g.G, gi = it % g.G;
      conv_item(g, xd + (n * g.C + gi * g.Cg) * g.in_size, wd + gi * g.Mg * g.K(),
                bd ? bd + gi * g.Mg : nullptr, yd + (n * g.M + gi * g.Mg) * g.out_size, pointwise,
                col, tile, p);
    };
    if (outer) {
      float* cols = static_cast<float*>(ctx.scratch(static_cast<size_t>(col_floats * nt) * 4 + 64));
      pool.run_tasks(nt, [&](int64_t t) {
        const int64_t b0 = items * t / nt, b1 = items * (t + 1) / nt;
        for (int64_t it = b0; it < b1; ++it) item(it, cols + t * col_floats, nullptr);
      });
    } else {
      float* col = static_cast<float*>(ctx.scratch(static_cast<size_t>(col_floats) * 4 + 64));
      for (int64_t it = 0; it < items; ++it) item(it, col, &pool);
    }
    return Status::ok();
  }
  const char* variant() const override { return "im2col_sgemm"; }

 private:
  std::optional<nn::ConvAttrs> attrs_;
  Tensor w_;  // constant weights, kept alive here; undefined when W is a run-time input
};

}  // namespace

Expected<std::unique_ptr<Kernel>> make_cpu_conv(const KernelInit& init) {
  std::optional<nn::ConvAttrs> attrs;
  if (auto nd = nn::declared_spatial_rank(init, 0)) {
    // Unknown kernel dims (-1) are taken from W at run time.
    std::vector<int64_t> wk(*nd, -1);
    const ir::ValueType* wt = init.input_types.size() > 1 ? init.input_types[1] : nullptr;
    if (wt && wt->has_shape && wt->rank() == static_cast<int64_t>(*nd) + 2)
      for (size_t d = 0; d < *nd; ++d)
        if (wt->shape[d + 2].is_known()) wk[d] = wt->shape[d + 2].value();
    auto a = nn::read_conv_attrs(init.node, *nd, wk);
    if (!a) return init.error(a.status().message());
    attrs = *a;
  }
  Tensor w;
  if (init.constant_inputs.size() > 1 && init.constant_inputs[1] &&
      init.constant_inputs[1]->dtype() == DType::kFloat32)
    w = *init.constant_inputs[1];
  return std::unique_ptr<Kernel>(new ConvKernel(std::move(attrs), std::move(w)));
}

}  // namespace onnxrt::kernels
