// Import of models into the IR: ordering, functions, subgraphs, errors that name the culprit,
// and save_model -> load again.
#include <gtest/gtest.h>
#include <unistd.h>

#include <deque>
#include <filesystem>
#include <fstream>

#include "ir/infer.h"
#include "onnx/model_io.h"
#include "onnx/proto.h"

namespace onnxrt::onnx {
namespace {

// Builds small models as proto structs; views point into `pool`.
struct Builder {
  std::deque<std::string> pool;
  ModelProto m;
  Builder() {
    m.ir_version = 8;
    m.graph.name = "g";
    m.mark(7);
    OperatorSetIdProto op;
    op.version = 17;
    op.mark(2);
    m.opset_import.push_back(op);
  }
  std::string_view s(std::string v) { return pool.emplace_back(std::move(v)); }
  NodeProto node(std::string op, std::vector<std::string> in, std::vector<std::string> out, std::string name = "") {
    NodeProto n;
    n.op_type = s(op);
    n.name = s(name.empty() ? op + "_" + out[0] : name);
    for (auto& i : in) n.input.push_back(s(i));
    for (auto& o : out) n.output.push_back(s(o));
    return n;
  }
  static ValueInfoProto value(std::string_view name, std::vector<std::string_view> dims) {
    ValueInfoProto v;
    v.name = name;
    v.type.value_case = TypeProto::kTensor;
    v.type.tensor_type.elem_type = 1;
    v.type.tensor_type.mark(1);
    v.type.tensor_type.mark(2);
    for (auto d : dims) {
      TensorShapeProto::Dimension dim;
      if (!d.empty() && isdigit(static_cast<unsigned char>(d[0]))) {
        dim.dim_value = std::stoll(std::string(d));
        dim.mark(1);
      } else if (!d.empty()) {
        dim.dim_param = d;
        dim.mark(2);
      }
      v.type.tensor_type.shape.dim.push_back(dim);
    }
    v.mark(2);
    return v;
  }
  std::string bytes() const { return serialize_model(m); }
  Expected<LoadedModel> load() {
    std::string b = bytes();
    return load_model_bytes(b.data(), b.size(), "");
  }
};

void expect_error(Expected<LoadedModel> r, ErrorCode code, std::initializer_list<std::string> needles) {
  ASSERT_FALSE(r.has_value());
  EXPECT_EQ(r.status().code(), code) << r.status().to_string();
  for (const auto& n : needles) EXPECT_NE(r.status().message().find(n), std::string::npos) << r.status().message();
}

TEST(OnnxReaderImport, SortsNodesAndKeepsSymbols) {
  Builder b;
  b.m.graph.input.push_back(Builder::value("x", {"N", "3"}));
  b.m.graph.node.push_back(b.node("Relu", {"y"}, {"z"}));
  b.m.graph.node.push_back(b.node("Add", {"x", "x"}, {"y"}));
  b.m.graph.output.push_back(Builder::value("z", {"N", "3"}));
  b.m.producer_name = "test";
  auto r = b.load();
  ASSERT_TRUE(r.has_value()) << r.status().to_string();
  const ir::Graph& g = *r->graph;
  ASSERT_EQ(g.num_nodes(), 2u);
  EXPECT_EQ(g.node(0).op_type, "Add");
  EXPECT_EQ(g.node(0).opset, 17);
  const ir::ValueType& t = g.value(g.outputs()[0]).type;
  ASSERT_TRUE(t.has_shape);
  ASSERT_EQ(t.shape.size(), 2u);
  EXPECT_TRUE(t.shape[0].is_symbol());
  EXPECT_EQ(g.symbols().name(t.shape[0].symbol_id()), "N");
  EXPECT_EQ(r->metadata.producer_name, "test");
  EXPECT_EQ(r->metadata.ir_version, 8);
}

TEST(OnnxReaderImport, CycleMissingInputUnknownOpAndDomain) {
  {
    Builder b;
    b.m.graph.node.push_back(b.node("Relu", {"b"}, {"a"}, "r1"));
    b.m.graph.node.push_back(b.node("Relu", {"a"}, {"b"}, "r2"));
    expect_error(b.load(), ErrorCode::kInvalidModel, {"cycle", "Relu 'r1'"});
  }
  {
    Builder b;
    b.m.graph.node.push_back(b.node("Relu", {"nowhere"}, {"a"}, "r1"));
    expect_error(b.load(), ErrorCode::kInvalidModel, {"'nowhere'", "Relu 'r1'"});
  }
  {
    Builder b;
    b.m.graph.input.push_back(Builder::value("x", {"2"}));
    b.m.graph.node.push_back(b.node("FrobnicateXYZ", {"x"}, {"a"}, "f1"));
    expect_error(b.load(), ErrorCode::kNotImplemented, {"FrobnicateXYZ", "'f1'"});
  }
  {
    Builder b;
    b.m.graph.input.push_back(Builder::value("x", {"2"}));
    NodeProto n = b.node("Relu", {"x"}, {"a"}, "r1");
    n.domain = "com.example";
    b.m.graph.node.push_back(n);
    expect_error(b.load(), ErrorCode::kInvalidModel, {"com.example", "opset_import"});
  }
}

TEST(OnnxReaderImport, InitializersListedAsInputsStayConstants) {
  Builder b;
  b.m.ir_version = 3;
  TensorProto w;
  w.name = "w";
  w.data_type = 1;
  w.dims = {2};
  w.float_data = {1, 2};
  b.m.graph.initializer.push_back(w);
  b.m.graph.input.push_back(Builder::value("x", {"2"}));
  b.m.graph.input.push_back(Builder::value("w", {"2"}));
  b.m.graph.node.push_back(b.node("Add", {"x", "w"}, {"y"}));
  b.m.graph.output.push_back(Builder::value("y", {}));
  auto r = b.load();
  ASSERT_TRUE(r.has_value()) << r.status().to_string();
  EXPECT_EQ(r->graph->inputs().size(), 1u);
  const ir::ValueInfo& wv = r->graph->value(r->graph->find("w"));
  ASSERT_TRUE(wv.constant.has_value());
  EXPECT_EQ(wv.constant->data<float>()[1], 2.0f);
}

TEST(OnnxReaderImport, SparseInitializerBecomesDense) {
  Builder b;
  SparseTensorProto sp;
  sp.values.name = "s";
  sp.values.data_type = 1;
  sp.values.dims = {2};
  sp.values.float_data = {5, 6};
  sp.indices.data_type = 7;
  sp.indices.dims = {2};
  sp.indices.int64_data = {1, 3};
  sp.dims = {2, 2};
  sp.mark(1);
  sp.mark(2);
  b.m.graph.sparse_initializer.push_back(sp);
  b.m.graph.node.push_back(b.node("Relu", {"s"}, {"y"}));
  b.m.graph.output.push_back(Builder::value("y", {}));
  auto r = b.load();
  ASSERT_TRUE(r.has_value()) << r.status().to_string();
  const Tensor& t = *r->graph->value(r->graph->find("s")).constant;
  EXPECT_EQ(t.shape(), (Shape{2, 2}));
  EXPECT_EQ(t.data<float>()[1], 5.0f);
  EXPECT_EQ(t.data<float>()[3], 6.0f);
  EXPECT_EQ(t.data<float>()[0], 0.0f);
  b.m.graph.sparse_initializer[0].indices.int64_data = {1, 4};
  expect_error(b.load(), ErrorCode::kInvalidModel, {"out of range"});
}

TEST(OnnxReaderImport, FunctionsExpandWithAttributeReferences) {
  Builder b;
  OperatorSetIdProto local;
  local.domain = "local";
  local.version = 1;
  b.m.opset_import.push_back(local);
  FunctionProto f;
  f.name = "AddLeaky";
  f.domain = "local";
  f.input = {"a", "b"};
  f.output = {"c"};
  f.attribute = {"slope"};
  f.opset_import.push_back(b.m.opset_import[0]);
  f.node.push_back(b.node("Add", {"a", "b"}, {"t"}, "add"));
  NodeProto leaky = b.node("LeakyRelu", {"t"}, {"c"}, "leaky");
  AttributeProto ref;
  ref.name = "alpha";
  ref.ref_attr_name = "slope";
  ref.type = 1;
  leaky.attribute.push_back(ref);
  f.node.push_back(leaky);
  AttributeProto def;
  def.name = "slope";
  def.type = 1;
  def.f = 0.25f;
  f.attribute_proto.push_back(def);
  b.m.functions.push_back(f);

  b.m.graph.input.push_back(Builder::value("x", {"4"}));
  NodeProto call1 = b.node("AddLeaky", {"x", "x"}, {"y1"}, "call1");
  call1.domain = "local";
  AttributeProto given;
  given.name = "slope";
  given.type = 1;
  given.f = 0.5f;
  call1.attribute.push_back(given);
  NodeProto call2 = b.node("AddLeaky", {"y1", "x"}, {"y2"}, "call2");
  call2.domain = "local";
  b.m.graph.node.push_back(call2);  // out of order on purpose
  b.m.graph.node.push_back(call1);
  b.m.graph.output.push_back(Builder::value("y2", {"4"}));
  auto r = b.load();
  ASSERT_TRUE(r.has_value()) << r.status().to_string();
  const ir::Graph& g = *r->graph;
  ASSERT_EQ(g.num_nodes(), 4u);
  EXPECT_EQ(g.node(1).op_type, "LeakyRelu");
  EXPECT_FLOAT_EQ(g.node(1).attrs.find("alpha")->f, 0.5f);
  EXPECT_FLOAT_EQ(g.node(3).attrs.find("alpha")->f, 0.25f);
  EXPECT_EQ(g.value(g.outputs()[0]).name, "y2");

  // A function that calls itself hits the depth limit instead of recursing forever.
  b.m.functions[0].node[1].op_type = "AddLeaky";
  b.m.functions[0].node[1].domain = "local";
  b.m.functions[0].node[1].input.push_back(b.s("t"));
  expect_error(b.load(), ErrorCode::kInvalidModel, {"nested deeper"});
}

TEST(OnnxReaderImport, SubgraphReadsOuterScope) {
  const bool has_if = ir::find_infer_fn("", "If") != nullptr;
  Builder b;
  b.m.graph.input.push_back(Builder::value("x", {"3"}));
  ValueInfoProto cond = Builder::value("c", {});
  cond.type.tensor_type.elem_type = 9;
  b.m.graph.input.push_back(cond);
  b.m.graph.node.push_back(b.node("Neg", {"x"}, {"nx"}));
  auto branch = [&](const char* op, const char* out) {
    auto g = std::make_shared<GraphProto>();
    g->name = b.s(std::string(op) + "_branch");
    g->node.push_back(b.node(op, {"nx"}, {out}));
    g->output.push_back(Builder::value(b.s(out), {"3"}));
    return g;
  };
  NodeProto iff = b.node("If", {"c"}, {"y"}, "if1");
  AttributeProto then_b, else_b;
  then_b.name = "then_branch";
  then_b.type = 5;
  then_b.g = branch("Identity", "a");
  else_b.name = "else_branch";
  else_b.type = 5;
  else_b.g = branch("Relu", "r");
  iff.attribute = {then_b, else_b};
  b.m.graph.node.insert(b.m.graph.node.begin(), iff);  // before the producer of nx
  b.m.graph.output.push_back(Builder::value("y", {"3"}));
  auto r = b.load();
  if (!has_if) {
    // The branches were imported (outer 'nx' resolved); only the If node itself is unknown.
    expect_error(std::move(r), ErrorCode::kNotImplemented, {"'If'", "if1"});
    GTEST_SKIP() << "If has no inference function yet";
  }
  ASSERT_TRUE(r.has_value()) << r.status().to_string();
  const ir::Graph& g = *r->graph;
  ASSERT_EQ(g.num_nodes(), 2u);
  EXPECT_EQ(g.node(1).op_type, "If");
  const auto& sub = g.node(1).attrs.find("then_branch")->g;
  ASSERT_TRUE(sub);
  EXPECT_EQ(sub->parent(), &g);
  EXPECT_TRUE(sub->value(sub->find("nx")).is_outer_scope);
}

TEST(OnnxReaderImport, SaveAndReloadFromFile) {
  Builder b;
  b.m.graph.input.push_back(Builder::value("x", {"N", "2"}));
  TensorProto w;
  w.name = "w";
  w.data_type = 1;
  w.dims = {2};
  std::string raw("\0\0\x80?\0\0\0@", 8);
  w.raw_data = raw;
  w.mark(9);
  b.m.graph.initializer.push_back(w);
  b.m.graph.node.push_back(b.node("Add", {"x", "w"}, {"y"}));
  b.m.graph.output.push_back(Builder::value("y", {}));
  StringStringEntryProto kv;
  kv.key = "author";
  kv.value = "me";
  b.m.metadata_props.push_back(kv);
  auto first = b.load();
  ASSERT_TRUE(first.has_value()) << first.status().to_string();
  EXPECT_EQ(first->metadata.custom_metadata.size(), 1u);
  auto saved = save_model(*first->graph, first->metadata);
  ASSERT_TRUE(saved.has_value()) << saved.status().to_string();

  const auto path = std::filesystem::temp_directory_path() / ("onnxrt_save_" + std::to_string(::getpid()) + ".onnx");
  std::ofstream(path, std::ios::binary) << *saved;
  auto second = load_model_file(path.string());
  std::filesystem::remove(path);
  ASSERT_TRUE(second.has_value()) << second.status().to_string();
  const ir::Graph& g = *second->graph;
  EXPECT_EQ(g.num_nodes(), 1u);
  EXPECT_EQ(g.inputs().size(), 1u);
  EXPECT_EQ(g.value(g.find("w")).constant->data<float>()[1], 2.0f);
  const auto& xt = g.value(g.inputs()[0]).type;
  EXPECT_EQ(g.symbols().name(xt.shape[0].symbol_id()), "N");
  EXPECT_EQ(second->metadata.custom_metadata, first->metadata.custom_metadata);
  EXPECT_EQ(second->metadata.opset_imports, first->metadata.opset_imports);

  auto missing = load_model_file("/nonexistent/dir/model.onnx");
  ASSERT_FALSE(missing.has_value());
  EXPECT_EQ(missing.status().code(), ErrorCode::kIoError);
}

TEST(OnnxReaderImport, ExternalDataRefusedFromBytes) {
  Builder b;
  TensorProto w;
  w.name = "w";
  w.data_type = 1;
  w.dims = {2};
  w.data_location = 1;
  StringStringEntryProto loc;
  loc.key = "location";
  loc.value = "w.bin";
  w.external_data.push_back(loc);
  b.m.graph.initializer.push_back(w);
  b.m.graph.node.push_back(b.node("Relu", {"w"}, {"y"}));
  b.m.graph.output.push_back(Builder::value("y", {}));
  expect_error(b.load(), ErrorCode::kInvalidArgument, {"tensor 'w'", "w.bin", "model directory"});
}

}  // namespace
}  // namespace onnxrt::onnx
