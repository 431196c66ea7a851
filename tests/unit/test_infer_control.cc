// Inference of the control family: subgraph output types merged for If, loop-carried and scan
// output shapes for Loop and Scan, sequence element types, and errors that name the problem.
#include <gtest/gtest.h>

#include "ir/infer.h"
#include "ir/op_families.h"
#include "kernels/harness.h"

namespace onnxrt::testing {
namespace {

using Result = InferResult;

Result infer(const ir::Node& node, std::vector<ir::ValueType> in, size_t num_outputs, SymbolTable* syms) {
  return infer_node(node, in, num_outputs, syms);
}

ir::ValueType f32(SymShape s) { return ir::ValueType::tensor(DType::kFloat32, std::move(s)); }
ir::ValueType seq_of(ir::ValueType e) {
  ir::ValueType t;
  t.kind = ir::TypeKind::kSequence;
  t.elem = std::make_shared<ir::ValueType>(std::move(e));
  return t;
}

ir::Node with_graph(ir::Node n, const std::string& name, std::shared_ptr<ir::Graph> g) {
  ir::Attribute a;
  a.name = name;
  a.kind = ir::AttrKind::kGraph;
  a.g = std::move(g);
  n.attrs.set(std::move(a));
  return n;
}

// A graph with the given inputs whose outputs are Identity copies of them.
std::shared_ptr<ir::Graph> passthrough(const std::vector<ir::ValueType>& types, std::shared_ptr<SymbolTable> syms) {
  auto g = std::make_shared<ir::Graph>(syms);
  for (size_t i = 0; i < types.size(); ++i) {
    const std::string in = "in" + std::to_string(i), out = "out" + std::to_string(i);
    EXPECT_TRUE(g->add_input(in, types[i]));
    std::vector<std::string> ins{in}, outs{out};
    EXPECT_TRUE(g->add_node(NodeBuilder("Identity", 16).build(), ins, outs));
    EXPECT_TRUE(g->add_output(out).is_ok());
  }
  return g;
}

TEST(ControlInfer, IfMergesBranchTypes) {
  auto syms = std::make_shared<SymbolTable>();
  const Dim batch = Dim::symbol(syms->intern("batch"));
  auto then_g = passthrough({f32({batch, 3}), f32({2})}, syms);
  auto else_g = passthrough({f32({batch, 4}), f32({2})}, syms);
  auto node = with_graph(with_graph(NodeBuilder("If", 11).build(), "then_branch", then_g), "else_branch", else_g);
  auto r = infer(node, {ir::ValueType::tensor(DType::kBool, {})}, 2, syms.get());
  ASSERT_TRUE(r.status.is_ok()) << r.status.to_string();
  ASSERT_EQ(r.outputs[0].shape.size(), 2u);
  EXPECT_EQ(r.outputs[0].shape[0], batch);       // equal dims are kept
  EXPECT_TRUE(r.outputs[0].shape[1].is_symbol());  // 3 vs 4: unknown
  EXPECT_EQ(r.outputs[1].shape, (SymShape{2}));

  auto bad = passthrough({ir::ValueType::tensor(DType::kInt64, {2}), f32({2})}, syms);
  node = with_graph(with_graph(NodeBuilder("If", 11).build(), "then_branch", then_g), "else_branch", bad);
  r = infer(node, {ir::ValueType::tensor(DType::kBool, {})}, 2, syms.get());
  ASSERT_FALSE(r.status.is_ok());
  EXPECT_NE(r.status.message().find("do not agree"), std::string::npos) << r.status.message();
  r = infer(NodeBuilder("If", 11).build(), {ir::ValueType::tensor(DType::kBool, {})}, 1, syms.get());
  ASSERT_FALSE(r.status.is_ok());
  EXPECT_NE(r.status.message().find("then_branch"), std::string::npos);
}

TEST(ControlInfer, LoopCarriedAndScanOutputs) {
  auto syms = std::make_shared<SymbolTable>();
  const Dim n = Dim::symbol(syms->intern("n"));
  // Body: (iter, cond, v) -> (cond, v, v as scan output).
  auto body = std::make_shared<ir::Graph>(syms);
  ASSERT_TRUE(body->add_input("i", ir::ValueType::tensor(DType::kInt64, {})));
  ASSERT_TRUE(body->add_input("c", ir::ValueType::tensor(DType::kBool, {})));
  ASSERT_TRUE(body->add_input("v", f32({n, 2})));
  std::vector<std::string> in{"v"}, out{"s"}, cin{"c"}, cout{"c2"};
  ASSERT_TRUE(body->add_node(NodeBuilder("Identity", 16).build(), in, out));
  ASSERT_TRUE(body->add_node(NodeBuilder("Identity", 16).build(), cin, cout));
  for (const char* o : {"c2", "v", "s"}) ASSERT_TRUE(body->add_output(o).is_ok());
  auto node = with_graph(NodeBuilder("Loop", 16).build(), "body", body);
  auto r = infer(node, {ir::ValueType::tensor(DType::kInt64, {}), ir::ValueType(), f32({n, 2})}, 2, syms.get());
  ASSERT_TRUE(r.status.is_ok()) << r.status.to_string();
  EXPECT_EQ(r.outputs[0].shape, (SymShape{n, 2}));
  ASSERT_EQ(r.outputs[1].shape.size(), 3u);
  EXPECT_TRUE(r.outputs[1].shape[0].is_symbol());
  EXPECT_EQ(r.outputs[1].shape[1], n);
  // Wrong number of loop-carried inputs for the body.
  r = infer(node, {ir::ValueType::tensor(DType::kInt64, {}), ir::ValueType()}, 1, syms.get());
  ASSERT_FALSE(r.status.is_ok());
  EXPECT_NE(r.status.message().find("body takes 3 inputs"), std::string::npos) << r.status.message();
}

TEST(ControlInfer, ScanOutputShapes) {
  auto syms = std::make_shared<SymbolTable>();
  auto body = passthrough({f32({2}), f32({2})}, syms);  // state in/out, scan in -> scan out
  auto node = with_graph(NodeBuilder("Scan", 16).attr_i("num_scan_inputs", 1).attr_ints("scan_input_axes", {1})
                             .attr_ints("scan_output_axes", {1}).build(), "body", body);
  auto r = infer(node, {f32({2}), f32({2, 7})}, 2, syms.get());
  ASSERT_TRUE(r.status.is_ok()) << r.status.to_string();
  EXPECT_EQ(r.outputs[0].shape, (SymShape{2}));
  EXPECT_EQ(r.outputs[1].shape, (SymShape{2, 7}));
  node = with_graph(NodeBuilder("Scan", 16).attr_i("num_scan_inputs", 1).attr_ints("scan_input_axes", {2}).build(), "body", body);
  r = infer(node, {f32({2}), f32({2, 7})}, 2, syms.get());
  ASSERT_FALSE(r.status.is_ok());
  // Opset 8: a batch axis in front, the scan axis is 1.
  auto body8 = passthrough({f32({2}), f32({3})}, syms);
  node = with_graph(NodeBuilder("Scan", 8).attr_i("num_scan_inputs", 1).build(), "body", body8);
  r = infer(node, {ir::ValueType(), f32({4, 2}), f32({4, 5, 3})}, 2, syms.get());
  ASSERT_TRUE(r.status.is_ok()) << r.status.to_string();
  EXPECT_EQ(r.outputs[1].shape, (SymShape{4, 5, 3}));
}

TEST(ControlInfer, SequenceOps) {
  SymbolTable syms;
  const Dim b = Dim::symbol(syms.intern("b"));
  auto r = infer(NodeBuilder("SequenceConstruct", 11).build(), {f32({b, 3}), f32({b, 4})}, 1, &syms);
  ASSERT_TRUE(r.status.is_ok()) << r.status.to_string();
  ASSERT_EQ(r.outputs[0].kind, ir::TypeKind::kSequence);
  EXPECT_EQ(r.outputs[0].elem->shape[0], b);
  EXPECT_EQ(ir::type_string(r.outputs[0]), "seq(tensor(float))");
  r = infer(NodeBuilder("SequenceConstruct", 11).build(), {f32({1}), ir::ValueType::tensor(DType::kInt64, {1})}, 1, &syms);
  EXPECT_FALSE(r.status.is_ok());

  r = infer(NodeBuilder("SequenceAt", 11).build(), {seq_of(f32({b, 2})), ir::ValueType::tensor(DType::kInt64, {})}, 1, &syms);
  ASSERT_TRUE(r.status.is_ok());
  EXPECT_EQ(r.outputs[0].shape, (SymShape{b, 2}));
  r = infer(NodeBuilder("SequenceAt", 11).build(), {f32({2}), ir::ValueType::tensor(DType::kInt64, {})}, 1, &syms);
  ASSERT_FALSE(r.status.is_ok());
  EXPECT_NE(r.status.message().find("must be a sequence"), std::string::npos);
  r = infer(NodeBuilder("SequenceAt", 11).build(), {seq_of(f32({2})), f32({})}, 1, &syms);
  EXPECT_FALSE(r.status.is_ok());

  r = infer(NodeBuilder("SequenceInsert", 11).build(), {seq_of(f32({b, 2})), ir::ValueType::tensor(DType::kInt64, {b, 2})}, 1, &syms);
  EXPECT_FALSE(r.status.is_ok());
  r = infer(NodeBuilder("SequenceLength", 11).build(), {seq_of(f32({2}))}, 1, &syms);
  ASSERT_TRUE(r.status.is_ok());
  EXPECT_EQ(r.outputs[0].shape, SymShape{});

  r = infer(NodeBuilder("SplitToSequence", 11).attr_i("axis", 1).attr_i("keepdims", 0).build(), {f32({b, 5, 2})}, 1, &syms);
  ASSERT_TRUE(r.status.is_ok());
  EXPECT_EQ(r.outputs[0].elem->shape, (SymShape{b, 2}));
  r = infer(NodeBuilder("SplitToSequence", 11).attr_i("axis", 3).build(), {f32({b, 5, 2})}, 1, &syms);
  EXPECT_FALSE(r.status.is_ok());

  r = infer(NodeBuilder("ConcatFromSequence", 11).attr_i("axis", -1).attr_i("new_axis", 1).build(), {seq_of(f32({b, 2}))}, 1, &syms);
  ASSERT_TRUE(r.status.is_ok()) << r.status.to_string();
  ASSERT_EQ(r.outputs[0].shape.size(), 3u);
  EXPECT_EQ(r.outputs[0].shape[0], b);
  EXPECT_EQ(r.outputs[0].shape[1], Dim(2));
  r = infer(NodeBuilder("ConcatFromSequence", 11).build(), {seq_of(f32({2}))}, 1, &syms);
  ASSERT_FALSE(r.status.is_ok());  // axis is required
  EXPECT_NE(r.status.message().find("axis"), std::string::npos);
}

TEST(ControlInfer, Optionals) {
  SymbolTable syms;
  auto r = infer(NodeBuilder("Optional", 15).build(), {f32({2})}, 1, &syms);
  ASSERT_TRUE(r.status.is_ok());
  EXPECT_EQ(ir::type_string(r.outputs[0]), "optional(tensor(float))");
  const ir::ValueType opt = r.outputs[0];
  r = infer(NodeBuilder("Optional", 15).build(), {}, 1, &syms);
  EXPECT_FALSE(r.status.is_ok());  // no input and no type attribute
  r = infer(NodeBuilder("OptionalGetElement", 18).build(), {opt}, 1, &syms);
  ASSERT_TRUE(r.status.is_ok()) << r.status.to_string();
  EXPECT_EQ(r.outputs[0].shape, (SymShape{2}));
  r = infer(NodeBuilder("OptionalGetElement", 15).build(), {f32({2})}, 1, &syms);
  EXPECT_FALSE(r.status.is_ok());  // opset 15 takes only optionals
  r = infer(NodeBuilder("OptionalHasElement", 18).build(), {}, 1, &syms);
  ASSERT_TRUE(r.status.is_ok());
  EXPECT_EQ(r.outputs[0].dtype, DType::kBool);
}

}  // namespace
}  // namespace onnxrt::testing
