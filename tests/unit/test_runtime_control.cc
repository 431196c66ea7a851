// The runtime with subgraphs and non-tensor values: graphs built through the IR, planned and run
// with the executor. Checks outer-scope binding, values kept alive for subgraphs, loop-carried
// values, scan axes/directions, and session input validation of sequences and optionals.
#include <gtest/gtest.h>

#include <stdexcept>

#include "kernels/harness.h"
#include "onnx/model_io.h"
#include "onnxrt/session.h"
#include "plan/execution_plan.h"
#include "runtime/executor.h"

namespace onnxrt::testing {
namespace {

ir::ValueType f32(SymShape s) { return ir::ValueType::tensor(DType::kFloat32, std::move(s)); }
ir::ValueType i64(SymShape s) { return ir::ValueType::tensor(DType::kInt64, std::move(s)); }
ir::ValueType boolean() { return ir::ValueType::tensor(DType::kBool, {}); }

ir::ValueType seq_of(ir::ValueType e) {
  ir::ValueType t;
  t.kind = ir::TypeKind::kSequence;
  t.elem = std::make_shared<ir::ValueType>(std::move(e));
  return t;
}

ir::ValueType opt_of(ir::ValueType e) {
  ir::ValueType t;
  t.kind = ir::TypeKind::kOptional;
  t.elem = std::make_shared<ir::ValueType>(std::move(e));
  return t;
}

void add(ir::Graph& g, ir::Node n, std::vector<std::string> in, std::vector<std::string> out) {
  auto r = g.add_node(std::move(n), in, out);
  ASSERT_TRUE(r) << r.status().to_string();
}

ir::Node with_graph(ir::Node n, const std::string& name, std::shared_ptr<ir::Graph> g) {
  ir::Attribute a;
  a.name = name;
  a.kind = ir::AttrKind::kGraph;
  a.g = std::move(g);
  n.attrs.set(std::move(a));
  return n;
}

std::shared_ptr<ir::Graph> subgraph(ir::Graph& parent, const std::string& name) {
  auto g = std::make_shared<ir::Graph>(parent.symbols_ptr(), &parent);
  g->name = name;
  return g;
}

Tensor scalar_bool(bool b) {
  Tensor t = Tensor::allocate(DType::kBool, {});
  t.data<uint8_t>()[0] = b;
  return t;
}

Tensor scalar_i64(int64_t v) { return make_tensor<int64_t>(DType::kInt64, {}, {v}); }

struct Runner {
  std::unique_ptr<plan::ExecutionPlan> plan;
  Expected<std::vector<Value>> run(const std::vector<Value>& inputs) {
    runtime::RunState state(*plan);
    runtime::load_constants(*plan, state);
    for (size_t i = 0; i < inputs.size(); ++i) state.slots[static_cast<size_t>(plan->input_slots[i])] = inputs[i];
    Status st = runtime::execute(*plan, state, test_pool());
    if (!st.is_ok()) return st;
    std::vector<Value> out;
    for (plan::Slot s : plan->output_slots) out.push_back(state.slots[static_cast<size_t>(s)]);
    runtime::reset(*plan, state);
    return out;
  }
};

Runner make_runner(std::unique_ptr<ir::Graph> g) {
  auto p = plan::build_plan(std::move(g));
  EXPECT_TRUE(p) << p.status().to_string();
  return Runner{p ? std::move(p).value() : nullptr};
}

std::vector<float> floats(const Value& v) {
  EXPECT_TRUE(v.is_tensor()) << v.describe();
  if (!v.is_tensor()) return {};
  return {v.tensor().data<float>(), v.tensor().data<float>() + v.tensor().size()};
}

// y = If(cond) then (a * 2) else (a + b), where a and b are outer-scope values and a is an
// intermediate of the main graph (so it lives in the arena and must survive until If runs).
TEST(ControlRuntime, IfReadsOuterScopeIntermediates) {
  auto g = std::make_unique<ir::Graph>();
  ASSERT_TRUE(g->add_input("cond", boolean()));
  ASSERT_TRUE(g->add_input("x", f32({3})));
  ASSERT_TRUE(g->add_input("b", f32({3})));
  add(*g, NodeBuilder("Neg", 13).build(), {"x"}, {"a"});
  auto then_g = subgraph(*g, "then");
  add(*then_g, NodeBuilder("Add", 14).build(), {"a", "a"}, {"t"});
  ASSERT_TRUE(then_g->add_output("t").is_ok());
  auto else_g = subgraph(*g, "else");
  add(*else_g, NodeBuilder("Add", 14).build(), {"a", "b"}, {"e"});
  ASSERT_TRUE(else_g->add_output("e").is_ok());
  add(*g, with_graph(with_graph(NodeBuilder("If", 11).build(), "then_branch", then_g), "else_branch", else_g),
      {"cond"}, {"y"});
  add(*g, NodeBuilder("Neg", 13).build(), {"y"}, {"z"});
  ASSERT_TRUE(g->add_output("z").is_ok());
  EXPECT_EQ(g->value(g->find("y")).type.shape, (SymShape{3}));

  Runner r = make_runner(std::move(g));
  ASSERT_TRUE(r.plan);
  const Tensor x = make_tensor<float>(DType::kFloat32, {3}, {1, 2, 3});
  const Tensor b = make_tensor<float>(DType::kFloat32, {3}, {10, 20, 30});
  for (int rep = 0; rep < 2; ++rep) {  // a second run reuses the nested states
    auto out = r.run({scalar_bool(true), x, b});
    ASSERT_TRUE(out) << out.status().to_string();
    EXPECT_EQ(floats((*out)[0]), (std::vector<float>{2, 4, 6}));
    out = r.run({scalar_bool(false), x, b});
    ASSERT_TRUE(out) << out.status().to_string();
    EXPECT_EQ(floats((*out)[0]), (std::vector<float>{-9, -18, -27}));
  }
}

// Loop that sums x[i] into a carried value and also emits it per iteration; the body passes a
// second carried value through unchanged (aliasing its input) and stops early on a condition.
TEST(ControlRuntime, LoopCarriedScanOutputsAndEarlyExit) {
  auto g = std::make_unique<ir::Graph>();
  ASSERT_TRUE(g->add_input("M", i64({})));
  ASSERT_TRUE(g->add_input("x", f32({5})));
  ASSERT_TRUE(g->add_input("s0", f32({})));
  ASSERT_TRUE(g->add_input("keep", f32({2})));
  auto body = subgraph(*g, "body");
  ASSERT_TRUE(body->add_input("i", i64({})));
  ASSERT_TRUE(body->add_input("c", boolean()));
  ASSERT_TRUE(body->add_input("s", f32({})));
  ASSERT_TRUE(body->add_input("k", f32({2})));
  add(*body, NodeBuilder("Gather", 13).attr_i("axis", 0).build(), {"x", "i"}, {"xi"});
  add(*body, NodeBuilder("Add", 14).build(), {"s", "xi"}, {"s_next"});
  add(*body, NodeBuilder("Identity", 16).build(), {"s_next"}, {"emit"});
  // Continue while the sum stays below 7.
  ASSERT_TRUE(body->add_initializer("limit", make_tensor<float>(DType::kFloat32, {}, {7.f})));
  add(*body, NodeBuilder("Less", 13).build(), {"s_next", "limit"}, {"c_next"});
  for (const char* o : {"c_next", "s_next", "k", "emit"}) ASSERT_TRUE(body->add_output(o).is_ok());
  add(*g, with_graph(NodeBuilder("Loop", 16).build(), "body", body), {"M", "", "s0", "keep"}, {"s_final", "k_final", "all"});
  for (const char* o : {"s_final", "k_final", "all"}) ASSERT_TRUE(g->add_output(o).is_ok());

  Runner r = make_runner(std::move(g));
  ASSERT_TRUE(r.plan);
  const Tensor x = make_tensor<float>(DType::kFloat32, {5}, {1, 2, 3, 4, 5});
  const Tensor keep = make_tensor<float>(DType::kFloat32, {2}, {8, 9});
  auto out = r.run({scalar_i64(10), x, make_tensor<float>(DType::kFloat32, {}, {0.f}), keep});
  ASSERT_TRUE(out) << out.status().to_string();
  // 1, 3, 6 continue; 10 stops (the iteration that makes cond false still emits).
  EXPECT_EQ(floats((*out)[0]), (std::vector<float>{10}));
  EXPECT_EQ(floats((*out)[1]), (std::vector<float>{8, 9}));
  EXPECT_EQ(floats((*out)[2]), (std::vector<float>{1, 3, 6, 10}));
  EXPECT_EQ((*out)[2].tensor().shape(), (Shape{4}));

  // M = 0: no iteration, the carried values come back as given and the scan output is empty.
  out = r.run({scalar_i64(0), x, make_tensor<float>(DType::kFloat32, {}, {5.f}), keep});
  ASSERT_TRUE(out) << out.status().to_string();
  EXPECT_EQ(floats((*out)[0]), (std::vector<float>{5}));
  EXPECT_EQ((*out)[2].tensor().shape(), (Shape{0}));

  // Gather out of range inside the body is an error naming the Loop, not a crash.
  out = r.run({scalar_i64(10), x, make_tensor<float>(DType::kFloat32, {}, {-100.f}), keep});
  ASSERT_FALSE(out);
  EXPECT_NE(out.status().message().find("Loop"), std::string::npos) << out.status().message();
}

// Scan (opset 9+): cumulative sum over axis 1 of a [2, 3] input, scanned in reverse, with the
// scan output written along axis 1 and reversed back.
TEST(ControlRuntime, ScanAxesAndDirections) {
  auto g = std::make_unique<ir::Graph>();
  ASSERT_TRUE(g->add_input("init", f32({2})));
  ASSERT_TRUE(g->add_input("x", f32({2, 3})));
  auto body = subgraph(*g, "body");
  ASSERT_TRUE(body->add_input("acc", f32({2})));
  ASSERT_TRUE(body->add_input("col", f32({2})));
  add(*body, NodeBuilder("Add", 14).build(), {"acc", "col"}, {"acc_next"});
  add(*body, NodeBuilder("Identity", 16).build(), {"acc_next"}, {"out"});
  for (const char* o : {"acc_next", "out"}) ASSERT_TRUE(body->add_output(o).is_ok());
  add(*g,
      with_graph(NodeBuilder("Scan", 16)
                     .attr_i("num_scan_inputs", 1)
                     .attr_ints("scan_input_axes", {1})
                     .attr_ints("scan_input_directions", {1})
                     .attr_ints("scan_output_axes", {-1})
                     .attr_ints("scan_output_directions", {1})
                     .build(),
                 "body", body),
      {"init", "x"}, {"final", "ys"});
  for (const char* o : {"final", "ys"}) ASSERT_TRUE(g->add_output(o).is_ok());
  EXPECT_EQ(g->value(g->find("ys")).type.shape, (SymShape{2, 3}));

  Runner r = make_runner(std::move(g));
  ASSERT_TRUE(r.plan);
  auto out = r.run({make_tensor<float>(DType::kFloat32, {2}, {0, 100}),
                    make_tensor<float>(DType::kFloat32, {2, 3}, {1, 2, 3, 4, 5, 6})});
  ASSERT_TRUE(out) << out.status().to_string();
  EXPECT_EQ(floats((*out)[0]), (std::vector<float>{6, 115}));
  // Reverse scan: steps see columns 2, 1, 0 -> sums 3, 5, 6 (row 0); written reversed, so
  // column j holds the suffix sum from j.
  EXPECT_EQ(floats((*out)[1]), (std::vector<float>{6, 5, 3, 115, 111, 106}));
}

// A sequence built in a loop body (carried value) and concatenated after the loop.
TEST(ControlRuntime, SequenceCarriedThroughLoop) {
  auto g = std::make_unique<ir::Graph>();
  ASSERT_TRUE(g->add_input("M", i64({})));
  ASSERT_TRUE(g->add_input("x", f32({2})));
  add(*g, NodeBuilder("SequenceEmpty", 11).build(), {}, {"empty"});
  auto body = subgraph(*g, "body");
  ASSERT_TRUE(body->add_input("i", i64({})));
  ASSERT_TRUE(body->add_input("c", boolean()));
  ASSERT_TRUE(body->add_input("seq", seq_of(ir::ValueType::tensor_unknown_rank(DType::kFloat32))));
  add(*body, NodeBuilder("Cast", 13).attr_i("to", 1).build(), {"i"}, {"fi"});
  add(*body, NodeBuilder("Mul", 14).build(), {"x", "fi"}, {"xi"});
  add(*body, NodeBuilder("SequenceInsert", 11).build(), {"seq", "xi"}, {"seq_next"});
  add(*body, NodeBuilder("Identity", 16).build(), {"c"}, {"c_next"});
  for (const char* o : {"c_next", "seq_next"}) ASSERT_TRUE(body->add_output(o).is_ok());
  add(*g, with_graph(NodeBuilder("Loop", 13).build(), "body", body), {"M", "", "empty"}, {"seq_final"});
  add(*g, NodeBuilder("ConcatFromSequence", 11).attr_i("axis", 0).attr_i("new_axis", 1).build(), {"seq_final"}, {"y"});
  add(*g, NodeBuilder("SequenceLength", 11).build(), {"seq_final"}, {"n"});
  for (const char* o : {"seq_final", "y", "n"}) ASSERT_TRUE(g->add_output(o).is_ok());

  Runner r = make_runner(std::move(g));
  ASSERT_TRUE(r.plan);
  auto out = r.run({scalar_i64(3), make_tensor<float>(DType::kFloat32, {2}, {1, 2})});
  ASSERT_TRUE(out) << out.status().to_string();
  ASSERT_TRUE((*out)[0].is_sequence());
  ASSERT_EQ((*out)[0].sequence().size(), 3u);
  EXPECT_EQ(floats((*out)[0].sequence()[2]), (std::vector<float>{2, 4}));
  EXPECT_EQ((*out)[1].tensor().shape(), (Shape{3, 2}));
  EXPECT_EQ(floats((*out)[1]), (std::vector<float>{0, 0, 1, 2, 2, 4}));
  EXPECT_EQ((*out)[2].tensor().data<int64_t>()[0], 3);
}

// Session: sequence and optional inputs are validated against the declared types, and the
// outputs come back as Values that own their storage.
TEST(ControlRuntime, SessionValidatesSequenceAndOptionalFeeds) {
  auto g = std::make_unique<ir::Graph>();
  g->opset_imports.push_back({"", 18});
  ASSERT_TRUE(g->add_input("s", seq_of(f32({2}))));
  ASSERT_TRUE(g->add_input("o", opt_of(f32({1}))));
  add(*g, NodeBuilder("SequenceLength", 11).build(), {"s"}, {"n"});
  add(*g, NodeBuilder("OptionalHasElement", 18).build(), {"o"}, {"has"});
  add(*g, NodeBuilder("Identity", 16).build(), {"s"}, {"s_copy"});
  for (const char* o : {"n", "has", "s_copy"}) ASSERT_TRUE(g->add_output(o).is_ok());
  auto bytes = onnx::save_model(*g, ModelMetadata{});
  ASSERT_TRUE(bytes) << bytes.status().to_string();
  auto session = Session::load_bytes(bytes->data(), bytes->size());
  ASSERT_TRUE(session) << session.status().to_string();
  EXPECT_EQ((*session)->inputs()[0].type, "seq(tensor(float))");

  const Tensor a = make_tensor<float>(DType::kFloat32, {2}, {1, 2});
  auto out = (*session)->run({{"s", Value::sequence({a, a})}, {"o", Value::none()}}, {});
  ASSERT_TRUE(out) << out.status().to_string();
  EXPECT_EQ((*out)[0].tensor().data<int64_t>()[0], 2);
  EXPECT_EQ((*out)[1].tensor().data<uint8_t>()[0], 0);
  ASSERT_TRUE((*out)[2].is_sequence());
  // The returned sequence does not share storage with the feed.
  EXPECT_NE((*out)[2].sequence()[0].tensor().raw(), a.raw());

  out = (*session)->run({{"s", Value::sequence({})}, {"o", make_tensor<float>(DType::kFloat32, {1}, {3})}}, {});
  ASSERT_TRUE(out) << out.status().to_string();
  EXPECT_EQ((*out)[1].tensor().data<uint8_t>()[0], 1);

  // A tensor where a sequence is declared, a wrong element type, a wrong element shape.
  out = (*session)->run({{"s", a}, {"o", Value::none()}}, {});
  ASSERT_FALSE(out);
  EXPECT_NE(out.status().message().find("expected seq(tensor(float))"), std::string::npos) << out.status().message();
  out = (*session)->run({{"s", Value::sequence({scalar_i64(1)})}, {"o", Value::none()}}, {});
  ASSERT_FALSE(out);
  EXPECT_NE(out.status().message().find("s[0]"), std::string::npos) << out.status().message();
  out = (*session)->run({{"s", Value::sequence({make_tensor<float>(DType::kFloat32, {3}, {1, 2, 3})})}, {"o", Value::none()}}, {});
  ASSERT_FALSE(out);
  // An optional input may be left out entirely.
  out = (*session)->run({{"s", Value::sequence({a})}}, {});
  ASSERT_TRUE(out) << out.status().to_string();
  EXPECT_EQ((*out)[1].tensor().data<uint8_t>()[0], 0);
}

// Stands in for a kernel with a bug: a C++ exception out of run(), thrown on the calling thread or
// on one of the pool's workers inside a parallel_for.
class ThrowingKernel final : public kernels::Kernel {
 public:
  explicit ThrowingKernel(bool on_worker) : on_worker_(on_worker) {}
  Status run(kernels::KernelContext& ctx) const override {
    if (!on_worker_) throw std::length_error("vector::_M_default_append");
    ctx.threads().run_tasks(64, [](int64_t t) {
      if (t == 63) throw std::out_of_range("task 63");
    });
    return Status::ok();
  }

