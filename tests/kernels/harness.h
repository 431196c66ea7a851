// Helpers for kernel tests: build a node, make inputs, run the optimized CPU kernel and the
// reference kernel on the same inputs and compare. Used by every tests/kernels/test_<family>.cc.
//
//   auto node = NodeBuilder("Softmax", 13).attr_i("axis", -1).build();
//   std::mt19937 rng(7);
//   for (Shape s : {Shape{0, 3}, Shape{1}, Shape{5, 17}})
//     expect_matches_reference(node, {random_tensor(DType::kFloat32, s, rng)}, 1, 1e-6, 1e-5);
#pragma once

#include <gtest/gtest.h>

#include <cstdint>
#include <map>
#include <random>
#include <string>
#include <vector>

#include "base/thread_pool.h"
#include "ir/graph.h"
#include "ir/infer.h"
#include "kernels/eval_node.h"
#include "kernels/kernel.h"
#include "onnxrt/tensor.h"

namespace onnxrt::testing {

class NodeBuilder {
 public:
  NodeBuilder(std::string op_type, int opset, std::string domain = "");
  NodeBuilder& name(std::string n);
  NodeBuilder& attr_i(const std::string& name, int64_t v);
  NodeBuilder& attr_f(const std::string& name, float v);
  NodeBuilder& attr_s(const std::string& name, std::string v);
  NodeBuilder& attr_ints(const std::string& name, std::vector<int64_t> v);
  NodeBuilder& attr_floats(const std::string& name, std::vector<float> v);
  NodeBuilder& attr_strings(const std::string& name, std::vector<std::string> v);
  NodeBuilder& attr_t(const std::string& name, Tensor v);
  ir::Node build() const { return node_; }

 private:
  ir::Node node_;
};

// Uniform values in [lo, hi] for float types; integers in [lo, hi] rounded; bool 0/1.
// n floats uniform in [-1, 1), for tests that call kernels on raw buffers.
inline std::vector<float> uniform_floats(size_t n, std::mt19937& rng) {
  std::uniform_real_distribution<float> u(-1.f, 1.f);
  std::vector<float> v(n);
  for (float& e : v) e = u(rng);
  return v;
}

Tensor random_tensor(DType dtype, Shape shape, std::mt19937& rng, double lo = -1.0,
                     double hi = 1.0);

template <typename T>
Tensor make_tensor(DType dtype, Shape shape, const std::vector<T>& values) {
  Tensor t = Tensor::allocate(dtype, std::move(shape));
  for (int64_t i = 0; i < t.size(); ++i) t.data<T>()[i] = values[static_cast<size_t>(i)];
  return t;
}

// Same dtype and shape, and every element within atol + rtol*|expected| (NaN matches NaN;
// integers, bools and strings must match exactly).
::testing::AssertionResult tensors_close(const Tensor& actual, const Tensor& expected,
                                         double atol, double rtol);

// Result of running one op's inference function outside a graph.
struct InferResult {
  Status status;
  std::vector<ir::ValueType> outputs;
  bool dynamic = false;  // the op said its output shape is known only after it runs
};

// Runs the inference function of `node`'s op on `inputs` (kind kUnknown = an omitted optional
// input) with `values[i]` (may be shorter; undefined = not known) as input i's constant value.
// The op is looked up by domain and name, then by name alone (tests often leave the domain out).
InferResult infer_node(const ir::Node& node, const std::vector<ir::ValueType>& inputs, size_t num_outputs,
                       SymbolTable* symbols, const std::vector<Tensor>& values = {});

// The shared pool for tests (2 threads, so parallel paths run).
ThreadPool& test_pool();

// A KernelContext over fixed tensors (one output, scratch from the heap, test_pool threads): runs a
// kernel's run() directly, with no constants handed to create(), or on inputs that shape
// inference would refuse (a kernel must check what it computes itself).
class FixedKernelContext final : public kernels::KernelContext {
 public:
  FixedKernelContext(const ir::Node& n, std::vector<const Tensor*> in, Tensor out)
      : node_(n), in_(std::move(in)), out_(std::move(out)) {}
  size_t num_inputs() const override { return in_.size(); }
  const Tensor* input(size_t i) const override { return i < in_.size() ? in_[i] : nullptr; }
  size_t num_outputs() const override { return 1; }
  Tensor* output(size_t i) override { return i == 0 ? &out_ : nullptr; }
  Tensor* allocate_output(size_t, DType, Shape) override { return nullptr; }
  void* scratch(size_t bytes) override {
    scratch_.push_back(Tensor::allocate(DType::kUInt8, {static_cast<int64_t>(bytes)}));
    return scratch_.back().raw();
  }
  ThreadPool& threads() override { return test_pool(); }
  const ir::Node& node() const override { return node_; }
  Tensor& out() { return out_; }

 private:
  const ir::Node& node_;
  std::vector<const Tensor*> in_;
  Tensor out_;
  std::vector<Tensor> scratch_;
};

// Evaluates with one backend; an undefined Tensor in `inputs` is an omitted optional input.
Expected<std::vector<Tensor>> run_node(kernels::Backend backend, const ir::Node& node,
                                       const std::vector<Tensor>& inputs, size_t num_outputs);

// Evaluates every node of `g` in topological order on the CPU backend (constants from the graph,
// inputs from `feeds` by name) and returns the graph outputs: lets pass tests compare a graph
// before and after a pass without building a session.
std::vector<Tensor> evaluate_graph(const ir::Graph& g, const std::map<std::string, Tensor>& feeds);
// The op types of `g` in topological order.
std::vector<std::string> graph_ops(const ir::Graph& g);

// The variant() of the CPU kernel created for `node` (float32, the node's domain) with inputs of
// these shapes known at create time (a negative dim of x: unknown, a symbol), input 1 a constant
// W drawn from a fixed seed: which path create() prepared. A status message when no kernel is found or create() fails.
std::string cpu_variant_with_constant_w(const ir::Node& node, const Shape& x, const Shape& w);

// Runs node on the CPU and reference backends and expects every output to match.
void expect_matches_reference(const ir::Node& node, const std::vector<Tensor>& inputs,
                              size_t num_outputs, double atol, double rtol);

// The same for output 0, but the CPU kernel's create() sees no constant inputs (run() gets the
// weights it would otherwise have prepacked), through a FixedKernelContext.
void expect_matches_reference_without_constants(const ir::Node& node, const std::vector<Tensor>& inputs,
                                                double tol);

}  // namespace onnxrt::testing
