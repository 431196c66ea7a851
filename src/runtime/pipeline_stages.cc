#include "runtime/pipeline_stages.h"

#include <cmath>
#include <cstdint>
#include <cstdio>
#include <memory>
#include <vector>

#include "kernels/eval_node.h"
#include "onnx/model_io.h"
#include "runtime/profiler.h"

namespace onnxrt::runtime {

passes::PassContext folding_context(ThreadPool& pool, bool reference_first) {
  const kernels::Backend first = reference_first ? kernels::Backend::kReference : kernels::Backend::kCpu;
  const kernels::Backend second = reference_first ? kernels::Backend::kCpu : kernels::Backend::kReference;
  passes::PassContext ctx;
  ctx.evaluate = [&pool, first, second](const ir::Node& node, std::span<const Tensor* const> given, size_t n) {
    // A weight left misaligned in the model file (only MatMul/Gemm B: onnx/tensor_proto.h) is
    // copied before a kernel reads it here, as in the plan.
    std::vector<const Tensor*> inputs(given.begin(), given.end());
    std::vector<Tensor> copies;
    copies.reserve(inputs.size());
    for (const Tensor*& t : inputs) {
      if (t && t->dtype() == DType::kFloat32 && reinterpret_cast<uintptr_t>(t->raw()) % alignof(float) != 0) {
        copies.push_back(t->clone());
        t = &copies.back();
      }
    }
    auto out = kernels::eval_node(first, node, inputs, n, pool);
    if (!out && out.status().code() == ErrorCode::kNotImplemented) {
      out = kernels::eval_node(second, node, inputs, n, pool);
    }
    return out;
  };
  return ctx;
}

std::vector<std::string> pipeline_stage_names(GraphOptimizationLevel level) {
  std::vector<std::string> names{"import"};
  for (const passes::Pass& p : passes::default_pipeline(level)) names.emplace_back(p.name);
  return names;
}

namespace {

std::string value_json(const ir::Graph& g, ir::ValueId id) {
  if (id == ir::kNoValue) return "null";
  const ir::ValueInfo& v = g.value(id);
  std::string s = "{\"name\":" + json_quote(v.name) + ",\"type\":" + json_quote(ir::type_string(v.type)) +
                  ",\"shape\":";
  if (!v.type.has_shape) {
    s += "null";
  } else {
    s += "[";
    for (size_t d = 0; d < v.type.shape.size(); ++d) {
      const Dim& dim = v.type.shape[d];
      if (d) s += ",";
      s += dim.is_known() ? std::to_string(dim.value()) : json_quote(g.symbols().name(dim.symbol_id()));
    }
    s += "]";
  }
  if (v.constant) s += ",\"constant\":true";
  return s + "}";
}

std::string number_json(float f) {
  if (!std::isfinite(f)) return json_quote(std::to_string(f));  // JSON has no inf/nan
  char buf[32];
  std::snprintf(buf, sizeof(buf), "%.9g", static_cast<double>(f));
  return buf;
}

// Scalars and lists as JSON; tensors and graphs only by kind (they can be large).
std::string attribute_json(const ir::Attribute& a) {
  std::string s;
  switch (a.kind) {
    case ir::AttrKind::kInt: return std::to_string(a.i);
    case ir::AttrKind::kFloat: return number_json(a.f);
    case ir::AttrKind::kString: return json_quote(a.s);
    case ir::AttrKind::kInts:
      for (int64_t x : a.ints) s += (s.empty() ? "" : ",") + std::to_string(x);
      return "[" + s + "]";
    case ir::AttrKind::kFloats:
      for (float x : a.floats) s += (s.empty() ? "" : ",") + number_json(x);
      return "[" + s + "]";
    case ir::AttrKind::kStrings:
      for (const std::string& x : a.strings) s += (s.empty() ? "" : ",") + json_quote(x);
      return "[" + s + "]";
    case ir::AttrKind::kTensor:
      return json_quote("tensor(" + std::string(dtype_name(a.t.dtype())) + ") " + shape_to_string(a.t.shape()));
    default: return json_quote("<" + std::string(ir::attr_kind_name(a.kind)) + ">");
  }
}

std::string graph_json(const ir::Graph& g, std::string_view stage, const std::vector<std::string>& stages) {
  std::string s = "{\"graph\":" + json_quote(g.name) + ",\"stage\":" + json_quote(stage) + ",\"stages\":[";
  for (size_t i = 0; i < stages.size(); ++i) s += (i ? "," : "") + json_quote(stages[i]);
  s += "],\"inputs\":[";
  for (size_t i = 0; i < g.inputs().size(); ++i) s += (i ? "," : "") + value_json(g, g.inputs()[i]);
  s += "],\"outputs\":[";
  for (size_t i = 0; i < g.outputs().size(); ++i) s += (i ? "," : "") + value_json(g, g.outputs()[i]);
  s += "],\"initializers\":[";
  bool first = true;
  for (size_t i = 0; i < g.num_values(); ++i) {
    const ir::ValueInfo& v = g.value(static_cast<ir::ValueId>(i));
    if (!v.constant || v.is_graph_input || (v.consumers.empty() && !v.is_graph_output)) continue;
    s += (first ? "" : ",") + value_json(g, static_cast<ir::ValueId>(i));
    first = false;
  }
  s += "],\"nodes\":[";
  auto order = g.topological_order();
  if (order) {
    for (size_t k = 0; k < order->size(); ++k) {
      const ir::Node& n = g.node((*order)[k]);
      s += k ? ",\n" : "\n";
      s += "{\"name\":" + json_quote(n.name) + ",\"op_type\":" + json_quote(n.op_type) +
           ",\"domain\":" + json_quote(n.domain) + ",\"inputs\":[";
      for (size_t i = 0; i < n.inputs.size(); ++i) s += (i ? "," : "") + value_json(g, n.inputs[i]);
      s += "],\"outputs\":[";
      for (size_t i = 0; i < n.outputs.size(); ++i) s += (i ? "," : "") + value_json(g, n.outputs[i]);
      s += "],\"attributes\":{";
      for (size_t i = 0; i < n.attrs.all().size(); ++i) {
        const ir::Attribute& a = n.attrs.all()[i];
        s += (i ? "," : "") + json_quote(a.name) + ":" + attribute_json(a);
      }
      s += "}}";
    }
  }
  return s + "]}\n";
}

}  // namespace

Expected<std::string> dump_graph_json(const std::string& path, const SessionOptions& options, std::string_view after) {
  const std::vector<std::string> stages = pipeline_stage_names(options.graph_optimization_level);
  if (!after.empty()) {
    bool known = false;
    std::string list;
    for (const std::string& st : stages) {
      known = known || st == after;
      list += (list.empty() ? "" : ", ") + st;
    }
    if (!known) {
      return invalid_argument("unknown pass '" + std::string(after) + "'; the stages at this optimization level are " +
                              list);
    }
  }
  ONNXRT_ASSIGN_OR_RETURN(onnx::LoadedModel model, onnx::load_model_file(path));
  ir::Graph& g = *model.graph;
  if (after != "import") {
    ThreadPool pool(1);
    const passes::PassContext ctx = folding_context(pool, options.use_reference_kernels);
    const auto pipeline = passes::default_pipeline(options.graph_optimization_level);
    ONNXRT_RETURN_IF_ERROR(passes::run_pipeline(g, pipeline, ctx, after));
  }
  return graph_json(g, after.empty() ? std::string_view(stages.back()) : after, stages);
}

}  // namespace onnxrt::runtime
