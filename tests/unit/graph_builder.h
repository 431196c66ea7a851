// A small float32 graph builder for the pass tests (tests/unit/test_passes_*.cc): inputs,
// constants and nodes by value name, then the default pipeline run and checked against the
// unfused graph, both evaluated node by node on the CPU kernels.
#pragma once

#include <gtest/gtest.h>

#include <map>
#include <random>
#include <string>
#include <vector>

#include "ir/attribute.h"
#include "kernels/harness.h"
#include "passes/pass.h"

namespace onnxrt::testing {

struct GraphBuilder {
  ir::Graph g;
  std::mt19937 rng;
  explicit GraphBuilder(uint32_t seed = 5) : rng(seed) { g.opset_imports.push_back(ir::OpsetImport{"", 18}); }
  void input(const std::string& name, Shape s) {
    ASSERT_TRUE(g.add_input(name, ir::ValueType::tensor(DType::kFloat32, to_sym_shape(s))).has_value());
  }
  void constant(const std::string& name, Tensor t) { ASSERT_TRUE(g.add_initializer(name, std::move(t)).has_value()); }
  void random_constant(const std::string& name, Shape s) {
    constant(name, random_tensor(DType::kFloat32, std::move(s), rng));
  }
  void scalar(const std::string& name, float v) { constant(name, make_tensor<float>(DType::kFloat32, {}, {v})); }
  void ints(const std::string& name, std::vector<int64_t> v) {
    const auto n = static_cast<int64_t>(v.size());
    constant(name, make_tensor<int64_t>(DType::kInt64, {n}, v));
  }
  void node(const std::string& op, std::vector<std::string> ins, std::vector<std::string> outs,
            ir::Attributes attrs = {}) {
    ir::Node n;
    n.op_type = op;
    n.opset = 18;
    n.name = outs[0] + "_node";
    n.attrs = std::move(attrs);
    auto r = g.add_node(n, ins, outs);
    ASSERT_TRUE(r.has_value()) << r.status().to_string();
  }
  void output(const std::string& name) { ASSERT_TRUE(g.add_output(name).is_ok()); }
};

// The live nodes of that op type in `g`.
inline int count_ops(const ir::Graph& g, const std::string& op) {
  int n = 0;
  for (size_t i = 0; i < g.num_nodes(); ++i)
    if (!g.is_removed(static_cast<ir::NodeId>(i)) && g.node(static_cast<ir::NodeId>(i)).op_type == op) ++n;
  return n;
}

// The first live node of that op type, or null.
inline const ir::Node* find_op(const ir::Graph& g, const std::string& op) {
  for (size_t i = 0; i < g.num_nodes(); ++i) {
    const auto id = static_cast<ir::NodeId>(i);
    if (!g.is_removed(id) && g.node(id).op_type == op) return &g.node(id);
  }
  return nullptr;
}

// Runs the default pipeline and checks every output against the unfused graph within `tol`
// (absolute and relative).
inline void fuse_and_compare(GraphBuilder& b, const std::map<std::string, Tensor>& feeds, double tol = 1e-4) {
  const std::vector<Tensor> before = evaluate_graph(b.g, feeds);
  auto passes = passes::default_pipeline(GraphOptimizationLevel::kAll);
  const Status st = passes::run_pipeline(b.g, passes, {});
  ASSERT_TRUE(st.is_ok()) << st.to_string();
  const std::vector<Tensor> after = evaluate_graph(b.g, feeds);
  ASSERT_EQ(before.size(), after.size());
  for (size_t i = 0; i < before.size(); ++i)
    EXPECT_TRUE(tensors_close(after[i], before[i], tol, tol)) << "output " << i;
}

}  // namespace onnxrt::testing
