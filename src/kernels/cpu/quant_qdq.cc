// com.onnxrt QuantizeDequantize(X, scale, zero_point) (passes/fuse_quantize_dequantize.cc): a
// QDQ model's QuantizeLinear -> DequantizeLinear pair on an activation, per tensor, as one pass
// over X (base/quantize_dequantize.h). The CPU table runs the AVX2 ukernel over blocks on every
// thread; the reference table the scalar definition.
#include <algorithm>
#include <string>

#include "base/quantize_dequantize.h"
#include "base/thread_pool.h"
#include "kernels/cpu/quant_ops.h"
#include "kernels/ukernels/elementwise/quantize.h"

namespace onnxrt::kernels::quant {

namespace {

class QuantizeDequantizeKernel final : public Kernel {
 public:
  explicit QuantizeDequantizeKernel(bool vectorized) : vectorized_(vectorized) {}
  const char* variant() const override { return vectorized_ ? "ukernel" : "scalar"; }

  Status run(KernelContext& ctx) const override {
    if (ctx.num_inputs() < 3 || !ctx.input(0) || !ctx.input(1) || !ctx.input(2) || !ctx.output(0))
      return ctx.error("needs inputs X, scale and zero_point and output Y");
    const Tensor& x = *ctx.input(0);
    const Tensor& scale = *ctx.input(1);
    const Tensor& zp = *ctx.input(2);
    int32_t lo = 0, hi = 0;
    if (x.dtype() != DType::kFloat32 || scale.dtype() != DType::kFloat32 || !quantized_range(zp.dtype(), &lo, &hi))
      return ctx.error("X and scale must be float32 and zero_point int8, uint8, int16 or uint16");
    if (scale.size() != 1 || zp.size() != 1)
      return ctx.error("scale and zero_point must have one element, got " + std::to_string(scale.size()) + " and " +
                       std::to_string(zp.size()));
    if (ctx.output(0)->dtype() != DType::kFloat32 || ctx.output(0)->shape() != x.shape())
      return ctx.error("output Y must be float32 of X's shape " + shape_to_string(x.shape()));
    const float s = scale.data<float>()[0];
    const int32_t z = zero_point_at(zp.dtype(), zp.raw());
    const float* px = x.data<float>();
    float* py = ctx.output(0)->data<float>();
    const ew::QuantizeDequantizeF32Fn fn =
        vectorized_ ? ew::quantize_dequantize_f32_ukernel() : &ew::quantize_dequantize_f32_scalar;
    constexpr int64_t kBlock = 4096;
    const int64_t n = x.size(), blocks = (n + kBlock - 1) / kBlock;
    ctx.threads().parallel_for(blocks, 2.0 * kBlock, [&](int64_t b, int64_t e) {
      const int64_t i0 = b * kBlock, i1 = std::min(n, e * kBlock);
      fn(px + i0, i1 - i0, s, z, lo, hi, py + i0);
    });
    return Status::ok();
  }

 private:
  bool vectorized_;
};

}  // namespace

Expected<std::unique_ptr<Kernel>> make_quantize_dequantize(const KernelInit&) {
  return std::unique_ptr<Kernel>(new QuantizeDequantizeKernel(true));
}

Expected<std::unique_ptr<Kernel>> make_quantize_dequantize_reference(const KernelInit&) {
  return std::unique_ptr<Kernel>(new QuantizeDequantizeKernel(false));
}

}  // namespace onnxrt::kernels::quant
