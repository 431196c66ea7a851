// Weights held once: the plan drops a constant's data when every reader packed it at create time
// (Kernel::prepacked_input), and keeps it for any other reader, for graph outputs and for what a
// subgraph reads; a mapped model file gives back the pages of weights that were copied or
// released (MappedFile::drop_pages). Sessions with released weights still compute the same
// outputs, run after run, and two sessions on one file do not disturb each other.
#include <gtest/gtest.h>

#include <unistd.h>

#include <cstdio>
#include <fstream>
#include <map>
#include <random>
#include <string>
#include <vector>

#include "base/mapped_file.h"
#include "kernels/harness.h"
#include "onnx/model_io.h"
#include "onnxrt/session.h"
#include "plan/execution_plan.h"

namespace onnxrt::testing {
namespace {

constexpr int64_t kN = 8;

// x[8, 8] and five weights [8, 8]:
//   w_packed   read by one MatMul                         -> released
//   w_twice    read by two MatMuls                        -> released after the second
//   w_shared   read by a MatMul and by an Add (its data)  -> kept
//   w_output   read by a MatMul and a graph output        -> kept
//   w_sub      read by a MatMul and inside an If branch   -> kept
std::unique_ptr<ir::Graph> build_graph() {
  auto g = std::make_unique<ir::Graph>();
  g->opset_imports.push_back({"", 17});
  EXPECT_TRUE(g->add_input("x", ir::ValueType::tensor(DType::kFloat32, to_sym_shape(Shape{kN, kN}))));
  std::mt19937 rng(3);
  for (const char* w : {"w_packed", "w_twice", "w_shared", "w_output", "w_sub"})
    EXPECT_TRUE(g->add_initializer(w, random_tensor(DType::kFloat32, {kN, kN}, rng)));
  EXPECT_TRUE(g->add_initializer("cond", make_tensor<uint8_t>(DType::kBool, {}, {1})));
  auto add = [&](ir::Graph& graph, ir::Node n, std::vector<std::string> in, std::vector<std::string> out) {
    auto r = graph.add_node(std::move(n), in, out);
    EXPECT_TRUE(r) << r.status().to_string();
  };
  add(*g, NodeBuilder("MatMul", 13).build(), {"x", "w_packed"}, {"a"});
  add(*g, NodeBuilder("MatMul", 13).build(), {"a", "w_twice"}, {"b"});
  add(*g, NodeBuilder("MatMul", 13).build(), {"b", "w_twice"}, {"c"});
  add(*g, NodeBuilder("MatMul", 13).build(), {"c", "w_shared"}, {"d"});
  add(*g, NodeBuilder("Add", 14).build(), {"d", "w_shared"}, {"e"});
  add(*g, NodeBuilder("MatMul", 13).build(), {"e", "w_output"}, {"f"});
  add(*g, NodeBuilder("MatMul", 13).build(), {"f", "w_sub"}, {"h"});
  // If(cond) { then: Add(h, w_sub) } else { h }: the branch reads w_sub by name.
  auto then_g = std::make_shared<ir::Graph>(g->symbols_ptr(), g.get());
  then_g->name = "then";
  add(*then_g, NodeBuilder("Add", 14).build(), {"h", "w_sub"}, {"t"});
  EXPECT_TRUE(then_g->add_output("t").is_ok());
  auto else_g = std::make_shared<ir::Graph>(g->symbols_ptr(), g.get());
  else_g->name = "else";
  add(*else_g, NodeBuilder("Identity", 16).build(), {"h"}, {"u"});
  EXPECT_TRUE(else_g->add_output("u").is_ok());
  ir::Node if_node = NodeBuilder("If", 16).build();
  ir::Attribute then_a, else_a;
  then_a.name = "then_branch", then_a.kind = ir::AttrKind::kGraph, then_a.g = then_g;
  else_a.name = "else_branch", else_a.kind = ir::AttrKind::kGraph, else_a.g = else_g;
  if_node.attrs.set(then_a);
  if_node.attrs.set(else_a);
  add(*g, std::move(if_node), {"cond"}, {"y"});
  for (const char* o : {"y", "w_output"}) EXPECT_TRUE(g->add_output(o).is_ok());
  return g;
}

const Tensor& constant_of(const plan::ExecutionPlan& p, const std::string& name) {
  return p.constants[static_cast<size_t>(p.graph->find(name))];
}

TEST(SessionMemory, PlanReleasesOnlyWeightsThatEveryReaderPacked) {
  auto g = build_graph();
  auto plan = plan::build_plan(std::move(g));
  ASSERT_TRUE(plan) << plan.status().to_string();
  for (const char* w : {"w_packed", "w_twice"}) {
    SCOPED_TRACE(w);
    const Tensor& t = constant_of(**plan, w);
    // Released: the dtype and shape the kernels check stay, the data is gone everywhere.
    EXPECT_EQ(t.raw(), nullptr);
    EXPECT_EQ(t.shape(), (Shape{kN, kN}));
    EXPECT_EQ(t.dtype(), DType::kFloat32);
    EXPECT_EQ((*plan)->graph->value((*plan)->graph->find(w)).constant->raw(), nullptr);
  }
  for (const char* w : {"w_shared", "w_output", "w_sub"}) {
    SCOPED_TRACE(w);
    EXPECT_NE(constant_of(**plan, w).raw(), nullptr);
  }
}

TEST(SessionMemory, ReferenceKernelsReleaseNothing) {
  plan::PlanOptions options;
  options.prefer_reference_kernels = true;
  auto plan = plan::build_plan(build_graph(), options);
  ASSERT_TRUE(plan) << plan.status().to_string();
  EXPECT_NE(constant_of(**plan, "w_packed").raw(), nullptr);
}

std::string temp_path(const std::string& name) {
  return ::testing::TempDir() + "onnxrt_mem_" + std::to_string(::getpid()) + "_" + name;
}

TEST(SessionMemory, ReleasedWeightsGiveTheSameOutputsRunAfterRun) {
  auto g = build_graph();
  std::mt19937 rng(9);
  const Tensor x = random_tensor(DType::kFloat32, {kN, kN}, rng);
  // Expected: the graph evaluated node by node, nothing packed or released. The If is checked
  // by hand: cond is true, so y = h + w_sub.
  const ir::Graph& gr = *g;
  std::map<std::string, Tensor> values{{"x", x}};
  Tensor cur = x;
  auto mm = [&](const Tensor& a, const std::string& w) {
    auto r = run_node(kernels::Backend::kReference, NodeBuilder("MatMul", 13).build(),
                      {a, *gr.value(gr.find(w)).constant}, 1);
    EXPECT_TRUE(r) << r.status().to_string();
    return (*r)[0];
  };
  auto add = [&](const Tensor& a, const std::string& w) {
    auto r = run_node(kernels::Backend::kReference, NodeBuilder("Add", 14).build(),
                      {a, *gr.value(gr.find(w)).constant}, 1);
    EXPECT_TRUE(r) << r.status().to_string();
    return (*r)[0];
  };
  const Tensor h = mm(mm(add(mm(mm(mm(mm(x, "w_packed"), "w_twice"), "w_twice"), "w_shared"), "w_shared"),
                         "w_output"),
                      "w_sub");
  const Tensor y = add(h, "w_sub");
  const Tensor w_output = gr.value(gr.find("w_output")).constant->clone();

  auto bytes = onnx::save_model(*g, ModelMetadata{});
  ASSERT_TRUE(bytes) << bytes.status().to_string();
  const std::string path = temp_path("released.onnx");
  {
    std::ofstream f(path, std::ios::binary);
    f.write(bytes->data(), static_cast<std::streamsize>(bytes->size()));
  }
  SessionOptions options;
  options.intra_op_num_threads = 2;
  auto from_bytes = Session::load_bytes(bytes->data(), bytes->size(), options, "");
  auto file_a = Session::load(path, options);
  auto file_b = Session::load(path, options);  // a second session on the same mapped file
  ASSERT_TRUE(from_bytes && file_a && file_b);
  for (int run = 0; run < 3; ++run) {
    for (Session* s : {from_bytes->get(), file_a->get(), file_b->get()}) {
      auto out = s->run({{"x", Value(x)}}, {});
      ASSERT_TRUE(out) << out.status().to_string();
      ASSERT_EQ(out->size(), 2u);
      EXPECT_TRUE(tensors_close((*out)[0].tensor(), y, 1e-5, 1e-5)) << "run " << run;
      EXPECT_TRUE(tensors_close((*out)[1].tensor(), w_output, 0, 0)) << "run " << run;
    }
  }
  file_a->reset();  // the other session keeps its own view of the file
  auto out = (*file_b)->run({{"x", Value(x)}}, {});
  ASSERT_TRUE(out);
  EXPECT_TRUE(tensors_close((*out)[0].tensor(), y, 1e-5, 1e-5));
  std::remove(path.c_str());
}

long rss_file_kb() {
  std::ifstream f("/proc/self/status");
  std::string line;
  while (std::getline(f, line))
    if (line.rfind("RssFile:", 0) == 0) return std::stol(line.substr(8));
  return -1;
}

TEST(SessionMemory, DroppedPagesLeaveTheResidentSetAndReadTheSame) {
  const std::string path = temp_path("pages.bin");
  constexpr size_t kBytes = (size_t{8} << 20) + 100;
  std::vector<unsigned char> pattern(kBytes);
  for (size_t i = 0; i < kBytes; ++i) pattern[i] = static_cast<unsigned char>(i * 131 + 7);
  {
    std::ofstream f(path, std::ios::binary);
    f.write(reinterpret_cast<const char*>(pattern.data()), static_cast<std::streamsize>(kBytes));
  }
  auto file = MappedFile::open(path);
  ASSERT_TRUE(file) << file.status().to_string();
  const MappedFile& m = **file;
  auto same = [&] { return std::equal(pattern.begin(), pattern.end(), m.data()); };
  ASSERT_TRUE(same());  // every page touched
  const long before = rss_file_kb();
  m.drop_pages(m.data() + 100, kBytes - 200);
  const long after = rss_file_kb();
  EXPECT_GE(before - after, 7 * 1024) << "RssFile " << before << " kB -> " << after << " kB";
  EXPECT_TRUE(same());  // read again from the file
  // Ranges outside the map are ignored.
  m.drop_pages(m.data() + kBytes - 10, 100);
  m.drop_pages(pattern.data(), 10);
  EXPECT_TRUE(same());
  std::remove(path.c_str());
}

}  // namespace
}  // namespace onnxrt::testing
