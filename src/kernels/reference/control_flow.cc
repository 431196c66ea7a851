// If, Loop, Scan and SequenceMap: they run the node's subgraphs through ctx.run_subgraph, which
// binds outer-scope values and returns owned outputs, so a body output that is one of its own
// inputs (a loop-carried value passed through) needs no copy here.
#include <limits>
#include <string>

#include "ir/attribute.h"
#include "kernels/reference/control_kernels.h"
#include "kernels/reference/control_util.h"

namespace onnxrt::kernels {

namespace {

using control::read_bool;
using control::stack_axis;

const ir::Graph* graph_attr(const ir::Node& node, const char* name) {
  const ir::Attribute* a = node.attrs.find(name);
  return a && a->g ? a->g.get() : nullptr;
}

// Scan outputs of zero iterations still have the body's per-iteration dims when those are static.
Shape empty_scan_item_shape(const ir::ValueType& t) {
  if (t.is_static()) return to_static_shape(t.shape);
  return {};
}

Status check_outputs(KernelContext& ctx, const std::vector<Value>& outs, size_t want, const char* graph) {
  if (outs.size() != want) {
    return ctx.error(std::string(graph) + " returned " + std::to_string(outs.size()) + " values, expected " +
                     std::to_string(want));
  }
  return Status::ok();
}

// ---------------------------------------------------------------- If

Status run_if(KernelContext& ctx) {
  const Value* cond = ctx.input_value(0);
  if (!cond) return ctx.error("input 0 (cond) is required");
  ONNXRT_ASSIGN_OR_RETURN(bool c, read_bool(ctx, *cond, "input 0 (cond)"));
  ONNXRT_ASSIGN_OR_RETURN(std::vector<Value> outs, ctx.run_subgraph(c ? "then_branch" : "else_branch", {}));
  ONNXRT_RETURN_IF_ERROR(check_outputs(ctx, outs, ctx.num_outputs(), c ? "then_branch" : "else_branch"));
  for (size_t i = 0; i < outs.size(); ++i) ONNXRT_RETURN_IF_ERROR(ctx.set_output_value(i, std::move(outs[i])));
  return Status::ok();
}

// ---------------------------------------------------------------- Loop

Status run_loop(KernelContext& ctx) {
  const ir::Graph* body = graph_attr(ctx.node(), "body");
  if (!body || ctx.num_inputs() < 2) return ctx.error("needs a body and inputs M and cond");
  const size_t n_carried = ctx.num_inputs() - 2;
  if (body->outputs().size() < 1 + n_carried) return ctx.error("body has too few outputs");
  const size_t n_scan = body->outputs().size() - 1 - n_carried;

  int64_t max_trips = std::numeric_limits<int64_t>::max();
  if (const Tensor* m = ctx.input(0)) {
    ONNXRT_ASSIGN_OR_RETURN(max_trips, control::read_index(ctx, *m, "input 0 (M)"));
  }
  bool cond = true;
  if (const Value* c = ctx.input_value(1)) {
    ONNXRT_ASSIGN_OR_RETURN(cond, read_bool(ctx, *c, "input 1 (cond)"));
  }
  std::vector<Value> args(2 + n_carried);
  for (size_t i = 0; i < n_carried; ++i) {
    const Value* v = ctx.input_value(2 + i);
    args[2 + i] = v ? *v : Value();
  }
  std::vector<std::vector<Tensor>> scans(n_scan);
  int64_t trips = 0;
  for (; trips < max_trips && cond; ++trips) {
    Tensor iter = Tensor::allocate(DType::kInt64, {});
    iter.data<int64_t>()[0] = trips;
    Tensor c = Tensor::allocate(DType::kBool, {});
    c.data<uint8_t>()[0] = 1;
    args[0] = std::move(iter);
    args[1] = std::move(c);
    ONNXRT_ASSIGN_OR_RETURN(std::vector<Value> outs, ctx.run_subgraph("body", args));
    ONNXRT_RETURN_IF_ERROR(check_outputs(ctx, outs, 1 + n_carried + n_scan, "body"));
    ONNXRT_ASSIGN_OR_RETURN(cond, read_bool(ctx, outs[0], "body output 0 (cond)"));
    for (size_t i = 0; i < n_carried; ++i) args[2 + i] = std::move(outs[1 + i]);
    for (size_t k = 0; k < n_scan; ++k) {
      const Value& s = outs[1 + n_carried + k];
      if (!s.is_tensor()) return ctx.error("scan output " + std::to_string(k) + " is " + s.describe() + ", not a tensor");
      if (!scans[k].empty() && (s.tensor().shape() != scans[k][0].shape() || s.tensor().dtype() != scans[k][0].dtype())) {
        return ctx.error("scan output " + std::to_string(k) + " is " + s.describe() + " in iteration " +
                         std::to_string(trips) + " but " + Value(scans[k][0]).describe() +
                         " in iteration 0; every iteration must produce the same shape");
      }
      scans[k].push_back(s.tensor());
    }
  }
  for (size_t i = 0; i < n_carried && i < ctx.num_outputs(); ++i)
    ONNXRT_RETURN_IF_ERROR(ctx.set_output_value(i, std::move(args[2 + i])));
  for (size_t k = 0; k < n_scan && n_carried + k < ctx.num_outputs(); ++k) {
    const ir::ValueType& type = body->value(body->outputs()[1 + n_carried + k]).type;
    const DType dtype = scans[k].empty() ? type.dtype : scans[k][0].dtype();
    const Shape item = scans[k].empty() ? empty_scan_item_shape(type) : scans[k][0].shape();
    if (!control::is_byte_addressable(dtype)) return ctx.error("scan outputs of " + std::string(dtype_name(dtype)) + " are not supported");
    std::vector<int64_t> pos(scans[k].size());
    for (size_t t = 0; t < pos.size(); ++t) pos[t] = static_cast<int64_t>(t);
    ONNXRT_RETURN_IF_ERROR(ctx.set_output_value(n_carried + k, stack_axis(dtype, item, trips, 0, scans[k], pos)));
  }
  return Status::ok();
}

// ---------------------------------------------------------------- Scan

class ScanKernel final : public Kernel {
 public:
  static Expected<std::unique_ptr<Kernel>> create(const KernelInit& init) {
    auto k = std::make_unique<ScanKernel>();
    ir::AttrReader a(init.node);
    k->m_ = a.i("num_scan_inputs", -1);
    k->v8_ = init.node.opset < 9;
    k->in_axes_ = a.ints("scan_input_axes");
    k->in_dirs_ = a.ints(k->v8_ ? "directions" : "scan_input_directions");
    k->out_axes_ = a.ints("scan_output_axes");
    k->out_dirs_ = a.ints("scan_output_directions");
    ONNXRT_RETURN_IF_ERROR(a.status());
    k->body_ = graph_attr(init.node, "body");
    if (!k->body_) return init.error("attribute 'body' (a graph) is required");
    const size_t first = k->v8_ ? 1 : 0;
    if (k->m_ < 1 || static_cast<size_t>(k->m_) + first > init.input_types.size()) {
      return init.error("num_scan_inputs " + std::to_string(k->m_) + " does not fit the " +
                        std::to_string(init.input_types.size()) + " inputs");
    }
    const auto m = static_cast<size_t>(k->m_);
    k->n_state_ = init.input_types.size() - first - m;
    if (k->body_->outputs().size() < k->n_state_) return init.error("body has fewer outputs than state values");
    const size_t n_scan_out = k->body_->outputs().size() - k->n_state_;
    for (auto [v, want, what] : {std::tuple{&k->in_axes_, m, "scan_input_axes"},
                                 std::tuple{&k->in_dirs_, m, k->v8_ ? "directions" : "scan_input_directions"},
                                 std::tuple{&k->out_axes_, n_scan_out, "scan_output_axes"},
                                 std::tuple{&k->out_dirs_, n_scan_out, "scan_output_directions"}}) {
      if (v->empty()) v->assign(want, 0);
      if (v->size() != want) {
        return init.error(std::string(what) + " has " + std::to_string(v->size()) + " entries, expected " +
                          std::to_string(want));
      }
    }
    return std::unique_ptr<Kernel>(std::move(k));
  }

