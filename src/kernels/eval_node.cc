#include "kernels/eval_node.h"

#include <cstdlib>
#include <memory>

#include "ir/infer.h"

namespace onnxrt::kernels {
namespace {

class StandaloneContext final : public KernelContext {
 public:
  StandaloneContext(const ir::Node& node, std::span<const Tensor* const> inputs,
                    std::vector<Tensor>& outputs, ThreadPool& pool)
      : node_(node), inputs_(inputs), outputs_(outputs), pool_(pool) {}

  size_t num_inputs() const override { return inputs_.size(); }
  const Tensor* input(size_t i) const override { return i < inputs_.size() ? inputs_[i] : nullptr; }
  size_t num_outputs() const override { return outputs_.size(); }
  Tensor* output(size_t i) override {
    return i < outputs_.size() && outputs_[i].defined() ? &outputs_[i] : nullptr;
  }
  Tensor* allocate_output(size_t i, DType dtype, Shape shape) override {
    if (i >= outputs_.size()) return nullptr;
    outputs_[i] = Tensor::allocate(dtype, std::move(shape));
    return &outputs_[i];
  }
  void* scratch(size_t bytes) override {
    scratch_.push_back(Tensor::allocate(DType::kUInt8, {static_cast<int64_t>(bytes)}));
    return scratch_.back().raw();
  }
  ThreadPool& threads() override { return pool_; }
  const ir::Node& node() const override { return node_; }

 private:
  const ir::Node& node_;
  std::span<const Tensor* const> inputs_;
  std::vector<Tensor>& outputs_;
  ThreadPool& pool_;
  std::vector<Tensor> scratch_;
};

}  // namespace

Expected<std::vector<Tensor>> eval_node(Backend backend, const ir::Node& node_in,
                                        std::span<const Tensor* const> inputs, size_t num_outputs,
                                        ThreadPool& pool) {
  ir::Node node = node_in;
  node.inputs.assign(inputs.size(), 0);
  node.outputs.assign(num_outputs, 0);

  std::vector<ir::ValueType> types(inputs.size());
  std::vector<const ir::ValueType*> type_ptrs(inputs.size(), nullptr);
  for (size_t i = 0; i < inputs.size(); ++i) {
    if (!inputs[i]) continue;
    types[i] = ir::ValueType::tensor(inputs[i]->dtype(), to_sym_shape(inputs[i]->shape()));
    type_ptrs[i] = &types[i];
  }
  ir::InferFn infer = ir::find_infer_fn(node.domain, node.op_type);
  if (!infer) {
    return not_implemented(node.describe() + ": onnxrt does not implement op '" + node.op_type + "'");
  }
  SymbolTable symbols;
  ir::InferContext ictx(node, type_ptrs, inputs, &symbols);
  ONNXRT_RETURN_IF_ERROR(infer(ictx));

  std::vector<const ir::ValueType*> out_ptrs;
  for (const ir::ValueType& t : ictx.outputs) out_ptrs.push_back(&t);
  std::string reason;
  const KernelEntry* entry = find_kernel(backend, node.domain, node.op_type, node.opset,
                                         key_dtype(type_ptrs, out_ptrs), &reason);
  if (!entry) return not_implemented(node.describe() + ": " + reason);
  KernelInit init{node, type_ptrs, inputs, out_ptrs};
  ONNXRT_ASSIGN_OR_RETURN(std::unique_ptr<Kernel> kernel, entry->factory(init));

  std::vector<Tensor> outputs(num_outputs);
  if (!ictx.dynamic_output_shape) {
    for (size_t i = 0; i < num_outputs; ++i) {
      const ir::ValueType& t = ictx.outputs[i];
      if (!t.is_static()) {
        return runtime_error(node.describe() + ": output " + std::to_string(i) +
                             " has no concrete shape after inference");
      }
      outputs[i] = Tensor::allocate(t.dtype, to_static_shape(t.shape));
    }
  }
  StandaloneContext ctx(node, inputs, outputs, pool);
  ONNXRT_RETURN_IF_ERROR(kernel->run(ctx));
  return outputs;
}

}  // namespace onnxrt::kernels
