// ConvTranspose on the CPU, float32: per (image, group) one GEMM and a col2im scatter-add.
//   col[Mg*ks, cols] = W_g^T * X_g[Cg, cols]   (W in ONNX layout [C, Mg, k...] is W_g[Cg, Mg*ks],
//                                                so the GEMM reads it transposed, no copy)
//   y[m, i*stride + k*dil - pad] += col[(m, k), i]
// Input columns are tiled so the col buffer stays bounded for large images. The scatter is
// split over output channels: each channel's rows write only that channel's plane, so threads
// never write the same element.
#include <algorithm>
#include <vector>

#include "base/thread_pool.h"
#include "ir/infer_image.h"
#include "kernels/cpu/gemm.h"
#include "kernels/cpu/image_common.h"

namespace onnxrt::kernels {

namespace {

constexpr int64_t kColBudgetFloats = int64_t{1} << 20;

// Adds col rows of output channel m (ks rows, each covering input columns [c0, c1)) into the
// channel's output plane y.
void col2im_channel(const ir::ConvTransposeGeom& g, const float* col, int64_t width, int64_t c0,
                    int64_t c1, float* y) {
  const size_t nd = g.in.size();
  const size_t L = nd - 1;
  std::vector<int64_t> k(nd), i(nd);
  for (int64_t kr = 0; kr < g.kernel_size; ++kr) {
    int64_t r = kr;
    for (size_t d = nd; d-- > 0;) {
      k[d] = r % g.kernel[d];
      r /= g.kernel[d];
    }
    const float* src = col + kr * width;
    int64_t rem = c0;
    for (size_t d = nd; d-- > 0;) {
      i[d] = rem % g.in[d];
      rem /= g.in[d];
    }
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
        // Valid t in [0, run): 0 <= o0 + t*s < n.
        int64_t lo = o0 >= 0 ? 0 : (-o0 + s - 1) / s;
        int64_t hi = o0 < n ? (n - 1 - o0) / s + 1 : 0;
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

Status run_cpu_convtranspose(KernelContext& ctx) {
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
  pool.parallel_for(planes, static_cast<double>(g.out_size), [&](int64_t p0, int64_t p1) {
    for (int64_t p = p0; p < p1; ++p)
      std::fill(yd + p * g.out_size, yd + (p + 1) * g.out_size, bd ? bd[p % g.M] : 0.0f);
  });
  const int64_t rows = g.Mg * g.kernel_size;
  if (planes == 0 || g.out_size == 0 || g.in_size == 0 || rows == 0 || g.Cg == 0) return Status::ok();
  const int64_t tile = std::min(g.in_size, std::max<int64_t>(64, kColBudgetFloats / rows));
  float* col = static_cast<float*>(ctx.scratch(static_cast<size_t>(rows * tile) * sizeof(float) + 64));
  for (int64_t n = 0; n < g.N; ++n) {
    for (int64_t gi = 0; gi < g.G; ++gi) {
      const float* xg = xd + (n * g.C + gi * g.Cg) * g.in_size;
      const float* wg = wd + gi * g.Cg * rows;
      float* yg = yd + (n * g.M + gi * g.Mg) * g.out_size;
      for (int64_t c0 = 0; c0 < g.in_size; c0 += tile) {
        const int64_t c1 = std::min(g.in_size, c0 + tile), width = c1 - c0;
        sgemm(true, false, rows, width, g.Cg, 1.0f, wg, rows, xg + c0, g.in_size, 0.0f, col, width, &pool);
        pool.parallel_for(g.Mg, static_cast<double>(g.kernel_size * width), [&](int64_t m0, int64_t m1) {
          for (int64_t m = m0; m < m1; ++m)
            col2im_channel(g, col + m * g.kernel_size * width, width, c0, c1, yg + m * g.out_size);
        });
      }
    }
  }
  return Status::ok();
}

}  // namespace

Expected<std::unique_ptr<Kernel>> make_cpu_convtranspose(const KernelInit& init) {
  (void)init;
  return std::unique_ptr<Kernel>(new FunctionKernel(&run_cpu_convtranspose, "sgemm_col2im"));
}

}  // namespace onnxrt::kernels
