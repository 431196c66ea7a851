// RMSNormalization on the CPU (rows of the normalized shape spread over the pool, float math
// with double row sums) and MeanVarianceNormalization (one simple kernel for both tables: it
// runs once per model on small tensors, where a second implementation would add nothing).
#include <algorithm>
#include <cmath>
#include <span>
#include <string>
#include <vector>

#include "base/thread_pool.h"
#include "kernels/cpu/half_rows.h"
#include "kernels/cpu/transformer_common.h"

namespace onnxrt::kernels {

namespace tf {

// Scale broadcast (numpy, right-aligned) to the trailing shape `trailing`, as floats.
Status expand_scale(KernelContext& ctx, const Tensor& s, const Shape& trailing, std::vector<float>& out) {
  const size_t r = trailing.size();
  if (static_cast<size_t>(s.rank()) > r)
    return ctx.error("scale " + shape_to_string(s.shape()) + " has more dims than the normalized shape " +
                     shape_to_string(trailing));
  std::vector<int64_t> stride(r, 0);
  int64_t st = 1;
  for (size_t k = 0; k < static_cast<size_t>(s.rank()); ++k) {
    const size_t sd = static_cast<size_t>(s.rank()) - 1 - k, od = r - 1 - k;
    const int64_t d = s.shape()[sd];
    if (d != 1 && d != trailing[od])
      return ctx.error("scale " + shape_to_string(s.shape()) + " does not broadcast to the normalized shape " +
                       shape_to_string(trailing));
    stride[od] = d == 1 ? 0 : st;
    st *= d;
  }
  const int64_t n = shape_size(trailing);
  out.resize(static_cast<size_t>(n));
  std::vector<int64_t> idx(r, 0);
  for (int64_t i = 0; i < n; ++i) {
    int64_t off = 0;
    for (size_t d = 0; d < r; ++d) off += idx[d] * stride[d];
    out[static_cast<size_t>(i)] = static_cast<float>(load(s, off));
    for (size_t d = r; d-- > 0;) {
      if (++idx[d] < trailing[d]) break;
      idx[d] = 0;
    }
  }
  return Status::ok();
}

}  // namespace tf

namespace {

class RmsNormKernel final : public Kernel {
 public:
  RmsNormKernel(int64_t axis, float eps) : axis_(axis), eps_(eps) {}
  Status run(KernelContext& ctx) const override {
    const Tensor* x = ctx.input(0);
    const Tensor* scale = ctx.num_inputs() > 1 ? ctx.input(1) : nullptr;
    Tensor* y = ctx.output(0);
    if (!x || !scale || !y || !tf::is_float(x->dtype()) || !tf::is_float(scale->dtype()) ||
        y->shape() != x->shape() || y->dtype() != x->dtype())
      return ctx.error("needs float X, scale and an output of X's shape and type");
    const int64_t rank = x->rank();
    if (axis_ < -rank || axis_ >= rank)
      return ctx.error("axis " + std::to_string(axis_) + " out of range for rank " + std::to_string(rank));
    const int64_t axis = axis_ < 0 ? axis_ + rank : axis_;
    const Shape trailing(x->shape().begin() + axis, x->shape().end());
    const int64_t cols = shape_size(trailing);
    const int64_t rows = cols == 0 ? 0 : x->size() / cols;
    // A float32 scale of the normalized shape (leading 1s aside) is used as it is; others are
    // broadcast and converted (an expansion per run was 9% of a fused [128, 2048] RMSNorm).
    auto strip = [](std::span<const int64_t> d) {
      while (!d.empty() && d.front() == 1) d = d.subspan(1);
      return Shape(d.begin(), d.end());
    };
    std::vector<float> wbuf;
    const float* w = nullptr;
    if (scale->dtype() == DType::kFloat32 && strip(scale->shape()) == strip(trailing)) {
      w = scale->data<float>();
    } else {
      ONNXRT_RETURN_IF_ERROR(tf::expand_scale(ctx, *scale, trailing, wbuf));
      w = wbuf.data();
    }
    // float16 / bfloat16 rows are widened one at a time into a buffer of the task (below);
    // float64 goes through whole-tensor float copies.
    const DType dt = x->dtype();
    const bool narrow = is_16bit_float(dt);
    std::vector<float> xb, yb;
    const float* xd = dt == DType::kFloat32 ? x->data<float>() : nullptr;
    float* yd = dt == DType::kFloat32 ? y->data<float>() : nullptr;
    if (dt != DType::kFloat32 && !narrow) {
      xb.resize(static_cast<size_t>(x->size()));
      tf::to_float(*x, xb.data());
      xd = xb.data();
      yb.resize(xb.size());
      yd = yb.data();
    }
    const float eps = eps_;
    ctx.threads().parallel_for(rows, 4.0 * static_cast<double>(cols), [&](int64_t r0, int64_t r1) {
      std::vector<float> row(narrow ? static_cast<size_t>(cols) : 0);
      for (int64_t r = r0; r < r1; ++r) {
        if (narrow) widen_16bit(dt, x->data<uint16_t>() + r * cols, row.data(), cols);
        const float* xr = narrow ? row.data() : xd + r * cols;
        float* yr = narrow ? row.data() : yd + r * cols;  // in place: each element is read before it is written
        float acc[8] = {0, 0, 0, 0, 0, 0, 0, 0};
        int64_t c = 0;
        for (; c + 8 <= cols; c += 8)
          for (int k = 0; k < 8; ++k) acc[k] += xr[c + k] * xr[c + k];
        double ss = 0;
        for (; c < cols; ++c) ss += static_cast<double>(xr[c]) * xr[c];
        for (float v : acc) ss += v;
        const float inv = static_cast<float>(1.0 / std::sqrt(ss / static_cast<double>(cols) + eps));
        for (c = 0; c < cols; ++c) yr[c] = xr[c] * inv * w[c];
        if (narrow) narrow_16bit(dt, row.data(), y->data<uint16_t>() + r * cols, cols);
      }
    });
    if (!yb.empty()) tf::from_float(yb.data(), *y);
    return Status::ok();
  }

