// Inference for control flow (If, Loop, Scan, SequenceMap) and for the ops on sequences and
// optionals. Output types of control flow come from the subgraphs, which were inferred when they
// were imported. Every op here has its outputs set by its kernel (dynamic_output_shape), since a
// subgraph or a sequence decides them only at run time.
#include <string>

#include "ir/op_families.h"

namespace onnxrt::ir {

namespace {

std::shared_ptr<ValueType> boxed(ValueType t) { return std::make_shared<ValueType>(std::move(t)); }

ValueType sequence_of(ValueType elem) {
  ValueType t;
  t.kind = TypeKind::kSequence;
  t.elem = boxed(std::move(elem));
  return t;
}

ValueType optional_of(ValueType elem) {
  ValueType t;
  t.kind = TypeKind::kOptional;
  t.elem = boxed(std::move(elem));
  return t;
}

// A type that covers both `a` and `b` (If branches, loop-carried values across iterations,
// sequence elements): equal dims stay, differing ones become fresh symbols, differing ranks
// lose the shape.
Expected<ValueType> merge_types(const ValueType& a, const ValueType& b, InferContext& ctx, const std::string& what) {
  if (a.kind == TypeKind::kUnknown) return b;
  if (b.kind == TypeKind::kUnknown) return a;
  if (a.kind != b.kind) {
    return ctx.error(what + ": types " + type_string(a) + " and " + type_string(b) + " do not agree");
  }
  ValueType out;
  out.kind = a.kind;
  if (a.kind == TypeKind::kTensor || a.kind == TypeKind::kSparseTensor || a.kind == TypeKind::kMap) {
    if (a.dtype != b.dtype && a.dtype != DType::kUndefined && b.dtype != DType::kUndefined) {
      return ctx.error(what + ": element types " + type_string(a) + " and " + type_string(b) + " do not agree");
    }
    out.dtype = a.dtype != DType::kUndefined ? a.dtype : b.dtype;
    if (a.has_shape && b.has_shape && a.rank() == b.rank()) {
      out.has_shape = true;
      for (size_t d = 0; d < a.shape.size(); ++d) out.shape.push_back(a.shape[d] == b.shape[d] ? a.shape[d] : ctx.fresh_dim());
    }
  }
  if (a.elem && b.elem) {
    ONNXRT_ASSIGN_OR_RETURN(ValueType e, merge_types(*a.elem, *b.elem, ctx, what));
    out.elem = boxed(std::move(e));
  } else {
    out.elem = a.elem ? a.elem : b.elem;
  }
  return out;
}

// The subgraph in attribute `name`; an error names the attribute when it is missing.
Expected<const Graph*> subgraph(InferContext& ctx, const char* name) {
  const Attribute* a = ctx.node().attrs.find(name);
  if (!a || !a->g) return ctx.error(std::string("attribute '") + name + "' (a graph) is required");
  return a->g.get();
}

const ValueType& output_type(const Graph& g, size_t i) { return g.value(g.outputs()[i]).type; }

// The tensor element type of a sequence input; error otherwise.
Expected<ValueType> sequence_elem(InferContext& ctx, size_t i, const char* what) {
  if (!ctx.has_input(i)) return ctx.error(std::string("input ") + std::to_string(i) + " (" + what + ") is required");
  const ValueType& t = ctx.input_type(i);
  if (t.kind == TypeKind::kUnknown) return ValueType();
  if (t.kind != TypeKind::kSequence) {
    return ctx.error(std::string("input ") + std::to_string(i) + " (" + what + ") must be a sequence, got " + type_string(t));
  }
  return t.elem ? *t.elem : ValueType();
}

Status require_tensor(InferContext& ctx, size_t i, const char* what) {
  if (!ctx.has_input(i)) return ctx.error(std::string("input ") + std::to_string(i) + " (" + what + ") is required");
  const ValueType& t = ctx.input_type(i);
  if (t.kind != TypeKind::kTensor && t.kind != TypeKind::kUnknown) {
    return ctx.error(std::string("input ") + std::to_string(i) + " (" + what + ") must be a tensor, got " + type_string(t));
  }
  return Status::ok();
}

Status require_index(InferContext& ctx, size_t i, const char* what) {
  if (!ctx.has_input(i)) return Status::ok();
  ONNXRT_RETURN_IF_ERROR(require_tensor(ctx, i, what));
  const ValueType& t = ctx.input_type(i);
  if (t.kind == TypeKind::kTensor && t.dtype != DType::kInt32 && t.dtype != DType::kInt64) {
    return ctx.error(std::string("input ") + std::to_string(i) + " (" + what + ") must be int32 or int64, got " +
                     type_string(t));
  }
  if (t.has_shape && t.rank() > 1) {
    return ctx.error(std::string("input ") + std::to_string(i) + " (" + what + ") must be a scalar, got rank " +
                     std::to_string(t.rank()));
  }
  return Status::ok();
}

// ---------------------------------------------------------------- If

Status infer_if(InferContext& ctx) {
  ONNXRT_RETURN_IF_ERROR(require_tensor(ctx, 0, "cond"));
  ONNXRT_ASSIGN_OR_RETURN(const Graph* then_g, subgraph(ctx, "then_branch"));
  ONNXRT_ASSIGN_OR_RETURN(const Graph* else_g, subgraph(ctx, "else_branch"));
  const size_t n = ctx.num_outputs();
  if (then_g->outputs().size() != n || else_g->outputs().size() != n) {
    return ctx.error("the node has " + std::to_string(n) + " outputs but then_branch has " +
                     std::to_string(then_g->outputs().size()) + " and else_branch " +
                     std::to_string(else_g->outputs().size()));
  }
  for (size_t i = 0; i < n; ++i) {
    ONNXRT_ASSIGN_OR_RETURN(ctx.outputs[i], merge_types(output_type(*then_g, i), output_type(*else_g, i), ctx,
                                                       "output " + std::to_string(i)));
  }
  ctx.dynamic_output_shape = true;
  return Status::ok();
}

// ---------------------------------------------------------------- Loop

Status infer_loop(InferContext& ctx) {
  ONNXRT_ASSIGN_OR_RETURN(const Graph* body, subgraph(ctx, "body"));
  if (ctx.num_inputs() < 2) return ctx.error("needs inputs M and cond (either may be empty)");
  const size_t n_carried = ctx.num_inputs() - 2;
  if (body->inputs().size() != n_carried + 2) {
    return ctx.error("body takes " + std::to_string(body->inputs().size()) + " inputs, expected " +
                     std::to_string(n_carried + 2) + " (iteration number, condition and " + std::to_string(n_carried) +
                     " loop-carried values)");
  }
  if (body->outputs().size() < n_carried + 1) {
    return ctx.error("body has " + std::to_string(body->outputs().size()) + " outputs, expected at least " +
                     std::to_string(n_carried + 1) + " (condition and the loop-carried values)");
  }
  const size_t n_scan = body->outputs().size() - 1 - n_carried;
  if (ctx.num_outputs() > n_carried + n_scan) {
    return ctx.error("has " + std::to_string(ctx.num_outputs()) + " outputs, the body makes only " +
                     std::to_string(n_carried + n_scan));
  }
  for (size_t i = 0; i < n_carried && i < ctx.num_outputs(); ++i) {
    const ValueType init = ctx.has_input(2 + i) ? ctx.input_type(2 + i) : ValueType();
    const ValueType& per = output_type(*body, 1 + i);
    // The body may turn an optional into its element (opset 16 tests do): its type wins then.
    if (init.kind != per.kind && per.kind != TypeKind::kUnknown) {
      ctx.outputs[i] = per;
      continue;
    }
    ONNXRT_ASSIGN_OR_RETURN(ctx.outputs[i], merge_types(init, per, ctx, "loop-carried value " + std::to_string(i)));
  }
  for (size_t k = 0; k < n_scan && n_carried + k < ctx.num_outputs(); ++k) {
    const ValueType& per = output_type(*body, 1 + n_carried + k);
    if (per.kind != TypeKind::kTensor && per.kind != TypeKind::kUnknown) {
      return ctx.error("scan output " + std::to_string(k) + " must be a tensor, the body makes " + type_string(per));
    }
    ValueType out = ValueType::tensor_unknown_rank(per.dtype);
    if (per.has_shape) {
      out.has_shape = true;
      out.shape.push_back(ctx.fresh_dim());
      out.shape.insert(out.shape.end(), per.shape.begin(), per.shape.end());
    }
    ctx.outputs[n_carried + k] = std::move(out);
  }
  ctx.dynamic_output_shape = true;
  return Status::ok();
}

// ---------------------------------------------------------------- Scan

Status infer_scan(InferContext& ctx) {
  ONNXRT_ASSIGN_OR_RETURN(const Graph* body, subgraph(ctx, "body"));
  AttrReader a(ctx.node());
  const int64_t m = a.i("num_scan_inputs", -1);
  std::vector<int64_t> in_axes = a.ints("scan_input_axes");
  std::vector<int64_t> out_axes = a.ints("scan_output_axes");
  ONNXRT_RETURN_IF_ERROR(a.status());
  const bool v8 = ctx.opset() < 9;  // opset 8: input 0 is sequence_lens and every value has a batch axis
  const size_t first = v8 ? 1 : 0;
  if (m < 1 || static_cast<size_t>(m) + first > ctx.num_inputs()) {
    return ctx.error("num_scan_inputs must be in [1, " + std::to_string(ctx.num_inputs() - first) + "], got " +
                     std::to_string(m));
  }
  const size_t n_state = ctx.num_inputs() - first - static_cast<size_t>(m);
  if (body->inputs().size() != n_state + static_cast<size_t>(m)) {
    return ctx.error("body takes " + std::to_string(body->inputs().size()) + " inputs, expected " +
                     std::to_string(n_state + static_cast<size_t>(m)));
  }
  if (body->outputs().size() < n_state || ctx.num_outputs() > body->outputs().size()) {
    return ctx.error("body has " + std::to_string(body->outputs().size()) + " outputs for " +
                     std::to_string(n_state) + " state values and " + std::to_string(ctx.num_outputs()) +
                     " node outputs");
  }
  if (!in_axes.empty() && in_axes.size() != static_cast<size_t>(m)) {
    return ctx.error("scan_input_axes has " + std::to_string(in_axes.size()) + " entries for " + std::to_string(m) +
                     " scan inputs");
  }
  const size_t n_scan_out = body->outputs().size() - n_state;
  if (!out_axes.empty() && out_axes.size() != n_scan_out) {
    return ctx.error("scan_output_axes has " + std::to_string(out_axes.size()) + " entries for " +
                     std::to_string(n_scan_out) + " scan outputs");
  }
  // The number of iterations, when a scan input's shape says it.
  Dim steps = ctx.fresh_dim();
  Dim batch = ctx.fresh_dim();
  for (size_t j = 0; j < static_cast<size_t>(m); ++j) {
    if (!ctx.has_input(first + n_state + j)) return ctx.error("scan input " + std::to_string(j) + " is missing");
    const ValueType& t = ctx.input_type(first + n_state + j);
    if (!t.has_shape) continue;
    int64_t axis = v8 ? 1 : (in_axes.empty() ? 0 : in_axes[j]);
    ONNXRT_ASSIGN_OR_RETURN(axis, normalize_axis(axis, t.rank(), ctx));
    if (j == 0) {
      steps = t.shape[static_cast<size_t>(axis)];
      if (v8) batch = t.shape[0];
    }
  }
  for (size_t i = 0; i < n_state && i < ctx.num_outputs(); ++i) {
    const ValueType init = ctx.has_input(first + i) ? ctx.input_type(first + i) : ValueType();
    ctx.outputs[i] = init.kind == TypeKind::kUnknown ? output_type(*body, i) : init;
  }
  for (size_t k = 0; n_state + k < ctx.num_outputs(); ++k) {
    const ValueType& per = output_type(*body, n_state + k);
    ValueType out = ValueType::tensor_unknown_rank(per.dtype);
    if (per.has_shape) {
      out.has_shape = true;
      out.shape = per.shape;
      int64_t axis = v8 ? 0 : (out_axes.empty() ? 0 : out_axes[k]);
      ONNXRT_ASSIGN_OR_RETURN(axis, normalize_axis(axis, per.rank() + 1, ctx));
      out.shape.insert(out.shape.begin() + axis, steps);
      if (v8) out.shape.insert(out.shape.begin(), batch);
    }
    ctx.outputs[n_state + k] = std::move(out);
  }
  ctx.dynamic_output_shape = true;
  return Status::ok();
}

// ---------------------------------------------------------------- SequenceMap

Status infer_sequence_map(InferContext& ctx) {
  ONNXRT_ASSIGN_OR_RETURN(const Graph* body, subgraph(ctx, "body"));
  ONNXRT_RETURN_IF_ERROR(sequence_elem(ctx, 0, "input_sequence").status());
  if (body->inputs().size() != ctx.num_inputs()) {
    return ctx.error("body takes " + std::to_string(body->inputs().size()) + " inputs, the node has " +
                     std::to_string(ctx.num_inputs()));
  }
  if (body->outputs().size() != ctx.num_outputs()) {
    return ctx.error("body has " + std::to_string(body->outputs().size()) + " outputs, the node has " +
                     std::to_string(ctx.num_outputs()));
  }
  for (size_t i = 0; i < ctx.num_outputs(); ++i) ctx.outputs[i] = sequence_of(output_type(*body, i));
  ctx.dynamic_output_shape = true;
  return Status::ok();
}

// ---------------------------------------------------------------- sequences

Status infer_sequence_construct(InferContext& ctx) {
  if (ctx.num_inputs() == 0) return ctx.error("needs at least one input");
  ValueType elem;
  for (size_t i = 0; i < ctx.num_inputs(); ++i) {
    ONNXRT_RETURN_IF_ERROR(require_tensor(ctx, i, "inputs"));
    ONNXRT_ASSIGN_OR_RETURN(elem, merge_types(elem, ctx.input_type(i), ctx, "input " + std::to_string(i)));
  }
  ctx.outputs[0] = sequence_of(std::move(elem));
  ctx.dynamic_output_shape = true;
  return Status::ok();
}

Status infer_sequence_empty(InferContext& ctx) {
  AttrReader a(ctx.node());
  const int64_t dtype = a.i("dtype", static_cast<int64_t>(DType::kFloat32));
  ONNXRT_RETURN_IF_ERROR(a.status());
  if (!dtype_is_valid(static_cast<int32_t>(dtype))) return ctx.error("attribute dtype " + std::to_string(dtype) + " is not an element type");
  ctx.outputs[0] = sequence_of(ValueType::tensor_unknown_rank(static_cast<DType>(dtype)));
  ctx.dynamic_output_shape = true;
  return Status::ok();
}

Status infer_sequence_at(InferContext& ctx) {
  ONNXRT_ASSIGN_OR_RETURN(ValueType elem, sequence_elem(ctx, 0, "input_sequence"));
  if (!ctx.has_input(1)) return ctx.error("input 1 (position) is required");
  ONNXRT_RETURN_IF_ERROR(require_index(ctx, 1, "position"));
  ctx.outputs[0] = std::move(elem);
  ctx.dynamic_output_shape = true;
  return Status::ok();
}

Status infer_sequence_insert(InferContext& ctx) {
  ONNXRT_ASSIGN_OR_RETURN(ValueType elem, sequence_elem(ctx, 0, "input_sequence"));
  ONNXRT_RETURN_IF_ERROR(require_tensor(ctx, 1, "tensor"));
  ONNXRT_RETURN_IF_ERROR(require_index(ctx, 2, "position"));
  // An empty sequence (SequenceEmpty) knows only the dtype: elements inserted later set the shape.
  ValueType merged;
  if (elem.kind == TypeKind::kTensor && ctx.input_type(1).kind == TypeKind::kTensor && elem.dtype != ctx.input_type(1).dtype) {
    return ctx.error("input 1 (tensor) is " + type_string(ctx.input_type(1)) + " but the sequence holds " +
                     type_string(elem));
  }
  ONNXRT_ASSIGN_OR_RETURN(merged, merge_types(elem, ctx.input_type(1), ctx, "input 1 (tensor)"));
  ctx.outputs[0] = sequence_of(std::move(merged));
  ctx.dynamic_output_shape = true;
  return Status::ok();
}

Status infer_sequence_erase(InferContext& ctx) {
  ONNXRT_ASSIGN_OR_RETURN(ValueType elem, sequence_elem(ctx, 0, "input_sequence"));
  ONNXRT_RETURN_IF_ERROR(require_index(ctx, 1, "position"));
  ctx.outputs[0] = sequence_of(std::move(elem));
  ctx.dynamic_output_shape = true;
  return Status::ok();
}

Status infer_sequence_length(InferContext& ctx) {
  ONNXRT_RETURN_IF_ERROR(sequence_elem(ctx, 0, "input_sequence").status());
  ctx.outputs[0] = ValueType::tensor(DType::kInt64, {});
  ctx.dynamic_output_shape = true;
  return Status::ok();
}

Status infer_split_to_sequence(InferContext& ctx) {
  ONNXRT_RETURN_IF_ERROR(require_tensor(ctx, 0, "input"));
  AttrReader a(ctx.node());
  const int64_t axis_attr = a.i("axis", 0);
  const int64_t keepdims = a.i("keepdims", 1);
  ONNXRT_RETURN_IF_ERROR(a.status());
  if (ctx.has_input(1)) {
    ONNXRT_RETURN_IF_ERROR(require_tensor(ctx, 1, "split"));
    const ValueType& s = ctx.input_type(1);
    if (s.kind == TypeKind::kTensor && s.dtype != DType::kInt32 && s.dtype != DType::kInt64)
      return ctx.error("input 1 (split) must be int32 or int64, got " + type_string(s));
  }
  const ValueType& x = ctx.input_type(0);
  ValueType elem = ValueType::tensor_unknown_rank(x.dtype);
  if (x.has_shape) {
    if (x.rank() == 0) return ctx.error("input 0 (input) must have rank >= 1 to be split");
    ONNXRT_ASSIGN_OR_RETURN(int64_t axis, normalize_axis(axis_attr, x.rank(), ctx));
    elem.has_shape = true;
    elem.shape = x.shape;
    // Without `split`, pieces have size 1 along the axis and keepdims=0 drops it.
    if (!ctx.has_input(1) && keepdims == 0) {
      elem.shape.erase(elem.shape.begin() + axis);
    } else {
      elem.shape[static_cast<size_t>(axis)] = ctx.has_input(1) ? ctx.fresh_dim() : Dim(1);
    }
  }
  ctx.outputs[0] = sequence_of(std::move(elem));
  ctx.dynamic_output_shape = true;
  return Status::ok();
}

Status infer_concat_from_sequence(InferContext& ctx) {
  ONNXRT_ASSIGN_OR_RETURN(ValueType elem, sequence_elem(ctx, 0, "input_sequence"));
  AttrReader a(ctx.node());
  const Attribute* axis_attr = a.required("axis", AttrKind::kInt);
  const int64_t new_axis = a.i("new_axis", 0);
  ONNXRT_RETURN_IF_ERROR(a.status());
  if (new_axis != 0 && new_axis != 1) return ctx.error("new_axis must be 0 or 1, got " + std::to_string(new_axis));
  ValueType out = ValueType::tensor_unknown_rank(elem.dtype);
  if (elem.kind == TypeKind::kTensor && elem.has_shape) {
    const int64_t rank = elem.rank() + new_axis;
    if (rank == 0) return ctx.error("cannot concatenate scalars without new_axis=1");
    ONNXRT_ASSIGN_OR_RETURN(int64_t axis, normalize_axis(axis_attr->i, rank, ctx));
    out.has_shape = true;
    out.shape = elem.shape;
    if (new_axis) {
      out.shape.insert(out.shape.begin() + axis, ctx.fresh_dim());
    } else {
      out.shape[static_cast<size_t>(axis)] = ctx.fresh_dim();
    }
  }
  ctx.outputs[0] = std::move(out);
  ctx.dynamic_output_shape = true;
  return Status::ok();
}

// ---------------------------------------------------------------- optionals

Status infer_optional(InferContext& ctx) {
  if (ctx.has_input(0)) {
    const ValueType& t = ctx.input_type(0);
    ctx.outputs[0] = t.kind == TypeKind::kOptional ? t : optional_of(t);
  } else {
    const Attribute* type = ctx.node().attrs.find("type");
    if (!type || type->kind != AttrKind::kTypeProto) {
      return ctx.error("needs input 0 or the attribute 'type' to know the element type");
    }
    ctx.outputs[0] = optional_of(type->type);
  }
  ctx.dynamic_output_shape = true;
  return Status::ok();
}

Status infer_optional_has_element(InferContext& ctx) {
  if (ctx.num_inputs() > 1) return ctx.error("takes at most one input");
  ctx.outputs[0] = ValueType::tensor(DType::kBool, {});
  return Status::ok();
}

Status infer_optional_get_element(InferContext& ctx) {
  if (!ctx.has_input(0)) return ctx.error("input 0 (input) is required");
  const ValueType& t = ctx.input_type(0);
  if (t.kind == TypeKind::kOptional) {
    ctx.outputs[0] = t.elem ? *t.elem : ValueType();
  } else {
    // Opset 18 also takes a plain tensor or sequence and returns it.
    if (ctx.opset() < 18) return ctx.error("input 0 must be an optional, got " + type_string(t));
    ctx.outputs[0] = t;
  }
  ctx.dynamic_output_shape = true;
  return Status::ok();
}

}  // namespace

std::span<const OpInfo> control_op_infos() {
  static const OpInfo kOps[] = {
      {"", "If", &infer_if},
      {"", "Loop", &infer_loop},
      {"", "Scan", &infer_scan},
      {"", "SequenceMap", &infer_sequence_map},
      {"", "SequenceConstruct", &infer_sequence_construct},
      {"", "SequenceEmpty", &infer_sequence_empty},
      {"", "SequenceAt", &infer_sequence_at},
      {"", "SequenceInsert", &infer_sequence_insert},
      {"", "SequenceErase", &infer_sequence_erase},
      {"", "SequenceLength", &infer_sequence_length},
      {"", "SplitToSequence", &infer_split_to_sequence},
      {"", "ConcatFromSequence", &infer_concat_from_sequence},
      {"", "Optional", &infer_optional},
      {"", "OptionalHasElement", &infer_optional_has_element},
      {"", "OptionalGetElement", &infer_optional_get_element},
  };
  return kOps;
}

}  // namespace onnxrt::ir
