// The signal ops that are not transforms: HannWindow, HammingWindow, BlackmanWindow,
// MelWeightMatrix and NonMaxSuppression. Their work is small and sequential by nature, so one
// simple implementation serves both kernel tables; pinned values in the tests carry the weight.
#include <algorithm>
#include <cmath>
#include <numeric>
#include <optional>
#include <string>
#include <vector>

#include "ir/attribute.h"
#include "kernels/cpu/signal_common.h"

namespace onnxrt::kernels::signal {

namespace {

constexpr double kPi = 3.14159265358979323846;

// ---- windows

enum class Window { kHann, kHamming, kBlackman };

class WindowKernel final : public Kernel {
 public:
  WindowKernel(Window kind, bool periodic) : kind_(kind), periodic_(periodic) {}
  Status run(KernelContext& ctx) const override {
    ONNXRT_ASSIGN_OR_RETURN(const int64_t size, scalar_int(ctx, ctx.input(0), "size"));
    Tensor* y = ctx.output(0);
    if (!y || y->shape() != Shape{size} || !storable(y->dtype()))
      return ctx.error("output must have shape [" + std::to_string(size) + "]");
    // Periodic windows are one period of a window of size + 1 (for spectral analysis);
    // symmetric ones end where they start. A symmetric window of one sample is [1].
    const int64_t N = periodic_ ? size : size - 1;
    for (int64_t k = 0; k < size; ++k) {
      double v = 1.0;
      if (N > 0) {
        const double a = 2.0 * kPi * static_cast<double>(k) / static_cast<double>(N);
        switch (kind_) {
          case Window::kHann: v = 0.5 - 0.5 * std::cos(a); break;
          case Window::kHamming: v = 25.0 / 46.0 - 21.0 / 46.0 * std::cos(a); break;
          case Window::kBlackman: v = 0.42 - 0.5 * std::cos(a) + 0.08 * std::cos(2.0 * a); break;
        }
      }
      store_any(*y, k, v);
    }
    return Status::ok();
  }

