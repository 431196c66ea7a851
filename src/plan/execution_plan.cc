#include "plan/execution_plan.h"

#include <cstdint>
#include <cstring>
#include <functional>
#include <span>
#include <string>

#include "base/thread_pool.h"
#include "kernels/reference/control_kernels.h"
#include "plan/kernels_ahead.h"
#include "tensor/tensor_alloc.h"

namespace onnxrt::plan {

namespace {

bool is_non_tensor(const ir::ValueType& t) {
  return t.kind == ir::TypeKind::kSequence || t.kind == ir::TypeKind::kOptional || t.kind == ir::TypeKind::kMap ||
         t.kind == ir::TypeKind::kSparseTensor;
}

bool has_graph_attribute(const ir::Node& n) {
  for (const ir::Attribute& a : n.attrs.all())
    if (a.g || !a.graphs.empty()) return true;
  return false;
}

// Identity's kernel (tensor family) copies tensors; on a sequence or optional it passes the
// value on, which the control family does.
bool is_value_identity(const ir::Node& node, std::span<const ir::ValueType* const> in_types) {
  return node.domain.empty() && node.op_type == "Identity" && !in_types.empty() && in_types[0] &&
         is_non_tensor(*in_types[0]);
}

// The table entry that binds `node` (null, with `*reason`, when none); sets `*reference` when it
// comes from the reference table. Only reads the static tables: safe on any thread.
const kernels::KernelEntry* find_entry(const ir::Node& node, std::span<const ir::ValueType* const> in_types,
                                       std::span<const ir::ValueType* const> out_types, const PlanOptions& options,
                                       bool* reference, std::string* reason) {
  const DType key = kernels::key_dtype(in_types, out_types);
  const kernels::Backend first =
      options.prefer_reference_kernels ? kernels::Backend::kReference : kernels::Backend::kCpu;
  const kernels::Backend second =
      options.prefer_reference_kernels ? kernels::Backend::kCpu : kernels::Backend::kReference;
  const kernels::KernelEntry* entry = kernels::find_kernel(first, node.domain, node.op_type, node.opset, key, reason);
  *reference = first == kernels::Backend::kReference;
  // The reference kernels are slow but correct: better to run than to refuse the model. In
  // reference mode, ops that have only an optimized kernel still run on it.
  if (!entry) {
    entry = kernels::find_kernel(second, node.domain, node.op_type, node.opset, key,
                                 options.prefer_reference_kernels ? reason : nullptr);
    *reference = second == kernels::Backend::kReference;
  }
  return entry;
}

struct NodeTypes {
  std::vector<const ir::ValueType*> in, out;  // null for omitted values
};

NodeTypes node_types(const ir::Graph& g, const ir::Node& node) {
  NodeTypes t;
  for (ir::ValueId v : node.inputs) t.in.push_back(v == ir::kNoValue ? nullptr : &g.value(v).type);
  for (ir::ValueId v : node.outputs) t.out.push_back(v == ir::kNoValue ? nullptr : &g.value(v).type);
  return t;
}

// Whether input `v` is given to kernels as a constant (a graph input with a default is not).
bool is_constant_input(const ir::Graph& g, ir::ValueId v) {
  return v != ir::kNoValue && g.value(v).constant && !g.value(v).is_graph_input;
}

// Binds the node's kernel; sets `*reference` when it comes from the reference table.
// `before_factory(reference)` runs once the table is chosen, right before the kernel is created.
Expected<std::unique_ptr<kernels::Kernel>> create_kernel(const ir::Graph& g, const ir::Node& node,
                                                         const PlanOptions& options, bool* reference,
                                                         const std::function<void(bool)>& before_factory) {
  const NodeTypes types = node_types(g, node);
  std::vector<const Tensor*> consts;
  for (ir::ValueId v : node.inputs) consts.push_back(is_constant_input(g, v) ? &*g.value(v).constant : nullptr);
  kernels::KernelInit init{node, types.in, consts, types.out};
  if (is_value_identity(node, types.in)) return kernels::make_value_identity(init);
  std::string reason;
  const kernels::KernelEntry* entry = find_entry(node, types.in, types.out, options, reference, &reason);
  if (!entry) return not_implemented(node.describe() + ": " + reason);
  before_factory(*reference);
  return entry->factory(init);
}

// A float32 weight that the importer left misaligned in the mapped model file (no copy made:
// onnx/tensor_proto.h, only for weights read as the B input of MatMul, Gemm or FusedMatMul, as
// Gather's data, or by a Transpose that a pass folds away).
bool misaligned(const Tensor& t) {
  return t.dtype() == DType::kFloat32 && reinterpret_cast<uintptr_t>(t.raw()) % alignof(float) != 0;
}

// Whether `n`'s CPU kernel reads input `k` only to pack it at create time, bytewise
// (kernels::PackedB::pack), so that it may be misaligned. A kernel that then does not pack it
// (a B of rank 3, say) reads nothing of it at create time, and gets an aligned copy after.
bool packs_misaligned(const ir::Node& n, size_t k) {
  if (k != 1) return false;
  if (n.domain.empty()) return n.op_type == "MatMul" || n.op_type == "Gemm";
  return n.domain == "com.onnxrt" && n.op_type == "FusedMatMul";
}

// Whether `n`'s CPU kernel reads input `k` at run time only by copying bytes (Gather's data: rows
// by memcpy, kernels/cpu/tensor_index.cc), so that it may stay misaligned for good.
bool copies_misaligned(const ir::Node& n, size_t k) {
  return k == 0 && n.domain.empty() && n.op_type == "Gather";
}

// Whether the CPU kernel of `n` may be given input `k` misaligned.
bool takes_misaligned(const ir::Node& n, size_t k) { return packs_misaligned(n, k) || copies_misaligned(n, k); }

// An aligned copy of a misaligned weight, for a reader that reads its floats as they are; the
// file pages behind the original are given back when its last tensor goes.
Tensor aligned_copy(const Tensor& t) {
  std::shared_ptr<void> storage = allocate_weight_bytes(t.nbytes());
  std::memcpy(storage.get(), t.raw(), t.nbytes());
  void* p = storage.get();
  return Tensor::borrow(t.dtype(), t.shape(), p, std::move(storage));
}

// Drops the data of constants that every reader has prepacked (Kernel::prepacked_input), as soon
// as the last of those readers is created: otherwise each weight would be held twice, as the
// initializer and as the kernel's packed copy, and the peak would be the sum of both. A released
// constant stays in the graph and the plan as a tensor with its dtype and shape but no data
// (what those kernels still read); its storage goes when the last reference does (a copy is
// freed; a weight mapped from the model file gives its pages back, see onnx/tensor_proto.cc).
// Graph inputs and outputs, outer-scope values and values that a subgraph reads keep their data.
// It also gives a weight left misaligned in the model file an aligned copy before any reader
// other than a packing MatMul/Gemm/FusedMatMul or a Gather sees it, and after such a MatMul did
// not pack it.
class ConstantReleaser {
 public:
  // `owner` is the graph the plan is built for, writable; null disables releasing (subgraphs).
  ConstantReleaser(ir::Graph* owner, const std::vector<ir::NodeId>& order, ExecutionPlan& plan)
      : owner_(owner), plan_(plan) {
    if (!owner_) return;
    const ir::Graph& g = *owner_;
    readers_.assign(g.num_values(), 0);
    keep_.assign(g.num_values(), false);
    for (ir::NodeId id : order) {
      const ir::Node& n = g.node(id);
      for (ir::ValueId v : n.inputs)
        if (v != ir::kNoValue) ++readers_[static_cast<size_t>(v)];
      for (ir::ValueId v : g.implicit_inputs(n)) keep_[static_cast<size_t>(v)] = true;
    }
    for (size_t i = 0; i < g.num_values(); ++i) {
      const ir::ValueInfo& v = g.value(static_cast<ir::ValueId>(i));
      if (!v.constant || v.is_graph_input || v.is_graph_output || v.is_outer_scope) keep_[i] = true;
    }
  }