 private:
  bool on_worker_;
};

// An exception out of a kernel, whichever thread threw it, ends the run with an error naming the
// node and the exception, never the process; the plan runs normally afterwards.
TEST(ControlRuntime, KernelExceptionBecomesNodeError) {
  for (bool on_worker : {false, true}) {
    auto g = std::make_unique<ir::Graph>();
    ASSERT_TRUE(g->add_input("x", f32({3})));
    add(*g, NodeBuilder("Neg", 13).build(), {"x"}, {"a"});
    add(*g, NodeBuilder("Relu", 14).name("buggy_relu").build(), {"a"}, {"y"});
    ASSERT_TRUE(g->add_output("y").is_ok());
    Runner r = make_runner(std::move(g));
    ASSERT_TRUE(r.plan);
    const Tensor x = make_tensor<float>(DType::kFloat32, {3}, {1, -2, 3});
    auto good = r.run({x});
    ASSERT_TRUE(good) << good.status().to_string();
    EXPECT_EQ(floats((*good)[0]), (std::vector<float>{0, 2, 0}));

    plan::Step& relu = r.plan->steps[1];
    ASSERT_EQ(relu.node->op_type, "Relu");
    std::unique_ptr<kernels::Kernel> real = std::move(relu.kernel);
    relu.kernel = std::make_unique<ThrowingKernel>(on_worker);
    auto bad = r.run({x});
    ASSERT_FALSE(bad);
    EXPECT_EQ(bad.status().code(), ErrorCode::kInternal);
    const std::string msg = bad.status().to_string();
    EXPECT_NE(msg.find("buggy_relu"), std::string::npos) << msg;
    EXPECT_NE(msg.find("Relu"), std::string::npos) << msg;
    EXPECT_NE(msg.find(on_worker ? "task 63" : "vector::_M_default_append"), std::string::npos) << msg;

    relu.kernel = std::move(real);
    good = r.run({x});
    ASSERT_TRUE(good) << good.status().to_string();
    EXPECT_EQ(floats((*good)[0]), (std::vector<float>{0, 2, 0}));
  }
}

}  // namespace
}  // namespace onnxrt::testing
