#include "kernels/harness.h"

#include <cmath>
#include <sstream>

#include "base/half.h"

namespace onnxrt::testing {

NodeBuilder::NodeBuilder(std::string op_type, int opset, std::string domain) {
  node_.op_type = std::move(op_type);
  node_.domain = std::move(domain);
  node_.opset = opset;
  node_.name = "test_" + node_.op_type;
}

NodeBuilder& NodeBuilder::name(std::string n) {
  node_.name = std::move(n);
  return *this;
}

namespace {
ir::Attribute attr(const std::string& name, ir::AttrKind kind) {
  ir::Attribute a;
  a.name = name;
  a.kind = kind;
  return a;
}
}  // namespace

NodeBuilder& NodeBuilder::attr_i(const std::string& name, int64_t v) {
  auto a = attr(name, ir::AttrKind::kInt);
  a.i = v;
  node_.attrs.set(std::move(a));
  return *this;
}
NodeBuilder& NodeBuilder::attr_f(const std::string& name, float v) {
  auto a = attr(name, ir::AttrKind::kFloat);
  a.f = v;
  node_.attrs.set(std::move(a));
  return *this;
}
NodeBuilder& NodeBuilder::attr_s(const std::string& name, std::string v) {
  auto a = attr(name, ir::AttrKind::kString);
  a.s = std::move(v);
  node_.attrs.set(std::move(a));
  return *this;
}
NodeBuilder& NodeBuilder::attr_ints(const std::string& name, std::vector<int64_t> v) {
  auto a = attr(name, ir::AttrKind::kInts);
  a.ints = std::move(v);
  node_.attrs.set(std::move(a));
  return *this;
}
NodeBuilder& NodeBuilder::attr_floats(const std::string& name, std::vector<float> v) {
  auto a = attr(name, ir::AttrKind::kFloats);
  a.floats = std::move(v);
  node_.attrs.set(std::move(a));
  return *this;
}
NodeBuilder& NodeBuilder::attr_strings(const std::string& name, std::vector<std::string> v) {
  auto a = attr(name, ir::AttrKind::kStrings);
  a.strings = std::move(v);
  node_.attrs.set(std::move(a));
  return *this;
}
NodeBuilder& NodeBuilder::attr_t(const std::string& name, Tensor v) {
  auto a = attr(name, ir::AttrKind::kTensor);
  a.t = std::move(v);
  node_.attrs.set(std::move(a));
  return *this;
}

namespace {

// Reads element i of a numeric tensor as double (exact for every integer up to 2^53).
double element_as_double(const Tensor& t, int64_t i) {
  switch (t.dtype()) {
    case DType::kFloat32: return t.data<float>()[i];
    case DType::kFloat64: return t.data<double>()[i];
    case DType::kFloat16: return half_to_float(t.data<uint16_t>()[i]);
    case DType::kBFloat16: return bfloat16_to_float(t.data<uint16_t>()[i]);
    case DType::kInt8: return t.data<int8_t>()[i];
    case DType::kInt16: return t.data<int16_t>()[i];
    case DType::kInt32: return t.data<int32_t>()[i];
    case DType::kInt64: return static_cast<double>(t.data<int64_t>()[i]);
    case DType::kUInt8: return t.data<uint8_t>()[i];
    case DType::kUInt16: return t.data<uint16_t>()[i];
    case DType::kUInt32: return t.data<uint32_t>()[i];
    case DType::kUInt64: return static_cast<double>(t.data<uint64_t>()[i]);
    case DType::kBool: return t.data<uint8_t>()[i] ? 1.0 : 0.0;
    default: return std::nan("");
  }
}

// An integer value of any sign stored into any integer type, wrapping modulo 2^bits: random
// tensors draw negative values for unsigned types too. Converting a double straight to a type
// that cannot hold it is undefined (clang's UBSan stops on it); via 64 bits the narrowing is defined.
template <typename T>
T wrap_integer(double v) {
  if (v >= 0) return static_cast<T>(static_cast<uint64_t>(v));
  return static_cast<T>(static_cast<int64_t>(v));
}

void set_element_from_double(Tensor& t, int64_t i, double v) {
  switch (t.dtype()) {
    case DType::kFloat32: t.data<float>()[i] = static_cast<float>(v); break;
    case DType::kFloat64: t.data<double>()[i] = v; break;
    case DType::kFloat16: t.data<uint16_t>()[i] = float_to_half(static_cast<float>(v)); break;
    case DType::kBFloat16: t.data<uint16_t>()[i] = float_to_bfloat16(static_cast<float>(v)); break;
    case DType::kInt8: t.data<int8_t>()[i] = wrap_integer<int8_t>(v); break;
    case DType::kInt16: t.data<int16_t>()[i] = wrap_integer<int16_t>(v); break;
    case DType::kInt32: t.data<int32_t>()[i] = wrap_integer<int32_t>(v); break;
    case DType::kInt64: t.data<int64_t>()[i] = static_cast<int64_t>(v); break;
    case DType::kUInt8: t.data<uint8_t>()[i] = wrap_integer<uint8_t>(v); break;
    case DType::kUInt16: t.data<uint16_t>()[i] = wrap_integer<uint16_t>(v); break;
    case DType::kUInt32: t.data<uint32_t>()[i] = wrap_integer<uint32_t>(v); break;
    case DType::kUInt64: t.data<uint64_t>()[i] = wrap_integer<uint64_t>(v); break;
    case DType::kBool: t.data<uint8_t>()[i] = v != 0.0; break;
    default: break;
  }
}

}  // namespace

Tensor random_tensor(DType dtype, Shape shape, std::mt19937& rng, double lo, double hi) {
  Tensor t = Tensor::allocate(dtype, std::move(shape));
  std::uniform_real_distribution<double> dist(lo, hi);
  for (int64_t i = 0; i < t.size(); ++i) {
    double v = dist(rng);
    if (dtype == DType::kBool) v = v > (lo + hi) / 2 ? 1.0 : 0.0;
    else if (dtype_is_integer(dtype)) v = std::round(v);
    if (dtype == DType::kString) t.data<std::string>()[i] = std::to_string(static_cast<int>(v * 100));
    else set_element_from_double(t, i, v);
  }
  return t;
}

::testing::AssertionResult tensors_close(const Tensor& actual, const Tensor& expected, double atol,
                                         double rtol) {
  if (actual.dtype() != expected.dtype()) {
    return ::testing::AssertionFailure() << "dtype " << dtype_name(actual.dtype()) << " vs expected "
                                         << dtype_name(expected.dtype());
  }
  if (actual.shape() != expected.shape()) {
    return ::testing::AssertionFailure() << "shape " << shape_to_string(actual.shape())
                                         << " vs expected " << shape_to_string(expected.shape());
  }
  const bool exact = !dtype_is_float(actual.dtype());
  int64_t bad = 0;
  std::ostringstream first;
  for (int64_t i = 0; i < actual.size(); ++i) {
    bool ok;
    if (actual.dtype() == DType::kString) {
      ok = actual.data<std::string>()[i] == expected.data<std::string>()[i];
    } else {
      const double a = element_as_double(actual, i);
      const double e = element_as_double(expected, i);
      if (std::isnan(e) || std::isnan(a)) ok = std::isnan(e) && std::isnan(a);
      else if (exact || std::isinf(e)) ok = a == e;
      else ok = std::fabs(a - e) <= atol + rtol * std::fabs(e);
      if (!ok && bad == 0) first << "element " << i << ": " << a << " vs expected " << e;
    }
    if (!ok && bad == 0 && actual.dtype() == DType::kString) {
      first << "element " << i << ": '" << actual.data<std::string>()[i] << "' vs expected '"
            << expected.data<std::string>()[i] << "'";
    }
    if (!ok) ++bad;
  }
  if (bad) {
    return ::testing::AssertionFailure() << bad << " of " << actual.size()
                                         << " elements differ; first " << first.str()
                                         << " (atol " << atol << ", rtol " << rtol << ")";
  }
  return ::testing::AssertionSuccess();
}

InferResult infer_node(const ir::Node& node_in, const std::vector<ir::ValueType>& inputs, size_t num_outputs,
                       SymbolTable* symbols, const std::vector<Tensor>& values) {
  ir::Node node = node_in;
  node.outputs.assign(num_outputs, 0);
  std::vector<const ir::ValueType*> types;
  for (const ir::ValueType& t : inputs) types.push_back(t.kind == ir::TypeKind::kUnknown ? nullptr : &t);
  std::vector<const Tensor*> known(inputs.size(), nullptr);
  for (size_t i = 0; i < values.size() && i < inputs.size(); ++i)
    if (values[i].defined()) known[i] = &values[i];
  ir::InferFn fn = ir::find_infer_fn(node.domain, node.op_type);
  for (const ir::OpInfo& op : ir::all_op_infos())
    if (!fn && op.op_type == node.op_type) fn = op.infer;
  if (!fn) return {not_implemented("no inference function for " + node.op_type), {}};
  ir::InferContext ctx(node, types, known, symbols);
  Status st = fn(ctx);
  return {st, ctx.outputs, ctx.dynamic_output_shape};
}

ThreadPool& test_pool() {
  static ThreadPool pool(2);
  return pool;
}

Expected<std::vector<Tensor>> run_node(kernels::Backend backend, const ir::Node& node,
                                       const std::vector<Tensor>& inputs, size_t num_outputs) {
  std::vector<const Tensor*> ptrs;
  for (const Tensor& t : inputs) ptrs.push_back(t.defined() ? &t : nullptr);
  return kernels::eval_node(backend, node, ptrs, num_outputs, test_pool());
}

std::string cpu_variant_with_constant_w(const ir::Node& node, const Shape& x, const Shape& w) {
  std::mt19937 rng(1);
  const Tensor wt = random_tensor(DType::kFloat32, w, rng);
  SymShape xs = to_sym_shape(x);
  for (size_t d = 0; d < xs.size(); ++d)
    if (x[d] < 0) xs[d] = Dim::symbol(static_cast<int32_t>(d));
  const ir::ValueType xtype = ir::ValueType::tensor(DType::kFloat32, xs);
  const ir::ValueType wtype = ir::ValueType::tensor(DType::kFloat32, to_sym_shape(w));
  const ir::ValueType* types[] = {&xtype, &wtype};
  const Tensor* consts[] = {nullptr, &wt};
  const kernels::KernelInit init{node, types, consts, {}};
  const kernels::KernelEntry* e =
      kernels::find_kernel(kernels::Backend::kCpu, node.domain, node.op_type, node.opset, DType::kFloat32);
  if (!e) return "no kernel";
  auto k = e->factory(init);
  return k.has_value() ? (*k)->variant() : k.status().to_string();
}

void expect_matches_reference(const ir::Node& node, const std::vector<Tensor>& inputs,
                              size_t num_outputs, double atol, double rtol) {
  std::ostringstream shapes;
  for (const Tensor& t : inputs) shapes << (t.defined() ? shape_to_string(t.shape()) : "-") << " ";
  SCOPED_TRACE(node.describe() + " opset " + std::to_string(node.opset) + " inputs " + shapes.str());
  auto cpu = run_node(kernels::Backend::kCpu, node, inputs, num_outputs);
  ASSERT_TRUE(cpu.has_value()) << "cpu: " << cpu.status().to_string();
  auto ref = run_node(kernels::Backend::kReference, node, inputs, num_outputs);
  ASSERT_TRUE(ref.has_value()) << "reference: " << ref.status().to_string();
  ASSERT_EQ(cpu->size(), ref->size());
  for (size_t i = 0; i < cpu->size(); ++i) {
    if (!(*ref)[i].defined()) continue;
    EXPECT_TRUE(tensors_close((*cpu)[i], (*ref)[i], atol, rtol)) << "output " << i;
  }
}

void expect_matches_reference_without_constants(const ir::Node& node, const std::vector<Tensor>& inputs,
                                                double tol) {
  auto ref = run_node(kernels::Backend::kReference, node, inputs, 1);
  ASSERT_TRUE(ref.has_value()) << ref.status().to_string();
  std::vector<ir::ValueType> types;
  for (const Tensor& t : inputs) types.push_back(ir::ValueType::tensor(t.dtype(), to_sym_shape(t.shape())));
  std::vector<const ir::ValueType*> tp;
  std::vector<const Tensor*> ptrs, no_constants(inputs.size(), nullptr);
  for (size_t i = 0; i < inputs.size(); ++i) {
    tp.push_back(inputs[i].defined() ? &types[i] : nullptr);
    ptrs.push_back(inputs[i].defined() ? &inputs[i] : nullptr);
  }
  const ir::ValueType out_type = ir::ValueType::tensor((*ref)[0].dtype(), to_sym_shape((*ref)[0].shape()));
  const ir::ValueType* op[] = {&out_type};
  const kernels::KernelEntry* e = kernels::find_kernel(kernels::Backend::kCpu, node.domain, node.op_type,
                                                       node.opset, inputs[0].dtype());
  ASSERT_NE(e, nullptr);
  kernels::KernelInit init{node, tp, no_constants, op};
  auto k = e->factory(init);
  ASSERT_TRUE(k.has_value()) << k.status().to_string();
  FixedKernelContext ctx(node, ptrs, Tensor::allocate((*ref)[0].dtype(), (*ref)[0].shape()));
  ASSERT_TRUE((*k)->run(ctx).is_ok());
  EXPECT_TRUE(tensors_close(ctx.out(), (*ref)[0], tol, tol)) << node.op_type;
}

std::vector<Tensor> evaluate_graph(const ir::Graph& g, const std::map<std::string, Tensor>& feeds) {
  std::map<ir::ValueId, Tensor> vals;
  for (ir::ValueId v : g.inputs()) vals[v] = feeds.at(g.value(v).name);
  for (size_t i = 0; i < g.num_values(); ++i) {
    const auto v = static_cast<ir::ValueId>(i);
    if (g.value(v).constant) vals[v] = *g.value(v).constant;
  }
  auto order = g.topological_order();
  EXPECT_TRUE(order.has_value());
  if (!order) return {};
  for (ir::NodeId id : *order) {
    const ir::Node& n = g.node(id);
    std::vector<const Tensor*> ins;
    for (ir::ValueId v : n.inputs) ins.push_back(v == ir::kNoValue ? nullptr : &vals.at(v));
    auto out = kernels::eval_node(kernels::Backend::kCpu, n, ins, n.outputs.size(), test_pool());
    EXPECT_TRUE(out.has_value()) << out.status().to_string();
    if (!out) return {};
    for (size_t k = 0; k < n.outputs.size(); ++k) vals[n.outputs[k]] = (*out)[k];
  }
  std::vector<Tensor> res;
  for (ir::ValueId v : g.outputs()) res.push_back(vals.at(v));
  return res;
}

std::vector<std::string> graph_ops(const ir::Graph& g) {
  std::vector<std::string> out;
  auto order = g.topological_order();
  if (!order) return out;
  for (ir::NodeId id : *order) out.push_back(g.node(id).op_type);
  return out;
}

}  // namespace onnxrt::testing