  Status run(KernelContext& ctx) const override { return v8_ ? run_v8(ctx) : run_v9(ctx); }

 private:
  // One scan over `seq_len` steps. states: in/out. inputs[j] have the scan axis at in_axes[j]
  // (already normalized). Returns the per-step scan outputs in step order.
  Status scan(KernelContext& ctx, std::vector<Value>& states, const std::vector<Tensor>& inputs,
              const std::vector<int64_t>& axes, int64_t seq_len, std::vector<std::vector<Tensor>>& per_step) const {
    const size_t n_scan_out = body_->outputs().size() - n_state_;
    per_step.assign(n_scan_out, {});
    std::vector<Value> args(n_state_ + inputs.size());
    for (int64_t t = 0; t < seq_len; ++t) {
      for (size_t i = 0; i < n_state_; ++i) args[i] = states[i];
      for (size_t j = 0; j < inputs.size(); ++j) {
        const int64_t idx = in_dirs_[j] ? seq_len - 1 - t : t;
        args[n_state_ + j] = control::slice_axis(inputs[j], axes[j], idx);
      }
      ONNXRT_ASSIGN_OR_RETURN(std::vector<Value> outs, ctx.run_subgraph("body", args));
      ONNXRT_RETURN_IF_ERROR(check_outputs(ctx, outs, n_state_ + n_scan_out, "body"));
      for (size_t i = 0; i < n_state_; ++i) states[i] = std::move(outs[i]);
      for (size_t k = 0; k < n_scan_out; ++k) {
        const Value& s = outs[n_state_ + k];
        if (!s.is_tensor()) return ctx.error("scan output " + std::to_string(k) + " is " + s.describe());
        if (!per_step[k].empty() && s.tensor().shape() != per_step[k][0].shape()) {
          return ctx.error("scan output " + std::to_string(k) + " changes shape from " +
                           Value(per_step[k][0]).describe() + " to " + s.describe() + " at step " + std::to_string(t));
        }
        per_step[k].push_back(s.tensor());
      }
    }
    return Status::ok();
  }

