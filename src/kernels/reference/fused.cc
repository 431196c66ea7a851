// Reference kernels of our fused ops: the reference kernel of the op they extend (Conv, MatMul)
// on the first inputs, then the epilogue written out naively, so a fused CPU kernel is checked
// against the plain ops it replaces.
#include "ir/attribute.h"
#include "ir/infer_fused.h"
#include "kernels/cpu/fused_attention.h"
#include "kernels/cpu/fused_epilogue.h"
#include "kernels/kernel_families.h"
#include "tensor/sym_shape.h"

namespace onnxrt::kernels {

namespace {

// The outer context with only its first `n` inputs visible; input 1 replaced by `b` when set.
class PrefixContext final : public KernelContext {
 public:
  PrefixContext(KernelContext& outer, size_t n, const Tensor* b = nullptr) : outer_(outer), n_(n), b_(b) {}
  size_t num_inputs() const override { return std::min(n_, outer_.num_inputs()); }
  const Tensor* input(size_t i) const override {
    if (i == 1 && b_) return b_;
    return i < n_ ? outer_.input(i) : nullptr;
  }
  size_t num_outputs() const override { return outer_.num_outputs(); }
  Tensor* output(size_t i) override { return outer_.output(i); }
  Tensor* allocate_output(size_t i, DType dtype, Shape shape) override {
    return outer_.allocate_output(i, dtype, std::move(shape));
  }
  void* scratch(size_t bytes) override { return outer_.scratch(bytes); }
  ThreadPool& threads() override { return outer_.threads(); }
  const ir::Node& node() const override { return outer_.node(); }

 private:
  KernelContext& outer_;
  size_t n_;
  const Tensor* b_;
};

// B^T of a 2-D float32 B, written out naively (FusedMatMul's trans_b).
Expected<Tensor> transposed(const KernelContext& ctx, const Tensor* b) {
  if (!b || b->dtype() != DType::kFloat32 || b->rank() != 2)
    return ctx.error("with trans_b = 1, B must be a 2-D float32 tensor");
  const int64_t r = b->dim(0), c = b->dim(1);
  Tensor t = Tensor::allocate(DType::kFloat32, Shape{c, r});
  for (int64_t i = 0; i < r; ++i)
    for (int64_t j = 0; j < c; ++j) t.data<float>()[j * r + i] = b->data<float>()[i * c + j];
  return t;
}

class FusedRefKernel final : public Kernel {
 public:
  FusedRefKernel(std::unique_ptr<Kernel> base, size_t base_inputs, bool col_bias, ir::FusedActivation act,
                 bool trans_b)
      : base_(std::move(base)), base_inputs_(base_inputs), col_bias_(col_bias), act_(act), trans_b_(trans_b) {}

  Status run(KernelContext& ctx) const override {
    Tensor bt;
    if (trans_b_) {
      ONNXRT_ASSIGN_OR_RETURN(bt, transposed(ctx, ctx.input(1)));
    }
    PrefixContext inner(ctx, base_inputs_, trans_b_ ? &bt : nullptr);
    ONNXRT_RETURN_IF_ERROR(base_->run(inner));
    Tensor* y = ctx.output(0);
    if (!y || y->dtype() != DType::kFloat32) return ctx.error("output Y must be float32");
    const Tensor* bias = col_bias_ && ctx.num_inputs() > 2 ? ctx.input(2) : nullptr;
    const Tensor* z = ctx.num_inputs() > 3 ? ctx.input(3) : nullptr;
    const int64_t n = y->rank() > 0 ? y->dim(y->rank() - 1) : 1;
    if (bias && (bias->dtype() != DType::kFloat32 || bias->size() != n))
      return ctx.error("bias " + shape_to_string(bias->shape()) + " must be float32 with " +
                       std::to_string(n) + " elements");
    if (z && (z->dtype() != DType::kFloat32 || z->shape() != y->shape()))
      return ctx.error("Z " + shape_to_string(z->shape()) + " must be float32 with the output's shape " +
                       shape_to_string(y->shape()));
    float* yd = y->data<float>();
    for (int64_t i = 0; i < y->size(); ++i) {
      float v = yd[i];
      if (bias && n > 0) v += bias->data<float>()[i % n];
      if (z) v += z->data<float>()[i];
      yd[i] = ir::apply_fused_activation(act_, v);
    }
    return Status::ok();
  }
  const char* variant() const override { return "reference"; }

 private:
  std::unique_ptr<Kernel> base_;
  size_t base_inputs_;
  bool col_bias_;
  ir::FusedActivation act_;
  bool trans_b_;
};

Expected<std::unique_ptr<Kernel>> make_ref_fused(const KernelInit& init, std::string_view base_op,
                                                 size_t base_inputs, bool col_bias) {
  auto act = ir::read_fused_activation(init.node);
  if (!act) return act.status();
  // FusedMatMul's trans_b: the base MatMul runs on B^T, made at run time.
  ir::AttrReader attrs(init.node);
  const bool trans_b = base_op == "MatMul" && attrs.i("trans_b", 0) != 0;
  ONNXRT_RETURN_IF_ERROR(attrs.status());
  const KernelEntry* e = find_kernel(Backend::kReference, "", base_op, 13, DType::kFloat32);
  if (!e) return init.error("no reference kernel for " + std::string(base_op));
  const size_t n = std::min(base_inputs, init.input_types.size());
  std::vector<const Tensor*> consts(init.constant_inputs.begin(),
                                    init.constant_inputs.begin() + std::min(n, init.constant_inputs.size()));
  if (trans_b && consts.size() > 1) consts[1] = nullptr;  // B^T is not a constant of the model
  KernelInit base{init.node, init.input_types.subspan(0, n), consts, init.output_types};
  auto k = e->factory(base);
  if (!k) return k.status();
  return std::unique_ptr<Kernel>(new FusedRefKernel(std::move(*k), base_inputs, col_bias, *act, trans_b));
}

constexpr KernelEntry kRefFused[] = {
    {"com.onnxrt", "FusedConv", 1, kMaxOpset, DType::kFloat32, &make_ref_fused_conv},
    {"com.onnxrt", "FusedMatMul", 1, kMaxOpset, DType::kFloat32, &make_ref_fused_matmul},
    {"com.onnxrt", "FusedAttention", 1, kMaxOpset, DType::kFloat32, &make_ref_fused_attention},
    {"com.onnxrt", "BlockedConv", 1, kMaxOpset, DType::kFloat32, &make_ref_blocked_conv},
    {"com.onnxrt", "ToBlocked", 1, kMaxOpset, DType::kFloat32, &make_ref_to_blocked},
    {"com.onnxrt", "FromBlocked", 1, kMaxOpset, DType::kFloat32, &make_ref_from_blocked},
};

}  // namespace

Expected<std::unique_ptr<Kernel>> make_ref_fused_conv(const KernelInit& init) {
  return make_ref_fused(init, "Conv", 3, false);
}

Expected<std::unique_ptr<Kernel>> make_ref_fused_matmul(const KernelInit& init) {
  return make_ref_fused(init, "MatMul", 2, true);
}

std::span<const KernelEntry> reference_fused_kernels() { return kRefFused; }

}  // namespace onnxrt::kernels
