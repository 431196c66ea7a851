// The kernel contract. A kernel's life has three steps:
//   create(KernelInit)  once per node, when the plan is built: reads attributes, validates dtypes,
//                       prepacks constant inputs (weights) into whatever layout run() wants.
//   output shapes       computed by the op's inference function (ir/infer.h), not by the kernel,
//                       so the planner knows every buffer before a kernel runs.
//   run(KernelContext)  const and re-entrant: many threads may run one kernel object at once,
//                       each with its own context. Outputs arrive allocated with their shapes,
//                       except for ops with data-dependent shapes, which call ctx.allocate_output.
// Kernels never see protobuf; they see the IR node (op, attributes) and tensors, or for the ops
// on sequences and optionals, Values (input_value / set_output_value). Control-flow kernels run
// the node's subgraphs through run_subgraph.
#pragma once

#include <cstdint>
#include <memory>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "ir/graph.h"
#include "onnxrt/status.h"
#include "onnxrt/tensor.h"
#include "onnxrt/value.h"

namespace onnxrt {

class ThreadPool;

namespace kernels {

struct KernelInit {
  const ir::Node& node;
  std::span<const ir::ValueType* const> input_types;   // null for omitted optional inputs
  std::span<const Tensor* const> constant_inputs;      // null unless the input is a constant
  std::span<const ir::ValueType* const> output_types;  // null for omitted optional outputs

  Status error(const std::string& message) const;  // names node and op
};

// What a running kernel sees. Implemented by the executor.
class KernelContext {
 public:
  virtual ~KernelContext() = default;
  virtual size_t num_inputs() const = 0;
  // Null for an omitted optional input.
  virtual const Tensor* input(size_t i) const = 0;
  virtual size_t num_outputs() const = 0;
  // The pre-allocated output (null when omitted by the model or when the op allocates itself).
  virtual Tensor* output(size_t i) = 0;
  // For ops with data-dependent output shapes; returns the new tensor.
  virtual Tensor* allocate_output(size_t i, DType dtype, Shape shape) = 0;
  // Per-call scratch memory, 64-byte aligned, valid until run() returns.
  virtual void* scratch(size_t bytes) = 0;
  // The intra-op pool; never null (a pool of one runs everything on the caller).
  virtual ThreadPool& threads() = 0;
  virtual const ir::Node& node() const = 0;

  // --- values that are not tensors (sequences, optionals, maps)
  // Input i as a Value: null for an omitted input; a None value for an empty optional.
  // input(i) returns null when the value is not a tensor.
  virtual const Value* input_value(size_t i) const {
    (void)i;
    return nullptr;
  }
  // Sets output i to `v` (any kind). The executor copies tensors that live in per-run memory
  // (arena, pool) so that the value stays valid after its inputs are released. The default
  // handles tensors only, by copying into allocate_output().
  virtual Status set_output_value(size_t i, Value v);
  // Makes output i a view of `base`'s bytes from `byte_offset` on, with `dtype` and `shape`,
  // instead of a copy. Only where the view cannot outlive what it shows: `base` must hold its own
  // storage (a graph input, a constant, an owned value; not per-run arena or pool memory, which
  // is reused after its last reader), and the output must not be handed to the caller (who would
  // get memory shared with an input). Returns false when it cannot; the kernel then writes
  // output(i) as usual. The default (contexts outside a plan) always returns false.
  virtual bool set_output_view(size_t i, const Tensor& base, size_t byte_offset, DType dtype, const Shape& shape) {
    (void)i, (void)base, (void)byte_offset, (void)dtype, (void)shape;
    return false;
  }
  // Runs the graph attribute `attr_name` of this node with `inputs` bound to its graph inputs
  // (outer-scope values come from the enclosing run); returns its graph outputs, owned.
  virtual Expected<std::vector<Value>> run_subgraph(std::string_view attr_name, std::span<const Value> inputs) {
    (void)inputs;
    return not_implemented(node().describe() + ": cannot run subgraph '" + std::string(attr_name) +
                           "' outside an execution plan");
  }

  Status error(const std::string& message) const;  // names node and op
};

class Kernel {
 public:
  virtual ~Kernel() = default;
  virtual Status run(KernelContext& ctx) const = 0;
  // A short name for profiles ("gemm_avx512", "reference"); see onnxrt profile.
  virtual const char* variant() const { return "default"; }
  // True when create() copied constant input `i` into the kernel's own layout (prepacked
  // weights) and run() reads only that input's dtype and shape, never its data. When every
  // reader of a weight says so, the plan drops the original (ExecutionPlan: released constants)
  // so that it is not kept twice.
  virtual bool prepacked_input(size_t i) const {
    (void)i;
    return false;
  }
  // The input whose storage output 0 may take over when that input's value dies at this node
  // and has the output's dtype and size (-1: none). The plan then gives both one arena block
  // (plan/memory_plan.cc), so run() may find output 0 at that input's address; it must read
  // each element of the input before writing the output element at the same index, and no
  // other (a residual added in the epilogue). The kernel may still take any path: one that
  // could not keep that promise copies the input first.
  virtual int output_reuses_input() const { return -1; }
  // Output 0 is input 0's bytes unchanged (Reshape and its kin): the plan may give both one
  // arena block for as long as either is read (plan/memory_plan.cc), and run() then finds the
  // output at the input's address and has nothing to copy.
  virtual bool output_is_view() const { return false; }
};

using KernelFactory = Expected<std::unique_ptr<Kernel>> (*)(const KernelInit& init);

// Adapter so simple ops can be written as one function: Status fn(KernelContext&).
using KernelFn = Status (*)(KernelContext& ctx);
class FunctionKernel final : public Kernel {
 public:
  FunctionKernel(KernelFn fn, const char* variant, bool view = false) : fn_(fn), variant_(variant), view_(view) {}
  Status run(KernelContext& ctx) const override { return fn_(ctx); }
  const char* variant() const override { return variant_; }
  bool output_is_view() const override { return view_; }

 private:
  KernelFn fn_;
  const char* variant_;
  bool view_;
};

}  // namespace kernels
}  // namespace onnxrt
