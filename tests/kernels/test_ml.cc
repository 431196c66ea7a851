// ai.onnx.ml kernels: the tree ensembles' CPU kernel (packed breadth-first and flat layouts) against
// the naive reference walk over random forests (every mode, NaN tracks, aggregates, transforms,
// unbalanced trees), and pinned values for
// every op (hand-computed or from onnxruntime / the ONNX reference).
#include <gtest/gtest.h>

#include <cmath>
#include <limits>
#include <random>

#include "kernels/harness.h"
#include "kernels/registry.h"
#include "onnxrt/value.h"

namespace onnxrt::testing {
namespace {

constexpr const char* kMl = "ai.onnx.ml";

Tensor f32(Shape s, std::vector<float> v) { return make_tensor<float>(DType::kFloat32, std::move(s), v); }
Tensor f64(Shape s, std::vector<double> v) { return make_tensor<double>(DType::kFloat64, std::move(s), v); }
Tensor i64(Shape s, std::vector<int64_t> v) { return make_tensor<int64_t>(DType::kInt64, std::move(s), v); }
Tensor str(Shape s, std::vector<std::string> v) { return make_tensor<std::string>(DType::kString, std::move(s), v); }

NodeBuilder ml(const char* op, int opset = 1) { return NodeBuilder(op, opset, kMl); }

// Runs on both backends; expects both to succeed and agree with `expected` (per output).
void expect_outputs(const ir::Node& node, const std::vector<Tensor>& in, const std::vector<Tensor>& expected,
                    double atol = 1e-5, double rtol = 1e-5) {
  for (auto backend : {kernels::Backend::kCpu, kernels::Backend::kReference}) {
    auto r = run_node(backend, node, in, expected.size());
    ASSERT_TRUE(r.has_value()) << r.status().to_string();
    for (size_t i = 0; i < expected.size(); ++i) EXPECT_TRUE(tensors_close((*r)[i], expected[i], atol, rtol)) << "output " << i;
  }
}

TEST(MlBasic, Binarizer) {
  auto node = ml("Binarizer").attr_f("threshold", 0.5f).build();
  expect_outputs(node, {f32({2, 2}, {0.1f, 0.5f, 0.6f, -3})}, {f32({2, 2}, {0, 0, 1, 0})});
  expect_outputs(node, {i64({3}, {0, 1, 2})}, {i64({3}, {0, 1, 1})});
}

TEST(MlBasic, ScalerNormalizer) {
  auto sc = ml("Scaler").attr_floats("offset", {1, 2}).attr_floats("scale", {2, 0.5f}).build();
  expect_outputs(sc, {f64({2, 2}, {1, 2, 3, 6})}, {f32({2, 2}, {0, 0, 4, 2})});
  expect_outputs(ml("Normalizer").attr_s("norm", "L1").build(), {f32({2, 2}, {1, -3, 0, 0})},
                 {f32({2, 2}, {0.25f, -0.75f, 0, 0})});
  expect_outputs(ml("Normalizer").attr_s("norm", "L2").build(), {f32({1, 2}, {3, 4})}, {f32({1, 2}, {0.6f, 0.8f})});
  expect_outputs(ml("Normalizer").attr_s("norm", "MAX").build(), {i64({1, 3}, {1, 2, 4})}, {f32({1, 3}, {0.25f, 0.5f, 1})});
  EXPECT_FALSE(run_node(kernels::Backend::kCpu, ml("Normalizer").attr_s("norm", "L3").build(), {f32({1, 1}, {1})}, 1).has_value());
}

TEST(MlBasic, ArrayFeatureExtractorAndImputer) {
  auto afe = ml("ArrayFeatureExtractor").build();
  expect_outputs(afe, {f32({2, 3}, {1, 2, 3, 4, 5, 6}), i64({2}, {2, 0})}, {f32({2, 2}, {3, 1, 6, 4})});
  expect_outputs(afe, {str({3}, {"a", "b", "c"}), i64({1}, {1})}, {str({1, 1}, {"b"})});
  EXPECT_FALSE(run_node(kernels::Backend::kCpu, afe, {f32({1, 2}, {1, 2}), i64({1}, {2})}, 1).has_value());
  const float nan = std::numeric_limits<float>::quiet_NaN();
  auto imp = ml("Imputer").attr_floats("imputed_value_floats", {7, 8}).attr_f("replaced_value_float", nan).build();
  expect_outputs(imp, {f32({2, 2}, {nan, 1, 2, nan})}, {f32({2, 2}, {7, 1, 2, 8})});
  auto impi = ml("Imputer").attr_ints("imputed_value_int64s", {9}).attr_i("replaced_value_int64", -1).build();
  expect_outputs(impi, {i64({3}, {-1, 0, -1})}, {i64({3}, {9, 0, 9})});
}

TEST(MlBasic, CategoricalOps) {
  auto cm = ml("CategoryMapper").attr_ints("cats_int64s", {1, 2}).attr_strings("cats_strings", {"a", "b"}).build();
  expect_outputs(cm, {str({3}, {"b", "z", "a"})}, {i64({3}, {2, -1, 1})});
  expect_outputs(cm, {i64({2}, {1, 5})}, {str({2}, {"a", "_Unused"})});
  auto ohe = ml("OneHotEncoder").attr_ints("cats_int64s", {3, 1}).build();
  expect_outputs(ohe, {i64({1, 3}, {1, 3, 2})}, {f32({1, 3, 2}, {0, 1, 1, 0, 0, 0})});
  auto ohe0 = ml("OneHotEncoder").attr_strings("cats_strings", {"x"}).attr_i("zeros", 0).build();
  EXPECT_FALSE(run_node(kernels::Backend::kCpu, ohe0, {str({1}, {"y"})}, 1).has_value());
  auto fv = ml("FeatureVectorizer").attr_ints("inputdimensions", {1, 3}).build();
  expect_outputs(fv, {i64({2, 1}, {1, 2}), f64({2, 2}, {3, 4, 5, 6})}, {f32({2, 4}, {1, 3, 4, 0, 2, 5, 6, 0})});
}

TEST(MlBasic, LabelEncoder) {
  auto v1 = ml("LabelEncoder", 1).attr_strings("classes_strings", {"a", "b"}).build();
  expect_outputs(v1, {str({3}, {"b", "a", "q"})}, {i64({3}, {1, 0, -1})});
  expect_outputs(v1, {i64({2}, {1, 7})}, {str({2}, {"b", "_Unused"})});
  auto v2 = ml("LabelEncoder", 2).attr_floats("keys_floats", {0.5f, 1.5f}).attr_strings("values_strings", {"x", "y"})
                .attr_s("default_string", "?").build();
  expect_outputs(v2, {f32({3}, {1.5f, 2, 0.5f})}, {str({3}, {"y", "?", "x"})});
  auto v4 = ml("LabelEncoder", 4).attr_t("keys_tensor", make_tensor<int32_t>(DType::kInt32, {2}, {3, 4}))
                .attr_t("values_tensor", f64({2}, {0.25, 0.75}))
                .attr_t("default_tensor", f64({1}, {-9})).build();
  expect_outputs(v4, {make_tensor<int32_t>(DType::kInt32, {2, 2}, {4, 3, 5, 4})}, {f64({2, 2}, {0.75, 0.25, -9, 0.75})});
  auto v4s = ml("LabelEncoder", 4).attr_strings("keys_strings", {"a"}).attr_t("values_tensor", make_tensor<int16_t>(DType::kInt16, {1}, {5})).build();
  expect_outputs(v4s, {str({2}, {"a", "b"})}, {make_tensor<int16_t>(DType::kInt16, {2}, {5, -1})});
}

TEST(MlLinear, RegressorAndClassifier) {
  auto lr = ml("LinearRegressor").attr_floats("coefficients", {1, 2, -1, 0}).attr_floats("intercepts", {0.5f, 1})
                .attr_i("targets", 2).build();
  expect_outputs(lr, {f32({2, 2}, {1, 1, 2, 0})}, {f32({2, 2}, {3.5f, 0, 2.5f, -1})});
  // Three classes, SOFTMAX: scores [x0, x1, x0 + x1].
  auto lc = ml("LinearClassifier").attr_floats("coefficients", {1, 0, 0, 1, 1, 1}).attr_floats("intercepts", {0, 0, 0})
                .attr_ints("classlabels_ints", {10, 20, 30}).attr_s("post_transform", "NONE").build();
  expect_outputs(lc, {f32({2, 2}, {1, 2, 3, -4})}, {i64({2}, {30, 10}), f32({2, 3}, {1, 2, 3, 3, -4, -1})});
  // Binary with one coefficient row: scores widen to [-s, s]; the label is class 1 when s > 0.
  auto lb = ml("LinearClassifier").attr_floats("coefficients", {1, -1}).attr_floats("intercepts", {0})
                .attr_strings("classlabels_strings", {"no", "yes"}).attr_s("post_transform", "LOGISTIC").build();
  const float p = static_cast<float>(1 / (1 + std::exp(-1.0)));
  expect_outputs(lb, {f32({2, 2}, {2, 1, 0, 1})}, {str({2}, {"yes", "no"}), f32({2, 2}, {1 - p, p, p, 1 - p})});
}

TEST(MlLinear, Svm) {
  // RBF regressor, two support vectors: y = 2 k(x, a) - k(x, b) + 0.5, k = exp(-0.5 |x - v|^2).
  auto sr = ml("SVMRegressor").attr_i("n_supports", 2).attr_floats("support_vectors", {0, 0, 1, 1})
                .attr_floats("coefficients", {2, -1}).attr_floats("rho", {0.5f}).attr_s("kernel_type", "RBF")
                .attr_floats("kernel_params", {0.5f, 0, 3}).build();
  const double e1 = std::exp(-0.5), e2 = std::exp(-1.0);
  expect_outputs(sr, {f32({2, 2}, {0, 0, 1, 0})},
                 {f32({2, 1}, {static_cast<float>(2 - e2 + 0.5), static_cast<float>(2 * e1 - e1 + 0.5)})});
  // Linear-kernel SVC with three classes, one vector each: decision values and votes.
  auto sc = ml("SVMClassifier").attr_ints("vectors_per_class", {1, 1, 1}).attr_floats("support_vectors", {1, 0, 0, 1, -1, -1})
                .attr_floats("coefficients", {1, 1, -1, -1, 1, -1}).attr_floats("rho", {0, 0, 0})
                .attr_ints("classlabels_ints", {0, 1, 2}).attr_s("kernel_type", "LINEAR").build();
  // x = (2, 0): k = [2, 0, -2]. pair (0,1): rho + c[0][0]*k0 + c[0][1]*k1 = 2 -> class 0;
  // (0,2): c[1][0]*k0 + c[0][2]*k2 = -2 + 2 = 0 -> class 2; (1,2): c[1][1]*k1 + c[1][2]*k2 = 2 -> class 1.
  auto r = run_node(kernels::Backend::kCpu, sc, {f32({1, 2}, {2, 0})}, 2);
  ASSERT_TRUE(r.has_value()) << r.status().to_string();
  EXPECT_TRUE(tensors_close((*r)[1], f32({1, 3}, {2, 0, 2}), 1e-6, 0));
  EXPECT_EQ((*r)[0].data<int64_t>()[0], 0);  // one vote each: the first class wins the tie
}

// ---- tree ensembles

// A random forest in the legacy attribute layout: complete trees of the given depth.
ir::Node random_forest(std::mt19937& rng, const char* op, int n_trees, int depth, int n_features, int n_targets,
                       bool mixed_modes, const std::string& post, const std::string& agg) {
  std::uniform_real_distribution<float> u(-1, 1);
  const char* modes[] = {"BRANCH_LEQ", "BRANCH_LT", "BRANCH_GTE", "BRANCH_GT", "BRANCH_EQ", "BRANCH_NEQ"};
  std::vector<int64_t> treeids, nodeids, featureids, trues, falses, missing, wt, wn, wid;
  std::vector<float> values, weights;
  std::vector<std::string> mode_s;
  const bool cls = std::string(op) == "TreeEnsembleClassifier";
  for (int t = 0; t < n_trees; ++t) {
    const int n_nodes = (1 << (depth + 1)) - 1;
    for (int id = 0; id < n_nodes; ++id) {
      treeids.push_back(t);
      nodeids.push_back(id);
      const bool leaf = id >= (1 << depth) - 1;
      featureids.push_back(leaf ? 0 : static_cast<int64_t>(rng() % n_features));
      values.push_back(leaf ? 0 : u(rng));
      mode_s.push_back(leaf ? "LEAF" : mixed_modes ? modes[rng() % 6] : "BRANCH_LEQ");
      trues.push_back(leaf ? 0 : 2 * id + 1);
      falses.push_back(leaf ? 0 : 2 * id + 2);
      missing.push_back(mixed_modes ? static_cast<int64_t>(rng() % 2) : 0);  // all-LEQ, no tracks: the fast walk
      if (leaf) {
        for (int k = 0; k < n_targets; ++k) {
          if (rng() % 3 == 0) continue;
          wt.push_back(t);
          wn.push_back(id);
          wid.push_back(k);
          weights.push_back(u(rng));
        }
      }
    }
  }
  NodeBuilder b(op, 3, kMl);
  b.attr_ints("nodes_treeids", treeids).attr_ints("nodes_nodeids", nodeids).attr_ints("nodes_featureids", featureids)
      .attr_floats("nodes_values", values).attr_strings("nodes_modes", mode_s).attr_ints("nodes_truenodeids", trues)
      .attr_ints("nodes_falsenodeids", falses).attr_ints("nodes_missing_value_tracks_true", missing)
      .attr_s("post_transform", post);
  const std::string p = cls ? "class_" : "target_";
  b.attr_ints(p + "treeids", wt).attr_ints(p + "nodeids", wn).attr_ints(cls ? "class_ids" : "target_ids", wid)
      .attr_floats(cls ? "class_weights" : "target_weights", weights);
  std::vector<float> base(static_cast<size_t>(n_targets));
  for (float& v : base) v = u(rng);
  b.attr_floats("base_values", base);
  if (cls) {
    std::vector<int64_t> labels(static_cast<size_t>(n_targets));
    for (int k = 0; k < n_targets; ++k) labels[static_cast<size_t>(k)] = 100 + k;
    b.attr_ints("classlabels_int64s", labels);
  } else {
    b.attr_i("n_targets", n_targets).attr_s("aggregate_function", agg);
  }
  return b.build();
}

TEST(MlTree, FlatKernelMatchesReference) {
  std::mt19937 rng(5);
  const float nan = std::numeric_limits<float>::quiet_NaN();
  for (const char* op : {"TreeEnsembleRegressor", "TreeEnsembleClassifier"}) {
    for (const char* post : {"NONE", "LOGISTIC", "SOFTMAX", "SOFTMAX_ZERO"}) {
      for (const char* agg : {"SUM", "AVERAGE", "MIN", "MAX"}) {
        if (std::string(op) == "TreeEnsembleClassifier" && std::string(agg) != "SUM") continue;
        for (bool mixed : {false, true}) {
          for (int targets : {1, 3}) {
            SCOPED_TRACE(std::string(op) + " " + post + " " + agg + (mixed ? " mixed" : "") + " targets " + std::to_string(targets));
            auto node = random_forest(rng, op, 7, 4, 5, targets, mixed, post, agg);
            for (int64_t rows : {0, 1, 7, 300}) {
              Tensor x = random_tensor(DType::kFloat32, {rows, 5}, rng);
              // Some NaNs and some values exactly on thresholds' grid so EQ/NEQ branches are taken.
              for (int64_t i = 0; i < x.size(); i += 7) x.data<float>()[i] = nan;
              const size_t outs = std::string(op) == "TreeEnsembleClassifier" ? 2 : 1;
              expect_matches_reference(node, {x}, outs, 1e-6, 1e-5);
            }
          }
        }
      }
    }
  }
}

// A random forest with unbalanced trees (each split stops with probability 0.3 below the root, up to
// `max_depth`), so leaves sit at many depths: the packed layout's leaves must hold still while other
// rows walk on. Every split uses `mode` and `missing` (1: NaN goes true; -1: random per split); thresholds lie on a grid
// of 0.25 so that inputs on the same grid hit them exactly.
ir::Node random_unbalanced_forest(std::mt19937& rng, const char* op, int n_trees, int max_depth, int n_features,
                                  int n_targets, const char* mode, int64_t missing) {
  std::vector<int64_t> treeids, nodeids, featureids, trues, falses, missings, wt, wn, wid;
  std::vector<float> values, weights;
  std::vector<std::string> modes;
  std::uniform_real_distribution<float> u(-1, 1);
  for (int t = 0; t < n_trees; ++t) {
    // Depth-first ids, as scikit-learn writes them; (id, depth) pending.
    std::vector<std::pair<int64_t, int>> stack{{0, 0}};
    int64_t next_id = 1;
    while (!stack.empty()) {
      const auto [id, depth] = stack.back();
      stack.pop_back();
      treeids.push_back(t);
      nodeids.push_back(id);
      const bool leaf = depth == max_depth || (depth > 0 && rng() % 10 < 3);
      featureids.push_back(leaf ? 0 : static_cast<int64_t>(rng() % n_features));
      values.push_back(leaf ? 0 : static_cast<float>(static_cast<int>(rng() % 9) - 4) * 0.25f);
      modes.push_back(leaf ? "LEAF" : mode);
      missings.push_back(leaf ? 0 : missing < 0 ? static_cast<int64_t>(rng() % 2) : missing);
      if (leaf) {
        trues.push_back(0);
        falses.push_back(0);
        for (int k = 0; k < n_targets; ++k) {
          wt.push_back(t);
          wn.push_back(id);
          wid.push_back(k);
          weights.push_back(u(rng));
        }
        continue;
      }
      const int64_t a = next_id++, b = next_id++;
      trues.push_back(a);
      falses.push_back(b);
      stack.push_back({b, depth + 1});
      stack.push_back({a, depth + 1});
    }
  }
  const bool cls = std::string(op) == "TreeEnsembleClassifier";
  NodeBuilder b(op, 3, kMl);
  b.attr_ints("nodes_treeids", treeids).attr_ints("nodes_nodeids", nodeids).attr_ints("nodes_featureids", featureids)
      .attr_floats("nodes_values", values).attr_strings("nodes_modes", modes).attr_ints("nodes_truenodeids", trues)
      .attr_ints("nodes_falsenodeids", falses).attr_ints("nodes_missing_value_tracks_true", missings);
  const std::string p = cls ? "class_" : "target_";
  b.attr_ints(p + "treeids", wt).attr_ints(p + "nodeids", wn).attr_ints(cls ? "class_ids" : "target_ids", wid)
      .attr_floats(cls ? "class_weights" : "target_weights", weights);
  if (cls) {
    std::vector<int64_t> labels(static_cast<size_t>(n_targets));
    for (int k = 0; k < n_targets; ++k) labels[static_cast<size_t>(k)] = k;
    b.attr_ints("classlabels_int64s", labels);
  } else {
    b.attr_i("n_targets", n_targets);
  }
  return b.build();
}

// The variant the CPU backend's kernel picks for a float32 input with `cols` features.
std::string cpu_variant(const ir::Node& node, int64_t cols) {
  const kernels::KernelEntry* e = kernels::find_kernel(kernels::Backend::kCpu, node.domain, node.op_type, 3, DType::kFloat32);
  if (!e) return "no kernel";
  const ir::ValueType in = ir::ValueType::tensor(DType::kFloat32, SymShape{Dim(int64_t{4}), Dim(cols)});
  const ir::ValueType* ins[] = {&in};
  auto k = e->factory(kernels::KernelInit{node, ins, {}, {}});
  return k.has_value() ? (*k)->variant() : k.status().to_string();
}

// Inputs on the thresholds' grid (exact ties), off it, and NaN.
Tensor grid_input(std::mt19937& rng, int64_t rows, int64_t cols) {
  Tensor x = random_tensor(DType::kFloat32, {rows, cols}, rng, -1.2, 1.2);
  for (int64_t i = 0; i < x.size(); ++i) {
    if (rng() % 3 == 0) x.data<float>()[i] = static_cast<float>(static_cast<int>(rng() % 9) - 4) * 0.25f;
    if (rng() % 11 == 0) x.data<float>()[i] = std::numeric_limits<float>::quiet_NaN();
  }
  return x;
}

TEST(MlTree, PackedLayoutMatchesReferenceOnUnbalancedTrees) {
  std::mt19937 rng(11);
  // Each (mode, missing) pair normalises to one comparison; rows cover the 8-row lanes and their tails.
  for (const char* mode : {"BRANCH_LEQ", "BRANCH_LT", "BRANCH_GTE", "BRANCH_GT"}) {
    for (int64_t missing : {0, 1}) {
      for (const char* op : {"TreeEnsembleRegressor", "TreeEnsembleClassifier"}) {
        SCOPED_TRACE(std::string(op) + " " + mode + " missing " + std::to_string(missing));
        auto node = random_unbalanced_forest(rng, op, 9, 7, 6, 3, mode, missing);
        EXPECT_EQ(cpu_variant(node, 6), "packed");
        for (int64_t rows : {0, 1, 7, 8, 9, 64, 65, 203}) {
          const size_t outs = std::string(op) == "TreeEnsembleClassifier" ? 2 : 1;
          expect_matches_reference(node, {grid_input(rng, rows, 6)}, outs, 0, 0);
        }
      }
    }
  }
  // Double and int64 inputs take the packed walk too (double in place, int64 widened per block;
  // float16 reaches it only through TreeEnsemble, covered in TreeEnsembleV5).
  auto node = random_unbalanced_forest(rng, "TreeEnsembleRegressor", 5, 9, 4, 2, "BRANCH_LEQ", 0);
  expect_matches_reference(node, {random_tensor(DType::kFloat64, {77, 4}, rng, -1.2, 1.2)}, 1, 0, 0);
  expect_matches_reference(node, {random_tensor(DType::kInt64, {77, 4}, rng, -2, 2)}, 1, 0, 0);
}

TEST(MlTree, EnsemblesThePackedLayoutCannotHoldUseTheFlatWalk) {
  std::mt19937 rng(12);
  // Mixed modes (random_forest with mixed_modes) need several comparisons.
  auto mixed = random_forest(rng, "TreeEnsembleRegressor", 4, 4, 5, 1, true, "NONE", "SUM");
  EXPECT_EQ(cpu_variant(mixed, 5), "flat");
  expect_matches_reference(mixed, {grid_input(rng, 50, 5)}, 1, 0, 0);
  // One mode, but per-split missing tracks differ: LEQ and its negation GT in one ensemble.
  auto tracks = random_unbalanced_forest(rng, "TreeEnsembleRegressor", 6, 6, 4, 2, "BRANCH_LT", -1);
  EXPECT_EQ(cpu_variant(tracks, 4), "flat");
  expect_matches_reference(tracks, {grid_input(rng, 50, 4)}, 1, 0, 0);
  // A tree whose node points back at its root: the flat walk reports the cycle as an error.
  auto cyclic = ml("TreeEnsembleRegressor", 3).attr_ints("nodes_treeids", {0, 0, 0}).attr_ints("nodes_nodeids", {0, 1, 2})
                    .attr_ints("nodes_featureids", {0, 0, 0}).attr_floats("nodes_values", {0.5f, 0.7f, 0})
                    .attr_strings("nodes_modes", {"BRANCH_LEQ", "BRANCH_LEQ", "LEAF"})
                    .attr_ints("nodes_truenodeids", {1, 0, 0}).attr_ints("nodes_falsenodeids", {2, 2, 0})
                    .attr_ints("target_treeids", {0}).attr_ints("target_nodeids", {2}).attr_ints("target_ids", {0})
                    .attr_floats("target_weights", {1}).build();
  EXPECT_EQ(cpu_variant(cyclic, 1), "flat");
  auto r = run_node(kernels::Backend::kCpu, cyclic, {f32({1, 1}, {0.1f})}, 1);
  EXPECT_FALSE(r.has_value());
  // x > 0.5 never enters the cycle: both backends agree there.
  expect_matches_reference(cyclic, {f32({2, 1}, {0.9f, 3.0f})}, 1, 0, 0);
  // A NaN threshold under a missing track cannot be packed (NaN fails the negated comparison too).
  auto nan_split = ml("TreeEnsembleRegressor", 3).attr_ints("nodes_treeids", {0, 0, 0}).attr_ints("nodes_nodeids", {0, 1, 2})
                       .attr_ints("nodes_featureids", {0, 0, 0})
                       .attr_floats("nodes_values", {std::numeric_limits<float>::quiet_NaN(), 0, 0})
                       .attr_strings("nodes_modes", {"BRANCH_LEQ", "LEAF", "LEAF"})
                       .attr_ints("nodes_truenodeids", {1, 0, 0}).attr_ints("nodes_falsenodeids", {2, 0, 0})
                       .attr_ints("nodes_missing_value_tracks_true", {1, 0, 0})
                       .attr_ints("target_treeids", {0, 0}).attr_ints("target_nodeids", {1, 2}).attr_ints("target_ids", {0, 0})
                       .attr_floats("target_weights", {1, 2}).build();
  EXPECT_EQ(cpu_variant(nan_split, 1), "flat");
  expect_outputs(nan_split, {f32({3, 1}, {0.f, std::numeric_limits<float>::quiet_NaN(), 5.f})}, {f32({3, 1}, {2, 1, 2})});
}

TEST(MlTree, DoubleAndIntInputs) {
  std::mt19937 rng(6);
  auto node = random_forest(rng, "TreeEnsembleRegressor", 3, 3, 4, 2, true, "NONE", "SUM");
  expect_matches_reference(node, {random_tensor(DType::kFloat64, {33, 4}, rng)}, 1, 1e-6, 1e-5);
  expect_matches_reference(node, {random_tensor(DType::kInt64, {9, 4}, rng, -2, 2)}, 1, 1e-6, 1e-5);
  // Too few features is an error, not a read past the row.
  EXPECT_FALSE(run_node(kernels::Backend::kCpu, node, {random_tensor(DType::kFloat32, {2, 2}, rng)}, 1).has_value());
}

TEST(MlTree, PinnedRegressorAndClassifier) {
  // One stump on feature 0 (x <= 0.5 -> node 1 else node 2), two trees; leaves 1 and 2 carry 1 and 3 in
  // tree 0 and 10 and 30 in tree 1.
  auto base = [](NodeBuilder b, bool cls) {
    const std::string p = cls ? "class_" : "target_";
    return b.attr_ints("nodes_treeids", {0, 0, 0, 1, 1, 1}).attr_ints("nodes_nodeids", {0, 1, 2, 0, 1, 2})
        .attr_ints("nodes_featureids", {0, 0, 0, 1, 0, 0}).attr_floats("nodes_values", {0.5f, 0, 0, 0.5f, 0, 0})
        .attr_strings("nodes_modes", {"BRANCH_LEQ", "LEAF", "LEAF", "BRANCH_LEQ", "LEAF", "LEAF"})
        .attr_ints("nodes_truenodeids", {1, 0, 0, 1, 0, 0}).attr_ints("nodes_falsenodeids", {2, 0, 0, 2, 0, 0})
        .attr_ints(p + "treeids", {0, 0, 1, 1}).attr_ints(p + "nodeids", {1, 2, 1, 2});
  };
  auto avg = base(ml("TreeEnsembleRegressor", 3), false).attr_ints("target_ids", {0, 0, 0, 0})
                 .attr_floats("target_weights", {1, 3, 10, 30}).attr_s("aggregate_function", "AVERAGE")
                 .attr_floats("base_values", {100}).build();
  expect_outputs(avg, {f32({2, 2}, {0, 1, 1, 0})}, {f32({2, 1}, {115.5f, 106.5f})});
  // Multiclass (3 labels): per-class sums, argmax label, SOFTMAX scores.
  auto cls = base(ml("TreeEnsembleClassifier", 3), true).attr_ints("class_ids", {0, 1, 2, 0})
                 .attr_floats("class_weights", {1, 3, 10, 30}).attr_ints("classlabels_int64s", {7, 8, 9}).build();
  expect_outputs(cls, {f32({2, 2}, {0, 1, 1, 0})}, {i64({2}, {7, 9}), f32({2, 3}, {31, 0, 0, 0, 3, 10})});
  // Binary with every weight on class 0 and LOGISTIC: onnxruntime's [sigmoid(-s), sigmoid(s)].
  auto bin = base(ml("TreeEnsembleClassifier", 3), true).attr_ints("class_ids", {0, 0, 0, 0})
                 .attr_floats("class_weights", {-1, 0.5f, -2, 3}).attr_ints("classlabels_int64s", {0, 1})
                 .attr_s("post_transform", "LOGISTIC").build();
  auto sig = [](double v) { return static_cast<float>(1 / (1 + std::exp(-v))); };
  expect_outputs(bin, {f32({2, 2}, {0, 1, 1, 0})}, {i64({2}, {1, 0}), f32({2, 2}, {sig(-2), sig(2), sig(1.5), sig(-1.5)})});
}

TEST(MlTree, TreeEnsembleV5) {
  // The ONNX case test_ai_onnx_ml_tree_ensemble_single_tree.
  auto node = ml("TreeEnsemble", 5).attr_i("n_targets", 2).attr_i("aggregate_function", 1).attr_i("post_transform", 0)
                  .attr_ints("tree_roots", {0})
                  .attr_t("nodes_modes", make_tensor<uint8_t>(DType::kUInt8, {3}, {0, 0, 0}))
                  .attr_ints("nodes_featureids", {0, 0, 0}).attr_t("nodes_splits", f64({3}, {3.14, 1.2, 4.2}))
                  .attr_ints("nodes_truenodeids", {1, 0, 1}).attr_ints("nodes_trueleafs", {0, 1, 1})
                  .attr_ints("nodes_falsenodeids", {2, 2, 3}).attr_ints("nodes_falseleafs", {0, 1, 1})
                  .attr_ints("leaf_targetids", {0, 1, 0, 1}).attr_t("leaf_weights", f64({4}, {5.23, 12.12, -12.23, 7.21}))
                  .build();
  expect_outputs(node, {f64({3, 2}, {1.2, 3.4, -0.12, 1.66, 4.14, 1.77})}, {f64({3, 2}, {5.23, 0, 5.23, 0, 0, 12.12})});
  std::mt19937 rng(8);
  expect_matches_reference(node, {random_tensor(DType::kFloat64, {200, 2}, rng, 0, 5)}, 1, 0, 0);
  expect_matches_reference(node, {random_tensor(DType::kFloat16, {20, 2}, rng, 0, 5)}, 1, 0, 0);
}

TEST(MlMap, ZipMapCastMapDictVectorizer) {
  auto zm = ml("ZipMap").attr_strings("classlabels_strings", {"a", "b"}).build();
  Tensor x = f32({2, 2}, {0.25f, 0.75f, 1, 0});
  Value xv(x);
  const Value* ins[] = {&xv};
  for (auto backend : {kernels::Backend::kCpu, kernels::Backend::kReference}) {
    auto r = kernels::eval_node_values(backend, zm, ins, 1, test_pool());
    ASSERT_TRUE(r.has_value()) << r.status().to_string();
    const Value& seq = (*r)[0];
    ASSERT_TRUE(seq.is_sequence());
    ASSERT_EQ(seq.sequence().size(), 2u);
    const MapValue& m = seq.sequence()[1].map();
    EXPECT_EQ(m.keys.data<std::string>()[1], "b");
    EXPECT_EQ(m.values.data<float>()[0], 1.0f);
  }
  Value map = Value::map(i64({3}, {2, 0, 5}), f32({3}, {1.5f, 2.5f, 3}));
  const Value* mins[] = {&map};
  auto cm = ml("CastMap").attr_s("cast_to", "TO_INT64").attr_s("map_form", "SPARSE").attr_i("max_map", 6).build();
  auto r = kernels::eval_node_values(kernels::Backend::kCpu, cm, mins, 1, test_pool());
  ASSERT_TRUE(r.has_value()) << r.status().to_string();
  EXPECT_TRUE(tensors_close((*r)[0].tensor(), i64({1, 6}, {2, 0, 1, 0, 0, 3}), 0, 0));
  auto dense = ml("CastMap").attr_s("cast_to", "TO_FLOAT").build();
  r = kernels::eval_node_values(kernels::Backend::kCpu, dense, mins, 1, test_pool());
  ASSERT_TRUE(r.has_value()) << r.status().to_string();
  EXPECT_TRUE(tensors_close((*r)[0].tensor(), f32({1, 3}, {2.5f, 1.5f, 3}), 0, 0));
  auto dv = ml("DictVectorizer").attr_ints("int64_vocabulary", {5, 1, 2}).build();
  r = kernels::eval_node_values(kernels::Backend::kReference, dv, mins, 1, test_pool());
  ASSERT_TRUE(r.has_value()) << r.status().to_string();
  EXPECT_TRUE(tensors_close((*r)[0].tensor(), f32({1, 3}, {3, 0, 1.5f}), 0, 0));
}

}  // namespace
}  // namespace onnxrt::testing
