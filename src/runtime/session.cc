// Session composes the pipeline: reader -> IR -> passes -> plan; run() binds inputs into a
// RunState taken from a small free list and executes the shared plan.
#include "onnxrt/session.h"

#include <algorithm>
#include <cstdint>
#include <cstdio>
#include <exception>
#include <mutex>
#include <unordered_map>

#include "base/thread_pool.h"
#include "onnx/model_io.h"
#include "passes/pass.h"
#include "plan/execution_plan.h"
#include "runtime/executor.h"
#include "runtime/pipeline_stages.h"
#include "runtime/profiler.h"
#include "tensor/value.h"

namespace onnxrt {

struct Session::Impl {
  SessionOptions options;
  std::unique_ptr<ThreadPool> threads;
  std::unique_ptr<plan::ExecutionPlan> plan;
  std::vector<ValueInfo> inputs;
  std::vector<ValueInfo> outputs;
  ModelMetadata metadata;
  std::unordered_map<std::string, size_t> input_index;  // name -> position in plan->input_slots
  // Per input (plan->input_slots order): a 1x1 conv reads it in place, so a feed that does not
  // start on a 64-byte boundary is copied to one first (inputs_read_in_place_by_convs).
  std::vector<bool> align_input;
  std::unique_ptr<runtime::Profiler> profiler;  // set when options.enable_profiling

  mutable std::mutex states_mutex;
  mutable std::vector<std::unique_ptr<runtime::RunState>> idle_states;

