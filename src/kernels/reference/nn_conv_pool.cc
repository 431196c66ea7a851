// Reference Conv and pooling: direct N-D loops over every output element and every kernel tap,
// accumulating in double. Slow and obviously correct; the oracle for the CPU kernels.
#include <cmath>
#include <limits>
#include <vector>

#include "kernels/cpu/nn_common.h"
#include "kernels/registry.h"

namespace onnxrt::kernels {

namespace {

// Advances a row-major multi-index; false after the last one.
bool next_index(std::vector<int64_t>& idx, const std::vector<int64_t>& shape) {
  for (size_t d = idx.size(); d-- > 0;) {
    if (++idx[d] < shape[d]) return true;
    idx[d] = 0;
  }
  return false;
}

bool any_zero(const std::vector<int64_t>& s) {
  for (int64_t v : s)
    if (v == 0) return true;
  return false;
}

Status ref_conv(KernelContext& ctx) {
  const Tensor* x = ctx.input(0);
  const Tensor* w = ctx.input(1);
  const Tensor* b = ctx.num_inputs() > 2 ? ctx.input(2) : nullptr;
  Tensor* y = ctx.output(0);
  if (!x || !w || !y) return ctx.error("needs X, W and Y");
  auto geom = nn::conv_geometry(ctx, std::nullopt, *x, *w, b, *y);
  if (!geom) return geom.status();
  const nn::ConvGeom& g = *geom;
  const size_t nd = g.in.size();
  const float* xd = x->data<float>();
  const float* wd = w->data<float>();
  float* yd = y->data<float>();
  if (any_zero(g.out)) return Status::ok();
  for (int64_t n = 0; n < g.N; ++n) {
    for (int64_t m = 0; m < g.M; ++m) {
      const int64_t grp = m / g.Mg;
      std::vector<int64_t> o(nd, 0);
      int64_t oi = 0;
      do {
        double acc = b ? b->data<float>()[m] : 0.0;
        for (int64_t c = 0; c < g.Cg; ++c) {
          const int64_t ic = grp * g.Cg + c;
          std::vector<int64_t> k(nd, 0);
          if (any_zero(g.kernel)) break;
          do {
            int64_t off = 0;
            bool inside = true;
            for (size_t d = 0; d < nd; ++d) {
              const int64_t i = o[d] * g.stride[d] - g.pad_begin[d] + k[d] * g.dil[d];
              if (i < 0 || i >= g.in[d]) inside = false;
              off = off * g.in[d] + i;
            }
            if (!inside) continue;
            int64_t koff = 0;
            for (size_t d = 0; d < nd; ++d) koff = koff * g.kernel[d] + k[d];
            acc += static_cast<double>(xd[(n * g.C + ic) * g.in_size + off]) *
                   wd[(m * g.Cg + c) * g.kernel_size + koff];
          } while (next_index(k, g.kernel));
        }
        yd[(n * g.M + m) * g.out_size + oi++] = static_cast<float>(acc);
      } while (next_index(o, g.out));
    }
  }
  return Status::ok();
}

Status ref_pool(KernelContext& ctx) {
  const Tensor* x = ctx.input(0);
  Tensor* y = ctx.output(0);
  if (!x || !y || x->dtype() != DType::kFloat32) return ctx.error("needs float32 X and Y");
  auto geom = nn::pool_geometry(ctx, std::nullopt, *x, *y);
  if (!geom) return geom.status();
  const nn::PoolGeom& g = *geom;
  const ir::Node& node = ctx.node();
  ir::AttrReader a(node);
  const std::string& op = node.op_type;
  const bool is_max = op == "MaxPool", is_avg = op == "AveragePool";
  const bool include_pad = is_avg && a.i("count_include_pad", 0) != 0;
  const bool col_major = is_max && a.i("storage_order", 0) == 1;
  double p = 2.0;
  if (const ir::Attribute* pa = node.attrs.find("p"))
    p = pa->kind == ir::AttrKind::kFloat ? pa->f : static_cast<double>(pa->i);
  ONNXRT_RETURN_IF_ERROR(a.status());
  Tensor* ind = ctx.num_outputs() > 1 ? ctx.output(1) : nullptr;
  const size_t nd = g.in.size();
  const float* xd = x->data<float>();
  float* yd = y->data<float>();
  if (any_zero(g.out)) return Status::ok();
  for (int64_t plane = 0; plane < g.N * g.C; ++plane) {
    std::vector<int64_t> o(nd, 0);
    int64_t oi = 0;
    do {
      double acc = 0;
      int64_t count = 0, padded_count = 0, best_off = -1;
      float best = 0;
      std::vector<int64_t> k(nd, 0), pos(nd);
      do {
        bool inside = true, in_padded = true;
        int64_t off = 0;
        for (size_t d = 0; d < nd; ++d) {
          pos[d] = o[d] * g.stride[d] - g.pad_begin[d] + k[d] * g.dil[d];
          if (pos[d] < 0 || pos[d] >= g.in[d]) inside = false;
          if (pos[d] < -g.pad_begin[d] || pos[d] >= g.in[d] + g.pad_end[d]) in_padded = false;
          off = off * g.in[d] + pos[d];
        }
        if (in_padded) ++padded_count;
        if (!inside) continue;
        const float v = xd[plane * g.in_size + off];
        ++count;
        if (is_max) {
          if (best_off < 0 || v > best) {
            best = v;
            if (col_major) {
              off = 0;
              for (size_t d = nd; d-- > 0;) off = off * g.in[d] + pos[d];
            }
            best_off = off;
          }
        } else if (is_avg) {
          acc += v;
        } else {
          acc += std::pow(std::fabs(static_cast<double>(v)), p);
        }
      } while (next_index(k, g.kernel));
      float r;
      if (is_max) r = best;
      else if (is_avg) {
        const int64_t div = include_pad ? padded_count : count;
        r = div > 0 ? static_cast<float>(acc / static_cast<double>(div))
                    : std::numeric_limits<float>::quiet_NaN();
      } else {
        r = static_cast<float>(std::pow(acc, 1.0 / p));
      }
      yd[plane * g.out_size + oi] = r;
      if (ind) ind->data<int64_t>()[plane * g.out_size + oi] = best_off < 0 ? -1 : plane * g.in_size + best_off;
      ++oi;
    } while (next_index(o, g.out));
  }
  return Status::ok();
}

Status ref_global_pool(KernelContext& ctx) {
  const Tensor* x = ctx.input(0);
  Tensor* y = ctx.output(0);
  if (!x || !y || x->dtype() != DType::kFloat32 || x->rank() < 3)
    return ctx.error("needs float32 X of rank >= 3 and Y");
  const std::string& op = ctx.node().op_type;
  double p = 2.0;
  if (const ir::Attribute* pa = ctx.node().attrs.find("p"))
    p = pa->kind == ir::AttrKind::kFloat ? pa->f : static_cast<double>(pa->i);
  const int64_t planes = x->dim(0) * x->dim(1);
  const int64_t n = planes == 0 ? 0 : x->size() / planes;
  if (y->size() != planes) return ctx.error("Y has the wrong size");
  for (int64_t pl = 0; pl < planes; ++pl) {
    const float* v = x->data<float>() + pl * n;
    double acc = 0;
    double m = -std::numeric_limits<double>::infinity();
    for (int64_t i = 0; i < n; ++i) {
      acc += op == "GlobalLpPool" ? std::pow(std::fabs(static_cast<double>(v[i])), p) : v[i];
      m = std::max<double>(m, v[i]);
    }
    y->data<float>()[pl] = static_cast<float>(
        op == "GlobalMaxPool" ? m
        : op == "GlobalAveragePool" ? (n ? acc / static_cast<double>(n) : std::nan(""))
                                    : std::pow(acc, 1.0 / p));
  }
  return Status::ok();
}

}  // namespace

Expected<std::unique_ptr<Kernel>> make_ref_conv(const KernelInit&) {
  return std::unique_ptr<Kernel>(new FunctionKernel(&ref_conv, "reference"));
}
Expected<std::unique_ptr<Kernel>> make_ref_pool(const KernelInit&) {
  return std::unique_ptr<Kernel>(new FunctionKernel(&ref_pool, "reference"));
}
Expected<std::unique_ptr<Kernel>> make_ref_global_pool(const KernelInit&) {
  return std::unique_ptr<Kernel>(new FunctionKernel(&ref_global_pool, "reference"));
}

}  // namespace onnxrt::kernels
