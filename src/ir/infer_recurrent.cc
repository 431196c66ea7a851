// Shape inference for the recurrent family: RNN, GRU, LSTM (every opset; layout since 14).
//   X [seq, batch, input] (layout 0) or [batch, seq, input] (layout 1)
//   W [dirs, gates*hidden, input], R [dirs, gates*hidden, hidden]
//   Y [seq, dirs, batch, hidden] or [batch, seq, dirs, hidden]
//   Y_h, Y_c [dirs, batch, hidden] or [batch, dirs, hidden]
#include <string>

#include "ir/op_families.h"

namespace onnxrt::ir {

namespace {

bool is_float_type(DType t) {
  return t == DType::kFloat32 || t == DType::kFloat16 || t == DType::kFloat64 ||
         t == DType::kBFloat16;
}

int64_t num_gates(const std::string& op) {
  if (op == "GRU") return 3;
  if (op == "LSTM") return 4;
  return 1;
}

// Checks that dim `d` of input `i` equals `want` when both are known.
Status check_dim(const InferContext& ctx, size_t i, const char* name, size_t d, Dim want) {
  if (!ctx.has_input(i)) return Status::ok();
  const ValueType& t = ctx.input_type(i);
  if (!t.has_shape || d >= t.shape.size()) return Status::ok();
  const Dim got = t.shape[d];
  if (got.is_known() && want.is_known() && got.value() != want.value())
    return ctx.error(std::string("input ") + std::to_string(i) + " (" + name + ") dim " +
                     std::to_string(d) + " must be " + std::to_string(want.value()) + ", got " +
                     type_string(t));
  return Status::ok();
}

Status check_rank(const InferContext& ctx, size_t i, const char* name, int64_t rank) {
  if (!ctx.has_input(i)) return Status::ok();
  const ValueType& t = ctx.input_type(i);
  if (!t.is_tensor()) return ctx.error(std::string("input ") + name + " must be a tensor");
  if (t.has_shape && t.rank() != rank)
    return ctx.error(std::string("input ") + std::to_string(i) + " (" + name + ") must have rank " +
                     std::to_string(rank) + ", got " + type_string(t));
  return Status::ok();
}

Status infer_recurrent(InferContext& ctx) {
  const std::string& op = ctx.node().op_type;
  for (size_t i = 0; i < 3; ++i)
    if (!ctx.has_input(i) || !ctx.input_type(i).is_tensor())
      return ctx.error("needs tensor inputs X, W and R; input " + std::to_string(i) + " is missing");
  const DType dt = ctx.input_type(0).dtype;
  if (!is_float_type(dt))
    return ctx.error("X must be a float tensor, got " + type_string(ctx.input_type(0)));
  for (size_t i = 1; i < ctx.num_inputs(); ++i) {
    if (!ctx.has_input(i) || i == 4) continue;  // 4: sequence_lens (int32)
    if (ctx.input_type(i).dtype != dt)
      return ctx.error("input " + std::to_string(i) + " must have X's type " +
                       std::string(dtype_name(dt)) + ", got " + type_string(ctx.input_type(i)));
  }
  if (ctx.has_input(4)) {
    const DType sd = ctx.input_type(4).dtype;
    if (sd != DType::kInt32 && sd != DType::kInt64)
      return ctx.error("sequence_lens must be int32, got " + type_string(ctx.input_type(4)));
  }

  AttrReader a(ctx.node());
  const std::string direction = a.s("direction", "forward");
  const int64_t layout = ctx.opset() >= 14 ? a.i("layout", 0) : 0;
  const int64_t hidden_attr = a.i("hidden_size", -1);
  ONNXRT_RETURN_IF_ERROR(a.status());
  if (direction != "forward" && direction != "reverse" && direction != "bidirectional")
    return ctx.error("direction '" + direction +
                     "' must be 'forward', 'reverse' or 'bidirectional'");
  if (layout != 0 && layout != 1)
    return ctx.error("layout " + std::to_string(layout) + " must be 0 or 1");
  const int64_t dirs = direction == "bidirectional" ? 2 : 1;
  const int64_t gates = num_gates(op);

  ONNXRT_RETURN_IF_ERROR(check_rank(ctx, 0, "X", 3));
  ONNXRT_RETURN_IF_ERROR(check_rank(ctx, 1, "W", 3));
  ONNXRT_RETURN_IF_ERROR(check_rank(ctx, 2, "R", 3));
  ONNXRT_RETURN_IF_ERROR(check_rank(ctx, 3, "B", 2));
  ONNXRT_RETURN_IF_ERROR(check_rank(ctx, 4, "sequence_lens", 1));
  ONNXRT_RETURN_IF_ERROR(check_rank(ctx, 5, "initial_h", 3));
  if (op == "LSTM") {
    ONNXRT_RETURN_IF_ERROR(check_rank(ctx, 6, "initial_c", 3));
    ONNXRT_RETURN_IF_ERROR(check_rank(ctx, 7, "P", 2));
  }

  // hidden_size: the attribute, else R's last dim, else W's rows / gates.
  Dim hidden = hidden_attr > 0 ? Dim(hidden_attr) : ctx.fresh_dim();
  if (hidden_attr == 0 || hidden_attr < -1)
    return ctx.error("hidden_size " + std::to_string(hidden_attr) + " must be positive");
  const ValueType& rt = ctx.input_type(2);
  const ValueType& wt = ctx.input_type(1);
  if (hidden_attr < 0) {
    if (rt.has_shape && rt.shape[2].is_known()) {
      hidden = rt.shape[2];
    } else if (wt.has_shape && wt.shape[1].is_known()) {
      hidden = Dim(wt.shape[1].value() / gates);
    }
  }
  const ValueType& xt = ctx.input_type(0);
  Dim seq = ctx.fresh_dim(), batch = ctx.fresh_dim(), input = ctx.fresh_dim();
  if (xt.has_shape) {
    seq = xt.shape[layout == 0 ? 0 : 1];
    batch = xt.shape[layout == 0 ? 1 : 0];
    input = xt.shape[2];
  }
  ONNXRT_RETURN_IF_ERROR(check_dim(ctx, 1, "W", 0, Dim(dirs)));
  ONNXRT_RETURN_IF_ERROR(check_dim(ctx, 2, "R", 0, Dim(dirs)));
  // W and B hold 2 * gates * hidden_size values per direction: past 2^58 (a hidden_size no weight
  // file can hold) those products would overflow.
  if (hidden.is_known() && hidden.value() > (int64_t{1} << 58))
    return ctx.error("hidden_size " + std::to_string(hidden.value()) + " is too large (at most 2^58)");
  if (hidden.is_known()) {
    const Dim gh(gates * hidden.value());
    ONNXRT_RETURN_IF_ERROR(check_dim(ctx, 1, "W", 1, gh));
    ONNXRT_RETURN_IF_ERROR(check_dim(ctx, 2, "R", 1, gh));
    ONNXRT_RETURN_IF_ERROR(check_dim(ctx, 2, "R", 2, hidden));
    ONNXRT_RETURN_IF_ERROR(check_dim(ctx, 3, "B", 1, Dim(2 * gates * hidden.value())));
    if (op == "LSTM") ONNXRT_RETURN_IF_ERROR(check_dim(ctx, 7, "P", 1, Dim(3 * hidden.value())));
  }
  ONNXRT_RETURN_IF_ERROR(check_dim(ctx, 1, "W", 2, input));
  ONNXRT_RETURN_IF_ERROR(check_dim(ctx, 3, "B", 0, Dim(dirs)));
  ONNXRT_RETURN_IF_ERROR(check_dim(ctx, 4, "sequence_lens", 0, batch));

  SymShape y = layout == 0 ? SymShape{seq, Dim(dirs), batch, hidden}
                           : SymShape{batch, seq, Dim(dirs), hidden};
  SymShape yh = layout == 0 ? SymShape{Dim(dirs), batch, hidden} : SymShape{batch, Dim(dirs), hidden};
  if (ctx.num_outputs() > 3 || (op != "LSTM" && ctx.num_outputs() > 2))
    return ctx.error("has " + std::to_string(ctx.num_outputs()) + " outputs; " + op +
                     " has at most " + (op == "LSTM" ? "3" : "2"));
  if (ctx.num_outputs() > 0) ctx.outputs[0] = ValueType::tensor(dt, y);
  for (size_t i = 1; i < ctx.num_outputs(); ++i) ctx.outputs[i] = ValueType::tensor(dt, yh);
  return Status::ok();
}

const OpInfo kRecurrentOps[] = {
    {"", "RNN", &infer_recurrent},
    {"", "GRU", &infer_recurrent},
    {"", "LSTM", &infer_recurrent},
};

}  // namespace

std::span<const OpInfo> recurrent_op_infos() { return kRecurrentOps; }

}  // namespace onnxrt::ir
