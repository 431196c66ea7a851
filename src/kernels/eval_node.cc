#include "kernels/eval_node.h"

#include <cstdlib>
#include <cstring>
#include <memory>

#include "ir/infer.h"
#include "kernels/reference/control_kernels.h"
#include "tensor/value.h"

namespace onnxrt::kernels {

Status KernelContext::set_output_value(size_t i, Value v) {
  if (!v.is_tensor()) {
    return not_implemented(node().describe() + ": output " + std::to_string(i) + " is " + v.describe() +
                           ", which this context can hold only as a tensor");
  }
  const Tensor& t = v.tensor();
  Tensor* out = allocate_output(i, t.dtype(), t.shape());
  if (!out) return runtime_error(node().describe() + ": cannot allocate output " + std::to_string(i));
  if (t.dtype() == DType::kString) {
    for (int64_t k = 0; k < t.size(); ++k) out->data<std::string>()[k] = t.data<std::string>()[k];
  } else if (t.nbytes() > 0) {
    std::memcpy(out->raw(), t.raw(), t.nbytes());
  }
  return Status::ok();
}

ir::ValueType value_type_of(const Value& v) {
  ir::ValueType t;
  switch (v.kind()) {
    case ValueKind::kTensor: return ir::ValueType::tensor(v.tensor().dtype(), to_sym_shape(v.tensor().shape()));
    case ValueKind::kSequence:
      t.kind = ir::TypeKind::kSequence;
      t.elem = std::make_shared<ir::ValueType>();
      if (!v.sequence().empty()) {
        const Value& first = v.sequence().front();
        *t.elem = first.is_tensor() ? ir::ValueType::tensor_unknown_rank(first.tensor().dtype()) : value_type_of(first);
      }
      return t;
    case ValueKind::kMap:
      t.kind = ir::TypeKind::kMap;
      t.dtype = v.map().keys.dtype();
      t.elem = std::make_shared<ir::ValueType>(ir::ValueType::tensor_unknown_rank(v.map().values.dtype()));
      return t;
    case ValueKind::kNone:
      t.kind = ir::TypeKind::kOptional;
      t.elem = std::make_shared<ir::ValueType>();
      return t;
  }
  return t;
}

namespace {

class StandaloneContext final : public KernelContext {
 public:
  StandaloneContext(const ir::Node& node, std::span<const Value* const> inputs, std::vector<Value>& outputs,
                    ThreadPool& pool)
      : node_(node), inputs_(inputs), outputs_(outputs), pool_(pool) {}

  size_t num_inputs() const override { return inputs_.size(); }
  const Tensor* input(size_t i) const override {
    const Value* v = input_value(i);
    return v && v->is_tensor() ? &v->tensor() : nullptr;
  }
  const Value* input_value(size_t i) const override { return i < inputs_.size() ? inputs_[i] : nullptr; }
  size_t num_outputs() const override { return outputs_.size(); }
  Tensor* output(size_t i) override {
    return i < outputs_.size() && outputs_[i].is_tensor() ? &outputs_[i].tensor() : nullptr;
  }
  Tensor* allocate_output(size_t i, DType dtype, Shape shape) override {
    if (i >= outputs_.size()) return nullptr;
    outputs_[i] = Tensor::allocate(dtype, std::move(shape));
    return &outputs_[i].tensor();
  }
  Status set_output_value(size_t i, Value v) override {
    if (i >= outputs_.size()) return runtime_error(node_.describe() + ": output " + std::to_string(i) + " does not exist");
    outputs_[i] = owned_value(v);
    return Status::ok();
  }
  void* scratch(size_t bytes) override {
    scratch_.push_back(Tensor::allocate(DType::kUInt8, {static_cast<int64_t>(bytes)}));
    return scratch_.back().raw();
  }
  ThreadPool& threads() override { return pool_; }
  const ir::Node& node() const override { return node_; }