  // Called once per node, right before its kernel is created (`reference`: from the reference
  // table): misaligned constants get aligned for every reader but a CPU kernel that packs them.
  void before_create(const ir::Node& n, bool reference) {
    if (!owner_) return;
    for (size_t k = 0; k < n.inputs.size(); ++k)
      if (reference || !takes_misaligned(n, k)) align(n.inputs[k]);
  }

  // Whether before_create(n, reference) would align nothing now, and so never will: aligning
  // only ever replaces a misaligned constant by an aligned one.
  bool aligns_nothing_for(const ir::Node& n, bool reference) const {
    if (!owner_) return true;
    for (size_t k = 0; k < n.inputs.size(); ++k) {
      const ir::ValueId v = n.inputs[k];
      if (v == ir::kNoValue || (!reference && takes_misaligned(n, k))) continue;
      const ir::ValueInfo& info = owner_->value(v);
      if (info.constant && misaligned(*info.constant)) return false;
    }
    return true;
  }

  // Called once per node, right after its kernel was created.
  void after_create(const ir::Node& n, const kernels::Kernel& kernel) {
    if (!owner_) return;
    for (size_t k = 0; k < n.inputs.size(); ++k) {
      const ir::ValueId v = n.inputs[k];
      if (v != ir::kNoValue && !kernel.prepacked_input(k) && !copies_misaligned(n, k)) align(v);
      if (v == ir::kNoValue || keep_[static_cast<size_t>(v)]) continue;
      if (!kernel.prepacked_input(k)) {
        keep_[static_cast<size_t>(v)] = true;  // this reader needs the data at run time
        continue;
      }
      if (--readers_[static_cast<size_t>(v)] == 0) release(v);
    }
  }