  Status bind_inputs(const std::vector<std::pair<std::string, Value>>& feeds, runtime::RunState& state) const;
  // One run: `wanted` indexes plan->output_slots; `hooks` (may be null) instruments the steps.
  Expected<std::vector<Value>> run(const std::vector<std::pair<std::string, Value>>& feeds,
                                   const std::vector<size_t>& wanted, runtime::RunHooks* hooks) const;
};

namespace {

ValueInfo public_info(const ir::Graph& g, ir::ValueId id, const std::string& name) {
  const ir::ValueInfo& v = g.value(id);
  ValueInfo info;
  info.name = name;
  info.type = ir::type_string(v.type);
  info.dtype = v.type.dtype;
  info.has_shape = v.type.has_shape;
  for (const Dim& d : v.type.shape) {
    DimInfo di;
    if (d.is_known()) {
      di.value = d.value();
    } else if (g.symbols().is_named(d.symbol_id())) {
      di.symbol = g.symbols().name(d.symbol_id());
    }
    info.shape.push_back(di);
  }
  return info;
}

// Which graph inputs are X of a 1x1 conv. Its CPU kernels read X in place with vector loads
// along the pixels; numpy arrays start 16 bytes past a 64-byte boundary, so half of those loads
// split across cache lines (a 64 -> 32 1x1 conv over 128x128: 1.29-1.41 ms from an aligned copy,
// 1.71-1.94 from numpy's array; a detection head 1.52-1.54 -> 1.39-1.44 ms with the copy). Convs
// with wider windows gain nothing measurable and would pay the copy (MobileNetV2's stem: 1-2%).
std::vector<bool> inputs_read_in_place_by_convs(const plan::ExecutionPlan& plan) {
  std::vector<bool> flags(plan.input_slots.size(), false);
  for (const plan::Step& step : plan.steps) {
    if (!step.node || step.inputs.size() < 2 || step.inputs[1] == plan::kNoSlot) continue;
    const std::string& op = step.node->op_type;
    if (op != "Conv" && op != "FusedConv") continue;
    const plan::SlotInfo& w = plan.slots[static_cast<size_t>(step.inputs[1])];
    // Depthwise 1x1 convs (one input channel per group) scale planes element by element:
    // alignment does not matter to them.
    const ir::Attribute* ga = step.node->attrs.find("group");
    if (ga && ga->i != 1 && w.static_shape && w.shape.size() >= 2 && w.shape[1] == 1) continue;
    if (!w.static_shape || w.shape.size() < 3 ||
        !std::all_of(w.shape.begin() + 2, w.shape.end(), [](int64_t d) { return d == 1; }))
      continue;
    for (size_t i = 0; i < plan.input_slots.size(); ++i)
      if (plan.input_slots[i] == step.inputs[0]) flags[i] = true;
  }
  return flags;
}

Expected<std::unique_ptr<Session::Impl>> build(onnx::LoadedModel model, const SessionOptions& options,
                                              runtime::ProfileClock::time_point load_begin) {
  auto impl = std::make_unique<Session::Impl>();
  if (options.enable_profiling) {
    impl->profiler = std::make_unique<runtime::Profiler>(options.profile_file_prefix, load_begin);
  }
  impl->options = options;
  impl->threads = std::make_unique<ThreadPool>(options.intra_op_num_threads);
  impl->metadata = model.metadata;
  std::unique_ptr<ir::Graph> graph = std::move(model.graph);

  // Folding runs kernels single-threaded: load time should not wake the pool. In reference mode
  // it computes with the reference kernels too, so that no optimized kernel touches the values.
  const passes::PassContext ctx = runtime::folding_context(*impl->threads, options.use_reference_kernels);
  const auto pipeline = passes::default_pipeline(options.graph_optimization_level);
  ONNXRT_RETURN_IF_ERROR(passes::run_pipeline(*graph, pipeline, ctx));
  if (!options.optimized_model_filepath.empty()) {
    ONNXRT_ASSIGN_OR_RETURN(std::string bytes, onnx::save_model(*graph, impl->metadata));
    std::FILE* f = std::fopen(options.optimized_model_filepath.c_str(), "wb");
    const bool ok = f && std::fwrite(bytes.data(), 1, bytes.size(), f) == bytes.size();
    if (f) std::fclose(f);
    if (!ok) return io_error("cannot write the optimized model to '" + options.optimized_model_filepath + "'");
  }

  for (ir::ValueId v : graph->inputs()) impl->inputs.push_back(public_info(*graph, v, graph->value(v).name));
  for (size_t i = 0; i < graph->outputs().size(); ++i)
    impl->outputs.push_back(public_info(*graph, graph->outputs()[i], graph->output_names()[i]));
  for (size_t i = 0; i < graph->inputs().size(); ++i) impl->input_index[graph->value(graph->inputs()[i]).name] = i;

  plan::PlanOptions plan_options;
  plan_options.prefer_reference_kernels = options.use_reference_kernels;
  plan_options.threads = impl->threads.get();  // packs weights on every thread
  ONNXRT_ASSIGN_OR_RETURN(impl->plan, plan::build_plan(std::move(graph), plan_options));
  impl->align_input = inputs_read_in_place_by_convs(*impl->plan);
  // onnxruntime's name for the load event.
  if (impl->profiler) {
    impl->profiler->add_session_event("session_initialization", load_begin, runtime::ProfileClock::now());
  }
  return impl;
}

std::string list_names(const std::vector<ValueInfo>& infos) {
  std::string s;
  for (const ValueInfo& i : infos) s += (s.empty() ? "'" : ", '") + i.name + "'";
  return s;
}

}  // namespace

namespace {

// Values bound to each symbol by the inputs seen so far, to check that "batch" agrees.
using SymbolBindings = std::unordered_map<int32_t, std::pair<int64_t, std::string>>;

Status check_tensor(const ir::Graph& g, const std::string& name, const ir::ValueType& want, const Tensor& tensor,
                    SymbolBindings* bound) {
  if (!tensor.defined()) return invalid_argument("input '" + name + "' is an empty (undefined) tensor");
  if (want.kind == ir::TypeKind::kTensor && want.dtype != DType::kUndefined && tensor.dtype() != want.dtype) {
    return invalid_argument("input '" + name + "' has element type " + std::string(dtype_name(tensor.dtype())) +
                            ", expected " + ir::type_string(want));
  }
  if (!want.has_shape) return Status::ok();
  const std::string expected = shape_to_string(want.shape, &g.symbols());
  if (tensor.rank() != want.rank()) {
    return invalid_argument("input '" + name + "' has shape " + shape_to_string(tensor.shape()) + " (rank " +
                            std::to_string(tensor.rank()) + "), expected rank " + std::to_string(want.rank()) + " " +
                            expected);
  }
  for (size_t d = 0; d < want.shape.size(); ++d) {
    const Dim& dim = want.shape[d];
    const int64_t got = tensor.shape()[d];
    if (dim.is_known() && dim.value() != got) {
      return invalid_argument("input '" + name + "' has shape " + shape_to_string(tensor.shape()) + ", expected " +
                              expected + " (dim " + std::to_string(d) + " must be " + std::to_string(dim.value()) +
                              ")");
    }
    // Sequence elements may differ in shape: their symbols are not bound across elements.
    if (bound && dim.is_symbol() && g.symbols().is_named(dim.symbol_id())) {
      auto [b, inserted] = bound->try_emplace(dim.symbol_id(), got, name);
      if (!inserted && b->second.first != got) {
        return invalid_argument("input '" + name + "' dim " + std::to_string(d) + " ('" +
                                g.symbols().name(dim.symbol_id()) + "') is " + std::to_string(got) + " but input '" +
                                b->second.second + "' set it to " + std::to_string(b->second.first));
      }
    }
  }
  return Status::ok();
}

// Checks a fed value against the declared type (tensor, seq, optional, map); kUnknown accepts all.
Status check_value(const ir::Graph& g, const std::string& name, const ir::ValueType& want, const Value& v,
                   SymbolBindings* bound) {
  switch (want.kind) {
    case ir::TypeKind::kUnknown: return Status::ok();
    case ir::TypeKind::kOptional:
      if (v.is_none()) return Status::ok();
      return want.elem ? check_value(g, name, *want.elem, v, bound) : Status::ok();
    case ir::TypeKind::kSequence:
      if (!v.is_sequence()) {
        return invalid_argument("input '" + name + "' is " + v.describe() + ", expected " + ir::type_string(want));
      }
      for (size_t k = 0; k < v.sequence().size(); ++k) {
        if (!want.elem) break;
        ONNXRT_RETURN_IF_ERROR(
            check_value(g, name + "[" + std::to_string(k) + "]", *want.elem, v.sequence()[k], nullptr));
      }
      return Status::ok();
    case ir::TypeKind::kMap:
      if (!v.is_map()) {
        return invalid_argument("input '" + name + "' is " + v.describe() + ", expected " + ir::type_string(want));
      }
      if (v.map().keys.dtype() != want.dtype) {
        return invalid_argument("input '" + name + "' has map keys of type " +
                                std::string(dtype_name(v.map().keys.dtype())) + ", expected " + ir::type_string(want));
      }
      return Status::ok();
    default:
      if (!v.is_tensor()) {
        return invalid_argument("input '" + name + "' is " + v.describe() + ", expected " + ir::type_string(want));
      }
      return check_tensor(g, name, want, v.tensor(), bound);
  }
}

// Kernels and loaders report bad input through Status; an exception that still reaches the API
// (a container size past max_size(), say) becomes an error rather than ending the caller's process.
Status unexpected_exception(const std::string& during, const std::exception& e) {
  return internal_error("while " + during + ": C++ exception: " + e.what());
}

}  // namespace

Status Session::Impl::bind_inputs(const std::vector<std::pair<std::string, Value>>& feeds,
                                  runtime::RunState& state) const {
  const ir::Graph& g = *plan->graph;
  std::vector<bool> fed(plan->input_slots.size(), false);
  SymbolBindings bound;
  for (const auto& [name, value] : feeds) {
    auto it = input_index.find(name);
    if (it == input_index.end()) {
      return invalid_argument("unknown input '" + name + "'; the model's inputs are " + list_names(inputs));
    }
    if (fed[it->second]) return invalid_argument("input '" + name + "' is given twice");
    fed[it->second] = true;
    const ir::ValueInfo& v = g.value(plan->input_slots[it->second]);
    if (v.type.kind == ir::TypeKind::kTensor && !value.is_tensor()) {
      if (value.is_none()) return invalid_argument("input '" + name + "' is an empty (undefined) tensor");
      return invalid_argument("input '" + name + "' is " + value.describe() + ", expected " + ir::type_string(v.type));
    }
    ONNXRT_RETURN_IF_ERROR(check_value(g, name, v.type, value, &bound));
    Value& slot = state.slots[static_cast<size_t>(plan->input_slots[it->second])];
    // A misaligned feed a conv reads in place: an aligned copy (small ones are not worth it).
    constexpr size_t kAlignCopyMinBytes = 16384;
    if (align_input[it->second] && value.is_tensor() && value.tensor().nbytes() >= kAlignCopyMinBytes &&
        reinterpret_cast<uintptr_t>(value.tensor().raw()) % 64 != 0) {
      slot = Value(value.tensor().clone());
    } else {
      slot = value;
    }
  }
  for (size_t i = 0; i < fed.size(); ++i) {
    if (fed[i]) continue;
    const ir::ValueInfo& v = g.value(plan->input_slots[i]);
    // An input with an initializer (IR < 4 models) falls back to it when not fed.
    if (v.constant) {
      state.slots[static_cast<size_t>(plan->input_slots[i])] = *v.constant;
      continue;
    }
    // An optional input left out is an empty optional.
    if (v.type.kind == ir::TypeKind::kOptional) continue;
    return invalid_argument("input '" + v.name + "' (" + ir::type_string(v.type) + " " +
                            shape_to_string(v.type.shape, &g.symbols()) + ") is missing");
  }
  return Status::ok();
}

Session::Session(std::unique_ptr<Impl> impl) : impl_(std::move(impl)) {}
Session::~Session() = default;

Expected<std::unique_ptr<Session>> Session::load(const std::string& path, const SessionOptions& options) {
  try {
    const auto begin = runtime::ProfileClock::now();
    ONNXRT_ASSIGN_OR_RETURN(onnx::LoadedModel model, onnx::load_model_file(path));
    ONNXRT_ASSIGN_OR_RETURN(std::unique_ptr<Impl> impl, build(std::move(model), options, begin));
    return std::unique_ptr<Session>(new Session(std::move(impl)));
  } catch (const std::bad_alloc&) {
    return runtime_error("out of memory while loading '" + path + "'");
  } catch (const std::exception& e) {
    return unexpected_exception("loading '" + path + "'", e);
  }
}

Expected<std::unique_ptr<Session>> Session::load_bytes(const void* data, size_t size, const SessionOptions& options,
                                                       const std::string& model_dir) {
  try {
    const auto begin = runtime::ProfileClock::now();
    ONNXRT_ASSIGN_OR_RETURN(onnx::LoadedModel model, onnx::load_model_bytes(data, size, model_dir));
    ONNXRT_ASSIGN_OR_RETURN(std::unique_ptr<Impl> impl, build(std::move(model), options, begin));
    return std::unique_ptr<Session>(new Session(std::move(impl)));
  } catch (const std::bad_alloc&) {
    return runtime_error("out of memory while loading a model");
  } catch (const std::exception& e) {
    return unexpected_exception("loading a model", e);
  }
}

const std::vector<ValueInfo>& Session::inputs() const { return impl_->inputs; }
const std::vector<ValueInfo>& Session::outputs() const { return impl_->outputs; }
const ModelMetadata& Session::metadata() const { return impl_->metadata; }
const SessionOptions& Session::options() const { return impl_->options; }

Expected<std::vector<Value>> Session::run(const std::vector<std::pair<std::string, Value>>& feeds,
                                           const std::vector<std::string>& output_names) const {
  const plan::ExecutionPlan& plan = *impl_->plan;
  std::vector<size_t> wanted;
  if (output_names.empty()) {
    for (size_t i = 0; i < plan.output_slots.size(); ++i) wanted.push_back(i);
  } else {
    for (const std::string& name : output_names) {
      size_t i = 0;
      while (i < plan.output_names.size() && plan.output_names[i] != name) ++i;
      if (i == plan.output_names.size()) {
        return invalid_argument("unknown output '" + name + "'; the model's outputs are " +
                                list_names(impl_->outputs));
      }
      wanted.push_back(i);
    }
  }
  if (impl_->profiler && impl_->profiler->enabled()) {
    runtime::RunHooks hooks;
    hooks.profiler = impl_->profiler.get();
    const auto begin = runtime::ProfileClock::now();
    auto result = impl_->run(feeds, wanted, &hooks);
    const auto end = runtime::ProfileClock::now();
    impl_->profiler->add(std::move(hooks.events));
    impl_->profiler->add_session_event("model_run", begin, end);
    return result;
  }
  return impl_->run(feeds, wanted, nullptr);
}

Expected<std::vector<std::pair<std::string, Value>>> Session::run_with_intermediates(
    const std::vector<std::pair<std::string, Value>>& feeds) const {
  const plan::ExecutionPlan& top = *impl_->plan;
  std::vector<std::pair<std::string, Value>> values;
  runtime::RunHooks hooks;
  // Copies: the executor reuses arena and pool memory as soon as a value's last reader ran.
  hooks.after_step = [&top, &values](const plan::ExecutionPlan& plan, const plan::Step& step,
                                     const runtime::RunState& state) {
    if (&plan != &top) return;  // subgraph values repeat per iteration and are not graph values
    for (plan::Slot s : step.outputs) {
      if (s == plan::kNoSlot) continue;
      values.emplace_back(top.graph->value(s).name, clone_value(state.slots[static_cast<size_t>(s)]));
    }
  };
  ONNXRT_RETURN_IF_ERROR(impl_->run(feeds, {}, &hooks).status());
  return values;
}

Expected<std::string> Session::end_profiling() const {
  if (!impl_->profiler) return std::string();
  return impl_->profiler->end();
}

int64_t Session::profiling_start_time_ns() const {
  return impl_->profiler ? impl_->profiler->start_time_ns() : 0;
}

Expected<std::vector<Value>> Session::Impl::run(const std::vector<std::pair<std::string, Value>>& feeds,
                                                const std::vector<size_t>& wanted, runtime::RunHooks* hooks) const {
  const plan::ExecutionPlan& plan = *this->plan;
  std::unique_ptr<runtime::RunState> state;
  {
    std::lock_guard<std::mutex> lock(states_mutex);
    if (!idle_states.empty()) {
      state = std::move(idle_states.back());
      idle_states.pop_back();
    }
  }
  Expected<std::vector<Value>> result = std::vector<Value>();
  try {
    if (!state) state = std::make_unique<runtime::RunState>(plan);
    runtime::load_constants(plan, *state);
    Status st = bind_inputs(feeds, *state);
    state->hooks = hooks;
    if (st.is_ok()) st = runtime::execute(plan, *state, *threads);
    state->hooks = nullptr;
    if (st.is_ok()) {
      std::vector<Value> out;
      for (size_t i : wanted) {
        const auto slot = static_cast<size_t>(plan.output_slots[i]);
        const Value& v = state->slots[slot];
        // Outputs that are inputs or constants would share storage with the caller or the plan;
        // so may the elements of a sequence, which ops pass on by reference.
        const bool owned = !plan.slots[slot].is_graph_input && !plan.slots[slot].is_constant && v.is_tensor();
        out.push_back(owned ? v : clone_value(v));
      }
      result = std::move(out);
    } else {
      result = st;
    }
  } catch (const std::bad_alloc&) {
    result = runtime_error("out of memory while running the model");
  } catch (const std::exception& e) {
    result = unexpected_exception("running the model", e);
  }
  // Leave the state clean for the next run whatever happened.
  if (!state) return result;
  runtime::reset(plan, *state);
  state->pool.trim();
  {
    std::lock_guard<std::mutex> lock(states_mutex);
    idle_states.push_back(std::move(state));
  }
  return result;
}

}  // namespace onnxrt
