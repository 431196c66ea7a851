// DFT and STFT around a pluggable 1-D transform (see signal_common.h), shared by both backends.
//
// Lanes are computed in double whatever the tensor type: the conformance data are float64
// results rounded to float, compared with an absolute tolerance of 1e-7, and bins that are
// exactly zero in exact arithmetic (the imaginary part of DC, of Nyquist for real input) only
// stay below that in double. Lanes are independent, so they are spread over the threads.
#include <algorithm>
#include <cmath>
#include <string>
#include <vector>

#include "base/thread_pool.h"
#include "ir/attribute.h"
#include "kernels/cpu/signal_common.h"

namespace onnxrt::kernels::signal {

void store_any(Tensor& t, int64_t i, double v) {
  switch (t.dtype()) {
    case DType::kFloat32: t.data<float>()[i] = static_cast<float>(v); break;
    case DType::kFloat64: t.data<double>()[i] = v; break;
    case DType::kFloat16: t.data<uint16_t>()[i] = float_to_half(static_cast<float>(v)); break;
    case DType::kBFloat16: t.data<uint16_t>()[i] = float_to_bfloat16(static_cast<float>(v)); break;
    case DType::kInt8: t.data<int8_t>()[i] = static_cast<int8_t>(v); break;
    case DType::kInt16: t.data<int16_t>()[i] = static_cast<int16_t>(v); break;
    case DType::kInt32: t.data<int32_t>()[i] = static_cast<int32_t>(v); break;
    case DType::kInt64: t.data<int64_t>()[i] = static_cast<int64_t>(v); break;
    case DType::kUInt8: t.data<uint8_t>()[i] = static_cast<uint8_t>(v < 0 ? 0 : v); break;
    case DType::kUInt16: t.data<uint16_t>()[i] = static_cast<uint16_t>(v < 0 ? 0 : v); break;
    case DType::kUInt32: t.data<uint32_t>()[i] = static_cast<uint32_t>(v < 0 ? 0 : v); break;
    case DType::kUInt64: t.data<uint64_t>()[i] = static_cast<uint64_t>(v < 0 ? 0 : v); break;
    default: break;
  }
}

bool storable(DType t) {
  switch (t) {
    case DType::kFloat32: case DType::kFloat64: case DType::kFloat16: case DType::kBFloat16:
    case DType::kInt8: case DType::kInt16: case DType::kInt32: case DType::kInt64:
    case DType::kUInt8: case DType::kUInt16: case DType::kUInt32: case DType::kUInt64:
      return true;
    default:
      return false;
  }
}

Expected<int64_t> scalar_int(const KernelContext& ctx, const Tensor* t, const char* name) {
  if (!t) return ctx.error(std::string("missing input ") + name);
  if (t->size() != 1)
    return ctx.error(std::string(name) + " must be a scalar, got shape " + shape_to_string(t->shape()));
  if (t->dtype() == DType::kInt64) return t->data<int64_t>()[0];
  if (t->dtype() == DType::kInt32) return static_cast<int64_t>(t->data<int32_t>()[0]);
  return ctx.error(std::string(name) + " must be int32 or int64, got " +
                   std::string(dtype_name(t->dtype())));
}

namespace {

Status check_output(const KernelContext& ctx, const Tensor* y, DType dt, const Shape& want) {
  if (!y) return ctx.error("output 0 is missing");
  if (y->dtype() != dt || y->shape() != want)
    return ctx.error("output has shape " + shape_to_string(y->shape()) + ", expected " +
                     shape_to_string(want));
  return Status::ok();
}

double lane_cost(int64_t n) { return 20.0 * static_cast<double>(n) * (1.0 + std::log2(1.0 + n)); }

// ---- DFT

class DftKernel final : public Kernel {
 public:
  DftKernel(TransformFactory make, const char* variant, int64_t axis, bool inverse, bool onesided)
      : make_(make), variant_(variant), axis_(axis), inverse_(inverse), onesided_(onesided) {}
  const char* variant() const override { return variant_; }