  Expected<int64_t> scan_length(KernelContext& ctx, const std::vector<Tensor>& inputs, const std::vector<int64_t>& axes) const {
    int64_t len = -1;
    for (size_t j = 0; j < inputs.size(); ++j) {
      const int64_t n = inputs[j].dim(axes[j]);
      if (len >= 0 && n != len) {
        return ctx.error("scan input " + std::to_string(j) + " has " + std::to_string(n) + " steps along axis " +
                         std::to_string(axes[j]) + ", scan input 0 has " + std::to_string(len));
      }
      len = n;
    }
    return len;
  }

  Expected<std::vector<Tensor>> scan_inputs(KernelContext& ctx, size_t first, int64_t min_rank) const {
    std::vector<Tensor> inputs;
    for (size_t j = 0; j < static_cast<size_t>(m_); ++j) {
      const Tensor* x = ctx.input(first + n_state_ + j);
      if (!x) return ctx.error("scan input " + std::to_string(j) + " is missing or not a tensor");
      if (x->rank() < min_rank) return ctx.error("scan input " + std::to_string(j) + " has rank " + std::to_string(x->rank()) + ", too small to scan");
      if (!control::is_byte_addressable(x->dtype())) return ctx.error("scan inputs of " + std::string(dtype_name(x->dtype())) + " are not supported");
      inputs.push_back(*x);
    }
    return inputs;
  }

  Status run_v9(KernelContext& ctx) const {
    ONNXRT_ASSIGN_OR_RETURN(std::vector<Tensor> inputs, scan_inputs(ctx, 0, 1));
    std::vector<int64_t> axes(inputs.size());
    for (size_t j = 0; j < inputs.size(); ++j) {
      const int64_t r = inputs[j].rank();
      axes[j] = in_axes_[j] < 0 ? in_axes_[j] + r : in_axes_[j];
      if (axes[j] < 0 || axes[j] >= r) return ctx.error("scan_input_axes[" + std::to_string(j) + "] = " + std::to_string(in_axes_[j]) + " is out of range for rank " + std::to_string(r));
    }
    ONNXRT_ASSIGN_OR_RETURN(int64_t seq_len, scan_length(ctx, inputs, axes));
    std::vector<Value> states(n_state_);
    for (size_t i = 0; i < n_state_; ++i) {
      const Value* v = ctx.input_value(i);
      if (!v) return ctx.error("state input " + std::to_string(i) + " is missing");
      states[i] = *v;
    }
    std::vector<std::vector<Tensor>> per_step;
    ONNXRT_RETURN_IF_ERROR(scan(ctx, states, inputs, axes, seq_len, per_step));
    for (size_t i = 0; i < n_state_ && i < ctx.num_outputs(); ++i) ONNXRT_RETURN_IF_ERROR(ctx.set_output_value(i, states[i]));
    for (size_t k = 0; n_state_ + k < ctx.num_outputs(); ++k) {
      const ir::ValueType& type = body_->value(body_->outputs()[n_state_ + k]).type;
      const DType dtype = per_step[k].empty() ? type.dtype : per_step[k][0].dtype();
      const Shape item = per_step[k].empty() ? empty_scan_item_shape(type) : per_step[k][0].shape();
      const auto r = static_cast<int64_t>(item.size()) + 1;
      const int64_t axis = out_axes_[k] < 0 ? out_axes_[k] + r : out_axes_[k];
      if (axis < 0 || axis >= r) return ctx.error("scan_output_axes[" + std::to_string(k) + "] = " + std::to_string(out_axes_[k]) + " is out of range for rank " + std::to_string(r));
      std::vector<int64_t> pos(per_step[k].size());
      for (size_t t = 0; t < pos.size(); ++t) pos[t] = out_dirs_[k] ? seq_len - 1 - static_cast<int64_t>(t) : static_cast<int64_t>(t);
      if (!control::is_byte_addressable(dtype)) return ctx.error("scan outputs of " + std::string(dtype_name(dtype)) + " are not supported");
      ONNXRT_RETURN_IF_ERROR(ctx.set_output_value(n_state_ + k, stack_axis(dtype, item, seq_len, axis, per_step[k], pos)));
    }
    return Status::ok();
  }

