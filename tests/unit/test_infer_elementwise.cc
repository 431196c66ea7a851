// Shape/type inference of the element-wise family: broadcasting with symbolic dims, output
// dtypes, legacy (opset < 7) broadcast, and errors on bad input.
#include <gtest/gtest.h>

#include <vector>

#include "ir/infer.h"

namespace onnxrt::ir {
namespace {

struct Inferred {
  Status status;
  std::vector<ValueType> outputs;
};

Inferred infer(const std::string& op, int opset, std::vector<ValueType> inputs,
               std::vector<Attribute> attrs = {}, SymbolTable* symbols = nullptr) {
  Node node;
  node.name = "n";
  node.op_type = op;
  node.opset = opset;
  for (auto& a : attrs) node.attrs.set(a);
  node.inputs.resize(inputs.size());
  node.outputs.resize(1);
  std::vector<const ValueType*> types;
  for (auto& t : inputs) types.push_back(&t);
  std::vector<const Tensor*> values(inputs.size(), nullptr);
  SymbolTable local;
  InferContext ctx(node, types, values, symbols ? symbols : &local);
  InferFn fn = find_infer_fn("", op);
  if (!fn) return {not_implemented("no infer fn for " + op), {}};
  Status st = fn(ctx);
  return {st, ctx.outputs};
}

Attribute int_attr(const std::string& name, int64_t v) {
  Attribute a;
  a.name = name;
  a.kind = AttrKind::kInt;
  a.i = v;
  return a;
}

TEST(ElementwiseInfer, BroadcastKeepsSymbols) {
  SymbolTable syms;
  const Dim batch = Dim::symbol(syms.intern("batch"));
  auto r = infer("Add", 14, {ValueType::tensor(DType::kFloat32, {batch, 1, 4}),
                            ValueType::tensor(DType::kFloat32, {3, 1})}, {}, &syms);
  ASSERT_TRUE(r.status.is_ok()) << r.status.to_string();
  EXPECT_EQ(r.outputs[0].dtype, DType::kFloat32);
  EXPECT_EQ(r.outputs[0].shape, (SymShape{batch, 3, 4}));
}

TEST(ElementwiseInfer, ConcreteShapesAndDtypes) {
  auto r = infer("Less", 13, {ValueType::tensor(DType::kInt64, {2, 1}), ValueType::tensor(DType::kInt64, {5})});
  ASSERT_TRUE(r.status.is_ok());
  EXPECT_EQ(r.outputs[0].dtype, DType::kBool);
  EXPECT_EQ(r.outputs[0].shape, (SymShape{2, 5}));
  r = infer("Pow", 15, {ValueType::tensor(DType::kFloat32, {3}), ValueType::tensor(DType::kInt64, {})});
  ASSERT_TRUE(r.status.is_ok());
  EXPECT_EQ(r.outputs[0].dtype, DType::kFloat32);
  r = infer("Cast", 21, {ValueType::tensor(DType::kFloat32, {3, 4})}, {int_attr("to", 7)});
  ASSERT_TRUE(r.status.is_ok());
  EXPECT_EQ(r.outputs[0].dtype, DType::kInt64);
  EXPECT_EQ(r.outputs[0].shape, (SymShape{3, 4}));
  r = infer("Where", 16, {ValueType::tensor(DType::kBool, {2, 1}), ValueType::tensor(DType::kFloat16, {3}),
                         ValueType::tensor(DType::kFloat16, {1})});
  ASSERT_TRUE(r.status.is_ok());
  EXPECT_EQ(r.outputs[0].dtype, DType::kFloat16);
  EXPECT_EQ(r.outputs[0].shape, (SymShape{2, 3}));
  r = infer("Sum", 13, {ValueType::tensor(DType::kFloat32, {2, 1}), ValueType::tensor(DType::kFloat32, {3}),
                       ValueType::tensor(DType::kFloat32, {4, 1, 1})});
  ASSERT_TRUE(r.status.is_ok());
  EXPECT_EQ(r.outputs[0].shape, (SymShape{4, 2, 3}));
  r = infer("IsNaN", 20, {ValueType::tensor(DType::kFloat32, {7})});
  ASSERT_TRUE(r.status.is_ok());
  EXPECT_EQ(r.outputs[0].dtype, DType::kBool);
  r = infer("Relu", 14, {ValueType::tensor_unknown_rank(DType::kFloat32)});
  ASSERT_TRUE(r.status.is_ok());
  EXPECT_FALSE(r.outputs[0].has_shape);
}

TEST(ElementwiseInfer, LegacyBroadcast) {
  auto r = infer("Add", 6, {ValueType::tensor(DType::kFloat32, {2, 3, 4}), ValueType::tensor(DType::kFloat32, {3})},
                 {int_attr("broadcast", 1), int_attr("axis", 1)});
  ASSERT_TRUE(r.status.is_ok()) << r.status.to_string();
  EXPECT_EQ(r.outputs[0].shape, (SymShape{2, 3, 4}));
  r = infer("Add", 6, {ValueType::tensor(DType::kFloat32, {2, 3, 4}), ValueType::tensor(DType::kFloat32, {3})},
            {int_attr("broadcast", 1)});
  EXPECT_FALSE(r.status.is_ok());  // suffix alignment: 3 vs 4
  r = infer("Add", 6, {ValueType::tensor(DType::kFloat32, {2, 3}), ValueType::tensor(DType::kFloat32, {3})});
  EXPECT_FALSE(r.status.is_ok());  // no broadcast attribute: shapes must match
}

TEST(ElementwiseInfer, Errors) {
  auto r = infer("Add", 14, {ValueType::tensor(DType::kFloat32, {3}), ValueType::tensor(DType::kFloat32, {4})});
  EXPECT_FALSE(r.status.is_ok());
  r = infer("Add", 14, {ValueType::tensor(DType::kFloat32, {3}), ValueType::tensor(DType::kInt64, {3})});
  EXPECT_FALSE(r.status.is_ok());
  EXPECT_NE(r.status.message().find("int64"), std::string::npos) << r.status.message();
  r = infer("Where", 16, {ValueType::tensor(DType::kFloat32, {3}), ValueType::tensor(DType::kFloat32, {3}),
                         ValueType::tensor(DType::kFloat32, {3})});
  EXPECT_FALSE(r.status.is_ok());
  r = infer("Cast", 21, {ValueType::tensor(DType::kFloat32, {3})}, {int_attr("to", 999)});
  EXPECT_FALSE(r.status.is_ok());
  r = infer("Cast", 21, {ValueType::tensor(DType::kFloat32, {3})});
  EXPECT_FALSE(r.status.is_ok());  // 'to' is required
  r = infer("Not", 1, {ValueType::tensor(DType::kFloat32, {3})});
  EXPECT_FALSE(r.status.is_ok());
  r = infer("PRelu", 16, {ValueType::tensor(DType::kFloat32, {3, 1}), ValueType::tensor(DType::kFloat32, {4})});
  EXPECT_FALSE(r.status.is_ok());
}

}  // namespace
}  // namespace onnxrt::ir
