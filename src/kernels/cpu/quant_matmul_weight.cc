// com.onnxrt MatMulInt8Weight(A, W, scale, zero_point) = MatMul(A, DequantizeLinear(W, scale,
// zero_point)) with a constant 2-D 8-bit W (passes/fuse_dequantize_matmul.cc): W stays int8.
//
// W is stored as q = W - shift per column, with shift the zero point when W - zp fits int8, else
// the middle of W's type, and off = shift - zp. A row of one to kFewRows rows (a decode step)
// sums x * q in float (exact small integers times floats) and scales once per column:
//   y[j] = scale_j * (sum_k x[k] q[k, j] + off_j * sum_k x[k]),
// reading one byte per weight. More rows dequantize W a block of columns at a time, exactly as
// DequantizeLinear does (float(q + off) * scale), and run SGEMM on the block. The reference
// kernel dequantizes all of W and multiplies with plain loops.
#include <algorithm>
#include <vector>

#include "base/cpu_features.h"
#include "kernels/cpu/gemm.h"
#include "kernels/cpu/qgemm.h"
#include "kernels/cpu/quant_ops.h"
#include "kernels/ukernels/gemm/igemm.h"

namespace onnxrt::kernels::quant {
namespace {

constexpr int64_t kFewRows = 4;
constexpr int64_t kColumnBlock = 256;  // columns dequantized per SGEMM call (K x 256 floats)

class MatMulInt8WeightKernel final : public Kernel {
 public:
  bool reference = false;
  int64_t K = 0, N = 0;
  std::vector<int8_t> q;       // [K, N], W - shift
  std::vector<float> scale;    // [N]
  std::vector<int32_t> off;    // [N], shift - zero point

  const char* variant() const override { return reference ? "reference" : "int8_weight"; }
  bool prepacked_input(size_t i) const override { return i == 1; }

  Status run(KernelContext& ctx) const override {
    const Tensor& a = *ctx.input(0);
    Tensor& y = *ctx.output(0);
    if (a.dtype() != DType::kFloat32) return ctx.error("A must be float, got " + std::string(dtype_name(a.dtype())));
    if (a.rank() < 1 || a.dim(a.rank() - 1) != K)
      return ctx.error("A's last dim must be " + std::to_string(K) + " (W's rows)");
    int64_t rows = 1;  // A's matrices stacked: W has no batch dims
    for (int64_t d = 0; d + 1 < a.rank(); ++d) rows *= a.dim(d);
    if (y.size() != rows * N) return ctx.error("output has the wrong element count");
    const float* pa = a.data<float>();
    float* py = y.data<float>();
    if (rows == 0 || N == 0) return Status::ok();
    if (K == 0) {  // empty sums (and no weight bytes to point into)
      std::fill(py, py + rows * N, 0.0f);
      return Status::ok();
    }
    if (reference) {
      std::vector<float> w = dequantized(0, N);
      for (int64_t r = 0; r < rows; ++r)
        for (int64_t j = 0; j < N; ++j) {
          float s = 0.0f;
          for (int64_t k = 0; k < K; ++k) s += pa[r * K + k] * w[static_cast<size_t>(k * N + j)];
          py[r * N + j] = s;
        }
      return Status::ok();
    }
    if (rows <= kFewRows) {
      const auto gemv = cpu_features().has_avx2_fma() ? &ukernels::gemv_int8w_avx2 : &ukernels::gemv_int8w_scalar;
      float sum_x[kFewRows] = {};  // each row's sum, for the columns stored shifted
      for (int64_t r = 0; r < rows; ++r)
        for (int64_t k = 0; k < K; ++k) sum_x[r] += pa[r * K + k];
      const int64_t chunks = (N + kColumnBlock - 1) / kColumnBlock;
      ctx.threads().parallel_for(chunks, static_cast<double>(rows * K * kColumnBlock), [&](int64_t c0, int64_t c1) {
        const int64_t j0 = c0 * kColumnBlock, j1 = std::min(N, c1 * kColumnBlock);
        for (int64_t r = 0; r < rows; ++r) {
          float* yr = py + r * N;
          gemv(pa + r * K, K, q.data() + j0, N, j1 - j0, yr + j0);
          for (int64_t j = j0; j < j1; ++j) {
            const size_t c = static_cast<size_t>(j);
            yr[j] = scale[c] * (off[c] ? yr[j] + static_cast<float>(off[c]) * sum_x[r] : yr[j]);
          }
        }
      });
      return Status::ok();
    }
    auto* block = static_cast<float*>(ctx.scratch(static_cast<size_t>(K * kColumnBlock) * 4 + 64));
    for (int64_t j0 = 0; j0 < N; j0 += kColumnBlock) {
      const int64_t nb = std::min(kColumnBlock, N - j0);
      ctx.threads().parallel_for(K, static_cast<double>(nb), [&](int64_t k0, int64_t k1) {
        for (int64_t k = k0; k < k1; ++k)
          for (int64_t j = 0; j < nb; ++j) block[k * nb + j] = weight(k, j0 + j);
      });
      sgemm(false, false, rows, nb, K, 1.0f, pa, K, block, nb, 0.0f, py + j0, N, &ctx.threads());
    }
    return Status::ok();
  }