  // Opset 8: every state and scan input has a leading batch axis; the scan axis is 1; each batch
  // entry is scanned on its own, for sequence_lens[b] steps (the rest of its outputs stay zero).
  Status run_v8(KernelContext& ctx) const {
    ONNXRT_ASSIGN_OR_RETURN(std::vector<Tensor> inputs, scan_inputs(ctx, 1, 2));
    const int64_t batch = inputs[0].dim(0);
    std::vector<int64_t> axes(inputs.size(), 0);
    std::vector<int64_t> full_axes(inputs.size(), 1);
    for (size_t j = 0; j < inputs.size(); ++j)
      if (inputs[j].dim(0) != batch) return ctx.error("scan inputs disagree on the batch size");
    ONNXRT_ASSIGN_OR_RETURN(int64_t max_len, scan_length(ctx, inputs, full_axes));
    std::vector<int64_t> lens(static_cast<size_t>(batch), max_len);
    if (const Tensor* sl = ctx.input(0)) {
      if (sl->size() != batch || (sl->dtype() != DType::kInt32 && sl->dtype() != DType::kInt64))
        return ctx.error("sequence_lens must be " + std::to_string(batch) + " int32/int64 values");
      for (int64_t b = 0; b < batch; ++b) {
        lens[static_cast<size_t>(b)] = sl->dtype() == DType::kInt64 ? sl->data<int64_t>()[b] : sl->data<int32_t>()[b];
        if (lens[static_cast<size_t>(b)] < 0 || lens[static_cast<size_t>(b)] > max_len)
          return ctx.error("sequence_lens[" + std::to_string(b) + "] = " + std::to_string(lens[static_cast<size_t>(b)]) + " is outside [0, " + std::to_string(max_len) + "]");
      }
    }
    std::vector<Tensor> state_in(n_state_);
    for (size_t i = 0; i < n_state_; ++i) {
      const Tensor* s = ctx.input(1 + i);
      if (!s || s->rank() < 1 || s->dim(0) != batch) return ctx.error("state input " + std::to_string(i) + " must be a tensor with batch dim " + std::to_string(batch));
      state_in[i] = *s;
    }
    const size_t n_scan_out = body_->outputs().size() - n_state_;
    std::vector<std::vector<Tensor>> final_states(n_state_), scan_outs(n_scan_out);
    for (int64_t b = 0; b < batch; ++b) {
      std::vector<Value> states(n_state_);
      for (size_t i = 0; i < n_state_; ++i) states[i] = control::slice_axis(state_in[i], 0, b);
      std::vector<Tensor> xs(inputs.size());
      for (size_t j = 0; j < inputs.size(); ++j) xs[j] = control::slice_axis(inputs[j], 0, b);
      std::vector<std::vector<Tensor>> per_step;
      ONNXRT_RETURN_IF_ERROR(scan(ctx, states, xs, axes, lens[static_cast<size_t>(b)], per_step));
      for (size_t i = 0; i < n_state_; ++i) {
        if (!states[i].is_tensor()) return ctx.error("state output " + std::to_string(i) + " is not a tensor");
        final_states[i].push_back(states[i].tensor());
      }
      for (size_t k = 0; k < n_scan_out; ++k) {
        const ir::ValueType& type = body_->value(body_->outputs()[n_state_ + k]).type;
        const DType dtype = per_step[k].empty() ? type.dtype : per_step[k][0].dtype();
        const Shape item = per_step[k].empty() ? empty_scan_item_shape(type) : per_step[k][0].shape();
        std::vector<int64_t> pos(per_step[k].size());
        const int64_t len = lens[static_cast<size_t>(b)];
        for (size_t t = 0; t < pos.size(); ++t) pos[t] = out_dirs_[k] ? len - 1 - static_cast<int64_t>(t) : static_cast<int64_t>(t);
        scan_outs[k].push_back(stack_axis(dtype, item, max_len, 0, per_step[k], pos));
      }
    }
    std::vector<int64_t> bpos(static_cast<size_t>(batch));
    for (int64_t b = 0; b < batch; ++b) bpos[static_cast<size_t>(b)] = b;
    const auto stack_batch = [&](const std::vector<Tensor>& items, DType dtype, const Shape& fallback) {
      return stack_axis(items.empty() ? dtype : items[0].dtype(), items.empty() ? fallback : items[0].shape(), batch, 0, items, bpos);
    };
    for (size_t i = 0; i < n_state_ && i < ctx.num_outputs(); ++i) {
      Shape s = state_in[i].shape();
      s.erase(s.begin());
      ONNXRT_RETURN_IF_ERROR(ctx.set_output_value(i, stack_batch(final_states[i], state_in[i].dtype(), s)));
    }
    for (size_t k = 0; n_state_ + k < ctx.num_outputs(); ++k) {
      const ir::ValueType& type = body_->value(body_->outputs()[n_state_ + k]).type;
      Shape s = empty_scan_item_shape(type);
      s.insert(s.begin(), max_len);
      ONNXRT_RETURN_IF_ERROR(ctx.set_output_value(n_state_ + k, stack_batch(scan_outs[k], type.dtype, s)));
    }
    return Status::ok();
  }

