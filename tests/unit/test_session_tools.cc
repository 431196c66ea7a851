// The debugging surfaces of Session: profiling (Chrome trace), run_with_intermediates, reference
// mode, and the graph dump after a named pass (runtime/pipeline_stages.h).
#include <gtest/gtest.h>

#include <algorithm>
#include <cmath>
#include <cstdio>
#include <fstream>
#include <random>
#include <sstream>
#include <string>
#include <vector>

#include "kernels/harness.h"
#include "onnx/model_io.h"
#include "onnxrt/session.h"
#include "runtime/pipeline_stages.h"

namespace onnxrt::testing {
namespace {

// x[batch, 8] -> MatMul(W) -> Add(b) -> Relu -> Softmax -> y. At level kAll the first three fuse
// into one com.onnxrt FusedMatMul.
std::string build_model() {
  auto g = std::make_unique<ir::Graph>();
  g->opset_imports.push_back({"", 17});
  const Dim batch = Dim::symbol(g->symbols().intern("batch"));
  EXPECT_TRUE(g->add_input("x", ir::ValueType::tensor(DType::kFloat32, {batch, 8})));
  std::mt19937 rng(3);
  EXPECT_TRUE(g->add_initializer("W", random_tensor(DType::kFloat32, {8, 5}, rng)));
  EXPECT_TRUE(g->add_initializer("b", random_tensor(DType::kFloat32, {5}, rng)));
  auto add = [&](ir::Node n, std::vector<std::string> in, std::vector<std::string> out) {
    auto r = g->add_node(std::move(n), in, out);
    EXPECT_TRUE(r) << r.status().to_string();
  };
  add(NodeBuilder("MatMul", 13).name("mm").build(), {"x", "W"}, {"m"});
  add(NodeBuilder("Add", 14).name("bias").build(), {"m", "b"}, {"a"});
  add(NodeBuilder("Relu", 14).name("relu").build(), {"a"}, {"r"});
  add(NodeBuilder("Softmax", 13).name("softmax").attr_i("axis", -1).build(), {"r"}, {"y"});
  EXPECT_TRUE(g->add_output("y").is_ok());
  auto bytes = onnx::save_model(*g, ModelMetadata{});
  EXPECT_TRUE(bytes) << bytes.status().to_string();
  return bytes ? *bytes : std::string();
}

std::unique_ptr<Session> load(const SessionOptions& options) {
  static const std::string bytes = build_model();
  auto s = Session::load_bytes(bytes.data(), bytes.size(), options);
  EXPECT_TRUE(s) << s.status().to_string();
  return s ? std::move(s).value() : nullptr;
}

Tensor input(int64_t batch) {
  std::mt19937 rng(9);
  return random_tensor(DType::kFloat32, {batch, 8}, rng, -2.0, 2.0);
}

std::string read_file(const std::string& path) {
  std::ifstream f(path, std::ios::binary);
  std::stringstream ss;
  ss << f.rdbuf();
  return ss.str();
}

size_t count(const std::string& haystack, const std::string& needle) {
  size_t n = 0;
  for (size_t pos = haystack.find(needle); pos != std::string::npos; pos = haystack.find(needle, pos + 1)) ++n;
  return n;
}

TEST(SessionProfiling, TraceHasOneEventPerNodeRunAndSessionEvents) {
  SessionOptions options;
  options.graph_optimization_level = GraphOptimizationLevel::kDisableAll;  // 4 nodes
  options.enable_profiling = true;
  options.profile_file_prefix = ::testing::TempDir() + "onnxrt_tools_profile";
  auto s = load(options);
  ASSERT_TRUE(s);
  EXPECT_GT(s->profiling_start_time_ns(), 0);
  for (int64_t batch : {2, 3}) ASSERT_TRUE(s->run({{"x", input(batch)}}, {}));
  auto path = s->end_profiling();
  ASSERT_TRUE(path) << path.status().to_string();
  ASSERT_EQ(path->rfind(options.profile_file_prefix + "_", 0), 0u) << *path;
  const std::string json = read_file(*path);
  std::remove(path->c_str());
  EXPECT_EQ(json.front(), '[');
  EXPECT_EQ(count(json, "\"cat\":\"Node\""), 8u);
  EXPECT_EQ(count(json, "\"name\":\"session_initialization\""), 1u);
  EXPECT_EQ(count(json, "\"name\":\"model_run\""), 2u);
  EXPECT_EQ(count(json, "\"name\":\"mm_kernel_time\""), 2u);
  EXPECT_EQ(count(json, "\"op_name\":\"Softmax\""), 2u);
  // Shapes of the second run (batch 3) are recorded as they were at run time.
  EXPECT_NE(json.find("\"input_type_shape\":[{\"float\":[3,8]},{\"float\":[8,5]}]"), std::string::npos);
  EXPECT_NE(json.find("\"output_type_shape\":[{\"float\":[3,5]}]"), std::string::npos);
  EXPECT_EQ(count(json, "\"backend\":\"cpu\""), 8u);

  // Profiling has ended: a second call returns "", and runs still work.
  auto again = s->end_profiling();
  ASSERT_TRUE(again);
  EXPECT_EQ(*again, "");
  EXPECT_TRUE(s->run({{"x", input(1)}}, {}));
}

TEST(SessionProfiling, OffByDefault) {
  auto s = load(SessionOptions{});
  ASSERT_TRUE(s);
  ASSERT_TRUE(s->run({{"x", input(2)}}, {}));
  auto path = s->end_profiling();
  ASSERT_TRUE(path);
  EXPECT_EQ(*path, "");
  EXPECT_EQ(s->profiling_start_time_ns(), 0);
}

TEST(SessionProfiling, UnwritablePrefixIsAnIoError) {
  SessionOptions options;
  options.enable_profiling = true;
  options.profile_file_prefix = "/nonexistent-dir/for/sure/profile";
  auto s = load(options);
  ASSERT_TRUE(s);
  ASSERT_TRUE(s->run({{"x", input(1)}}, {}));
  auto path = s->end_profiling();
  ASSERT_FALSE(path);
  EXPECT_EQ(path.status().code(), ErrorCode::kIoError);
  EXPECT_NE(path.status().message().find("/nonexistent-dir/for/sure/profile_"), std::string::npos);
}

TEST(SessionIntermediates, EveryNodeOutputInExecutionOrder) {
  SessionOptions options;
  options.graph_optimization_level = GraphOptimizationLevel::kDisableAll;
  auto s = load(options);
  ASSERT_TRUE(s);
  const Tensor x = input(3);
  auto values = s->run_with_intermediates({{"x", x}});
  ASSERT_TRUE(values) << values.status().to_string();
  std::vector<std::string> names;
  for (const auto& [name, v] : *values) names.push_back(name);
  EXPECT_EQ(names, (std::vector<std::string>{"m", "a", "r", "y"}));
  // r = Relu(a), and y equals what run() returns.
  const Tensor& a = (*values)[1].second.tensor();
  const Tensor& r = (*values)[2].second.tensor();
  ASSERT_EQ(a.shape(), (Shape{3, 5}));
  for (int64_t i = 0; i < a.size(); ++i) EXPECT_EQ(r.data<float>()[i], std::max(a.data<float>()[i], 0.0f));
  auto out = s->run({{"x", x}}, {});
  ASSERT_TRUE(out);
  const Tensor& y = (*out)[0].tensor();
  const Tensor& y2 = (*values)[3].second.tensor();
  for (int64_t i = 0; i < y.size(); ++i) EXPECT_EQ(y.data<float>()[i], y2.data<float>()[i]);

  // Optimized, the fused values are gone; what is left has the fused node's output name.
  auto fused = load(SessionOptions{});
  auto fused_values = fused->run_with_intermediates({{"x", x}});
  ASSERT_TRUE(fused_values);
  ASSERT_EQ(fused_values->size(), 2u);
  EXPECT_EQ((*fused_values)[0].first, "r");
  EXPECT_EQ((*fused_values)[1].first, "y");

  // Bad feeds fail as run() does.
  auto bad = s->run_with_intermediates({{"nope", x}});
  ASSERT_FALSE(bad);
  EXPECT_EQ(bad.status().code(), ErrorCode::kInvalidArgument);
}

TEST(SessionReferenceKernels, EveryNodeOnAReferenceKernelSameResults) {
  SessionOptions options;
  options.use_reference_kernels = true;
  options.enable_profiling = true;
  options.profile_file_prefix = ::testing::TempDir() + "onnxrt_tools_reference";
  auto ref = load(options);
  auto cpu = load(SessionOptions{});
  ASSERT_TRUE(ref && cpu);
  const Tensor x = input(4);
  auto a = ref->run({{"x", x}}, {});
  auto b = cpu->run({{"x", x}}, {});
  ASSERT_TRUE(a && b);
  const Tensor& ya = (*a)[0].tensor();
  const Tensor& yb = (*b)[0].tensor();
  for (int64_t i = 0; i < ya.size(); ++i) EXPECT_NEAR(ya.data<float>()[i], yb.data<float>()[i], 1e-5f);
  auto path = ref->end_profiling();
  ASSERT_TRUE(path);
  const std::string json = read_file(*path);
  std::remove(path->c_str());
  // Level kAll: FusedMatMul + Softmax, both on reference kernels.
  EXPECT_EQ(count(json, "\"cat\":\"Node\""), 2u);
  EXPECT_EQ(count(json, "\"backend\":\"reference\""), 2u);
  EXPECT_EQ(count(json, "\"op_name\":\"FusedMatMul\""), 1u);
}

class GraphDump : public ::testing::Test {
 protected:
  void SetUp() override {
    path_ = ::testing::TempDir() + "onnxrt_tools_dump.onnx";
    std::ofstream(path_, std::ios::binary) << build_model();
  }
  void TearDown() override { std::remove(path_.c_str()); }
  std::string path_;
};

TEST_F(GraphDump, StagesOfEachLevel) {
  const auto has = [](const std::vector<std::string>& v, const char* name) {
    return std::find(v.begin(), v.end(), name) != v.end();
  };
  const auto none = runtime::pipeline_stage_names(GraphOptimizationLevel::kDisableAll);
  ASSERT_FALSE(none.empty());
  EXPECT_EQ(none[0], "import");
  EXPECT_FALSE(has(none, "fold_constants"));
  const auto all = runtime::pipeline_stage_names(GraphOptimizationLevel::kAll);
  EXPECT_EQ(all[0], "import");
  EXPECT_TRUE(has(all, "fold_constants"));
  EXPECT_TRUE(has(all, "fuse_activation"));
  EXPECT_FALSE(has(runtime::pipeline_stage_names(GraphOptimizationLevel::kBasic), "fuse_activation"));
}

TEST_F(GraphDump, AfterImportAndAfterEveryPass) {
  auto imported = runtime::dump_graph_json(path_, SessionOptions{}, "import");
  ASSERT_TRUE(imported) << imported.status().to_string();
  EXPECT_EQ(count(*imported, "\"op_type\":"), 4u);
  EXPECT_NE(imported->find("\"stage\":\"import\""), std::string::npos);
  // Types carry the symbolic dim by name.
  EXPECT_NE(imported->find("{\"name\":\"m\",\"type\":\"tensor(float)\",\"shape\":[\"batch\",5]}"), std::string::npos)
      << *imported;
  EXPECT_NE(imported->find("\"axis\":-1"), std::string::npos);

  auto optimized = runtime::dump_graph_json(path_, SessionOptions{}, "");
  ASSERT_TRUE(optimized);
  EXPECT_EQ(count(*optimized, "\"op_type\":"), 2u);
  EXPECT_NE(optimized->find("\"op_type\":\"FusedMatMul\",\"domain\":\"com.onnxrt\""), std::string::npos);

  // Stopping after fuse_matmul_add: MatMul+Add fused, the Relu not yet.
  auto midway = runtime::dump_graph_json(path_, SessionOptions{}, "fuse_matmul_add");
  ASSERT_TRUE(midway);
  EXPECT_EQ(count(*midway, "\"op_type\":"), 3u);
  EXPECT_NE(midway->find("\"op_type\":\"Relu\""), std::string::npos);
}

TEST_F(GraphDump, UnknownStageNamesTheKnownOnes) {
  SessionOptions basic;
  basic.graph_optimization_level = GraphOptimizationLevel::kBasic;
  auto r = runtime::dump_graph_json(path_, basic, "fuse_activation");  // not run at kBasic
  ASSERT_FALSE(r);
  EXPECT_EQ(r.status().code(), ErrorCode::kInvalidArgument);
  EXPECT_NE(r.status().message().find("unknown pass 'fuse_activation'"), std::string::npos);
  EXPECT_NE(r.status().message().find("the stages at this optimization level are import, "), std::string::npos);
  EXPECT_NE(r.status().message().find("fold_constants"), std::string::npos);

  auto missing = runtime::dump_graph_json(path_ + ".missing", SessionOptions{}, "");
  ASSERT_FALSE(missing);
}

}  // namespace
}  // namespace onnxrt::testing
