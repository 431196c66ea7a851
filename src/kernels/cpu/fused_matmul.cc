// com.onnxrt.FusedMatMul on the CPU: Y = act(A @ op(B) + bias + Z), op(B) = B^T when trans_b.
// With a 2-D B (the case the fusion pass makes: a Linear layer's constant weight; with trans_b, a
// tied output projection that reads the embedding table) B is packed once and all rows go through
// one packed GEMM, which runs the epilogue on each block of Y as soon as the block is final (a
// few rows by <= 128 columns, still in L1/L2), instead of the separate passes over Y that Add,
// Gelu and the residual Add would make. One GEMM over all rows, rather than one per band of 48
// rows, reads each packed B panel from memory once for all rows: B (9.4 MB for BERT's
// feed-forward weights, 154 MB for GPT-2's tied lm_head) is far larger than L2, and a panel read
// from memory feeds 4 microkernel tiles with 48-row bands but 11 with 128 rows (the microkernel
// loop over a 128 x 3072 x 768 packed B: 80% vs 91% of the FMA peak on the Zen 4 dev VM; BERT-base
// and GPT-2 prefill at 1 thread 3-5% faster overall).
// A constant float16 / bfloat16 B (a 16-bit model's weight, kept 16-bit by
// passes/widen_16bit_floats.cc) is packed as 16-bit panels that the microkernel widens as it loads.
#include <algorithm>

#include "base/thread_pool.h"
#include "ir/attribute.h"
#include "kernels/cpu/fused_epilogue.h"
#include "kernels/cpu/gemm.h"
#include "kernels/cpu/linalg_common.h"
#include "tensor/sym_shape.h"

namespace onnxrt::kernels {

namespace {

constexpr int64_t kRowBlock = 48;

class FusedMatMulKernel final : public Kernel {
 public:
  FusedMatMulKernel(ir::FusedActivation act, bool trans_b, PackedB packed)
      : act_(act), trans_b_(trans_b), packed_(std::move(packed)) {}