 private:
  int64_t axis_;
  float eps_;
};

// MeanVarianceNormalization: (x - mean) / (sqrt(var) + 1e-9) over `axes`, as the spec's
// function body computes it (the epsilon is added to the deviation, not to the variance).
Status run_mvn(KernelContext& ctx) {
  const Tensor* x = ctx.input(0);
  Tensor* y = ctx.output(0);
  ir::AttrReader a(ctx.node());
  std::vector<int64_t> axes = a.ints("axes", {0, 2, 3});
  ONNXRT_RETURN_IF_ERROR(a.status());
  if (!x || !y || !tf::is_float(x->dtype()) || y->shape() != x->shape() || y->dtype() != x->dtype())
    return ctx.error("needs float X and an output of X's shape and type");
  const int64_t rank = x->rank();
  std::vector<bool> reduced(static_cast<size_t>(rank), false);
  for (int64_t ax : axes) {
    if (ax < -rank || ax >= rank)
      return ctx.error("axis " + std::to_string(ax) + " out of range for rank " + std::to_string(rank));
    reduced[static_cast<size_t>(ax < 0 ? ax + rank : ax)] = true;
  }
  // Group index of each element: its coordinates along the kept dims.
  int64_t groups = 1;
  for (int64_t d = 0; d < rank; ++d)
    if (!reduced[static_cast<size_t>(d)]) groups *= x->dim(d);
  const int64_t n = x->size();
  const int64_t per_group = groups == 0 ? 0 : n / groups;
  std::vector<int64_t> group(static_cast<size_t>(n));
  std::vector<int64_t> idx(static_cast<size_t>(rank), 0);
  for (int64_t i = 0; i < n; ++i) {
    int64_t gi = 0;
    for (int64_t d = 0; d < rank; ++d)
      if (!reduced[static_cast<size_t>(d)]) gi = gi * x->dim(d) + idx[static_cast<size_t>(d)];
    group[static_cast<size_t>(i)] = gi;
    for (int64_t d = rank; d-- > 0;) {
      if (++idx[static_cast<size_t>(d)] < x->dim(d)) break;
      idx[static_cast<size_t>(d)] = 0;
    }
  }
  std::vector<double> mean(static_cast<size_t>(groups), 0.0), var(static_cast<size_t>(groups), 0.0);
  for (int64_t i = 0; i < n; ++i) mean[static_cast<size_t>(group[static_cast<size_t>(i)])] += tf::load(*x, i);
  for (double& m : mean) m /= static_cast<double>(per_group);
  for (int64_t i = 0; i < n; ++i) {
    const double dv = tf::load(*x, i) - mean[static_cast<size_t>(group[static_cast<size_t>(i)])];
    var[static_cast<size_t>(group[static_cast<size_t>(i)])] += dv * dv;
  }
  for (double& v : var) v /= static_cast<double>(per_group);
  for (int64_t i = 0; i < n; ++i) {
    const size_t gi = static_cast<size_t>(group[static_cast<size_t>(i)]);
    tf::store(*y, i, (tf::load(*x, i) - mean[gi]) / (std::sqrt(var[gi]) + 1e-9));
  }
  return Status::ok();
}

}  // namespace

Expected<std::unique_ptr<Kernel>> make_cpu_rms_norm(const KernelInit& init) {
  ir::AttrReader a(init.node);
  const int64_t axis = a.i("axis", -1);
  const float eps = a.f("epsilon", 1e-5f);
  a.i("stash_type", 1);
  ONNXRT_RETURN_IF_ERROR(a.status());
  return std::unique_ptr<Kernel>(new RmsNormKernel(axis, eps));
}

Expected<std::unique_ptr<Kernel>> make_mvn(const KernelInit& init) {
  return std::unique_ptr<Kernel>(new FunctionKernel(&run_mvn, "default"));
}

}  // namespace onnxrt::kernels