  Status run(KernelContext& ctx) const override {
    const Tensor* x = ctx.input(0);
    if (!x || !is_float_dtype(x->dtype())) return ctx.error("input must be a float tensor");
    const int64_t r = x->rank();
    if (r < 2 || (x->dim(r - 1) != 1 && x->dim(r - 1) != 2))
      return ctx.error("input must have shape [..., 1 or 2], got " + shape_to_string(x->shape()));
    int64_t axis = axis_;
    if (ctx.node().opset >= 20) {
      axis = -2;
      if (ctx.num_inputs() > 2 && ctx.input(2)) {
        ONNXRT_ASSIGN_OR_RETURN(axis, scalar_int(ctx, ctx.input(2), "axis"));
      }
    }
    const int64_t ax = axis < 0 ? axis + r : axis;
    if (ax < 0 || ax > r - 2)
      return ctx.error("axis " + std::to_string(axis) + " is out of range for rank " + std::to_string(r));
    const int64_t L = x->dim(ax), cin = x->dim(r - 1);
    const bool irfft = inverse_ && onesided_;
    int64_t n = irfft ? 2 * (L - 1) : L;
    if (ctx.num_inputs() > 1 && ctx.input(1)) {
      ONNXRT_ASSIGN_OR_RETURN(n, scalar_int(ctx, ctx.input(1), "dft_length"));
      if (n <= 0) return ctx.error("dft_length " + std::to_string(n) + " must be positive");
    }
    if (n < 0) return ctx.error("an inverse one-sided DFT needs at least one bin on the axis");
    int64_t outer = 1, inner = 1;
    for (int64_t d = 0; d < ax; ++d) outer *= x->dim(d);
    for (int64_t d = ax + 1; d < r - 1; ++d) inner *= x->dim(d);
    const int64_t out_len = onesided_ && !inverse_ ? n / 2 + 1 : n;
    const int64_t cout = irfft ? 1 : 2;
    Shape want = x->shape();
    want[static_cast<size_t>(ax)] = out_len;
    want.back() = cout;
    Tensor* y = ctx.output(0);
    ONNXRT_RETURN_IF_ERROR(check_output(ctx, y, x->dtype(), want));
    if (y->size() == 0) return Status::ok();
    const std::unique_ptr<LaneTransform> plan = make_(n, inverse_);
    const double scale = inverse_ ? 1.0 / static_cast<double>(n) : 1.0;
    const int64_t half = n / 2;
    ctx.threads().parallel_for(outer * inner, lane_cost(n), [&](int64_t l0, int64_t l1) {
      std::vector<cd> buf(static_cast<size_t>(n)), work(static_cast<size_t>(plan->work_size()));
      for (int64_t lane = l0; lane < l1; ++lane) {
        const int64_t o = lane / inner, i = lane % inner;
        auto at = [&](int64_t l) {  // input value l along the axis
          const int64_t base = ((o * L + l) * inner + i) * cin;
          return cd(load_f(*x, base), cin == 2 ? load_f(*x, base + 1) : 0.0);
        };
        if (irfft) {
          // numpy's irfft: bins 0..n/2 from the input (zero past its end), the rest their
          // conjugate mirror; the imaginary parts of DC and Nyquist drop out of the real part.
          for (int64_t k = 0; k < n; ++k) {
            const int64_t src = k <= half ? k : n - k;
            cd v = src < L ? at(src) : cd(0.0, 0.0);
            buf[static_cast<size_t>(k)] = k <= half ? v : std::conj(v);
          }
        } else {
          for (int64_t k = 0; k < n; ++k) buf[static_cast<size_t>(k)] = k < L ? at(k) : cd(0.0, 0.0);
        }
        plan->run(buf.data(), work.data());
        for (int64_t k = 0; k < out_len; ++k) {
          const int64_t base = ((o * out_len + k) * inner + i) * cout;
          const cd v = buf[static_cast<size_t>(k)] * scale;
          store_any(*y, base, v.real());
          if (cout == 2) store_any(*y, base + 1, v.imag());
        }
      }
    });
    return Status::ok();
  }

 private:
  TransformFactory make_;
  const char* variant_;
  int64_t axis_;
  bool inverse_, onesided_;
};

// ---- STFT

class StftKernel final : public Kernel {
 public:
  StftKernel(TransformFactory make, const char* variant, bool onesided)
      : make_(make), variant_(variant), onesided_(onesided) {}
  const char* variant() const override { return variant_; }

