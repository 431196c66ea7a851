// Weights whose raw_data is not 4-byte aligned in the model file (torch writes it at any byte
// offset) are read in place, with no copy, when every reader reads them bytewise (MatMul, Gemm
// and FusedMatMul pack B at create time; Gather copies rows of its data; onnx/tensor_proto.h).
// Any other reader gets an aligned copy: at import (a weight with another reader), in the plan
// (a B the kernel did not pack: rank 3; a reference Gather), and in constant folding. Every byte
// offset of every weight is covered by shifting the file.
#include <gtest/gtest.h>

#include <unistd.h>

#include <cstdint>
#include <cstdio>
#include <cstring>
#include <fstream>
#include <map>
#include <random>
#include <set>
#include <string>
#include <vector>

#include "kernels/harness.h"
#include "onnx/model_io.h"
#include "onnxrt/session.h"
#include "plan/execution_plan.h"

namespace onnxrt::testing {
namespace {

constexpr int64_t kM = 64;

// x[64, 64]:
//   w_mm     MatMul B                                  -> in place, released after packing
//   w_gemm   Gemm B with transB                        -> in place, released
//   w_fused  MatMul B + Add(bias) (FusedMatMul)        -> in place, released
//   w_3d     MatMul B of rank 3 (not packed)            -> in place at import, aligned by the plan
//   w_fold   MatMul B with a constant A (folded)       -> in place at import, aligned for folding
//   w_shared MatMul B and an Add's input               -> copied at import
//   w_gather Gather data                               -> in place, kept misaligned for the CPU
//                                                         Gather, aligned for the reference one
//   w_embed  Gather data and MatMul(., Transpose(w_embed)) (a tied embedding, which the passes
//            make a FusedMatMul with trans_b)          -> in place; aligned by a plan built with
//                                                         no passes, for the Transpose
// Each weight is 16 KB (above the 4 KB from which a weight stays in place).
std::unique_ptr<ir::Graph> build_graph() {
  auto g = std::make_unique<ir::Graph>();
  g->opset_imports.push_back({"", 17});
  EXPECT_TRUE(g->add_input("x", ir::ValueType::tensor(DType::kFloat32, to_sym_shape(Shape{kM, kM}))));
  EXPECT_TRUE(g->add_input("ids", ir::ValueType::tensor(DType::kInt64, to_sym_shape(Shape{kM}))));
  std::mt19937 rng(5);
  // Small enough that values stay near 1 through the five products (so that a tolerance
  // separates accumulation order from a wrong weight).
  const double r = 0.25;
  for (const char* w : {"w_mm", "w_gemm", "w_fused", "w_fold", "w_shared", "a_fold", "w_embed", "w_gather"})
    EXPECT_TRUE(g->add_initializer(w, random_tensor(DType::kFloat32, {kM, kM}, rng, -r, r)));
  EXPECT_TRUE(g->add_initializer("w_3d", random_tensor(DType::kFloat32, {2, kM, kM}, rng, -r, r)));
  EXPECT_TRUE(g->add_initializer("bias", random_tensor(DType::kFloat32, {kM}, rng)));
  auto add = [&](ir::Node n, std::vector<std::string> in, std::vector<std::string> out) {
    auto r = g->add_node(std::move(n), in, out);
    EXPECT_TRUE(r) << r.status().to_string();
  };
  add(NodeBuilder("MatMul", 13).build(), {"x", "w_mm"}, {"a"});
  add(NodeBuilder("Gemm", 13).attr_i("transB", 1).build(), {"a", "w_gemm"}, {"b"});
  add(NodeBuilder("MatMul", 13).build(), {"b", "w_fused"}, {"c0"});
  add(NodeBuilder("Add", 14).build(), {"c0", "bias"}, {"c"});
  add(NodeBuilder("MatMul", 13).build(), {"c", "w_3d"}, {"y_3d"});
  add(NodeBuilder("MatMul", 13).build(), {"a_fold", "w_fold"}, {"folded"});
  add(NodeBuilder("Add", 14).build(), {"c", "folded"}, {"d"});
  add(NodeBuilder("MatMul", 13).build(), {"d", "w_shared"}, {"e"});
  add(NodeBuilder("Add", 14).build(), {"e", "w_shared"}, {"y"});
  add(NodeBuilder("Gather", 13).build(), {"w_embed", "ids"}, {"embedded"});
  add(NodeBuilder("Gather", 13).build(), {"w_gather", "ids"}, {"gathered"});
  add(NodeBuilder("Add", 14).build(), {"embedded", "c"}, {"f0"});
  add(NodeBuilder("Add", 14).build(), {"f0", "gathered"}, {"f"});
  add(NodeBuilder("Transpose", 13).build(), {"w_embed"}, {"w_embed_t"});
  add(NodeBuilder("MatMul", 13).build(), {"f", "w_embed_t"}, {"y_tied"});
  for (const char* o : {"y", "y_3d", "y_tied"}) EXPECT_TRUE(g->add_output(o).is_ok());
  return g;
}

const std::set<std::string> kInPlace = {"w_mm", "w_gemm", "w_fused", "w_3d", "w_fold", "w_embed", "w_gather"};
const char* const kWeights[] = {"w_mm", "w_gemm", "w_fused", "w_3d", "w_fold", "w_shared", "w_embed", "w_gather"};

std::string temp_path(const std::string& name) {
  return ::testing::TempDir() + "onnxrt_misaligned_" + std::to_string(::getpid()) + "_" + name;
}

// The model saved with a producer name of `pad` bytes, which comes before the graph in the file
// and so moves every raw_data by that many bytes.
struct SavedModel {
  std::string path;
  std::string bytes;
  // Byte offset of each weight's raw data in the file.
  std::map<std::string, size_t> offset;
};

SavedModel save(const ir::Graph& g, int pad) {
  ModelMetadata meta;
  meta.producer_name = std::string(static_cast<size_t>(pad) + 1, 'p');
  auto bytes = onnx::save_model(g, meta);
  EXPECT_TRUE(bytes) << bytes.status().to_string();
  SavedModel m{temp_path(std::to_string(pad) + ".onnx"), *bytes, {}};
  for (const char* w : kWeights) {
    const Tensor& t = *g.value(g.find(w)).constant;
    const size_t at = m.bytes.find(std::string_view(static_cast<const char*>(t.raw()), t.nbytes()));
    EXPECT_NE(at, std::string::npos) << w;
    m.offset[w] = at;
  }
  std::ofstream f(m.path, std::ios::binary);
  f.write(m.bytes.data(), static_cast<std::streamsize>(m.bytes.size()));
  return m;
}

TEST(MisalignedWeights, OnlyPackedWeightsStayInPlaceAtImport) {
  auto g = build_graph();
  int misaligned_seen = 0;
  for (int pad = 0; pad < 4; ++pad) {
    const SavedModel m = save(*g, pad);
    auto loaded = onnx::load_model_file(m.path);
    ASSERT_TRUE(loaded) << loaded.status().to_string();
    const ir::Graph& lg = *loaded->graph;
    for (const char* w : kWeights) {
      SCOPED_TRACE(::testing::Message() << w << " pad " << pad << " offset " << m.offset.at(w));
      const Tensor& t = *lg.value(lg.find(w)).constant;
      const Tensor& orig = *g->value(g->find(w)).constant;
      ASSERT_EQ(std::memcmp(t.raw(), orig.raw(), orig.nbytes()), 0);
      const size_t file_misalignment = m.offset.at(w) % 4;
      const size_t misalignment = reinterpret_cast<uintptr_t>(t.raw()) % 4;
      // The map starts on a page, so a weight read in place keeps its offset's misalignment,
      // and a copy is 64-byte aligned.
      if (kInPlace.count(w)) {
        EXPECT_EQ(misalignment, file_misalignment);
      } else {
        EXPECT_EQ(misalignment, 0u);
      }
      misaligned_seen += file_misalignment != 0;
    }
    std::remove(m.path.c_str());
  }
  EXPECT_GE(misaligned_seen, 3 * 8);  // each weight at three misaligned offsets
}

TEST(MisalignedWeights, PlanAlignsWhatItsKernelsDoNotPack) {
  auto g = build_graph();
  for (int pad = 0; pad < 4; ++pad) {
    SCOPED_TRACE(::testing::Message() << "pad " << pad);
    const SavedModel m = save(*g, pad);
    for (bool reference : {false, true}) {
      auto loaded = onnx::load_model_file(m.path);
      ASSERT_TRUE(loaded) << loaded.status().to_string();
      plan::PlanOptions options;
      options.prefer_reference_kernels = reference;
      auto plan = plan::build_plan(std::move(loaded->graph), options);
      ASSERT_TRUE(plan) << plan.status().to_string();
      for (const char* w : kWeights) {
        SCOPED_TRACE(::testing::Message() << w << " reference " << reference);
        const plan::ExecutionPlan& p = **plan;
        const ir::ValueId v = p.graph->find(w);
        const Tensor& t = p.constants[static_cast<size_t>(v)];
        EXPECT_EQ(t.raw(), p.graph->value(v).constant->raw());  // graph and plan agree
        if (t.raw() == nullptr) {
          // Released: only weights that every CPU kernel reading them packed.
          EXPECT_FALSE(reference);
          EXPECT_TRUE(std::string(w) == "w_mm" || std::string(w) == "w_gemm" || std::string(w) == "w_fused" ||
                      std::string(w) == "w_fold");
          continue;
        }
        // Kept for a reader of its data: aligned, with the file's values, but for the CPU
        // Gather's data, which stays in the file as it lies.
        const size_t want_misalignment = std::string(w) == "w_gather" && !reference ? m.offset.at(w) % 4 : 0;
        EXPECT_EQ(reinterpret_cast<uintptr_t>(t.raw()) % 4, want_misalignment);
        const Tensor& orig = *g->value(g->find(w)).constant;
        EXPECT_EQ(std::memcmp(t.raw(), orig.raw(), orig.nbytes()), 0);
      }
    }
    std::remove(m.path.c_str());
  }
}

TEST(MisalignedWeights, SessionsGiveTheOutputsOfTheAlignedGraph) {
  auto g = build_graph();
  std::mt19937 rng(9);
  const Tensor x = random_tensor(DType::kFloat32, {kM, kM}, rng);
  Tensor ids = Tensor::allocate(DType::kInt64, {kM});
  for (int64_t i = 0; i < kM; ++i) ids.data<int64_t>()[i] = (i * 37 + 5) % kM;
  const std::vector<Tensor> want = evaluate_graph(*g, {{"x", x}, {"ids", ids}});
  ASSERT_EQ(want.size(), 3u);
  for (int pad = 0; pad < 4; ++pad) {
    const SavedModel m = save(*g, pad);
    for (bool reference : {false, true}) {
      for (int threads : {1, 2}) {
        SCOPED_TRACE(::testing::Message() << "pad " << pad << " reference " << reference << " threads " << threads);
        SessionOptions options;
        options.intra_op_num_threads = threads;
        options.use_reference_kernels = reference;
        auto s = Session::load(m.path, options);
        ASSERT_TRUE(s) << s.status().to_string();
        for (int run = 0; run < 2; ++run) {
          auto out = (*s)->run({{"x", Value(x)}, {"ids", Value(ids)}}, {});
          ASSERT_TRUE(out) << out.status().to_string();
          ASSERT_EQ(out->size(), 3u);
          for (size_t k = 0; k < 3; ++k) EXPECT_TRUE(tensors_close((*out)[k].tensor(), want[k], 1e-4, 1e-4)) << k;
        }
      }
    }
    std::remove(m.path.c_str());
  }
}

}  // namespace
}  // namespace onnxrt::testing