 private:
  const ir::Node& node_;
  std::span<const Value* const> inputs_;
  std::vector<Value>& outputs_;
  ThreadPool& pool_;
  std::vector<Tensor> scratch_;
};

}  // namespace

Expected<std::vector<Value>> eval_node_values(Backend backend, const ir::Node& node_in,
                                              std::span<const Value* const> inputs, size_t num_outputs,
                                              ThreadPool& pool) {
  ir::Node node = node_in;
  node.inputs.assign(inputs.size(), 0);
  node.outputs.assign(num_outputs, 0);

  std::vector<ir::ValueType> types(inputs.size());
  std::vector<const ir::ValueType*> type_ptrs(inputs.size(), nullptr);
  std::vector<const Tensor*> tensors(inputs.size(), nullptr);
  for (size_t i = 0; i < inputs.size(); ++i) {
    if (!inputs[i]) continue;
    types[i] = value_type_of(*inputs[i]);
    type_ptrs[i] = &types[i];
    if (inputs[i]->is_tensor()) tensors[i] = &inputs[i]->tensor();
  }
  ir::InferFn infer = ir::find_infer_fn(node.domain, node.op_type);
  if (!infer) {
    return not_implemented(node.describe() + ": onnxrt does not implement op '" + node.op_type + "'");
  }
  SymbolTable symbols;
  ir::InferContext ictx(node, type_ptrs, tensors, &symbols);
  ONNXRT_RETURN_IF_ERROR(infer(ictx));

  std::vector<const ir::ValueType*> out_ptrs;
  for (const ir::ValueType& t : ictx.outputs) out_ptrs.push_back(&t);
  std::string reason;
  const bool non_tensor_input = !type_ptrs.empty() && type_ptrs[0] && !type_ptrs[0]->is_tensor();
  std::unique_ptr<Kernel> kernel;
  KernelInit init{node, type_ptrs, tensors, out_ptrs};
  if (node.domain.empty() && node.op_type == "Identity" && non_tensor_input) {
    // Mirrors the plan: Identity on a sequence or optional passes the value on.
    ONNXRT_ASSIGN_OR_RETURN(kernel, make_value_identity(init));
  } else {
    const KernelEntry* entry =
        find_kernel(backend, node.domain, node.op_type, node.opset, key_dtype(type_ptrs, out_ptrs), &reason);
    if (!entry) return not_implemented(node.describe() + ": " + reason);
    ONNXRT_ASSIGN_OR_RETURN(kernel, entry->factory(init));
  }

  std::vector<Value> outputs(num_outputs);
  bool kernel_sets_outputs = ictx.dynamic_output_shape;
  for (const ir::ValueType& t : ictx.outputs)
    if (!t.is_tensor()) kernel_sets_outputs = true;
  for (const ir::ValueType* t : type_ptrs)
    if (t && !t->is_tensor()) kernel_sets_outputs = true;
  if (!kernel_sets_outputs) {
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

Expected<std::vector<Tensor>> eval_node(Backend backend, const ir::Node& node, std::span<const Tensor* const> inputs,
                                        size_t num_outputs, ThreadPool& pool) {
  std::vector<Value> values(inputs.size());
  std::vector<const Value*> ptrs(inputs.size(), nullptr);
  for (size_t i = 0; i < inputs.size(); ++i) {
    if (!inputs[i] || !inputs[i]->defined()) continue;
    values[i] = *inputs[i];
    ptrs[i] = &values[i];
  }
  ONNXRT_ASSIGN_OR_RETURN(std::vector<Value> outs, eval_node_values(backend, node, ptrs, num_outputs, pool));
  std::vector<Tensor> tensors;
  tensors.reserve(outs.size());
  for (size_t i = 0; i < outs.size(); ++i) {
    // An output the kernel did not write stays undefined, as before Values existed.
    if (outs[i].is_none()) {
      tensors.emplace_back();
      continue;
    }
    if (!outs[i].is_tensor()) {
      return not_implemented(node.describe() + ": output " + std::to_string(i) + " is " + outs[i].describe() +
                             ", not a tensor");
    }
    tensors.push_back(outs[i].tensor());
  }
  return tensors;
}

}  // namespace onnxrt::kernels