 private:
  // DequantizeLinear's value: float(W - zp) * scale, with W - zp = q + off exact in int32.
  float weight(int64_t k, int64_t j) const {
    const size_t c = static_cast<size_t>(j);
    return static_cast<float>(q[static_cast<size_t>(k * N + j)] + off[c]) * scale[c];
  }
  std::vector<float> dequantized(int64_t j0, int64_t j1) const {
    std::vector<float> w(static_cast<size_t>(K * (j1 - j0)));
    for (int64_t k = 0; k < K; ++k)
      for (int64_t j = j0; j < j1; ++j) w[static_cast<size_t>(k * (j1 - j0) + j - j0)] = weight(k, j);
    return w;
  }
};

const Tensor* constant(const KernelInit& init, size_t i) {
  return i < init.constant_inputs.size() ? init.constant_inputs[i] : nullptr;
}

Expected<std::unique_ptr<Kernel>> make(const KernelInit& init, bool reference) {
  const Tensor* w = constant(init, 1);
  const Tensor* s = constant(init, 2);
  const Tensor* z = constant(init, 3);
  const bool z_given = init.input_types.size() > 3 && init.input_types[3];
  if (!w || !s || (z_given && !z)) return init.error("W, scale and zero_point must be constants");
  if ((w->dtype() != DType::kInt8 && w->dtype() != DType::kUInt8) || w->rank() != 2)
    return init.error("W must be a 2-D int8 or uint8 tensor");
  auto k = std::make_unique<MatMulInt8WeightKernel>();
  k->reference = reference;
  k->K = w->dim(0);
  k->N = w->dim(1);
  const int64_t K = k->K, N = k->N;
  if (s->dtype() != DType::kFloat32 || (s->size() != 1 && s->size() != N))
    return init.error("scale must be float with 1 or " + std::to_string(N) + " elements");
  if (z && (z->dtype() != w->dtype() || (z->size() != 1 && z->size() != N)))
    return init.error("zero_point must be W's type with 1 or " + std::to_string(N) + " elements");
  const bool is_signed = w->dtype() == DType::kInt8;
  auto at = [&](const Tensor& t, int64_t i) -> int32_t {
    return is_signed ? t.data<int8_t>()[i] : t.data<uint8_t>()[i];
  };
  const QuantOperand weight{w->raw(), is_signed, N, z ? z->raw() : nullptr, z ? z->size() : 0};
  const std::vector<int32_t> shift = int8_column_shifts(K, N, weight);
  k->scale.resize(static_cast<size_t>(N));
  k->off.resize(static_cast<size_t>(N));
  for (int64_t j = 0; j < N; ++j) {
    const size_t c = static_cast<size_t>(j);
    k->off[c] = shift[c] - (z ? at(*z, z->size() == 1 ? 0 : j) : 0);
    k->scale[c] = s->data<float>()[s->size() == 1 ? 0 : j];
  }
  k->q.resize(static_cast<size_t>(K * N));
  for (int64_t r = 0; r < K; ++r)
    for (int64_t j = 0; j < N; ++j)
      k->q[static_cast<size_t>(r * N + j)] = static_cast<int8_t>(at(*w, r * N + j) - shift[static_cast<size_t>(j)]);
  return std::unique_ptr<Kernel>(std::move(k));
}

}  // namespace

Expected<std::unique_ptr<Kernel>> make_matmul_int8_weight(const KernelInit& init) { return make(init, false); }
Expected<std::unique_ptr<Kernel>> make_matmul_int8_weight_reference(const KernelInit& init) { return make(init, true); }

}  // namespace onnxrt::kernels::quant