 private:
  Window kind_;
  bool periodic_;
};

// ---- MelWeightMatrix

class MelKernel final : public Kernel {
 public:
  Status run(KernelContext& ctx) const override {
    ONNXRT_ASSIGN_OR_RETURN(const int64_t bins, scalar_int(ctx, ctx.input(0), "num_mel_bins"));
    ONNXRT_ASSIGN_OR_RETURN(const int64_t n, scalar_int(ctx, ctx.input(1), "dft_length"));
    ONNXRT_ASSIGN_OR_RETURN(const int64_t rate, scalar_int(ctx, ctx.input(2), "sample_rate"));
    const Tensor* lo = ctx.input(3);
    const Tensor* hi = ctx.input(4);
    if (!lo || !hi || lo->size() != 1 || hi->size() != 1 || !is_float_dtype(lo->dtype()) ||
        !is_float_dtype(hi->dtype()))
      return ctx.error("lower_edge_hertz and upper_edge_hertz must be float scalars");
    if (bins <= 0 || n <= 0 || rate <= 0)
      return ctx.error("num_mel_bins, dft_length and sample_rate must be positive, got " +
                       std::to_string(bins) + ", " + std::to_string(n) + ", " + std::to_string(rate));
    const int64_t spec_bins = n / 2 + 1;
    Tensor* y = ctx.output(0);
    if (!y || y->shape() != Shape{spec_bins, bins} || !storable(y->dtype()))
      return ctx.error("output must have shape [" + std::to_string(spec_bins) + ", " +
                       std::to_string(bins) + "]");
    // The spec's reference computes log1p in the edges' own precision and the rest in double;
    // the bin edges are floored, so we follow it to land on the same integers.
    auto mel = [&](const Tensor& t) {
      const double hz = load_f(t, 0);
      const double l = t.dtype() == DType::kFloat64
                           ? 2595.0 * std::log1p(hz / 700.0)
                           : static_cast<double>(2595.0f * std::log1p(static_cast<float>(hz) / 700.0f));
      return l / std::log(10.0);
    };
    const double low = mel(*lo), high = mel(*hi);
    const double step = (high - low) / static_cast<double>(bins + 2);
    std::vector<int64_t> edge(static_cast<size_t>(bins + 2));
    // NaN or huge edge frequencies (the edges are inputs) have no int64 value: NaN becomes bin 0 and
    // the rest is clamped to +-2^40 bins, far outside any spectrum, so that the differences of
    // edges below cannot overflow either.
    constexpr double kFarBin = 1099511627776.0;  // 2^40
    for (int64_t i = 0; i < bins + 2; ++i) {
      const double m = static_cast<double>(i) * step + low;
      const double hz = 700.0 * std::expm1(m / 2595.0 * std::log(10.0));
      const double e = std::floor(static_cast<double>(n + 1) * hz / static_cast<double>(rate));
      edge[static_cast<size_t>(i)] = std::isnan(e) ? 0 : static_cast<int64_t>(std::clamp(e, -kFarBin, kFarBin));
    }
    for (int64_t i = 0; i < y->size(); ++i) store_any(*y, i, 0.0);
    // Edges past the spectrum (upper_edge_hertz above Nyquist) are clipped, not written.
    auto set = [&](int64_t row, int64_t col, double v) {
      if (row >= 0 && row < spec_bins) store_any(*y, row * bins + col, v);
    };
    for (int64_t i = 0; i < bins; ++i) {
      const int64_t left = edge[static_cast<size_t>(i)], center = edge[static_cast<size_t>(i + 1)],
                    right = edge[static_cast<size_t>(i + 2)];
      if (center == left) {
        set(center, i, 1.0);
      } else {
        for (int64_t j = std::max<int64_t>(left, 0); j <= std::min(center, spec_bins - 1); ++j)
          set(j, i, static_cast<double>(j - left) / static_cast<double>(center - left));
      }
      if (right > center)
        for (int64_t j = std::max<int64_t>(center, 0); j <= std::min(right - 1, spec_bins - 1); ++j)
          set(j, i, static_cast<double>(right - j) / static_cast<double>(right - center));
    }
    return Status::ok();
  }
};

// ---- NonMaxSuppression

struct Box {
  float x0, y0, x1, y1;  // min/max corners
};

Box corners(const float* b, bool center) {
  if (center) {  // [x_center, y_center, width, height]
    const float hw = b[2] / 2, hh = b[3] / 2;
    return {b[0] - hw, b[1] - hh, b[0] + hw, b[1] + hh};
  }
  // [y1, x1, y2, x2], any diagonal pair of corners.
  return {std::min(b[1], b[3]), std::min(b[0], b[2]), std::max(b[1], b[3]), std::max(b[0], b[2])};
}

// IoU > threshold, in float as the spec's reference computes it: a pair whose IoU equals the
// threshold is kept.
bool suppresses(const Box& a, const Box& b, float threshold) {
  const float ix0 = std::max(a.x0, b.x0), ix1 = std::min(a.x1, b.x1);
  if (ix1 <= ix0) return false;
  const float iy0 = std::max(a.y0, b.y0), iy1 = std::min(a.y1, b.y1);
  if (iy1 <= iy0) return false;
  const float inter = (ix1 - ix0) * (iy1 - iy0);
  const float area_a = (a.x1 - a.x0) * (a.y1 - a.y0), area_b = (b.x1 - b.x0) * (b.y1 - b.y0);
  const float uni = area_a + area_b - inter;
  if (inter <= 0 || area_a <= 0 || area_b <= 0 || uni <= 0) return false;
  return inter / uni > threshold;
}

class NmsKernel final : public Kernel {
 public:
  explicit NmsKernel(bool center) : center_(center) {}
  Status run(KernelContext& ctx) const override {
    const Tensor* boxes = ctx.input(0);
    const Tensor* scores = ctx.input(1);
    if (!boxes || !scores || boxes->dtype() != DType::kFloat32 || scores->dtype() != DType::kFloat32)
      return ctx.error("boxes and scores must be float32");
    if (boxes->rank() != 3 || boxes->dim(2) != 4 || scores->rank() != 3 ||
        scores->dim(0) != boxes->dim(0) || scores->dim(2) != boxes->dim(1))
      return ctx.error("boxes " + shape_to_string(boxes->shape()) + " and scores " +
                       shape_to_string(scores->shape()) +
                       " must be [batches, boxes, 4] and [batches, classes, boxes]");
    auto opt = [&](size_t i) { return ctx.num_inputs() > i ? ctx.input(i) : nullptr; };
    int64_t max_out = 0;
    if (const Tensor* m = opt(2); m && m->size() > 0) {
      if (m->dtype() == DType::kInt64) max_out = m->data<int64_t>()[0];
      else if (m->dtype() == DType::kInt32) max_out = m->data<int32_t>()[0];
      else return ctx.error("max_output_boxes_per_class must be int64");
    }
    float iou = 0.0f;
    std::optional<float> score_min;
    for (size_t i : {size_t{3}, size_t{4}}) {
      const Tensor* t = opt(i);
      if (!t || t->size() == 0) continue;
      if (t->dtype() != DType::kFloat32) return ctx.error("thresholds must be float32");
      if (i == 3) iou = t->data<float>()[0];
      else score_min = t->data<float>()[0];
    }
    if (iou < 0.0f || iou > 1.0f)
      return ctx.error("iou_threshold " + std::to_string(iou) + " must be in [0, 1]");
    const int64_t NB = boxes->dim(0), N = boxes->dim(1), C = scores->dim(1);
    const float* bd = boxes->data<float>();
    const float* sd = scores->data<float>();
    std::vector<int64_t> out;
    std::vector<Box> bx(static_cast<size_t>(N));
    std::vector<int64_t> order;
    std::vector<int64_t> kept;
    for (int64_t b = 0; b < NB && max_out > 0; ++b) {
      for (int64_t i = 0; i < N; ++i) bx[static_cast<size_t>(i)] = corners(bd + (b * N + i) * 4, center_);
      for (int64_t c = 0; c < C; ++c) {
        const float* s = sd + (b * C + c) * N;
        order.clear();
        for (int64_t i = 0; i < N; ++i)
          if (!score_min || s[i] > *score_min) order.push_back(i);
        // Highest score first; equal scores in box order.
        std::stable_sort(order.begin(), order.end(), [&](int64_t p, int64_t q) { return s[p] > s[q]; });
        kept.clear();
        for (int64_t i : order) {
          if (static_cast<int64_t>(kept.size()) >= max_out) break;
          bool ok = true;
          for (int64_t k : kept)
            if (suppresses(bx[static_cast<size_t>(i)], bx[static_cast<size_t>(k)], iou)) {
              ok = false;
              break;
            }
          if (!ok) continue;
          kept.push_back(i);
          out.insert(out.end(), {b, c, i});
        }
      }
    }
    const int64_t count = static_cast<int64_t>(out.size() / 3);
    Tensor* y = ctx.allocate_output(0, DType::kInt64, {count, 3});
    if (!y) {
      const auto& outs = ctx.node().outputs;
      if (outs.empty() || outs[0] == ir::kNoValue) return Status::ok();  // output omitted
      return ctx.error("could not allocate the output of " + std::to_string(count) + " rows");
    }
    std::copy(out.begin(), out.end(), y->data<int64_t>());
    return Status::ok();
  }