  Status run(KernelContext& ctx) const override {
    const Tensor* a = ctx.input(0);
    const Tensor* b = ctx.input(1);
    const Tensor* bias = ctx.num_inputs() > 2 ? ctx.input(2) : nullptr;
    const Tensor* z = ctx.num_inputs() > 3 ? ctx.input(3) : nullptr;
    Tensor* y = ctx.output(0);
    if (!a || !b || !y) return ctx.error("inputs A, B and output Y are required");
    // A float16 / bfloat16 B is a constant weight packed in create() (16-bit panels): only that
    // path reads it.
    const bool half_b = (b->dtype() == DType::kFloat16 || b->dtype() == DType::kBFloat16) && !packed_.empty();
    if (a->dtype() != DType::kFloat32 || (b->dtype() != DType::kFloat32 && !half_b))
      return ctx.error("A must be float32 and B float32 (or a constant 2-D 16-bit weight), got " +
                       std::string(dtype_name(a->dtype())) + " and " + std::string(dtype_name(b->dtype())));
    if (trans_b_ && b->rank() != 2) return ctx.error("with trans_b = 1, B must be 2-D, got " + shape_to_string(b->shape()));
    // op(B)'s shape: the product is checked and laid out as MatMul(A, op(B)).
    const Shape b_shape = trans_b_ ? Shape{b->dim(1), b->dim(0)} : b->shape();
    MatMulShape s;
    std::string err;
    if (!matmul_shape(a->shape(), b_shape, &s, &err)) return ctx.error(err);
    if (y->size() != s.batch * s.M * s.N)
      return ctx.error("output Y has shape " + shape_to_string(y->shape()) + ", expected " +
                       std::to_string(s.batch * s.M * s.N) + " elements");
    if (bias && (bias->dtype() != DType::kFloat32 || bias->size() != s.N))
      return ctx.error("bias " + shape_to_string(bias->shape()) + " must be float32 with " +
                       std::to_string(s.N) + " elements");
    if (z && (z->dtype() != DType::kFloat32 || z->shape() != y->shape()))
      return ctx.error("Z " + shape_to_string(z->shape()) + " must be float32 with the output's shape " +
                       shape_to_string(y->shape()));
    const int64_t M = s.M, N = s.N, K = s.K;
    if (s.batch * M * N == 0) return Status::ok();
    const float* ad = a->data<float>();
    const float* bd = half_b ? nullptr : b->data<float>();
    float* yd = y->data<float>();
    fused::Epilogue epi;
    epi.act = act_;
    epi.col_bias = bias ? bias->data<float>() : nullptr;
    epi.z = z ? z->data<float>() : nullptr;
    epi.ldz = N;
    ThreadPool& pool = ctx.threads();

    if (!(s.b_shared && s.a_identity)) {  // batched B (never with trans_b): plain GEMMs, then one epilogue pass
      for (int64_t t = 0; t < s.batch; ++t)
        sgemm(false, false, M, N, K, 1.f, ad + s.a_index[static_cast<size_t>(t)] * M * K, K,
              bd + s.b_index[static_cast<size_t>(t)] * K * N, N, 0.f, yd + t * M * N, N, &pool);
      pool.parallel_for(s.batch * M, static_cast<double>(N) * 4, [&](int64_t r0, int64_t r1) {
        fused::apply_epilogue(epi.at(r0, 0), yd + r0 * N, N, r1 - r0, N);
      });
      return Status::ok();
    }
    const bool use_packed = !packed_.empty() && packed_.K() == K && packed_.N() == N;
    if (half_b && !use_packed)
      return ctx.error("16-bit B " + shape_to_string(b->shape()) + " does not match its packed weight");
    const int64_t rows = s.batch * M;
    if (use_packed) {
      GemmEpilogue on_block;  // empty: a plain product
      if (!epi.empty())
        on_block = [&](int64_t r0, int64_t r1, int64_t c0, int64_t c1) {
          fused::apply_epilogue(epi.at(r0, c0), yd + r0 * N + c0, N, r1 - r0, c1 - c0);
        };
      sgemm_packed_epilogue(false, rows, 1.f, ad, K, packed_, 0.f, yd, N, &pool, on_block);
      return Status::ok();
    }
    // B not packed (not constant): bands of kRowBlock rows, the epilogue on each band while it is
    // in L2.
    auto block = [&](int64_t r0, int64_t r1, ThreadPool* p) {
      sgemm(false, trans_b_, r1 - r0, N, K, 1.f, ad + r0 * K, K, bd, trans_b_ ? K : N, 0.f, yd + r0 * N, N, p);
      fused::apply_epilogue(epi.at(r0, 0), yd + r0 * N, N, r1 - r0, N);
    };
    const int64_t nt = pool.num_threads();
    // Row bands per thread when every thread gets at least a few microkernel rows; otherwise
    // (a handful of rows: decoding) the GEMM splits N across threads itself.
    if (nt > 1 && rows >= 24 * nt && static_cast<double>(rows) * N * K > 1e6) {
      pool.run_tasks(nt, [&](int64_t t) {
        const int64_t b0 = rows * t / nt, b1 = rows * (t + 1) / nt;
        for (int64_t r = b0; r < b1; r += kRowBlock) block(r, std::min(b1, r + kRowBlock), nullptr);
      });
    } else {
      for (int64_t r = 0; r < rows; r += kRowBlock) block(r, std::min(rows, r + kRowBlock), &pool);
    }
    return Status::ok();
  }
  const char* variant() const override {
    return packed_.empty() ? "sgemm" : packed_.is_half() ? "sgemm_packed_16bit_b" : "sgemm_packed";
  }
  // Packed only for a 2-D B, which has no batch dims: run() then always takes the packed path.
  bool prepacked_input(size_t i) const override { return i == 1 && !packed_.empty(); }

 private:
  ir::FusedActivation act_;
  bool trans_b_;
  PackedB packed_;
};

}  // namespace

Expected<std::unique_ptr<Kernel>> make_cpu_fused_matmul(const KernelInit& init) {
  auto act = ir::read_fused_activation(init.node);
  if (!act) return act.status();
  ir::AttrReader attrs(init.node);
  const bool trans_b = attrs.i("trans_b", 0) != 0;
  ONNXRT_RETURN_IF_ERROR(attrs.status());
  PackedB packed;
  const Tensor* b = init.constant_inputs.size() > 1 ? init.constant_inputs[1] : nullptr;
  // With trans_b, B is [N, K] and the packing reads B^T directly: no transposed copy is made.
  if (b && b->rank() == 2) {
    const int64_t K = trans_b ? b->dim(1) : b->dim(0), N = trans_b ? b->dim(0) : b->dim(1);
    packed = PackedB::pack_constant(trans_b, K, N, *b);
  }
  return std::unique_ptr<Kernel>(new FusedMatMulKernel(*act, trans_b, std::move(packed)));
}

}  // namespace onnxrt::kernels