  // Replaces a misaligned constant by an aligned copy, in the graph and in the plan.
  void align(ir::ValueId v) {
    if (v == ir::kNoValue) return;
    ir::ValueInfo& info = owner_->value(v);
    if (!info.constant || !misaligned(*info.constant)) return;
    info.constant = aligned_copy(*info.constant);
    plan_.constants[static_cast<size_t>(v)] = *info.constant;
  }

 private:
  void release(ir::ValueId v) {
    ir::ValueInfo& info = owner_->value(v);
    const Tensor stub = Tensor::borrow(info.constant->dtype(), info.constant->shape(), nullptr, nullptr);
    info.constant = stub;
    plan_.constants[static_cast<size_t>(v)] = stub;
    keep_[static_cast<size_t>(v)] = true;
  }

  ir::Graph* owner_;
  ExecutionPlan& plan_;
  std::vector<int32_t> readers_;  // input positions not yet created that read the value
  std::vector<bool> keep_;
};

// Nodes whose kernels are created ahead on the pool (plan/kernels_ahead.h): those whose constant
// inputs add up to PlanOptions::ahead_min_bytes (weights to pack), bound to a table entry, and for
// which the releaser aligns nothing, so that creating them early, off the plan's thread, does
// what creating them in order would. Each item holds its own references to its constants: the
// plan's thread replaces the graph's (aligned copies, released stubs) while helpers read them.
struct AheadItems {
  std::vector<int64_t> item_of_step;  // -1: bound by the plan's thread
  std::vector<size_t> step;
  std::vector<int64_t> bytes;
  std::vector<const kernels::KernelEntry*> entry;
  std::vector<bool> reference;
  std::vector<std::vector<Tensor>> constants;  // by input; undefined where not a constant
};

// How far (constant bytes past the consumer's item) helpers may run ahead. An original whose
// kernel was created ahead waits for its readers to be bound in order before it is released, so
// up to this much more is held at once. ResNet-50's peak RSS at 2 threads (230 MB when built on
// one) was 243-264 MB with 32 MiB and 233-248 with 8 MiB (items from 2 MiB, loaded machine). The
// item right after the consumer's is always allowed, which is what two threads need.
constexpr int64_t kAheadWindowBytes = int64_t{8} << 20;

AheadItems choose_ahead_items(const ir::Graph& g, const std::vector<ir::NodeId>& order, const PlanOptions& options,
                              const ConstantReleaser& releaser) {
  AheadItems items;
  items.item_of_step.assign(order.size(), -1);
  if (!options.threads || options.threads->num_threads() < 2) return items;
  for (size_t s = 0; s < order.size(); ++s) {
    const ir::Node& n = g.node(order[s]);
    if (has_graph_attribute(n)) continue;
    int64_t bytes = 0;
    for (ir::ValueId v : n.inputs)
      if (is_constant_input(g, v)) bytes += static_cast<int64_t>(g.value(v).constant->nbytes());
    if (bytes < options.ahead_min_bytes) continue;
    const NodeTypes types = node_types(g, n);
    if (is_value_identity(n, types.in)) continue;
    bool reference = false;
    const kernels::KernelEntry* entry = find_entry(n, types.in, types.out, options, &reference, nullptr);
    if (!entry || !releaser.aligns_nothing_for(n, reference)) continue;
    std::vector<Tensor> constants(n.inputs.size());
    for (size_t k = 0; k < n.inputs.size(); ++k)
      if (is_constant_input(g, n.inputs[k])) constants[k] = *g.value(n.inputs[k]).constant;
    items.item_of_step[s] = static_cast<int64_t>(items.step.size());
    items.step.push_back(s);
    items.bytes.push_back(bytes);
    items.entry.push_back(entry);
    items.reference.push_back(reference);
    items.constants.push_back(std::move(constants));
  }
  if (items.step.size() < 2) {  // nothing to overlap
    AheadItems none;
    none.item_of_step.assign(order.size(), -1);
    return none;
  }
  return items;
}

// Creates item i's kernel; runs on any thread of the pool. It reads the node, the value types
// (which the plan never writes) and the item's own constants, which it drops once done so that
// the releaser can free the originals.
Expected<std::unique_ptr<kernels::Kernel>> create_ahead(const ir::Graph& g, const ir::Node& n, AheadItems& items,
                                                        size_t i) {
  const NodeTypes types = node_types(g, n);
  const std::vector<Tensor> held = std::move(items.constants[i]);
  std::vector<const Tensor*> consts;
  for (const Tensor& t : held) consts.push_back(t.defined() ? &t : nullptr);
  const kernels::KernelInit init{n, types.in, consts, types.out};
  return items.entry[i]->factory(init);
}

// `owner`: the same graph, writable, when constants may be released (the top-level graph).
Expected<std::unique_ptr<ExecutionPlan>> build(std::shared_ptr<const ir::Graph> graph, const ExecutionPlan* enclosing,
                                               const PlanOptions& options, ir::Graph* owner = nullptr) {
  auto plan = std::make_unique<ExecutionPlan>();
  const ir::Graph& g = *graph;
  plan->graph = graph;
  ONNXRT_ASSIGN_OR_RETURN(std::vector<ir::NodeId> order, g.topological_order());

  plan->slots.resize(g.num_values());
  plan->constants.resize(g.num_values());
  for (size_t i = 0; i < g.num_values(); ++i) {
    const ir::ValueInfo& v = g.value(static_cast<ir::ValueId>(i));
    SlotInfo& s = plan->slots[i];
    s.dtype = v.type.dtype;
    s.is_graph_input = v.is_graph_input;
    s.is_graph_output = v.is_graph_output;
    s.is_outer_scope = v.is_outer_scope;
    s.is_tensor = v.type.is_tensor();
    s.is_constant = v.constant.has_value();
    if (v.constant) plan->constants[i] = *v.constant;
    if (v.type.is_static()) {
      s.static_shape = true;
      s.shape = to_static_shape(v.type.shape);
    }
    if (v.is_outer_scope) {
      // Bound by name: passes on the enclosing graph renumber values but keep their names.
      const ir::ValueId outer = enclosing ? enclosing->graph->find(v.name) : ir::kNoValue;
      if (outer == ir::kNoValue) {
        return invalid_model("graph '" + g.name + "': outer-scope value '" + v.name +
                             "' is not a value of the enclosing graph");
      }
      plan->outer_bindings.push_back({static_cast<Slot>(i), static_cast<Slot>(outer)});
    }
  }
  for (ir::ValueId v : g.inputs()) {
    plan->input_slots.push_back(v);
    plan->input_names.push_back(g.value(v).name);
  }
  plan->output_slots.assign(g.outputs().begin(), g.outputs().end());
  plan->output_names = g.output_names();

  // Last reader of each value, to release buffers as early as possible. A value that a subgraph
  // reads from this scope counts as read by the node that owns the subgraph.
  std::vector<int64_t> last_use(g.num_values(), -1);
  for (size_t s = 0; s < order.size(); ++s) {
    const ir::Node& n = g.node(order[s]);
    for (ir::ValueId v : n.inputs)
      if (v != ir::kNoValue) last_use[static_cast<size_t>(v)] = static_cast<int64_t>(s);
    for (ir::ValueId v : g.implicit_inputs(n)) last_use[static_cast<size_t>(v)] = static_cast<int64_t>(s);
    // An output nobody reads dies right after it is written.
    for (ir::ValueId v : n.outputs)
      if (v != ir::kNoValue && last_use[static_cast<size_t>(v)] < 0)
        last_use[static_cast<size_t>(v)] = static_cast<int64_t>(s);
  }

  plan->steps.resize(order.size());
  ConstantReleaser releaser(owner, order, *plan);
  AheadItems items = choose_ahead_items(g, order, options, releaser);
  // Binds every node in order; `ahead` (null: none) holds the kernels created on other threads.
  auto bind_steps = [&](KernelsAhead* ahead) -> Status {
    for (size_t s = 0; s < order.size(); ++s) {
      const ir::Node& n = g.node(order[s]);
      Step& step = plan->steps[s];
      step.node = &n;
      step.infer = ir::find_infer_fn(n.domain, n.op_type);
      step.inputs.assign(n.inputs.begin(), n.inputs.end());
      step.outputs.assign(n.outputs.begin(), n.outputs.end());
      const int64_t item = ahead ? items.item_of_step[s] : -1;
      if (item >= 0) {
        // Chosen so that releaser.before_create would align nothing for it.
        step.reference_kernel = items.reference[static_cast<size_t>(item)];
        ONNXRT_ASSIGN_OR_RETURN(step.kernel, ahead->take(static_cast<size_t>(item)));
      } else {
        ONNXRT_ASSIGN_OR_RETURN(step.kernel, create_kernel(g, n, options, &step.reference_kernel, [&](bool reference) {
                                  releaser.before_create(n, reference);
                                }));
      }
      releaser.after_create(n, *step.kernel);
      step.static_shapes = true;
      for (ir::ValueId v : n.outputs)
        if (v != ir::kNoValue && !plan->slots[static_cast<size_t>(v)].static_shape) step.static_shapes = false;
      step.kernel_sets_outputs = has_graph_attribute(n);
      for (const auto* ids : {&n.inputs, &n.outputs})
        for (ir::ValueId v : *ids)
          if (v != ir::kNoValue && is_non_tensor(g.value(v).type)) step.kernel_sets_outputs = true;
    }
    return Status::ok();
  };
  if (items.step.empty()) {
    ONNXRT_RETURN_IF_ERROR(bind_steps(nullptr));
  } else {
    KernelsAhead ahead(items.bytes, kAheadWindowBytes,
                       [&](size_t i) { return create_ahead(g, g.node(order[items.step[i]]), items, i); });
    ONNXRT_RETURN_IF_ERROR(ahead.run(*options.threads, [&] { return bind_steps(&ahead); }));
    plan->kernels_created_ahead = ahead.created_by_helpers();
  }
  for (size_t v = 0; v < g.num_values(); ++v) {
    const SlotInfo& s = plan->slots[v];
    if (last_use[v] < 0 || s.is_constant || s.is_graph_input || s.is_graph_output) continue;
    plan->steps[static_cast<size_t>(last_use[v])].release_after.push_back(static_cast<Slot>(v));
  }
  assign_arena_offsets(*plan);

  // Nested plans last: they bind to this plan's slots by name.
  for (Step& step : plan->steps) {
    for (const ir::Attribute& a : step.node->attrs.all()) {
      if (a.g) {
        auto sub = build(a.g, plan.get(), options);
        if (!sub) return sub.status().with_context(step.node->describe() + " attribute '" + a.name + "': ");
        step.subplans.push_back({a.name, std::move(sub).value()});
      }
      // GRAPHS attributes belong to no standard op; they would be addressed as name[index].
      for (size_t k = 0; k < a.graphs.size(); ++k) {
        if (!a.graphs[k]) continue;
        auto sub = build(a.graphs[k], plan.get(), options);
        if (!sub) return sub.status().with_context(step.node->describe() + " attribute '" + a.name + "': ");
        step.subplans.push_back({a.name + "[" + std::to_string(k) + "]", std::move(sub).value()});
      }
    }
  }
  return plan;
}

}  // namespace

Expected<std::unique_ptr<ExecutionPlan>> build_plan(std::unique_ptr<ir::Graph> graph, const PlanOptions& options) {
  ir::Graph* owner = graph.get();
  return build(std::shared_ptr<const ir::Graph>(std::move(graph)), nullptr, options, owner);
}

Expected<std::unique_ptr<ExecutionPlan>> build_subgraph_plan(std::shared_ptr<const ir::Graph> graph,
                                                             const ExecutionPlan& enclosing) {
  return build(std::move(graph), &enclosing, PlanOptions{});
}

}  // namespace onnxrt::plan