 private:
  bool center_;
};

}  // namespace

Expected<std::unique_ptr<Kernel>> make_window(const KernelInit& init) {
  ir::AttrReader a(init.node);
  const bool periodic = a.i("periodic", 1) != 0;
  const int64_t dt = a.i("output_datatype", 1);
  ONNXRT_RETURN_IF_ERROR(a.status());
  if (!dtype_is_valid(static_cast<int32_t>(dt)) || !storable(static_cast<DType>(dt)))
    return init.error("output_datatype " + std::to_string(dt) + " is not supported");
  const Window kind = init.node.op_type == "HannWindow"      ? Window::kHann
                      : init.node.op_type == "HammingWindow" ? Window::kHamming
                                                             : Window::kBlackman;
  return std::unique_ptr<Kernel>(new WindowKernel(kind, periodic));
}

Expected<std::unique_ptr<Kernel>> make_mel_weight_matrix(const KernelInit& init) {
  ir::AttrReader a(init.node);
  const int64_t dt = a.i("output_datatype", 1);
  ONNXRT_RETURN_IF_ERROR(a.status());
  if (!dtype_is_valid(static_cast<int32_t>(dt)) || !storable(static_cast<DType>(dt)))
    return init.error("output_datatype " + std::to_string(dt) + " is not supported");
  return std::unique_ptr<Kernel>(new MelKernel());
}

Expected<std::unique_ptr<Kernel>> make_nms(const KernelInit& init) {
  ir::AttrReader a(init.node);
  const int64_t cpb = a.i("center_point_box", 0);
  ONNXRT_RETURN_IF_ERROR(a.status());
  if (cpb != 0 && cpb != 1) return init.error("center_point_box " + std::to_string(cpb) + " must be 0 or 1");
  return std::unique_ptr<Kernel>(new NmsKernel(cpb == 1));
}

}  // namespace onnxrt::kernels::signal
