// Shape inference of the recurrent family (RNN, GRU, LSTM): layouts, directions, symbolic
// dims kept, hidden_size from R when absent, and errors naming the bad input.
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

TEST(RecurrentInfer, ShapesBothLayouts) {
  SymbolTable syms;
  const Dim seq = Dim::symbol(syms.intern("seq")), batch = Dim::symbol(syms.intern("batch"));
  auto r = infer(NodeBuilder("LSTM", 22).attr_i("hidden_size", 5).attr_s("direction", "bidirectional").build(),
                 {f32({seq, batch, 3}), f32({2, 20, 3}), f32({2, 20, 5})}, 3, &syms);
  ASSERT_TRUE(r.status.is_ok()) << r.status.to_string();
  EXPECT_EQ(r.outputs[0].shape, (SymShape{seq, 2, batch, 5}));
  EXPECT_EQ(r.outputs[1].shape, (SymShape{2, batch, 5}));
  EXPECT_EQ(r.outputs[2].shape, (SymShape{2, batch, 5}));
  // layout 1, hidden_size from R.
  r = infer(NodeBuilder("GRU", 22).attr_i("layout", 1).build(), {f32({batch, seq, 3}), f32({1, 12, 3}), f32({1, 12, 4})},
            2, &syms);
  ASSERT_TRUE(r.status.is_ok()) << r.status.to_string();
  EXPECT_EQ(r.outputs[0].shape, (SymShape{batch, seq, 1, 4}));
  EXPECT_EQ(r.outputs[1].shape, (SymShape{batch, 1, 4}));
  // Before opset 14 there is no layout.
  r = infer(NodeBuilder("RNN", 7).attr_i("hidden_size", 2).build(), {f32({4, 3, 3}), f32({1, 2, 3}), f32({1, 2, 2})}, 2,
            &syms);
  ASSERT_TRUE(r.status.is_ok());
  EXPECT_EQ(r.outputs[0].shape, (SymShape{4, 1, 3, 2}));
}

TEST(RecurrentInfer, Errors) {
  SymbolTable syms;
  // W rows must be gates * hidden.
  auto r = infer(NodeBuilder("GRU", 22).attr_i("hidden_size", 4).build(), {f32({2, 1, 3}), f32({1, 8, 3}), f32({1, 12, 4})},
                 2, &syms);
  EXPECT_FALSE(r.status.is_ok());
  EXPECT_NE(r.status.message().find("W"), std::string::npos) << r.status.message();
  // Bidirectional needs 2 directions in W.
  r = infer(NodeBuilder("RNN", 22).attr_i("hidden_size", 2).attr_s("direction", "bidirectional").build(),
            {f32({2, 1, 3}), f32({1, 2, 3}), f32({1, 2, 2})}, 2, &syms);
  EXPECT_FALSE(r.status.is_ok());
  // Bad direction, bad X rank, integer X.
  r = infer(NodeBuilder("RNN", 22).attr_s("direction", "sideways").build(), {f32({2, 1, 3}), f32({1, 2, 3}), f32({1, 2, 2})},
            2, &syms);
  EXPECT_FALSE(r.status.is_ok());
  r = infer(NodeBuilder("RNN", 22).build(), {f32({2, 3}), f32({1, 2, 3}), f32({1, 2, 2})}, 2, &syms);
  EXPECT_FALSE(r.status.is_ok());
  r = infer(NodeBuilder("RNN", 22).build(),
            {ir::ValueType::tensor(DType::kInt32, {2, 1, 3}), f32({1, 2, 3}), f32({1, 2, 2})}, 2, &syms);
  EXPECT_FALSE(r.status.is_ok());
}

}  // namespace
}  // namespace onnxrt::testing