  Status run(KernelContext& ctx) const override {
    const Tensor* x = ctx.input(0);
    if (!x || !is_float_dtype(x->dtype())) return ctx.error("signal must be a float tensor");
    if (x->rank() != 3 || (x->dim(2) != 1 && x->dim(2) != 2))
      return ctx.error("signal must have shape [batch, length, 1 or 2], got " +
                       shape_to_string(x->shape()));
    const int64_t B = x->dim(0), L = x->dim(1), cin = x->dim(2);
    ONNXRT_ASSIGN_OR_RETURN(const int64_t step, scalar_int(ctx, ctx.input(1), "frame_step"));
    const Tensor* win = ctx.num_inputs() > 2 ? ctx.input(2) : nullptr;
    const Tensor* flt = ctx.num_inputs() > 3 ? ctx.input(3) : nullptr;
    int64_t fl = L;
    if (win) {
      if (win->rank() != 1 || win->dtype() != x->dtype())
        return ctx.error("window must be 1-D of the signal's type, got " + shape_to_string(win->shape()));
      fl = win->dim(0);
    }
    if (flt) {
      ONNXRT_ASSIGN_OR_RETURN(fl, scalar_int(ctx, flt, "frame_length"));
      if (win && win->dim(0) != fl)
        return ctx.error("window length " + std::to_string(win->dim(0)) +
                         " must equal frame_length " + std::to_string(fl));
    }
    if (step <= 0) return ctx.error("frame_step " + std::to_string(step) + " must be positive");
    if (fl <= 0 || fl > L)
      return ctx.error("frame_length " + std::to_string(fl) + " must be in [1, signal length " +
                       std::to_string(L) + "]");
    const int64_t frames = (L - fl) / step + 1;
    const int64_t bins = onesided_ ? fl / 2 + 1 : fl;
    Tensor* y = ctx.output(0);
    ONNXRT_RETURN_IF_ERROR(check_output(ctx, y, x->dtype(), {B, frames, bins, 2}));
    if (y->size() == 0) return Status::ok();
    const std::unique_ptr<LaneTransform> plan = make_(fl, false);
    ctx.threads().parallel_for(B * frames, lane_cost(fl), [&](int64_t l0, int64_t l1) {
      std::vector<cd> buf(static_cast<size_t>(fl)), work(static_cast<size_t>(plan->work_size()));
      for (int64_t lane = l0; lane < l1; ++lane) {
        const int64_t b = lane / frames, f = lane % frames;
        for (int64_t j = 0; j < fl; ++j) {
          const int64_t base = (b * L + f * step + j) * cin;
          const double w = win ? load_f(*win, j) : 1.0;
          buf[static_cast<size_t>(j)] =
              cd(load_f(*x, base), cin == 2 ? load_f(*x, base + 1) : 0.0) * w;
        }
        plan->run(buf.data(), work.data());
        for (int64_t k = 0; k < bins; ++k) {
          const int64_t base = (lane * bins + k) * 2;
          store_any(*y, base, buf[static_cast<size_t>(k)].real());
          store_any(*y, base + 1, buf[static_cast<size_t>(k)].imag());
        }
      }
    });
    return Status::ok();
  }

 private:
  TransformFactory make_;
  const char* variant_;
  bool onesided_;
};

}  // namespace

Expected<std::unique_ptr<Kernel>> make_dft_kernel(const KernelInit& init, TransformFactory make,
                                                  const char* variant) {
  ir::AttrReader a(init.node);
  const bool inverse = a.i("inverse", 0) != 0;
  const bool onesided = a.i("onesided", 0) != 0;
  const int64_t axis = a.i("axis", 1);
  ONNXRT_RETURN_IF_ERROR(a.status());
  return std::unique_ptr<Kernel>(new DftKernel(make, variant, axis, inverse, onesided));
}

Expected<std::unique_ptr<Kernel>> make_stft_kernel(const KernelInit& init, TransformFactory make,
                                                   const char* variant) {
  ir::AttrReader a(init.node);
  const bool onesided = a.i("onesided", 1) != 0;
  ONNXRT_RETURN_IF_ERROR(a.status());
  return std::unique_ptr<Kernel>(new StftKernel(make, variant, onesided));
}

}  // namespace onnxrt::kernels::signal