  int64_t m_ = 0;
  bool v8_ = false;
  size_t n_state_ = 0;
  std::vector<int64_t> in_axes_, in_dirs_, out_axes_, out_dirs_;
  const ir::Graph* body_ = nullptr;
};

// ---------------------------------------------------------------- SequenceMap

Status run_sequence_map(KernelContext& ctx) {
  const Value* seq = ctx.input_value(0);
  if (!seq || !seq->is_sequence()) return ctx.error("input 0 (input_sequence) must be a sequence");
  const size_t n = seq->sequence().size();
  std::vector<const Value*> extra;
  for (size_t j = 1; j < ctx.num_inputs(); ++j) {
    const Value* v = ctx.input_value(j);
    if (!v) return ctx.error("input " + std::to_string(j) + " (additional_inputs) is missing");
    if (v->is_sequence() && v->sequence().size() != n) {
      return ctx.error("input " + std::to_string(j) + " is a sequence of " + std::to_string(v->sequence().size()) +
                       " values, input_sequence has " + std::to_string(n));
    }
    extra.push_back(v);
  }
  std::vector<std::vector<Value>> results(ctx.num_outputs());
  std::vector<Value> args(1 + extra.size());
  for (size_t i = 0; i < n; ++i) {
    args[0] = seq->sequence()[i];
    for (size_t j = 0; j < extra.size(); ++j) args[1 + j] = extra[j]->is_sequence() ? extra[j]->sequence()[i] : *extra[j];
    ONNXRT_ASSIGN_OR_RETURN(std::vector<Value> outs, ctx.run_subgraph("body", args));
    ONNXRT_RETURN_IF_ERROR(check_outputs(ctx, outs, ctx.num_outputs(), "body"));
    for (size_t k = 0; k < outs.size(); ++k) results[k].push_back(std::move(outs[k]));
  }
  for (size_t k = 0; k < results.size(); ++k)
    ONNXRT_RETURN_IF_ERROR(ctx.set_output_value(k, Value::sequence(std::move(results[k]))));
  return Status::ok();
}

}  // namespace

Expected<std::unique_ptr<Kernel>> make_if(const KernelInit& init) {
  if (!graph_attr(init.node, "then_branch") || !graph_attr(init.node, "else_branch"))
    return init.error("attributes 'then_branch' and 'else_branch' (graphs) are required");
  return std::unique_ptr<Kernel>(new FunctionKernel(&run_if, "reference"));
}

Expected<std::unique_ptr<Kernel>> make_loop(const KernelInit& init) {
  if (!graph_attr(init.node, "body")) return init.error("attribute 'body' (a graph) is required");
  return std::unique_ptr<Kernel>(new FunctionKernel(&run_loop, "reference"));
}

Expected<std::unique_ptr<Kernel>> make_scan(const KernelInit& init) { return ScanKernel::create(init); }

Expected<std::unique_ptr<Kernel>> make_sequence_map(const KernelInit& init) {
  if (!graph_attr(init.node, "body")) return init.error("attribute 'body' (a graph) is required");
  return std::unique_ptr<Kernel>(new FunctionKernel(&run_sequence_map, "reference"));
}

}  // namespace onnxrt::kernels
